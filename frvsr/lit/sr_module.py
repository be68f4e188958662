"""Pixel-loss training: FRVSR pretraining (`experiment=pretrain`) and the frame-by-frame
baseline of the same backbone (`experiment=sisr`, `flow_net: null`)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from frvsr.errors import ConfigError
from frvsr.lit.base import GeneratorModule
from frvsr.losses import FlowWarpLoss, PingPongLoss, PixelLoss


class SRModule(GeneratorModule):
    """Automatic optimisation of `pixel_loss` (+ `flow_loss` + `pingpong_loss` if recurrent).

    Args (besides `GeneratorModule`'s):
        pixel_loss: distance between SR and GT frames (L2, L1 or Charbonnier).
        flow_loss: LR flow-warp loss; ignored for single-frame models.
        pingpong_loss: forward/backward consistency; ignored for single-frame models
            (their output does not depend on frame order).
        optimizer: `_partial_` optimiser, called with the generator's parameters.
        scheduler: `_partial_` LR scheduler (stepped every iteration) or None.
        flow_warmup_steps: the first N iterations train the flow net alone on the flow
            loss (recurrent models only; they count towards `trainer.max_steps`). Without
            it the SR net learns from a random flow's misaligned estimate during its first
            steps and may learn to ignore it: at CPU-demo budgets that is what happens
            (docs/training.md, "The CPU demo recipe").
        teacher_forcing_steps: recurrent models only; over the first N iterations the
            previous estimate warped into frame t is a blend of GT frame t-1 (weight
            1 - iteration/N, falling linearly to 0) and the model's own SR frame t-1
            (scheduled sampling, Bengio et al. 2015). It breaks the start-up deadlock of a
            recurrence whose memory is worthless while its own outputs are poor, so the SR
            net learns early to read its memory. 0 (default) is the paper's training.
        detach_memory: recurrent models only; no gradient through the previous estimate
            (truncated backpropagation through time). False (default) is the paper's.
        memory_dropout: recurrent models only; probability that a clip's previous estimate
            is zeroed at a frame (a random reset, as at a scene cut). 0 (default): never.
    """

    def __init__(
        self,
        generator: Callable[..., nn.Module],
        flow_net: nn.Module | None,
        scale: int,
        pixel_loss: PixelLoss,
        optimizer: Callable[..., torch.optim.Optimizer],
        flow_loss: FlowWarpLoss | None = None,
        pingpong_loss: PingPongLoss | None = None,
        scheduler: Callable[..., Any] | None = None,
        flow_warmup_steps: int = 0,
        teacher_forcing_steps: int = 0,
        detach_memory: bool = False,
        memory_dropout: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(generator=generator, flow_net=flow_net, scale=scale, **kwargs)
        self.save_hyperparameters(
            ignore=["generator", "flow_net", "pixel_loss", "flow_loss", "pingpong_loss",
                    "optimizer", "scheduler"]
        )
        self.stage = "pretrain" if self.recurrent else "sisr"
        self.pixel_loss = pixel_loss
        self.flow_loss = flow_loss if self.recurrent else None
        use_pp = self.recurrent and pingpong_loss is not None and pingpong_loss.active
        self.pingpong_loss = pingpong_loss if use_pp else None
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        if flow_warmup_steps < 0:
            raise ConfigError(f"model.flow_warmup_steps={flow_warmup_steps} must be >= 0")
        if flow_warmup_steps and self.recurrent and self.flow_loss is None:
            raise ConfigError("model.flow_warmup_steps needs the flow loss (loss=pixel has it)")
        if flow_warmup_steps and self.recurrent and not any(
                p.requires_grad for p in self.generator.flow_net.parameters()):
            raise ConfigError("model.flow_warmup_steps: this flow net has nothing to learn "
                              "(model/flow_net=dis); set it to 0")
        self.flow_warmup_steps = flow_warmup_steps if self.recurrent else 0
        if teacher_forcing_steps < 0:
            raise ConfigError(f"model.teacher_forcing_steps={teacher_forcing_steps} must be >= 0")
        self.teacher_forcing_steps = teacher_forcing_steps if self.recurrent else 0
        self.detach_memory = bool(detach_memory) and self.recurrent
        if not 0.0 <= memory_dropout < 1.0:
            raise ConfigError(f"model.memory_dropout={memory_dropout} must be in [0, 1)")
        self.memory_dropout = float(memory_dropout) if self.recurrent else 0.0

    def teacher_weight(self) -> float:
        """1 - iteration / teacher_forcing_steps, clipped to [0, 1] (0 when off); counted
        from the end of the flow warm-up."""
        n = self.teacher_forcing_steps
        done = int(self.iteration) - self.flow_warmup_steps
        return max(0.0, 1.0 - max(done, 0) / n) if n else 0.0

    def compute_losses(self, lr: Tensor, hr: Tensor) -> dict[str, Tensor]:
        """Named weighted loss terms of one batch (`B,T,C,h,w` LR, `B,T,C,H,W` GT): the
        reconstruction terms (pixel, flow, ping-pong) shared with the GAN stage."""
        return self.reconstruct(lr, hr)[0]

    def in_flow_warmup(self) -> bool:
        """Whether this iteration trains the flow net alone (`flow_warmup_steps`)."""
        return int(self.iteration) < self.flow_warmup_steps

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        if self.in_flow_warmup():
            assert self.flow_loss is not None  # checked in __init__
            _, lr_warped = self.generator.align(batch["lr"])
            terms = {"flow": self.flow_loss(lr_warped, batch["lr"])}
        else:
            terms = self.compute_losses(batch["lr"], batch["hr"])
        loss = sum(terms.values())
        bsz = batch["lr"].shape[0]
        for name, value in terms.items():
            self.log(f"train/{name}", value.detach(), batch_size=bsz)
        self.log("train/loss", loss.detach(), prog_bar=True, batch_size=bsz)
        if self.teacher_forcing_steps:
            self.log("train/teacher_weight", self.teacher_weight(), batch_size=bsz)
        return loss

    def optimizer_step(self, *args: Any, **kwargs: Any) -> None:
        super().optimizer_step(*args, **kwargs)
        # Counted here, not in on_train_batch_end: checkpoint callbacks run before the
        # module's on_train_batch_end and must see the counter of the weights they save.
        self.after_iteration()

    def configure_optimizers(self) -> Any:
        opt = self.optimizer_factory(params=self.generator.parameters())
        if self.scheduler_factory is None:
            return opt
        sched = self.scheduler_factory(optimizer=opt)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}
