"""Atomic checkpoint writes and a `last.ckpt` that is also written when training ends."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.plugins.io import TorchCheckpointIO

from frvsr.checkpoint import atomic_torch_save


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's torch checkpoint IO, but temp file + rename: a run killed mid-write
    leaves the previous checkpoint intact instead of a truncated one."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any | None = None
    ) -> None:
        if storage_options is not None:
            raise TypeError(f"AtomicCheckpointIO: storage_options={storage_options!r} unsupported")
        atomic_torch_save(checkpoint, path)


class LastCheckpoint(ModelCheckpoint):
    """`last.ckpt` every `every_n_train_steps` optimiser steps and once more at the end of
    fitting, so a run stopped by `max_steps` between two saves still leaves its final state
    for the next stage or for `ckpt_path=last`."""

    def __init__(self, dirpath: str, every_n_train_steps: int = 100) -> None:
        super().__init__(
            dirpath=dirpath,
            save_last=True,
            save_top_k=0,
            monitor=None,
            every_n_train_steps=every_n_train_steps,
        )

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or trainer.fast_dev_run:
            return
        if self._last_global_step_saved != trainer.global_step:
            self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
