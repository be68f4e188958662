"""Atomic checkpoint writes and a `last.ckpt` that is also written when training ends."""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.plugins.io import TorchCheckpointIO

from frvsr.checkpoint import atomic_torch_save
from frvsr.io.atomic import atomic_path
from frvsr.lit.faults import kill_now


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's torch checkpoint IO, but temp file + rename: a run killed mid-write
    leaves the previous checkpoint intact instead of a truncated one.

    Args:
        kill_in_write_at: fault injection (`faults.kill_in_checkpoint_write`): while writing
            the checkpoint of this iteration, write half of its bytes to the temp file,
            fsync, then SIGKILL this process, a kill landing inside the write by design.
    """

    def __init__(self, kill_in_write_at: int | None = None) -> None:
        super().__init__()
        self.kill_in_write_at = kill_in_write_at

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any | None = None
    ) -> None:
        if storage_options is not None:
            raise TypeError(f"AtomicCheckpointIO: storage_options={storage_options!r} unsupported")
        step = checkpoint.get("frvsr", {}).get("meta", {}).get("iteration")
        if self.kill_in_write_at is not None and step == self.kill_in_write_at:
            self._die_mid_write(checkpoint, Path(path), step)
        atomic_torch_save(checkpoint, path)

    @staticmethod
    def _die_mid_write(checkpoint: dict[str, Any], path: Path, step: int) -> None:
        buffer = io.BytesIO()
        torch.save(checkpoint, buffer)
        data = buffer.getvalue()
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            handle.write(data[: len(data) // 2])
            handle.flush()
            os.fsync(handle.fileno())
            kill_now(f"half of {path.name} (step {step}) written to {tmp.name}")


class LastCheckpoint(ModelCheckpoint):
    """`last.ckpt` every `every_n_train_steps` steps and after the final batch, so a run
    stopped by `max_steps` (or the GAN's iteration limit) between two saves still leaves
    its final state for the next stage or for `ckpt_path=last`.

    Steps are the module's `iteration` counter, the one step counter of checkpoint names,
    samples and logs (a GAN iteration makes up to two optimiser steps, so Lightning's
    `global_step` would save at irregular iterations).

    The final save happens in `on_train_batch_end`, like the periodic ones, not in
    `on_train_end`: by then Lightning has marked the epoch finished, and resuming from
    such a file would start a new epoch instead of continuing this one's data order.
    """

    def __init__(self, dirpath: str, every_n_train_steps: int = 100) -> None:
        super().__init__(
            dirpath=dirpath,
            save_last=True,
            save_top_k=0,
            monitor=None,
            every_n_train_steps=every_n_train_steps,
        )

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:
        if self._should_skip_saving_checkpoint(trainer):  # fast_dev_run, already saved, ...
            return
        step = int(getattr(pl_module, "iteration", trainer.global_step))
        every = self._every_n_train_steps
        max_steps = trainer.max_steps if trainer.max_steps is not None else -1
        final = trainer.should_stop or (0 < max_steps <= trainer.global_step)
        if (every >= 1 and step % every == 0) or final:
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
