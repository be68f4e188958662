"""The pixel-loss and GAN modules share one reconstruction-loss function: for the same
batch and generator weights they compute identical pixel / flow / ping-pong terms, both
through `frvsr.losses.reconstruction_losses`; the GAN module's loss pieces run without
an optimiser or a trainer."""
from __future__ import annotations

from functools import partial
from typing import Any

import pytest
import torch

import frvsr.lit.base
from frvsr.lit.gan_module import GANModule
from frvsr.lit.sr_module import SRModule
from frvsr.losses import AdversarialLoss, FlowWarpLoss, PingPongLoss, PixelLoss
from frvsr.models import FNet, FRVSRNet, SpatialDiscriminator


def _modules(recurrent: bool) -> tuple[SRModule, GANModule]:
    def build(cls: type, **extra: Any) -> Any:
        torch.manual_seed(0)  # same generator weights in both modules
        return cls(
            generator=partial(FRVSRNet, num_feat=4, num_block=1),
            flow_net=FNet() if recurrent else None, scale=2,
            pixel_loss=PixelLoss("l2"), flow_loss=FlowWarpLoss("l2"),
            pingpong_loss=PingPongLoss("l1", weight=0.5), **extra,
        )

    sr = build(SRModule, optimizer=partial(torch.optim.Adam, lr=1e-4))
    gan = build(
        GANModule, discriminator=SpatialDiscriminator(num_feat=4, num_block=2),
        adversarial_loss=AdversarialLoss("vanilla", weight=0.01),
        optimizer_g=partial(torch.optim.Adam, lr=1e-4),
        optimizer_d=partial(torch.optim.Adam, lr=1e-4),
    )
    return sr, gan


@pytest.mark.parametrize("recurrent", [True, False])
def test_sr_and_gan_modules_compute_identical_reconstruction_terms(
    recurrent: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    sr_module, gan_module = _modules(recurrent)
    for a, b in zip(sr_module.generator.state_dict().values(),
                    gan_module.generator.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    calls: list[str] = []
    shared = frvsr.lit.base.reconstruction_losses

    def recording(*args: Any, **kwargs: Any) -> dict[str, torch.Tensor]:
        calls.append("call")
        return shared(*args, **kwargs)

    monkeypatch.setattr(frvsr.lit.base, "reconstruction_losses", recording)
    g = torch.Generator().manual_seed(0)
    lr, hr = torch.rand(2, 3, 3, 8, 8, generator=g), torch.rand(2, 3, 3, 16, 16, generator=g)

    sr_terms = sr_module.compute_losses(lr, hr)
    gan_terms, sr_clip, cond, margin = gan_module.generator_terms(lr, hr)
    assert calls == ["call", "call"]  # one function for both stages
    want = ["pixel", "flow", "pingpong"] if recurrent else ["pixel"]
    assert list(sr_terms) == want
    assert list(gan_terms) == [*want, "adv"]
    for name in want:
        assert torch.equal(sr_terms[name], gan_terms[name]), name
    assert sr_clip.shape == hr.shape and cond is None and margin.dim() == 0
    # pixel term by hand: the plain forward on the clip (no ping-pong extension)
    plain, _ = sr_module.generate(lr)
    assert torch.allclose(sr_terms["pixel"], ((plain - hr) ** 2).mean())

    d_terms = gan_module.discriminator_terms(lr, hr, sr_clip, cond)
    assert list(d_terms) == ["d_real", "d_fake"]
    assert all(torch.isfinite(v) for v in d_terms.values())
