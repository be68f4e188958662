"""Every console entry point as users run it (`python -m frvsr.<name>` in a subprocess):
``--help`` prints the usage, one real run succeeds, and a user error is one ``error:`` line
without a traceback unless ``debug_traceback=true`` asks for it.

To cover a new entry point, add an ``EntryPoint`` to ``ENTRY_POINTS`` and its user errors
to ``USER_ERRORS``; every test here is parametrised over those two tables, and
``test_every_entry_point_is_covered`` fails when a runnable module is missing from them
(``PENDING`` lists the ones still to be added).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.helpers.lit import TINY

REPO = Path(__file__).resolve().parents[1]
DEBUG = "debug_traceback=true"


def run_module(module: str, args: list[str], tmp: Path, timeout: int = 300
               ) -> subprocess.CompletedProcess:
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true",
           "FRVSR_CACHE_DIR": str(tmp / "cache"), "PYTHONUNBUFFERED": "1",
           "MPLBACKEND": "Agg"}
    env.pop("HYDRA_FULL_ERROR", None)  # would turn Hydra's short report into a traceback
    work = tmp / "cwd"  # nothing may land in the repository (e.g. a stray Hydra folder)
    work.mkdir(parents=True, exist_ok=True)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", module, *args], cwd=work, env=env,
                          capture_output=True, text=True, timeout=timeout)


def write_clips(gt: Path, clips: int = 2, frames: int = 3, size: int = 32) -> Path:
    """Tiny smooth textures panning one pixel per frame, as PNG folders `gt/<clip>/`."""
    for c in range(clips):
        rng = np.random.default_rng(c)
        big = cv2.GaussianBlur(rng.random((size, size + frames, 3)).astype(np.float32),
                               (7, 7), 2)
        big = (255 * (big - big.min()) / (big.max() - big.min())).astype(np.uint8)
        (gt / f"clip{c}").mkdir(parents=True)
        for t in range(frames):
            assert cv2.imwrite(str(gt / f"clip{c}" / f"{t:03d}.png"),
                               big[:, frames - t: frames - t + size])
    return gt


# --- the real runs: arguments for a tmp folder, then a check of what the run left ----------

def _train_args(tmp: Path) -> list[str]:
    return ["experiment=pretrain", *TINY, "trainer.max_steps=2",
            "trainer.val_check_interval=2", f"paths.log_dir={tmp / 'outputs'}"]


def _train_check(tmp: Path, proc: subprocess.CompletedProcess) -> None:
    (run,) = (tmp / "outputs" / "pretrain" / "runs").iterdir()
    assert (run / "checkpoints" / "last.ckpt").is_file() and (run / "config.yaml").is_file()
    assert f"[frvsr] outputs in {run}" in proc.stdout


def _evaluate_args(tmp: Path) -> list[str]:
    return ["baseline=bicubic", f"gt={write_clips(tmp / 'gt')}", "degradation=bd_tecogan",
            "scale=4", f"out={tmp / 'eval' / 'results.json'}", "metrics=[psnr_y,ssim_y]"]


def _evaluate_check(tmp: Path, proc: subprocess.CompletedProcess) -> None:
    results = json.loads((tmp / "eval" / "results.json").read_text())
    assert list(results["clips"]) == ["clip0", "clip1"]
    assert 15 < results["mean_over_clips"]["psnr_y"] < 60


def _upscale_args(tmp: Path) -> list[str]:
    clip = write_clips(tmp / "frames")
    first = sorted(p for p in clip.iterdir() if p.is_dir())[0]
    return [f"input={first}", f"out={tmp / 'x4.mp4'}", "baseline=bicubic", "scale=4",
            "preset=ultrafast", "progress=false"]


def _upscale_check(tmp: Path, proc: subprocess.CompletedProcess) -> None:
    from frvsr.io.video import probe_video

    assert probe_video(tmp / "x4.mp4").frames > 0 and "x4.mp4" in proc.stdout


def _export_args(tmp: Path) -> list[str]:
    from tests.helpers.generators import save_checkpoint, tiny_srresnet

    return [f"ckpt={save_checkpoint(tmp / 'g.ckpt', tiny_srresnet())}", f"out={tmp / 'g.onnx'}"]


def _export_check(tmp: Path, proc: subprocess.CompletedProcess) -> None:
    assert (tmp / "g.onnx").stat().st_size > 0


def _sweep_args(tmp: Path) -> list[str]:
    from frvsr.sweep.record import SWEEP_FILE, update_record

    (tmp / "sw").mkdir()
    (tmp / "sw" / SWEEP_FILE).write_text(json.dumps({"id": "t", "swept": ["a"]}))
    update_record(tmp / "sw" / "0", status="completed", overrides=["a=1"],
                  metrics={"psnr_y": 25.0})
    return [f"summary={tmp / 'sw'}"]


def _sweep_check(tmp: Path, proc: subprocess.CompletedProcess) -> None:
    assert (tmp / "sw" / "summary.md").is_file()


@dataclass(frozen=True)
class EntryPoint:
    module: str
    usage: list[str]  # what `--help` must print (stdout)
    run_args: Callable[[Path], list[str]]
    run_check: Callable[[Path, subprocess.CompletedProcess], None]
    run_marks: list = field(default_factory=list)


ENTRY_POINTS = [
    EntryPoint("frvsr.train", ["train is powered by Hydra", "experiment:", "model/generator:"],
               _train_args, _train_check, [pytest.mark.slow]),  # ~15-20 s on 2 cores
    EntryPoint("frvsr.evaluate", ["python -m frvsr.evaluate", "keys (defaults):"],
               _evaluate_args, _evaluate_check),
    EntryPoint("frvsr.upscale", ["python -m frvsr.upscale", "keys (defaults):"],
               _upscale_args, _upscale_check),
    EntryPoint("frvsr.export", ["python -m frvsr.export", "keys (defaults):"],
               _export_args, _export_check, [pytest.mark.slow]),  # export + ORT check: ~15 s
    EntryPoint("frvsr.sweep", ["python -m frvsr.sweep summary=<sweep dir>", "keys (defaults):"],
               _sweep_args, _sweep_check),
]


@dataclass(frozen=True)
class UserError:
    module: str
    id: str
    args: Callable[[Path], list[str]]
    message: str  # in the `error:` line; with debug_traceback=true, in the traceback
    marks: list = field(default_factory=list)
    debug_marks: list = field(default_factory=list)  # marks of the debug_traceback case


USER_ERRORS = [
    UserError("frvsr.train", "missing_data_root",
              lambda tmp: ["experiment=pretrain", "logger=none", "data=folder",
                           "data.train.root=/nonexistent", "trainer.accelerator=cpu",
                           f"paths.log_dir={tmp / 'outputs'}"],
              "/nonexistent: frame-folder root not found",
              marks=[pytest.mark.slow]),  # Lightning starts before the data is read: ~15 s
    UserError("frvsr.train", "unknown_generator",
              lambda tmp: ["model/generator=foo", f"paths.log_dir={tmp / 'outputs'}"],
              "Could not find 'model/generator/foo'"),
    UserError("frvsr.evaluate", "missing_gt",
              lambda tmp: ["baseline=bicubic", "gt=/nonexistent",
                           f"out={tmp / 'eval' / 'results.json'}"],
              "gt folder /nonexistent does not exist"),
    UserError("frvsr.upscale", "missing_input",
              lambda tmp: ["input=/nonexistent.mp4", f"out={tmp / 'x4.mp4'}", "baseline=bicubic"],
              "input=/nonexistent.mp4 does not exist"),
    UserError("frvsr.sweep", "missing_folder", lambda tmp: [f"summary={tmp / 'nope'}"],
              "no such folder"),
    UserError("frvsr.export", "missing_ckpt",
              lambda tmp: ["ckpt=/nonexistent.ckpt", f"out={tmp / 'm.onnx'}"],
              "checkpoint /nonexistent.ckpt does not exist"),
]


def _param(item, marks: list) -> pytest.param:
    name = item.module if isinstance(item, EntryPoint) else f"{item.module}-{item.id}"
    return pytest.param(item, marks=marks, id=name)


@pytest.mark.parametrize("entry", [_param(e, []) for e in ENTRY_POINTS])
def test_help_prints_usage(entry: EntryPoint, tmp_path: Path) -> None:
    proc = run_module(entry.module, ["--help"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for text in entry.usage:
        assert text in proc.stdout, (text, proc.stdout[:2000])
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("entry", [_param(e, e.run_marks) for e in ENTRY_POINTS])
def test_real_run(entry: EntryPoint, tmp_path: Path) -> None:
    proc = run_module(entry.module, entry.run_args(tmp_path), tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    entry.run_check(tmp_path, proc)
    assert not list((tmp_path / "cwd").iterdir()), "the run wrote into the working directory"


@pytest.mark.parametrize("case", [_param(c, c.marks) for c in USER_ERRORS])
def test_user_error_is_one_line(case: UserError, tmp_path: Path) -> None:
    proc = run_module(case.module, case.args(tmp_path), tmp_path)
    assert proc.returncode == 2, proc.stderr[-3000:]
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and case.message in errors[0], proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr + proc.stdout


@pytest.mark.parametrize("case", [_param(c, c.marks + c.debug_marks) for c in USER_ERRORS])
def test_debug_traceback_shows_the_traceback(case: UserError, tmp_path: Path) -> None:
    proc = run_module(case.module, [*case.args(tmp_path), DEBUG], tmp_path)
    assert proc.returncode != 0
    assert "Traceback (most recent call last)" in proc.stderr, proc.stderr[-3000:]
    assert case.message in proc.stderr
    assert not [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]


# Runnable modules not yet in the tables (to be added with their user errors); an entry
# here that is also in ENTRY_POINTS fails, so the list only shrinks.
PENDING: set[str] = {
    "frvsr.ladder",  # tested in tests/ladder/test_ladder_cli.py
    "frvsr.demo",  # the whole pipeline: tests/demo/test_demo.py (smoke size)
    "frvsr.web",  # a server: tests/web
}


def test_every_entry_point_is_covered() -> None:
    """Each console script of pyproject.toml and each ``python -m``-runnable top-level
    module (``if __name__ == "__main__"``) is in the tables (add upscale/export there)."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    runnable = {target.split(":")[0] for target in scripts.values()}
    runnable |= {f"frvsr.{p.stem}" for p in (REPO / "frvsr").glob("*.py")
                 if '__name__ == "__main__"' in p.read_text()}
    runnable |= {f"frvsr.{p.parent.name}" for p in (REPO / "frvsr").glob("*/__main__.py")}
    tested = {e.module for e in ENTRY_POINTS}
    assert runnable - PENDING <= tested, f"not in ENTRY_POINTS: {sorted(runnable - tested)}"
    assert not PENDING & tested, f"tested now, drop from PENDING: {sorted(PENDING & tested)}"
    assert tested == {c.module for c in USER_ERRORS}, "every entry point needs a user error"
