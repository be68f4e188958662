"""SIGKILL, the one signal nothing can catch: a training killed at a seeded-random step, or
inside a checkpoint write, resumes with `ckpt_path=last` and ends with exactly the weights
of an uninterrupted run (bit-exact on CPU: `torch.equal` on every tensor).

The kills are real (`os.kill(getpid(), SIGKILL)` from `faults.kill_at_step` /
`faults.kill_in_checkpoint_write`), placed by a hook so they land where the test says.
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from tests.reliability.train_runs import iteration, last_checkpoints, run_train, weights

STEPS = 6
EVERY = 2  # checkpoints at steps 2 and 4 (and the final one)
COMMON = [f"callbacks.last_checkpoint.every_n_train_steps={EVERY}"]


@pytest.fixture(scope="module")
def straight(tmp_path_factory: pytest.TempPathFactory, rel_cache: Path) -> dict:
    """The final weights of an uninterrupted run."""
    log_dir = tmp_path_factory.mktemp("straight")
    done = run_train(log_dir, rel_cache, *COMMON, f"trainer.max_steps={STEPS}")
    assert done.returncode == 0, done.stdout + done.stderr
    (ckpt,) = last_checkpoints(log_dir)
    assert iteration(ckpt) == STEPS
    return weights(ckpt)


def _resume_and_compare(log_dir: Path, cache: Path, want: dict, from_step: int) -> None:
    done = run_train(log_dir, cache, *COMMON, f"trainer.max_steps={STEPS}", "ckpt_path=last",
                     "seed=999")  # another seed: a run that silently restarted would differ
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    resumed = [line for line in done.stdout.splitlines() if "resuming from" in line]
    assert len(resumed) == 1, done.stdout
    newest = max(last_checkpoints(log_dir), key=lambda p: p.stat().st_mtime)
    assert iteration(newest) == STEPS
    got = weights(newest)
    assert got.keys() == want.keys()
    assert [k for k in want if not torch.equal(want[k], got[k])] == []
    assert not list(log_dir.rglob(".*.tmp*")), "a temp file of a killed write remains"
    assert from_step < STEPS


@pytest.mark.slow
def test_sigkill_at_random_step_resumes_bit_exact(tmp_path: Path, rel_cache: Path,
                                                  straight: dict) -> None:
    step = random.Random(13).randint(EVERY + 1, STEPS - 1)  # after the first checkpoint
    print(f"SIGKILL at step {step} (random.Random(13))")
    killed = run_train(tmp_path, rel_cache, *COMMON, f"trainer.max_steps={STEPS}",
                       f"faults.kill_at_step={step}")
    assert killed.returncode == -9, killed.stdout + killed.stderr
    assert f"fault injection: killed at step {step}: SIGKILL" in killed.stdout
    saved = [iteration(p) for p in last_checkpoints(tmp_path)]
    # the kill lands before step `step`'s own checkpoint: the newest is the one before it
    assert saved == [(step - 1) // EVERY * EVERY], saved
    _resume_and_compare(tmp_path, rel_cache, straight, saved[0])


@pytest.mark.slow
def test_kill_inside_checkpoint_write_keeps_previous(tmp_path: Path, rel_cache: Path,
                                                    straight: dict) -> None:
    killed = run_train(tmp_path, rel_cache, *COMMON, f"trainer.max_steps={STEPS}",
                       "faults.kill_in_checkpoint_write=4")
    assert killed.returncode == -9, killed.stdout + killed.stderr
    assert "half of last.ckpt (step 4) written" in killed.stdout
    (ckpt,) = last_checkpoints(tmp_path)
    assert iteration(ckpt) == 2  # the previous checkpoint, intact and loadable
    partial = list(ckpt.parent.glob(".last.*.tmp.ckpt"))
    assert len(partial) == 1 and 0 < partial[0].stat().st_size < ckpt.stat().st_size * 0.75
    _resume_and_compare(tmp_path, rel_cache, straight, 2)
