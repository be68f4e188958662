"""Step-based progress: `pretrain step 240/600 ... 3.1 step/s, ETA 1m15s`, not per epoch.

The training data's epochs are an implementation detail (the sampler's epochs are short and
`max_epochs` is -1), so progress counts the module's `iteration` against the run's total
steps (`trainer.max_steps`; the GAN stage's `model.max_iters`). On a terminal it is one
tqdm bar plus a validation bar with real throughput (clips/s); otherwise (a pipe, a log
file, CI) it is a plain line every twentieth of the run, which also goes to train.log.
"""
from __future__ import annotations

import math
import shutil
import sys
import time
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import ProgressBar

from frvsr.lit.console import duration, say


def total_steps(trainer: L.Trainer, pl_module: L.LightningModule) -> int | None:
    """Steps this run trains to: the GAN's iteration limit, else `max_steps`, else what
    Lightning estimates from `max_epochs` (None when unbounded)."""
    max_iters = getattr(pl_module, "max_iters", None)
    if max_iters:
        return int(max_iters)
    if trainer.max_steps is not None and trainer.max_steps > 0:
        return int(trainer.max_steps)
    estimate = trainer.estimated_stepping_batches
    return int(estimate) if math.isfinite(estimate) else None


def current_step(trainer: L.Trainer, pl_module: L.LightningModule) -> int:
    """The module's iteration counter (the one step counter), else Lightning's global_step."""
    iteration = getattr(pl_module, "iteration", None)
    return int(iteration) if iteration is not None else int(trainer.global_step)


def progress_text(step: int, total: int | None, rate: float, loss: float | None) -> str:
    """`step 240/600 (40%), 3.1 step/s, ETA 1m15s, loss 0.0123`."""
    text = f"step {step}/{total if total else '?'}"
    if total:
        text += f" ({100 * step / total:.0f}%)"
    if rate > 0:
        text += f", {rate:.2f} step/s" if rate < 10 else f", {rate:.0f} step/s"
        if total:
            text += f", ETA {duration((total - step) / rate)}"
    if loss is not None:
        text += f", loss {loss:.4g}"
    return text


def _columns() -> int:
    """The terminal's width (tqdm's own probe reads -1 on some pseudo-terminals)."""
    return max(40, shutil.get_terminal_size((100, 24)).columns)


def _loss(trainer: L.Trainer) -> float | None:
    metrics = trainer.callback_metrics
    for key in ("train/loss", "train/g_loss"):
        if key in metrics:
            return float(metrics[key])
    return None


class StepProgress(ProgressBar):
    """Training progress against the run's total steps, with it/s and the ETA.

    Args:
        stage: name shown in front of the bar (`pretrain`, `gan`, ...).
        lines: number of plain progress lines over a run when stdout is not a terminal.
        tty: force the bar (True) or the lines (False); None asks stdout.
    """

    def __init__(self, stage: str = "train", lines: int = 20, tty: bool | None = None) -> None:
        super().__init__()
        self.stage, self.lines = stage, max(1, lines)
        self.tty = sys.stdout.isatty() if tty is None else tty
        self._enabled = True
        self._bar: Any = None
        self._val_bar: Any = None
        self._start_step, self._total, self._t0 = 0, None, 0.0
        self._last_line_step, self._last_line_time = 0, 0.0

    # ---- ProgressBar interface -----------------------------------------------------------
    def disable(self) -> None:
        self._enabled = False

    def enable(self) -> None:
        self._enabled = True

    @property
    def is_enabled(self) -> bool:
        return self._enabled

    def print(self, *args: Any, **kwargs: Any) -> None:
        say(" ".join(str(a) for a in args))

    # ---- training ----------------------------------------------------------------------
    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._total = total_steps(trainer, pl_module)
        self._start_step = self._last_line_step = current_step(trainer, pl_module)
        self._t0 = self._last_line_time = time.monotonic()
        if self._enabled and self.tty:
            from tqdm import tqdm

            self._bar = tqdm(
                total=self._total, initial=self._start_step, desc=f"{self.stage} step",
                unit="step", file=sys.stdout, ncols=_columns(), smoothing=0.1,
                bar_format="{desc} {n_fmt}/{total_fmt} {bar} {percentage:3.0f}% "
                           "[{elapsed}<{remaining}, {rate_fmt}{postfix}]",
            )

    def rate(self, step: int) -> float:
        """Steps per second since this run started (resumed runs: since the resume)."""
        elapsed = time.monotonic() - self._t0
        return (step - self._start_step) / elapsed if elapsed > 0 else 0.0

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:
        if not self._enabled:
            return
        step = current_step(trainer, pl_module)
        loss = _loss(trainer)
        if self._bar is not None:
            self._bar.update(step - self._bar.n)
            if loss is not None:
                self._bar.set_postfix_str(f"loss {loss:.4g}", refresh=False)
        every = max(1, (self._total or 1000) // self.lines)
        now = time.monotonic()
        final = self._total is not None and step >= self._total
        first = step == self._start_step + 1  # shows the first step's time early
        if step - self._last_line_step >= every or now - self._last_line_time > 300 or final \
                or first:
            self._last_line_step, self._last_line_time = step, now
            # Plain lines on a pipe; with a bar they go to train.log only.
            say(f"{self.stage} {progress_text(step, self._total, self.rate(step), loss)}",
                console=self._bar is None)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    # ---- validation: real clips/s on a terminal ----------------------------------------
    def on_validation_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self._enabled and self.tty:
            from tqdm import tqdm

            total = self.total_val_batches
            self._val_bar = tqdm(
                total=int(total) if math.isfinite(total) else None, desc="validation",
                unit="clip", file=sys.stdout, leave=False, ncols=_columns(),
                position=1 if self._bar is not None else 0,
            )

    def on_validation_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int, dataloader_idx: int = 0,
    ) -> None:
        if self._val_bar is not None:
            self._val_bar.update(1)  # update(), not n=: tqdm then measures the rate

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Closed before the on_validation_end hooks print the validation line under it.
        if self._val_bar is not None:
            self._val_bar.close()
            self._val_bar = None

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule,
                     exception: BaseException) -> None:
        for bar in (self._val_bar, self._bar):
            if bar is not None:
                bar.close()
        self._bar = self._val_bar = None
