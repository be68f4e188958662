"""Learning rates logged under the networks' names: `lr/generator`, `lr/discriminator`."""
from __future__ import annotations

from typing import Any

import lightning as L


class LearningRates(L.Callback):
    """Log the learning rate of each optimiser as `lr/<network>` at the logging steps.

    The optimisers are named in the order the module's `configure_optimizers` returns them
    (generator first, then the discriminator in the GAN stage); the value is the one the
    step that just ran used (its first parameter group). Logged through the module, so the
    step is the one step counter of every other training metric.

    Args:
        names: names of the optimisers, in order; extra optimisers get `optimizer<i>`.
    """

    def __init__(self, names: tuple[str, ...] = ("generator", "discriminator")) -> None:
        self.names = tuple(names)
        self._used: dict[str, float] = {}

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        self._used = {}
        for i, opt in enumerate(trainer.optimizers):
            name = self.names[i] if i < len(self.names) else f"optimizer{i}"
            self._used[f"lr/{name}"] = float(opt.param_groups[0]["lr"])

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:
        if self._used:
            pl_module.log_dict(self._used, on_step=True, on_epoch=False, batch_size=1)
