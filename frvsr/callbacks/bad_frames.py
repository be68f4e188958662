"""`data.skip_bad=true`: training windows with an unreadable frame are replaced by the
dataset (`TrainClipDataset(skip_bad=True)`, in the workers); this callback, in the main
process, says each skipped frame once and counts them (`train/skipped_windows` in the log,
and a closing line)."""
from __future__ import annotations

from typing import Any

import lightning as L

from frvsr.lit.console import say


class SkippedFrames(L.Callback):
    """Turns on skipping in the training dataset and reports what was skipped."""

    def __init__(self) -> None:
        self.count = 0
        self._said: set[str] = set()

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        # Runs after the data module's setup and before the loaders (and workers) exist.
        train_set = getattr(getattr(trainer, "datamodule", None), "train_set", None)
        if train_set is not None and hasattr(train_set, "skip_bad"):
            train_set.skip_bad = True

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:
        reports = batch.get("skipped", []) if isinstance(batch, dict) else []
        for report in reports:
            for line in filter(None, str(report).split("\n")):
                self.count += 1
                if line not in self._said:
                    self._said.add(line)
                    say(f"warning: skipped a training window ({self.count} so far): {line}")
        pl_module.log("train/skipped_windows", float(self.count), on_step=True,
                      on_epoch=False, batch_size=1)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.count:
            say(f"data.skip_bad=true: {self.count} training window(s) with an unreadable "
                f"frame were skipped ({len(self._said)} distinct); fix or remove those frames")
