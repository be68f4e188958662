"""Run one stage of the demo (`frvsr.train` or `frvsr.evaluate`) as a child process whose
lines reach the console as they come, and time it."""
from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from frvsr.errors import StageError


@dataclass
class StageResult:
    """A finished stage: its name, wall time in seconds and its folder (training) or file."""

    name: str
    seconds: float
    path: Path


def run_module(name: str, module: str, args: list[str], path: Path) -> StageResult:
    """`python -m <module> <args>`; raises StageError with the stage's last line when it
    fails (the child has already printed its own one-line error)."""
    cmd = [sys.executable, "-m", module, *args]
    print(f"[demo] {name}: {' '.join(['python', '-m', module, *args])}", flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            bufsize=1, errors="replace")
    last = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        last = line.strip() or last
    code = proc.wait()
    seconds = time.perf_counter() - start
    if code != 0:
        raise StageError(f"demo stage {name} failed (exit {code}): {last}")
    print(f"[demo] {name} done in {seconds / 60:.1f} min", flush=True)
    return StageResult(name, seconds, path)


def train(name: str, run_dir: Path, overrides: list[str]) -> StageResult:
    """One `frvsr.train` run writing into `run_dir` (its checkpoints in `run_dir/checkpoints`)."""
    args = [*overrides, f"hydra.run.dir={run_dir}"]
    return run_module(name, "frvsr.train", args, run_dir)


def last_checkpoint(run_dir: Path) -> Path:
    """`run_dir/checkpoints/last.ckpt`, which a finished stage must have written."""
    path = run_dir / "checkpoints" / "last.ckpt"
    if not path.is_file():
        raise StageError(f"{run_dir}: the stage finished without writing {path.name}")
    return path
