"""What a run says on the console (and in train.log): what it is about to do, how long it
will take, the model against bicubic at every validation, and how it ended.

- start: stage, model and its size, steps, batch, device, run folder;
- after the first `ETA_STEPS` steps: the estimated training time on this machine; above
  `limit_minutes` on a CPU the run stops with one line (the CPU-sized demo is
  `experiment=pretrain`) unless `force=true`;
- every validation: PSNR-Y, tOF, tFlicker (and LPIPS-alex in the GAN stage) of the model and
  of the bicubic baseline on the same frames, with the difference;
- `final_lines()` (printed by `frvsr.lit.fit`): the stage's end and the last validation, or
  why none ran.

`RunRecord` hands the same facts to a sweep job's record (`result.json`, written by the
function it is given: `frvsr.sweep.record.update_record`): steps, the last validation of
the model and of bicubic, the checkpoints.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelSummary

from frvsr.callbacks.progress import current_step, total_steps
from frvsr.errors import ConfigError
from frvsr.lit.console import count, duration, say
from frvsr.lit.validation import compare_line, split_metrics

ETA_STEPS = 5


def _params(module: torch.nn.Module | None) -> int:
    return sum(p.numel() for p in module.parameters()) if module is not None else 0


def describe_device(trainer: L.Trainer) -> str:
    """`cpu (2 threads)`, `cuda:0 (NVIDIA H200)`, `2 x cuda (ddp)`."""
    device = trainer.strategy.root_device
    if device.type == "cuda":
        what = f"{device} ({torch.cuda.get_device_name(device)})"
    elif device.type == "cpu":
        what = f"cpu ({torch.get_num_threads()} threads)"
    else:
        what = str(device)
    if trainer.world_size > 1:
        what = f"{trainer.world_size} processes x {what}, {type(trainer.strategy).__name__}"
    return what


def describe_model(pl_module: L.LightningModule) -> str:
    """`FRVSR with FRVSRNet 32x4, 1.93 M parameters (+ discriminator 0.61 M)`."""
    meta = getattr(pl_module, "meta", {})
    backbone = str(meta.get("generator_class", "generator")).rsplit(".", 1)[-1]
    size = f"{meta.get('num_feat', '?')}x{meta.get('num_block', '?')}"
    recurrent = "FRVSR with " if getattr(pl_module, "recurrent", False) else ""
    text = f"{recurrent}{backbone} {size}, {count(_params(getattr(pl_module, 'generator', None)))}"
    text += " parameters"
    disc = getattr(pl_module, "discriminator", None)
    if disc is not None:
        text += f" (+ discriminator {count(_params(disc))})"
    return text


class RunReport(L.Callback):
    """The run's console report (see the module doc); always added by `frvsr.lit.fit`.

    Args:
        stage: `pretrain`, `sisr` or `gan`.
        out_dir: the run folder (said at the start).
        force: run even when the CPU estimate exceeds `limit_minutes`.
        limit_minutes: the CPU estimate above which the run stops (unless forced).
    """

    def __init__(self, stage: str, out_dir: str, force: bool = False,
                 limit_minutes: float = 60.0) -> None:
        self.stage, self.out_dir = stage, out_dir
        self.force, self.limit_minutes = force, limit_minutes
        self.total: int | None = None
        self.start_step = 0
        self.trained_steps = 0
        self._t0 = self._t1 = 0.0
        self._val_seconds = self._val_seconds_t1 = self._val_started = 0.0
        self.estimate: float | None = None
        self.last_val: tuple[int, dict[str, float], dict[str, float], str] | None = None
        self.no_val_reason = ""

    # ---- start and the time estimate ---------------------------------------------------
    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.total = total_steps(trainer, pl_module)
        self.start_step = current_step(trainer, pl_module)
        self._t0 = time.monotonic()
        dm = getattr(trainer, "datamodule", None)
        batch = (f"batches of {getattr(dm, 'batch_size', '?')} x {getattr(dm, 'num_frames', '?')}"
                 f" frames of {getattr(dm, 'lr_patch', '?')} px LR") if dm is not None else ""
        steps = f"{self.total} step{'s' if self.total != 1 else ''}" if self.total \
            else "unbounded steps"
        if self.stage == "gan":
            steps += " (iterations: one generator and at most one discriminator update each)"
        if self.start_step:
            steps += f", resuming at step {self.start_step}"
        say(f"{self.stage}: training {describe_model(pl_module)}; {steps}; {batch}; "
            f"on {describe_device(trainer)}; writing to {self.out_dir}")

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:
        step = current_step(trainer, pl_module)
        self.trained_steps = step - self.start_step
        if self.trained_steps == 1 and not self._t1:
            self._t1 = time.monotonic()  # the first step pays for start-up: not timed
            self._val_seconds_t1 = self._val_seconds
        if (self.estimate is not None or self.trained_steps != ETA_STEPS or self.total is None
                or step >= self.total):
            return
        validating = self._val_seconds - self._val_seconds_t1  # validation is not a step
        per_step = (time.monotonic() - self._t1 - validating) / (ETA_STEPS - 1)
        self.estimate = time.monotonic() - self._t0 + per_step * (self.total - step)
        on_cpu = trainer.strategy.root_device.type == "cpu"
        stop = on_cpu and not self.force and self.estimate > 60 * self.limit_minutes
        stop = bool(trainer.strategy.broadcast(stop, src=0))  # every rank stops, or none
        where = "this CPU" if on_cpu else "this machine"
        if stop:
            raise ConfigError(
                f"this run would train for about {duration(self.estimate)} on {where} "
                f"({self.total - self.start_step} steps at {per_step:.2f} s/step, measured "
                f"over steps 2-{ETA_STEPS}); for the CPU-sized demo use experiment=pretrain "
                "(then experiment=gan), or lower trainer.max_steps, or use a GPU "
                "(trainer=gpu); force=true runs it anyway"
            )
        say(f"estimated training time: {duration(self.estimate)} for "
            f"{self.total - self.start_step} steps on {where} ({per_step:.3f} s/step; "
            "validation not included)")

    # ---- validation ----------------------------------------------------------------------
    def on_validation_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._val_started = time.monotonic()

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._val_seconds += time.monotonic() - self._val_started
        if trainer.sanity_checking:
            return
        model, bicubic = split_metrics(trainer.callback_metrics)
        if not model:
            return
        step = current_step(trainer, pl_module)
        clips = int(sum(trainer.num_val_batches))
        frames = int(getattr(pl_module, "val_frames", 0))
        what = (f"{clips} clip{'s' if clips != 1 else ''}, {frames} frames"
                if trainer.world_size == 1 else f"{trainer.world_size} processes")
        self.last_val = (step, model, bicubic, what)
        total = f"/{self.total}" if self.total else ""
        say(f"validation at step {step}{total} ({what}), model vs bicubic: "
            f"{compare_line(model, bicubic)}")

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.last_val is None:
            self.no_val_reason = self._why_no_validation(trainer)

    def _why_no_validation(self, trainer: L.Trainer) -> str:
        if not trainer.num_val_batches or not sum(trainer.num_val_batches):
            return "no validation clips (data.val is empty or trainer.limit_val_batches=0)"
        interval = trainer.val_check_interval
        if isinstance(interval, int) and interval > self.trained_steps:
            total = self.total or self.trained_steps
            return (f"trainer.val_check_interval={interval} is larger than the "
                    f"{self.trained_steps} steps trained; set trainer.val_check_interval="
                    f"{total} (or less) to validate")
        return "validation did not run"

    # ---- the end -------------------------------------------------------------------------
    def final_lines(self) -> list[str]:
        """The stage's end and its final result, for `frvsr.lit.fit` to print."""
        lines = []
        if self._t0:
            elapsed = time.monotonic() - self._t0
            rate = self.trained_steps / elapsed if elapsed > 0 else 0.0
            plural = "s" if self.trained_steps != 1 else ""
            lines.append(f"{self.stage} finished: {self.trained_steps} step{plural} in "
                         f"{duration(elapsed)} ({rate:.2f} step/s)")
        if self.last_val is None:
            reason = self.no_val_reason or "training did not start"
            lines.append(f"final: not validated ({reason})")
        else:
            step, model, bicubic, what = self.last_val
            lines.append(f"final (validation at step {step}, {what}), model vs bicubic: "
                         f"{compare_line(model, bicubic)}")
        return lines


class RunRecord(L.Callback):
    """Keeps a sweep job's record up to date while it trains: steps (at most every
    `every_seconds`, and at the end), the last validation (model and bicubic) and, at the
    end, the checkpoints. Added to a multirun job's callbacks by `frvsr.sweep.job`, which
    passes the writer (so this layer does not import the sweep package); rank 0 only.

    Args:
        folder: the job's run folder.
        write: `write(folder, **fields)` merges fields into the record
            (`frvsr.sweep.record.update_record`).
        every_seconds: the least time between two step-count updates.
    """

    def __init__(self, folder: str, write: Callable[..., object],
                 every_seconds: float = 30.0) -> None:
        self.folder, self.write, self.every_seconds = Path(folder), write, every_seconds
        self._written = 0.0

    def _write(self, trainer: L.Trainer, **fields: Any) -> None:
        if trainer.is_global_zero:
            self.write(self.folder, **fields)
            self._written = time.monotonic()

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._write(trainer, steps=current_step(trainer, pl_module),
                    total_steps=total_steps(trainer, pl_module))

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any,
        batch_idx: int,
    ) -> None:
        if time.monotonic() - self._written >= self.every_seconds:
            self._write(trainer, steps=current_step(trainer, pl_module))

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        model, bicubic = split_metrics(trainer.callback_metrics)
        if model:
            step = current_step(trainer, pl_module)
            self._write(trainer, steps=step, val_step=step, metrics=model, bicubic=bicubic)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        last = best = ""
        for cb in trainer.checkpoint_callbacks:
            if getattr(cb, "monitor", None) and getattr(cb, "best_model_path", ""):
                best = str(cb.best_model_path)
            elif getattr(cb, "dirpath", None):
                last = str(getattr(cb, "last_model_path", "") or Path(cb.dirpath) / "last.ckpt")
        last = last if last and Path(last).is_file() else ""
        self._write(trainer, steps=current_step(trainer, pl_module),
                    checkpoint=best or last or None, last_checkpoint=last or None)

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule,
                     exception: BaseException) -> None:
        self._write(trainer, steps=current_step(trainer, pl_module))


class ParameterSummary(ModelSummary):
    """Lightning's model summary (`verbose=true`) without the FLOPs column and line, which
    read 0 unless the module defines an example input."""

    @staticmethod
    def summarize(summary_data: list[tuple[str, list[str]]], total_parameters: int,
                  trainable_parameters: int, model_size: float,
                  total_training_modes: dict[str, int], total_flops: int,
                  **summarize_kwargs: Any) -> None:
        from lightning.pytorch.utilities.model_summary.model_summary import (
            _format_summary_table,
        )

        data = [col for col in summary_data if col[0] != "FLOPs" or total_flops]
        table = _format_summary_table(total_parameters, trainable_parameters, model_size,
                                      total_training_modes, total_flops, *data)
        if not total_flops:
            table = "\n".join(ln for ln in table.splitlines() if "Total Flops" not in ln)
        say("model summary:\n" + table)
