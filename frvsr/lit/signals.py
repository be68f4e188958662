"""SIGINT (Ctrl-C), SIGTERM (what SLURM and most schedulers send before preemption) and
SIGUSR1 during training: finish the current step, save a resumable `last.ckpt` atomically,
print its path and the resume command, and stop.

The handler only records the signal; `GracefulStop.on_train_batch_end` does the work at the
next step boundary, where a checkpoint is as resumable as a periodic one (mid-epoch, data
order included). A second signal stops at once without saving (the previous periodic
`last.ckpt` stays loadable: checkpoints are written temp file + rename).

`frvsr.lit.fit` catches `TrainingInterrupted`, prints the lines and exits with
`128 + signal number` (130 for SIGINT, 143 for SIGTERM, 138 for SIGUSR1): the shell's
convention for "stopped by a signal", so a scheduler sees the job did not finish.
"""
from __future__ import annotations

import shlex
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import lightning as L

from frvsr.lit.console import say

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1)


class TrainingInterrupted(Exception):
    """Raised at a step boundary after a signal; `checkpoint` is the `last.ckpt` just saved
    (None when no step had finished, so there was nothing to save)."""

    def __init__(self, signum: int, checkpoint: Path | None, step: int) -> None:
        self.signum = signum
        self.checkpoint = checkpoint
        self.step = step
        super().__init__(f"{signal.Signals(signum).name} at step {step}")

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process stopped by a signal."""
        return 128 + int(self.signum)


def resume_command(overrides: list[str] | None) -> str:
    """`python -m frvsr.train <the run's overrides> ckpt_path=last` (its own `ckpt_path=`
    replaced); `<your overrides>` when the overrides are not known (a test's compose)."""
    if overrides is None:
        return "python -m frvsr.train <your overrides> ckpt_path=last"
    kept = [o for o in overrides if not o.lstrip("+~").startswith("ckpt_path=")]
    return shlex.join(["python", "-m", "frvsr.train", *kept, "ckpt_path=last"])


def hydra_overrides() -> list[str] | None:
    """The command-line overrides of the running Hydra job, or None outside one."""
    try:
        from hydra.core.hydra_config import HydraConfig

        return list(HydraConfig.get().overrides.task)
    except (ImportError, ValueError):
        return None


class GracefulStop(L.Callback):
    """Records SIGINT/SIGTERM/SIGUSR1 and stops training at the next step boundary after
    saving `<checkpoint_dir>/last.ckpt` through the trainer (its atomic checkpoint IO)."""

    def __init__(self, checkpoint_dir: Path) -> None:
        self.checkpoint_dir = Path(checkpoint_dir)
        self.received: int | None = None
        self._previous: dict[int, Any] = {}

    # ---- handlers ----------------------------------------------------------------------
    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is not None:  # the second signal: stop now, save nothing more
            self.restore()
            raise KeyboardInterrupt(f"second {signal.Signals(signum).name}")
        self.received = signum
        say(f"{signal.Signals(signum).name} received: saving last.ckpt after this step and "
            "stopping (send it again to stop at once without saving)")

    def install(self) -> None:
        """Take over the handled signals (again after Lightning registered its own);
        a no-op outside the main thread, where Python cannot set handlers."""
        handler: Callable[[int, FrameType | None], None] = self._handle
        for signum in HANDLED:
            try:
                previous = signal.signal(signum, handler)
            except ValueError:  # not the main thread
                return
            self._previous.setdefault(signum, previous)

    def restore(self) -> None:
        """Put back the handlers that were there before `install`."""
        for signum, previous in self._previous.items():
            try:
                signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
            except ValueError:
                pass
        self._previous = {}

    # ---- callback hooks ------------------------------------------------------------------
    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.install()  # Lightning's fit registered its own SIGTERM handler in between
        connector = getattr(trainer, "_signal_connector", None)
        if connector is not None and self.received is not None:
            # A signal during setup was seen by Lightning's handler too; it would raise
            # SIGTERMException before the first step: this callback saves after it instead.
            connector.received_sigterm = False

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:
        if self.received is None:
            return
        path = self.checkpoint_dir / "last.ckpt"
        trainer.save_checkpoint(path)  # through AtomicCheckpointIO: temp file + rename
        step = int(getattr(pl_module, "iteration", trainer.global_step))
        raise TrainingInterrupted(self.received, path, step)


def report_interrupt(stop: TrainingInterrupted, overrides: list[str] | None) -> None:
    """The lines said after a signal stopped training: the checkpoint and how to resume."""
    name = signal.Signals(stop.signum).name
    if stop.checkpoint is None:
        say(f"{name}: stopped before the first step finished; nothing to resume")
        return
    say(f"{name}: saved {stop.checkpoint} (step {stop.step})")
    say(f"resume with: {resume_command(overrides)}")
    sys.stdout.flush()
