"""What the pixel-loss and GAN modules share: the generator, EMA, iteration counter,
validation over whole clips, speed switches and self-describing checkpoints."""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import lightning as L
import torch
from torch import Tensor, nn

from frvsr.checkpoint import (
    EMA_PREFIX,
    build_generator,
    generator_meta,
    generator_state,
    uses_ema,
)
from frvsr.data import bicubic_baseline
from frvsr.errors import ConfigError
from frvsr.lit.ema import ema_update
from frvsr.lit.nonfinite import NonFiniteGuard
from frvsr.lit.validation import (
    BICUBIC_PREFIX,
    ValLPIPS,
    ValSample,
    clip_metrics,
    lpips_mean,
    recurrence_metrics,
)
from frvsr.losses import (
    FlowWarpLoss,
    PingPongLoss,
    PixelLoss,
    WeightedLoss,
    reconstruction_input,
    reconstruction_losses,
)


class GeneratorModule(L.LightningModule):
    """Base of `SRModule` and `GANModule`; not used on its own.

    Args:
        generator: the SR backbone as a Hydra `_partial_` (`FRVSRNet`, `SRResNet`, ...).
        flow_net: flow network; given, the generator is `FRVSR(flow_net, backbone)`,
            `None` trains the backbone alone frame by frame (`in_channels=3`).
        scale: SR factor (the data module's `scale`).
        ema_decay: decay of the EMA copy of the generator; 0 disables it.
        val_crop_border: border cropped before PSNR/SSIM (BasicSR convention).
        num_sample_clips: validation clips kept for image/video logging (the first ones,
            so they are the same clips every time).
        channels_last: convolutions in NHWC layout (faster with AMP on GPUs).
        compile: `torch.compile` the generator's forward (off by default: slow start on CPU).
        memory_warp: recurrent models: `"bilinear"` (the paper's) or `"bicubic"` resampling
            of the previous estimate (`frvsr.models.FRVSR`); ignored frame by frame.
    """

    stage = "base"
    # LPIPS-alex in validation (the GAN stage: a PSNR drop is read against the perceptual gain)
    val_lpips = False
    # Loss modules set by the subclasses (None when off); `reconstruct` reads them.
    pixel_loss: PixelLoss
    flow_loss: FlowWarpLoss | None
    pingpong_loss: PingPongLoss | None
    # The memory's training options (`memory_options`); SRModule sets them, the GAN stage
    # trains as the paper does.
    detach_memory: bool = False
    memory_dropout: float = 0.0

    def __init__(
        self,
        generator: Callable[..., nn.Module],
        flow_net: nn.Module | None,
        scale: int,
        ema_decay: float = 0.0,
        val_crop_border: int = 0,
        num_sample_clips: int = 1,
        channels_last: bool = False,
        compile: bool = False,
        memory_warp: str = "bilinear",
    ) -> None:
        super().__init__()
        if not 0.0 <= ema_decay < 1.0:
            raise ConfigError(f"model.ema_decay={ema_decay} must be in [0, 1); 0 disables EMA")
        self.recurrent = flow_net is not None
        self.generator = build_generator(generator, flow_net, scale, memory_warp=memory_warp)
        self.meta = generator_meta(generator, scale, self.recurrent)
        self.scale = scale
        self.ema_decay = ema_decay
        self.generator_ema: nn.Module | None = None
        if ema_decay > 0:
            self.generator_ema = copy.deepcopy(self.generator).requires_grad_(False).eval()
        # Persistent iteration counter: schedules and the stopping point key off it, so
        # they survive resume (global_step counts optimiser steps, twice per GAN batch).
        self.register_buffer("iteration", torch.zeros((), dtype=torch.long))
        self.val_crop_border = val_crop_border
        self.num_sample_clips = num_sample_clips
        self.channels_last = channels_last
        if channels_last:
            self.generator.to(memory_format=torch.channels_last)
        # Compiled forward kept out of the module registry so state-dict keys stay plain.
        object.__setattr__(self, "_forward", torch.compile(self.generator) if compile else None)
        self.run_config: str | None = None  # resolved config YAML, set by frvsr.train
        self.run_info: dict[str, Any] = {}  # e.g. wandb run id, set by frvsr.train
        self.val_samples: list[ValSample] = []
        self._val_metrics: list[dict[str, float]] = []
        self.val_frames = 0  # frames scored in the last validation (for the console)
        # Bicubic baseline metrics per validation clip: computed once per run, same frames.
        self._bicubic_val: dict[tuple[int, str], dict[str, float]] = {}
        object.__setattr__(self, "_lpips", ValLPIPS())
        # What a NaN/inf loss does (stop, or skip with skip_nonfinite=true); set by fit.
        self.nonfinite = NonFiniteGuard()
        self._last_terms: dict[str, Tensor] = {}

    # ---- data check --------------------------------------------------------------------
    def check_datamodule(self, datamodule: Any) -> None:
        """Refuse training clips too short for this model, before any step runs.

        A recurrent model learns its flow net from frame pairs: on one-frame clips (e.g.
        `data=images`) it has nothing to align and would train the backbone on a zero
        previous estimate only. Called by frvsr.train and again from `setup("fit")`.
        """
        frames = getattr(datamodule, "num_frames", None)
        if self.recurrent and frames is not None and int(frames) < 2:
            raise ConfigError(
                f"data.num_frames={frames}: the recurrent model ({self.stage}) needs clips of "
                ">= 2 frames; train single images with model=sisr (model=gan_sisr for the "
                "GAN stage; with experiment=sisr also set data.num_frames=1), or use video "
                "data with data.num_frames >= 2"
            )

    def setup(self, stage: str) -> None:
        if stage == "fit" and self._trainer is not None:
            self.check_datamodule(getattr(self.trainer, "datamodule", None))

    # ---- generator -------------------------------------------------------------------
    def generate(self, lr: Tensor, net: nn.Module | None = None, **memory: Any
                 ) -> tuple[Tensor, Any]:
        """SR clip `B,T,C,H,W` and the raw output (FRVSROutput for recurrent models).
        `memory`: training options of `FRVSR.forward` (`memory_options`); ignored by
        single-frame generators."""
        if net is None:
            net = self._forward if self._forward is not None else self.generator
        if self.recurrent:
            out = net(lr, **memory)
            return out.sr, out
        frames = lr.flatten(0, 1)
        if self.channels_last:
            frames = frames.contiguous(memory_format=torch.channels_last)
        sr = net(frames)
        return sr.unflatten(0, lr.shape[:2]), None

    def reconstruct(
        self, lr: Tensor, hr: Tensor, perceptual_loss: WeightedLoss | None = None
    ) -> tuple[dict[str, Tensor], Tensor, Any]:
        """The training forward of both stages and its reconstruction terms.

        Runs the generator on `reconstruction_input(lr, self.pingpong_loss)` and returns
        `reconstruction_losses(...)` (pixel, perceptual if given, flow, ping-pong), the SR
        clip `B,T,C,H,W` those terms saw (the forward half of a ping-pong run) and the raw
        output (`FRVSROutput`, None for single-frame generators).
        `lr: B,T,C,h,w`, `hr: B,T,C,H,W`.
        """
        sr_all, out = self.generate(reconstruction_input(lr, self.pingpong_loss),
                                    **self.memory_options(hr))
        sr = sr_all[:, : lr.shape[1]]
        terms = reconstruction_losses(
            sr, lr, hr, pixel_loss=self.pixel_loss, sr_all=sr_all,
            lr_warped=out.lr_warped if out is not None else None,
            flow_loss=self.flow_loss, pingpong_loss=self.pingpong_loss,
            perceptual_loss=perceptual_loss,
        )
        terms = self.nonfinite.inject(int(self.iteration) + 1, terms)
        self._last_terms = terms
        return terms, sr, out

    def teacher_weight(self) -> float:
        """GT share of the memory in this iteration's training forward (`FRVSR.forward`);
        0 here, scheduled by `SRModule(teacher_forcing_steps=)`."""
        return 0.0

    def memory_options(self, hr: Tensor) -> dict[str, Any]:
        """The memory's training options for `FRVSR.forward` this iteration (empty for
        single-frame generators and for the paper's training): teacher forcing with the GT
        clip `hr` (ping-pong extended like the input), truncated BPTT, memory dropout."""
        if not self.recurrent:
            return {}
        options: dict[str, Any] = {}
        weight = self.teacher_weight()
        if weight > 0.0:
            options.update(teacher=reconstruction_input(hr, self.pingpong_loss),
                           teacher_weight=weight)
        if self.detach_memory:
            options["detach_memory"] = True
        if self.memory_dropout > 0.0:
            options["memory_dropout"] = self.memory_dropout
        return options

    # ---- non-finite losses -----------------------------------------------------------
    def skip_nonfinite(self, terms: dict[str, Tensor], loss: Tensor, what: str = "loss") -> bool:
        """True when this step must not update weights (non-finite `loss`, skipping on);
        raises `NonFiniteLossError` (naming the step and the term) when skipping is off."""
        return self.nonfinite.should_skip(int(self.iteration) + 1, terms, loss, what)

    def optimizer_step(self, epoch: int, batch_idx: int, optimizer: Any,
                       optimizer_closure: Callable[[], Any] | None = None) -> None:
        """Automatic optimisation (`SRModule`): the closure (forward + backward) is checked
        before the optimiser uses its gradients. A skipped step drops them (`grad=None`),
        so the optimiser leaves weights and its state (Adam moments, step) untouched."""
        if optimizer_closure is None:
            super().optimizer_step(epoch, batch_idx, optimizer, optimizer_closure)
            return
        closure = optimizer_closure

        def checked() -> Any:
            loss = closure()
            if loss is not None and self.skip_nonfinite(self._last_terms, loss):
                optimizer.zero_grad(set_to_none=True)
            return loss

        super().optimizer_step(epoch, batch_idx, optimizer, checked)

    def inference_generator(self) -> nn.Module:
        """The EMA copy when enabled (what a user gets from the checkpoint), else the live one."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def after_iteration(self) -> None:
        """Count one training iteration and update the EMA copy."""
        self.iteration += 1
        if self.generator_ema is not None:
            ema_update(self.generator_ema, self.generator, self.ema_decay)

    def load_init_weights(self, state: dict[str, Tensor]) -> None:
        """Initialise generator (and its EMA copy) from a pixel-loss stage's weights."""
        self.generator.load_state_dict(state, strict=True)
        if self.generator_ema is not None:
            self.generator_ema.load_state_dict(state, strict=True)

    # ---- validation ------------------------------------------------------------------
    def on_validation_epoch_start(self) -> None:
        self.val_samples = []
        self._val_metrics = []
        self.val_frames = 0

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        lr, hr = batch["lr"], batch["hr"]
        sr, _ = self.generate(lr, self.inference_generator())
        sr = sr.clamp(0.0, 1.0)
        metrics = clip_metrics(sr[0].float(), hr[0].float(), self.val_crop_border)
        lpips = self._lpips(self.device) if self.val_lpips else None
        if lpips is not None:
            with torch.autocast(device_type=sr.device.type, enabled=False):
                metrics["lpips_alex"] = lpips_mean(lpips, sr[0], hr[0])
        if self.recurrent and lr.shape[1] > 1:  # val/recurrence_gain: does the memory pay?
            with torch.autocast(device_type=sr.device.type, enabled=False):
                metrics.update(recurrence_metrics(self.inference_generator(), lr[0], hr[0],
                                                  sr[0], self.val_crop_border))
        self._val_metrics.append(metrics)
        self.val_frames += int(lr.shape[1])
        key = str(batch.get("key", [f"clip{batch_idx}"])[0])
        logged = {f"val/{k}": v for k, v in metrics.items()}
        logged.update({f"{BICUBIC_PREFIX}{k}": v
                       for k, v in self.bicubic_metrics(batch_idx, key, lr[0], hr[0]).items()})
        for name, value in logged.items():
            self.log(name, value, batch_size=1, sync_dist=True, on_epoch=True)
        # The one step counter: loggers, `{step}` in checkpoint names and samples use it.
        self.log("step", float(self.iteration), batch_size=1, on_epoch=True, sync_dist=True)
        if batch_idx < self.num_sample_clips:
            self.val_samples.append(
                ValSample(key=key, lr=lr[0].cpu(), sr=sr[0].cpu(), hr=hr[0].cpu())
            )

    def bicubic_metrics(self, index: int, key: str, lr: Tensor, hr: Tensor) -> dict[str, float]:
        """The validation metrics of the bicubic upscale that matches the data's degradation
        (phase-aligned for BD) on clip `key`: computed at the first validation, then reused.
        Empty when the data module names no known degradation."""
        if (index, key) not in self._bicubic_val:
            datamodule = getattr(self.trainer, "datamodule", None) if self._trainer else None
            degradation = str(getattr(datamodule, "degradation", ""))
            # float32 whatever trainer.precision says: the same numbers in every run
            with torch.autocast(device_type=lr.device.type, enabled=False):
                try:
                    up = bicubic_baseline(lr.float(), self.scale, degradation).clamp(0.0, 1.0)
                except ValueError:  # unknown degradation: no baseline to compare with
                    self._bicubic_val[(index, key)] = {}
                    return {}
                found = clip_metrics(up, hr.float(), self.val_crop_border)
                lpips = self._lpips(self.device) if self.val_lpips else None
                if lpips is not None:
                    found["lpips_alex"] = lpips_mean(lpips, up, hr)
            self._bicubic_val[(index, key)] = found
        return self._bicubic_val[(index, key)]

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        # Loggers take this as the x-axis step: the iteration just finished, as in checkpoint
        # and sample names (Lightning's own counts differ by one, or by two in the GAN stage).
        self.log("step", float(self.iteration), on_step=True, on_epoch=False, batch_size=1)
        if self.nonfinite.skip:
            self.log("train/nonfinite_skips", float(self.nonfinite.skips), on_step=True,
                     on_epoch=False, batch_size=1)

    # ---- checkpoints -----------------------------------------------------------------
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        datamodule = getattr(self.trainer, "datamodule", None) if self._trainer else None
        meta = dict(self.meta)
        meta.update(
            stage=self.stage,
            iteration=int(self.iteration),
            degradation=str(getattr(datamodule, "degradation", "unknown")),
            wandb_id=self.run_info.get("wandb_id"),
        )
        checkpoint["frvsr"] = {"config": self.run_config or "", "meta": meta}
        # Frozen loss networks (VGG for the perceptual loss) are rebuilt from their own
        # weight files: keeping them out saves ~60 MB per checkpoint.
        state = checkpoint.get("state_dict", {})
        for key in [k for k in state if k.split(".", 1)[0].endswith("_loss")]:
            del state[key]

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        state = checkpoint.get("state_dict", {})
        for key, value in self.state_dict().items():
            if key.split(".", 1)[0].endswith("_loss") and key not in state:
                state[key] = value
        # `model.ema_decay` may change when a run is resumed (e.g. a weight average over a
        # low-learning-rate tail): a new average starts from the resumed weights, as with
        # `init_from`; a run resumed without one drops the saved average.
        if self.generator_ema is not None and not uses_ema(state, True):
            state.update({EMA_PREFIX + k: v for k, v in generator_state(state, False).items()})
        if self.generator_ema is None:
            for key in [k for k in state if k.startswith(EMA_PREFIX)]:
                del state[key]
