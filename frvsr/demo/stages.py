"""Run one stage of the demo (`frvsr.train` or `frvsr.evaluate`) as a child process whose
lines reach the console as they come, and time it."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
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


@dataclass
class Job:
    """One child process of the demo: a stage name, `python -m <module> <args>`, and the
    folder (training) or file (evaluation) it produces."""

    name: str
    module: str
    args: list[str]
    path: Path


_PRINT = threading.Lock()  # whole lines from concurrent stages, never interleaved halves


def _start(job: Job, threads: int | None) -> subprocess.Popen[str]:
    print(f"[demo] {job.name}: {' '.join(['python', '-m', job.module, *job.args])}", flush=True)
    env = dict(os.environ)
    if threads is not None:  # concurrent stages share the cores instead of fighting for them
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    return subprocess.Popen([sys.executable, "-m", job.module, *job.args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            bufsize=1, errors="replace")


def _relay(proc: subprocess.Popen[str], last: list[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        with _PRINT:
            sys.stdout.write(line)
            sys.stdout.flush()
        last[0] = line.strip() or last[0]


def run_jobs(jobs: list[Job]) -> list[StageResult]:
    """Run `jobs` at the same time (one core's share of threads each), relaying their lines
    as they come; returns their timings in the order given. Raises StageError naming the
    first failed stage and its last line (the child has printed its own one-line error)."""
    threads = max(1, (os.cpu_count() or 1) // len(jobs)) if len(jobs) > 1 else None
    start = time.perf_counter()
    procs = [_start(job, threads) for job in jobs]
    lasts = [[""] for _ in jobs]
    relays = [threading.Thread(target=_relay, args=(p, last), daemon=True)
              for p, last in zip(procs, lasts, strict=True)]
    for relay in relays:
        relay.start()
    results, failed = [], []
    for job, proc, relay, last in zip(jobs, procs, relays, lasts, strict=True):
        code = proc.wait()
        relay.join()
        seconds = time.perf_counter() - start
        if code != 0:
            failed.append(f"demo stage {job.name} failed (exit {code}): {last[0]}")
            continue
        print(f"[demo] {job.name} done in {seconds / 60:.1f} min", flush=True)
        results.append(StageResult(job.name, seconds, job.path))
    if failed:
        raise StageError(failed[0])
    return results


def run_module(name: str, module: str, args: list[str], path: Path) -> StageResult:
    """`python -m <module> <args>` alone (see `run_jobs`)."""
    return run_jobs([Job(name, module, args, path)])[0]


def train_job(name: str, run_dir: Path, overrides: list[str]) -> Job:
    """A `frvsr.train` run writing into `run_dir` (its checkpoints in `run_dir/checkpoints`)."""
    return Job(name, "frvsr.train", [*overrides, f"hydra.run.dir={run_dir}"], run_dir)


def train(name: str, run_dir: Path, overrides: list[str]) -> StageResult:
    """One `frvsr.train` run (`train_job`), alone."""
    return run_jobs([train_job(name, run_dir, overrides)])[0]


def last_checkpoint(run_dir: Path) -> Path:
    """`run_dir/checkpoints/last.ckpt`, which a finished stage must have written."""
    path = run_dir / "checkpoints" / "last.ckpt"
    if not path.is_file():
        raise StageError(f"{run_dir}: the stage finished without writing {path.name}")
    return path
