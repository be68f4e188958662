"""Small pieces of the GAN step: when the discriminator trains, and frozen norm statistics."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from frvsr.errors import ConfigError

D_UPDATE_POLICIES = ("every", "warmup", "balance")


def check_policy(policy: str) -> None:
    if policy not in D_UPDATE_POLICIES:
        raise ConfigError(
            f"model.d_update={policy!r} is not one of {D_UPDATE_POLICIES}; fix model.d_update"
        )


def generator_trains(policy: str, iteration: int, warmup_iters: int) -> bool:
    """`warmup` (BasicSR's net_d_init_iters): the first iterations train only D, so it
    learns to tell the pretrained outputs from GT before it steers the generator."""
    return not (policy == "warmup" and iteration < warmup_iters)


def discriminator_trains(policy: str, balance: float, threshold: float) -> bool:
    """`balance`: D trains only while its running real/fake margin is below `threshold`.

    In the spirit of TecoGAN's Dbalance (threshold 0.4): a discriminator that already
    separates real from fake by a wide margin rests, so it cannot overpower the generator.
    The margin is mean(sigmoid(D(real))) - mean(sigmoid(D(fake))), in [-1, 1].
    """
    return policy != "balance" or balance < threshold


def real_fake_margin(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    return torch.sigmoid(real_logits.detach()).mean() - torch.sigmoid(fake_logits.detach()).mean()


@contextmanager
def frozen_norm_stats(module: nn.Module) -> Iterator[None]:
    """Run `module` in train mode but restore its buffers (BatchNorm running statistics)
    afterwards: the generator step must change nothing of the discriminator."""
    saved = [b.detach().clone() for b in module.buffers()]
    try:
        yield
    finally:
        with torch.no_grad():
            for buf, old in zip(module.buffers(), saved, strict=True):
                buf.copy_(old)
