"""SIGINT, SIGTERM and SIGUSR1 sent to a real training process: it finishes the step, saves
`last.ckpt` atomically, prints the file and the resume command, exits with 128 + signal;
the printed command resumes from that step."""
from __future__ import annotations

import shlex
import signal
import subprocess
from pathlib import Path

import pytest

from tests.reliability.train_runs import (
    iteration,
    last_checkpoints,
    train_cmd,
    train_env,
)


def _start(log_dir: Path, cache: Path, *overrides: str) -> subprocess.Popen:
    log_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(train_cmd(log_dir, *overrides), cwd=log_dir, env=train_env(cache),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _signal_after(proc: subprocess.Popen, marker: str, signum: int) -> list[str]:
    """Read lines until `marker` (training is running), send `signum`, read to the end."""
    assert proc.stdout is not None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if marker in line:
            proc.send_signal(signum)
            break
    else:
        raise AssertionError("".join(lines))
    lines += proc.stdout.readlines()
    proc.wait(timeout=120)
    return lines


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGUSR1],
                         ids=lambda s: signal.Signals(s).name)
def test_signal_saves_last_and_prints_resume(signum: int, tmp_path: Path,
                                             rel_cache: Path) -> None:
    workers = ["data.num_workers=2"] if signum == signal.SIGINT else []
    proc = _start(tmp_path / "runs", rel_cache, "trainer.max_steps=2000",
                  "callbacks.last_checkpoint.every_n_train_steps=1000", *workers)
    # printed after 5 steps: training is under way, with no checkpoint written yet
    lines = _signal_after(proc, "estimated training time", signum)
    out = "".join(lines)
    assert proc.returncode == 128 + signum, out
    assert "Traceback" not in out, out
    (ckpt,) = last_checkpoints(tmp_path / "runs")
    step = iteration(ckpt)
    name = signal.Signals(signum).name
    assert f"[frvsr] {name}: saved {ckpt} (step {step})" in out, out
    assert 5 <= step < 2000
    resume = next(line for line in lines if "resume with: " in line).split("resume with: ")[1]
    args = shlex.split(resume)
    assert args[:3] == ["python", "-m", "frvsr.train"] and args[-1] == "ckpt_path=last", out
    assert not list(ckpt.parent.glob(".*tmp*")), "a temp file of the atomic write remains"
    if signum != signal.SIGTERM:
        return
    # The printed command (with a step limit just past the saved step) resumes that run.
    argv = [a for a in args[3:] if not a.startswith("trainer.max_steps=")]
    done = subprocess.run(
        [*train_cmd(tmp_path / "runs")[:3], *argv, f"trainer.max_steps={step + 1}"],
        cwd=tmp_path / "runs", env=train_env(rel_cache), capture_output=True, text=True,
        timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"resuming from {ckpt}" in done.stdout
    newest = max(last_checkpoints(tmp_path / "runs"), key=lambda p: p.stat().st_mtime)
    assert iteration(newest) == step + 1
