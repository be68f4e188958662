"""`python -m frvsr.train` as users run it: multirun, 2-process DDP on CPU, one-line errors."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.helpers.lit import TINY, config_options

REPO = Path(__file__).resolve().parents[1]


def _run(args: list[str], tmp: Path, timeout: int = 300, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "WANDB_MODE": "offline", "FRVSR_CACHE_DIR": str(tmp / "cache"),
                "PYTHONUNBUFFERED": "1", **env}
    return subprocess.run(
        [sys.executable, "-m", "frvsr.train", *args, f"paths.log_dir={tmp / 'outputs'}"],
        cwd=REPO, env=full_env, capture_output=True, text=True, timeout=timeout,
    )


@pytest.mark.slow
def test_multirun_over_backbones_fast_dev_run(tmp_path: Path) -> None:
    proc = _run(["-m", "experiment=pretrain", "model/generator=srresnet,rrdbnet",
                 "trainer.fast_dev_run=true", *TINY], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    jobs = sorted((tmp_path / "outputs" / "pretrain" / "multiruns").glob("*/[0-9]"))
    assert [j.name for j in jobs] == ["0", "1"]
    targets = [(j / "config.yaml").read_text() for j in jobs]
    assert "frvsr.models.SRResNet" in targets[0] and "frvsr.models.RRDBNet" in targets[1]


GAN_DDP = ["model.discriminator.num_feat=8", "model.init_from=none",
           "model.perceptual_loss.weight=0", "trainer.sync_batchnorm=false"]


@pytest.mark.slow
@pytest.mark.parametrize("experiment", ["pretrain", "gan"])
def test_ddp_two_processes_on_cpu_only_rank0_writes(tmp_path: Path, experiment: str) -> None:
    extra = GAN_DDP if experiment == "gan" else []
    proc = _run([f"experiment={experiment}", *TINY, *extra, "trainer=ddp",
                 "trainer.accelerator=cpu", "trainer.devices=2", "trainer.max_steps=2",
                 "trainer.val_check_interval=2", "logger=csv", "verbose=true"], tmp_path,
                OMP_NUM_THREADS="1")  # verbose: Lightning's INFO lines name the members
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "MEMBER: 2/2" in proc.stdout + proc.stderr  # really two processes (gloo)
    runs = list((tmp_path / "outputs" / experiment / "runs").iterdir())
    assert len(runs) == 1, runs  # the second process joined the first one's folder
    run = runs[0]
    assert sorted(p.name for p in (run / "checkpoints").iterdir() if p.name.startswith("last"))\
        == ["last.ckpt"]
    assert [p.name for p in (run / "csv").iterdir()] == ["version_0"]
    assert proc.stdout.count("[frvsr] outputs in") == 1  # rank 0 reports, rank 1 is silent
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["frvsr"]["meta"]["iteration"] == 2
    assert not list(run.rglob("*.tmp"))


def test_missing_perceptual_weights_is_one_line(tmp_path: Path) -> None:
    proc = _run(["experiment=gan", *TINY, "model.init_from=none",
                 "model.perceptual_loss.arch=vgg19", "model.perceptual_loss.layers=[relu5_4]"],
                tmp_path, TORCH_HOME=str(tmp_path / "torch"))
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
    assert lines[-1].startswith("error: ") and "vgg19-dcbb9e9d.pth" in lines[-1]
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_optuna_sweep_returns_the_metric(tmp_path: Path) -> None:
    proc = _run(["-m", "experiment=pretrain", *TINY, "hparams_search=optuna",
                 "hydra.sweeper.n_trials=2", "trainer.max_steps=2",
                 "trainer.val_check_interval=2"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = list((tmp_path / "outputs" / "pretrain" / "multiruns").rglob(
        "optimization_results.yaml"))
    assert len(results) == 1
    text = results[0].read_text()
    assert "best_value:" in text and "model.optimizer.lr" in text
    value = float(text.split("best_value:")[1].split()[0])
    assert 10.0 < value < 60.0  # a PSNR in dB, returned by frvsr.train


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("model/generator=foo", "Available options in 'model/generator': "
                                + ", ".join(config_options("model/generator"))),
        ("experiment=foo", "Available options in 'experiment': frvsr_10_128,"),
        ("model.generator.nmu_feat=3", "valid keys of model.generator: _target_, _partial_, "
                                       "num_feat, num_block"),
        ("traner.max_steps=5", "unknown key 'traner.max_steps' (closest: trainer.max_steps)"),
        ("trainer.max_stpes=5", "(closest: trainer.max_steps"),
        ("experimnt=pretrain", "(closest: experiment)"),
        ("model/generatr=srresnet", "(closest: model/generator"),
        ("+foo=1", "unknown key 'foo'; valid keys of the config: task_name"),
        ("+tracer.x=1", "unknown key 'tracer' (closest: trainer)"),
        ("+seed=3", "seed is already in the config"),
    ],
)
def test_composition_errors_are_one_line_with_the_options(
    override: str, expected: str, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
) -> None:
    from frvsr.train import main

    monkeypatch.setattr(sys, "argv", ["frvsr.train", override, "logger=none"])
    with pytest.raises(SystemExit) as exit_info:
        main()  # refused before @hydra.main runs, so in-process is the real path
    assert exit_info.value.code == 2
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], lines
    if "Available options" not in expected:
        assert "+" not in lines[0]  # never suggests appending a key nothing reads


def test_nested_additions_and_force_add_still_compose() -> None:
    from frvsr.cli.hydra_compose import composition_error

    assert composition_error(["+trainer.limit_train_batches=3", "logger=none"]) is None
    assert composition_error(["++foo=1"]) is None  # explicit: the user asked twice


def test_help_is_a_page_of_its_own(monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture) -> None:
    from frvsr.train import main

    monkeypatch.setattr(sys, "argv", ["frvsr.train", "--help"])
    main()
    out = capsys.readouterr().out
    for text in ("experiment=pretrain", "experiment=gan", "experiment=sisr", "trainer.max_steps",
                 "ckpt_path=last", "force=true", "verbose=true", "outputs/<task>/runs/<time>/",
                 "train.log", "--cfg job", "README.md", "docs/training.md",
                 "model/generator: " + ", ".join(config_options("model/generator")),
                 "experiment: " + ", ".join(config_options("experiment")[:2])):
        assert text in out, text
    assert len(out.splitlines()) < 60 and max(len(ln) for ln in out.splitlines()) <= 88


def test_cfg_job_still_prints_the_hydra_config(tmp_path: Path) -> None:
    proc = _run(["--cfg", "job", "experiment=pretrain"], tmp_path, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "task_name: pretrain" in proc.stdout and "max_steps: 600" in proc.stdout
    assert not (tmp_path / "outputs").exists()  # nothing ran


@pytest.mark.slow
def test_one_line_errors_for_missing_root_and_recurrent_on_images(
    tmp_path: Path, shared_data: Path
) -> None:
    shared = shared_data
    cases = [
        (["data=folder"], "set data.train.root=<dir>"),
        (["data=images", f"data.train.root={shared / 'set14'}",
          f"data.val.root={shared / 'set5'}"], "model=sisr"),
    ]
    for args, expected in cases:
        proc = _run([*args, "logger=csv"], tmp_path)
        assert proc.returncode == 2, proc.stderr[-2000:]
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        assert lines[-1].startswith("error: ") and expected in lines[-1], lines[-3:]
        assert "Traceback" not in proc.stderr and "nan" not in proc.stdout.lower()


def test_missing_root_names_the_override(tmp_path: Path) -> None:
    from frvsr.lit.fit import fit as train
    from tests.helpers.lit import compose_train

    with pytest.raises(ValueError, match=r"set data\.train\.root=<dir>"):
        train(compose_train(tmp_path, ["data=folder", *TINY]))
