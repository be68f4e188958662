"""Adversarial fine-tuning (`experiment=gan`): manual optimisation, generator step then
discriminator step on the detached output.

As in mmagic's SRGAN, the loss terms come from pure functions
(`frvsr.losses.generator_losses`, `discriminator_losses`; the reconstruction terms are the
pixel-loss stage's own `reconstruction_losses`), and this module keeps the thin part:
running the networks, toggling optimisers, backward, clipping, stepping, EMA, schedulers.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn

from frvsr.errors import ConfigError
from frvsr.lit.base import GeneratorModule
from frvsr.lit.gan_policy import (
    check_policy,
    discriminator_trains,
    frozen_norm_stats,
    generator_trains,
    real_fake_margin,
)
from frvsr.losses import (
    AdversarialLoss,
    DOut,
    FeatureMatchingLoss,
    FlowWarpLoss,
    PingPongLoss,
    PixelLoss,
    discriminator_losses,
    generator_losses,
)
from frvsr.models.discriminators import SpatioTemporalDiscriminator


class GANModule(GeneratorModule):
    """Generator + discriminator with two optimisers, stepped by hand.

    Args (besides `GeneratorModule`'s):
        discriminator: `SpatialDiscriminator` or `SpatioTemporalDiscriminator`.
        pixel_loss, adversarial_loss: required terms; `perceptual_loss`, `flow_loss`,
            `pingpong_loss`, `feature_matching_loss`: optional (None or weight 0 skips).
        optimizer_g, optimizer_d: `_partial_` optimisers; scheduler_g/_d: `_partial_`
            schedulers stepped once per iteration, or None.
        d_update: `every`, `warmup` (D alone for `d_warmup_iters`) or `balance`
            (D trains while its running margin is below `d_balance_threshold`).
        grad_clip_g, grad_clip_d: max gradient norm, 0 disables.
        max_iters: stop after this many iterations (the persistent counter); frvsr.train
            fills it from `trainer.max_steps`.
    """

    stage = "gan"
    val_lpips = True

    def __init__(
        self,
        generator: Callable[..., nn.Module],
        flow_net: nn.Module | None,
        scale: int,
        discriminator: nn.Module,
        pixel_loss: PixelLoss,
        adversarial_loss: AdversarialLoss,
        optimizer_g: Callable[..., torch.optim.Optimizer],
        optimizer_d: Callable[..., torch.optim.Optimizer],
        perceptual_loss: nn.Module | None = None,
        flow_loss: FlowWarpLoss | None = None,
        pingpong_loss: PingPongLoss | None = None,
        feature_matching_loss: FeatureMatchingLoss | None = None,
        scheduler_g: Callable[..., Any] | None = None,
        scheduler_d: Callable[..., Any] | None = None,
        d_update: str = "every",
        d_warmup_iters: int = 0,
        d_balance_threshold: float = 0.4,
        d_balance_momentum: float = 0.9,
        grad_clip_g: float = 0.0,
        grad_clip_d: float = 0.0,
        max_iters: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(generator=generator, flow_net=flow_net, scale=scale, **kwargs)
        check_policy(d_update)
        self.save_hyperparameters(ignore=[
            "generator", "flow_net", "discriminator", "pixel_loss", "adversarial_loss",
            "perceptual_loss", "flow_loss", "pingpong_loss", "feature_matching_loss",
            "optimizer_g", "optimizer_d", "scheduler_g", "scheduler_d",
        ])
        self.automatic_optimization = False
        self.discriminator = discriminator
        self.pixel_loss = pixel_loss
        self.adversarial_loss = adversarial_loss
        active = lambda loss: loss if loss is not None and loss.active else None  # noqa: E731
        self.perceptual_loss = active(perceptual_loss)
        self.flow_loss = active(flow_loss) if self.recurrent else None
        self.pingpong_loss = active(pingpong_loss) if self.recurrent else None
        self.feature_matching_loss = active(feature_matching_loss)
        self.factories = (optimizer_g, optimizer_d, scheduler_g, scheduler_d)
        self.d_update = d_update
        self.d_warmup_iters = d_warmup_iters
        self.d_balance_threshold = d_balance_threshold
        self.d_balance_momentum = d_balance_momentum
        self.grad_clip_g = grad_clip_g
        self.grad_clip_d = grad_clip_d
        self.max_iters = max_iters
        # Running real/fake margin of D for the `balance` policy; a buffer so it resumes.
        self.register_buffer("d_balance", torch.zeros(()))

    # ---- discriminator input ---------------------------------------------------------
    def d_condition(self, lr: Tensor, out: Any) -> Tensor | None:
        """Flows for the spatio-temporal D (`B*n,3,2,h,w`, no gradient), None for a spatial D.

        Non-overlapping triplets (t-1, t, t+1) with centres 1, 4, 7, ... as in TecoGAN;
        flow to t-1 is the generator's own `out.flow`, flow to t+1 one extra flow-net call.
        """
        if not isinstance(self.discriminator, SpatioTemporalDiscriminator):
            return None
        if not self.recurrent or lr.shape[1] < 3:
            raise ConfigError(
                "model.discriminator: the spatio-temporal D needs a recurrent generator and "
                f">= 3 frames (got recurrent={self.recurrent}, T={lr.shape[1]}); use "
                "model/discriminator=spatial or set data.num_frames >= 3"
            )
        centres = list(range(1, lr.shape[1] - 1, 3))
        with torch.no_grad():
            b, _, c, h, w = lr.shape
            mid = lr[:, centres].flatten(0, 1)
            nxt = lr[:, [i + 1 for i in centres]].flatten(0, 1)
            to_next = self.generator.flow_net(mid, nxt).unflatten(0, (b, len(centres)))
            to_prev = out.flow[:, [i - 1 for i in centres]].detach()
            flows = torch.stack([to_prev, torch.zeros_like(to_prev), to_next], dim=2)
        return flows.flatten(0, 1)

    def discriminate(self, hr: Tensor, lr: Tensor, cond: Tensor | None) -> DOut:
        """Logits and intermediate features of D for an HR clip `B,T,C,H,W`."""
        if cond is None:
            return self.discriminator(hr.flatten(0, 1), return_features=True)
        centres = list(range(1, hr.shape[1] - 1, 3))
        idx = [j for i in centres for j in (i - 1, i, i + 1)]
        b, t = hr.shape[:2]
        hr_trip = hr[:, idx].reshape(b * len(centres), 3, *hr.shape[2:])
        lr_trip = lr[:, idx].reshape(b * len(centres), 3, *lr.shape[2:])
        return self.discriminator(hr_trip, cond, lr_trip, return_features=True)

    # ---- loss terms: networks + the pure loss functions, no optimiser ------------------
    def generator_terms(
        self, lr: Tensor, hr: Tensor
    ) -> tuple[dict[str, Tensor], Tensor, Tensor | None, Tensor]:
        """Generator terms of one batch (`generator_losses` on top of the reconstruction
        terms shared with `SRModule`), the SR clip `B,T,C,H,W`, D's condition and D's
        real/fake margin (detached, for the `balance` policy). Touches no optimiser."""
        recon, sr, out = self.reconstruct(lr, hr, self.perceptual_loss)
        cond = self.d_condition(lr, out)
        fake = self.discriminate(sr, lr, cond)
        with torch.no_grad():
            real = self.discriminate(hr, lr, cond)
        terms = generator_losses(
            recon, fake, real, adversarial_loss=self.adversarial_loss,
            feature_matching_loss=self.feature_matching_loss,
        )
        return terms, sr, cond, real_fake_margin(real[0], fake[0])

    def discriminator_terms(
        self, lr: Tensor, hr: Tensor, sr: Tensor, cond: Tensor | None
    ) -> dict[str, Tensor]:
        """`d_real`, `d_fake` of D on GT vs. the detached SR clip. Touches no optimiser."""
        real = self.discriminate(hr, lr, cond)
        fake = self.discriminate(sr.detach(), lr, cond)
        return discriminator_losses(real, fake, adversarial_loss=self.adversarial_loss)

    # ---- the two halves: toggle, terms, backward, clip, step -------------------------
    def generator_step(
        self, batch: dict[str, Any], opt_g: Any
    ) -> tuple[Tensor, Tensor | None, dict[str, Tensor]]:
        """One generator update; returns the detached SR clip, D's condition and the logs.

        D runs in train mode (as in TecoGAN) but its normalisation statistics are restored
        after the backward pass: the generator half changes nothing of the discriminator.
        Under `d_update=warmup` the terms are computed (and logged) without an update.
        """
        train_g = generator_trains(self.d_update, int(self.iteration), self.d_warmup_iters)
        with frozen_norm_stats(self.discriminator):
            self.toggle_optimizer(opt_g)
            with torch.set_grad_enabled(train_g):
                terms, sr, cond, margin = self.generator_terms(batch["lr"], batch["hr"])
                loss = sum(terms.values())
            if train_g and not self.skip_nonfinite(terms, loss, "generator loss"):
                self._update(opt_g, loss, self.grad_clip_g)
            self.untoggle_optimizer(opt_g)
        m = self.d_balance_momentum
        if bool(torch.isfinite(margin)):  # a skipped non-finite step must not poison it
            self.d_balance.mul_(m).add_((1 - m) * margin)
        logs = {f"g_{k}": v.detach() for k, v in terms.items()}
        logs["g_loss"] = loss.detach()
        return sr.detach(), cond, logs

    def discriminator_step(
        self, batch: dict[str, Any], sr: Tensor, cond: Tensor | None, opt_d: Any
    ) -> dict[str, Tensor]:
        """One discriminator update on GT vs. the detached SR clip."""
        self.toggle_optimizer(opt_d)
        terms = self.discriminator_terms(batch["lr"], batch["hr"], sr, cond)
        loss = terms["d_real"] + terms["d_fake"]
        if not self.skip_nonfinite(terms, loss, "discriminator loss"):
            self._update(opt_d, loss, self.grad_clip_d)
        self.untoggle_optimizer(opt_d)
        return {k: v.detach() for k, v in terms.items()}

    def _update(self, opt: Any, loss: Tensor, clip: float) -> None:
        """Backward, optional gradient-norm clipping and one step of `opt` (toggled)."""
        opt.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        if clip > 0:
            self.clip_gradients(opt, gradient_clip_val=clip, gradient_clip_algorithm="norm")
        opt.step()

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        opt_g, opt_d = self.optimizers()
        sr, cond, logs = self.generator_step(batch, opt_g)
        update_d = discriminator_trains(
            self.d_update, float(self.d_balance), self.d_balance_threshold
        )
        if update_d:
            logs.update(self.discriminator_step(batch, sr, cond, opt_d))
        for sched in self._schedulers():
            sched.step()
        logs["d_balance"] = self.d_balance.detach().clone()
        logs["d_updated"] = torch.tensor(float(update_d))
        bsz = batch["lr"].shape[0]
        self.log_dict({f"train/{k}": v for k, v in logs.items()}, batch_size=bsz)
        # Counted inside the step: checkpoint callbacks (on_train_batch_end) must see the
        # counter of the weights they save.
        self.after_iteration()
        if self.max_iters is not None and int(self.iteration) >= self.max_iters:
            self.trainer.should_stop = True

    def _schedulers(self) -> list[Any]:
        scheds = self.lr_schedulers()
        if scheds is None:
            return []
        return list(scheds) if isinstance(scheds, list) else [scheds]

    def configure_optimizers(self) -> Any:
        make_g, make_d, sched_g, sched_d = self.factories
        opt_g = make_g(params=self.generator.parameters())
        opt_d = make_d(params=self.discriminator.parameters())
        scheds = [s(optimizer=o) for s, o in ((sched_g, opt_g), (sched_d, opt_d)) if s]
        return [opt_g, opt_d], scheds
