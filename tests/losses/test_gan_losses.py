"""The pure pieces of a training step: `reconstruction_losses`, `generator_losses` and
`discriminator_losses` on tiny tensors (named terms, order, values against a hand
computation, terms left out, errors)."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from frvsr.losses import (
    AdversarialLoss,
    FeatureMatchingLoss,
    FlowWarpLoss,
    PingPongLoss,
    PixelLoss,
    WeightedLoss,
    discriminator_losses,
    generator_losses,
    pingpong_sequence,
    reconstruction_input,
    reconstruction_losses,
    uses_pingpong,
)


class MeanAbs(WeightedLoss):
    """A stand-in perceptual loss: weighted mean |sr - gt|."""

    def forward(self, sr: Tensor, gt: Tensor) -> Tensor:
        return self.reduce((sr - gt).abs())


def _clip(t: int = 3) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    g = torch.Generator().manual_seed(0)
    lr = torch.rand(2, t, 3, 4, 4, generator=g)
    hr = torch.rand(2, t, 3, 8, 8, generator=g)
    sr_all = torch.rand(2, 2 * t - 1, 3, 8, 8, generator=g)  # output on the ping-pong input
    lr_warped = torch.rand(2, 2 * t - 2, 3, 4, 4, generator=g)
    return lr, hr, sr_all, lr_warped


def test_pingpong_input_only_when_the_term_is_on() -> None:
    lr = torch.rand(1, 3, 3, 4, 4)
    on, off = PingPongLoss(weight=0.5), PingPongLoss(weight=0.0)
    assert uses_pingpong(lr, on) and not uses_pingpong(lr, off)
    assert not uses_pingpong(lr, None) and not uses_pingpong(lr[:, :1], on)  # no way back
    assert torch.equal(reconstruction_input(lr, on), pingpong_sequence(lr))
    assert reconstruction_input(lr, off) is lr


def test_reconstruction_terms_names_order_and_values() -> None:
    lr, hr, sr_all, lr_warped = _clip()
    sr = sr_all[:, :3]
    terms = reconstruction_losses(
        sr, lr, hr, pixel_loss=PixelLoss("l2", weight=2.0), sr_all=sr_all,
        lr_warped=lr_warped, flow_loss=FlowWarpLoss(weight=1.0),
        pingpong_loss=PingPongLoss(weight=0.5), perceptual_loss=MeanAbs(weight=0.1),
    )
    assert list(terms) == ["pixel", "perceptual", "flow", "pingpong"]
    assert torch.allclose(terms["pixel"], 2.0 * ((sr - hr) ** 2).mean())
    assert torch.allclose(terms["perceptual"], 0.1 * (sr - hr).abs().mean())
    # flow: the first T-1 warped frames against LR frames 1..T-1
    assert torch.allclose(terms["flow"], ((lr_warped[:, :2] - lr[:, 1:]) ** 2).mean())
    # ping-pong: frames 0, 1 of the forward pass against frames 4, 3 of the way back
    back = sr_all[:, [4, 3]]
    assert torch.allclose(terms["pingpong"], 0.5 * (sr_all[:, :2] - back).abs().mean())
    assert all(v.dim() == 0 for v in terms.values())


def test_reconstruction_terms_left_out() -> None:
    lr, hr, sr_all, lr_warped = _clip()
    sr = sr_all[:, :3]
    terms = reconstruction_losses(
        sr, lr, hr, pixel_loss=PixelLoss(), lr_warped=lr_warped,
        flow_loss=FlowWarpLoss(weight=0.0), pingpong_loss=PingPongLoss(weight=0.0),
        perceptual_loss=MeanAbs(weight=0.0),
    )
    assert list(terms) == ["pixel"]  # weight 0: off, and no sr_all needed
    one = reconstruction_losses(  # a one-frame clip: no pair to warp, no way back
        sr[:, :1], lr[:, :1], hr[:, :1], pixel_loss=PixelLoss(), sr_all=sr[:, :1],
        lr_warped=lr_warped[:, :0], flow_loss=FlowWarpLoss(), pingpong_loss=PingPongLoss(),
    )
    assert list(one) == ["pixel"] and torch.isfinite(one["pixel"])


def test_reconstruction_errors() -> None:
    lr, hr, sr_all, lr_warped = _clip()
    sr = sr_all[:, :3]
    with pytest.raises(ValueError, match="5 frames"):  # ping-pong on, plain T-frame output
        reconstruction_losses(sr, lr, hr, pixel_loss=PixelLoss(), sr_all=sr,
                              pingpong_loss=PingPongLoss())
    with pytest.raises(ValueError, match="lr_warped"):
        reconstruction_losses(sr, lr, hr, pixel_loss=PixelLoss(), flow_loss=FlowWarpLoss())
    with pytest.raises(ValueError, match="shape"):  # SR/GT scale mismatch
        reconstruction_losses(sr, lr, hr[..., :4, :4], pixel_loss=PixelLoss())


def test_generator_losses_terms_and_hand_values() -> None:
    g = torch.Generator().manual_seed(1)
    fake_logits = torch.randn(4, 1, 2, 2, generator=g)
    real_logits = torch.randn(4, 1, 2, 2, generator=g)
    fake_feats = [torch.rand(4, 8, 4, 4, generator=g), torch.rand(4, 16, 2, 2, generator=g)]
    real_feats = [torch.rand(4, 8, 4, 4, generator=g), torch.rand(4, 16, 2, 2, generator=g)]
    recon = {"pixel": torch.tensor(0.25), "flow": torch.tensor(0.5)}
    terms = generator_losses(
        recon, (fake_logits, fake_feats), (real_logits, real_feats),
        adversarial_loss=AdversarialLoss("vanilla", weight=0.01),
        feature_matching_loss=FeatureMatchingLoss(weight=2.0),
    )
    assert list(terms) == ["pixel", "flow", "adv", "fm"]
    assert terms["pixel"] is recon["pixel"] and "adv" not in recon  # input left as it was
    # vanilla: BCE(D(fake), 1) = softplus(-logit), mean, times the weight
    assert torch.allclose(terms["adv"], 0.01 * F.softplus(-fake_logits).mean())
    fm = sum((f - r).abs().mean() for f, r in zip(fake_feats, real_feats, strict=True)) / 2
    assert torch.allclose(terms["fm"], 2.0 * fm)
    # ragan uses the real logits; no feature matching when it is off
    ragan = generator_losses(
        recon, (fake_logits, fake_feats), (real_logits, real_feats),
        adversarial_loss=AdversarialLoss("ragan", weight=1.0),
        feature_matching_loss=FeatureMatchingLoss(weight=0.0),
    )
    assert list(ragan) == ["pixel", "flow", "adv"]
    hand = 0.5 * (F.softplus(real_logits - fake_logits.mean()).mean()
                  + F.softplus(-(fake_logits - real_logits.mean())).mean())
    assert torch.allclose(ragan["adv"], hand)
    with pytest.raises(ValueError, match="clash"):
        generator_losses({"adv": torch.tensor(0.0)}, (fake_logits, []), (real_logits, []),
                         adversarial_loss=AdversarialLoss())


@pytest.mark.parametrize("gan_type", ["vanilla", "lsgan"])
def test_discriminator_losses_hand_values(gan_type: str) -> None:
    real_logits, fake_logits = torch.randn(3, 1, 2, 2), torch.randn(3, 1, 2, 2)
    terms = discriminator_losses(
        (real_logits, []), (fake_logits, []),
        adversarial_loss=AdversarialLoss(gan_type, weight=0.01),  # weight: generator only
    )
    assert list(terms) == ["d_real", "d_fake"]
    if gan_type == "vanilla":
        want = F.softplus(-real_logits).mean(), F.softplus(fake_logits).mean()
    else:
        want = ((real_logits - 1) ** 2).mean(), (fake_logits**2).mean()
    assert torch.allclose(terms["d_real"], want[0]) and torch.allclose(terms["d_fake"], want[1])
