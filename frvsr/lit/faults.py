"""Fault injection for the reliability tests (`faults.*` in conf/train.yaml, all null by
default; docs/reliability.md): a real SIGKILL of this process at the end of a given step,
before that step's periodic checkpoint is written (Lightning runs checkpoint callbacks
last). The kill inside a checkpoint write is `AtomicCheckpointIO(kill_in_write_at=...)`.
"""
from __future__ import annotations

import os
import signal
import sys
from typing import Any

import lightning as L

from frvsr.lit.console import say


def kill_now(what: str) -> None:
    """Say `what`, flush, and SIGKILL this process (no handler, no cleanup runs)."""
    say(f"fault injection: {what}: SIGKILL")
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


class KillAtStep(L.Callback):
    """SIGKILL this process when the module's iteration counter reaches `step`."""

    def __init__(self, step: int) -> None:
        self.step = int(step)

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:
        if int(getattr(pl_module, "iteration", trainer.global_step)) == self.step:
            kill_now(f"killed at step {self.step}")
