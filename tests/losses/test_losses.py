"""Losses: values against their formulas, the weight/reduction interface, gradients,
and perceptual weights handled without downloads."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from frvsr.losses import (
    AdversarialLoss,
    FeatureMatchingLoss,
    FlowWarpLoss,
    PerceptualLoss,
    PingPongLoss,
    PixelLoss,
    pingpong_sequence,
)
from frvsr.models.feature_nets import WeightsNotFoundError


@pytest.fixture
def pair() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.rand(2, 3, 3, 8, 8, generator=g), torch.rand(2, 3, 3, 8, 8, generator=g)


def test_pixel_criteria_weight_and_reduction(pair: tuple[torch.Tensor, torch.Tensor]) -> None:
    a, b = pair
    assert torch.allclose(PixelLoss("l2", weight=2.0)(a, b), 2 * F.mse_loss(a, b))
    assert torch.allclose(PixelLoss("l1", reduction="sum")(a, b), (a - b).abs().sum())
    charb = PixelLoss("charbonnier", eps=1e-3)(a, b)
    assert torch.allclose(charb, torch.sqrt((a - b) ** 2 + 1e-6).mean())
    assert PixelLoss("l1", reduction="none")(a, b).shape == a.shape
    with pytest.raises(ValueError, match="criterion='l3'"):
        PixelLoss("l3")
    with pytest.raises(ValueError, match="reduction='avg'"):
        PixelLoss(reduction="avg")
    with pytest.raises(ValueError, match="shape"):
        PixelLoss()(a, b[..., :4])


def test_flow_warp_loss_compares_warped_previous_with_current() -> None:
    lr = torch.rand(1, 4, 3, 6, 6)
    assert FlowWarpLoss()(lr[:, 1:].clone(), lr) == 0  # perfect warp
    assert torch.allclose(FlowWarpLoss()(lr[:, :-1], lr), F.mse_loss(lr[:, :-1], lr[:, 1:]))


def test_pingpong_sequence_and_loss() -> None:
    lr = torch.arange(3.0).view(1, 3, 1, 1, 1)
    assert pingpong_sequence(lr).flatten().tolist() == [0, 1, 2, 1, 0]
    symmetric = pingpong_sequence(torch.rand(2, 4, 3, 5, 5))
    assert PingPongLoss()(symmetric) == 0  # forward half equals the reversed backward half
    drift = symmetric.clone()
    drift[:, -1] += 0.5  # the last frame of the backward pass differs from frame 0
    assert torch.allclose(PingPongLoss(weight=1.0)(drift), torch.tensor(0.5 / 3))
    with pytest.raises(ValueError, match="odd"):
        PingPongLoss()(torch.rand(1, 4, 3, 2, 2))


@pytest.mark.parametrize("gan_type", ["vanilla", "lsgan", "hinge", "ragan"])
def test_adversarial_losses_reward_the_right_side(gan_type: str) -> None:
    loss = AdversarialLoss(gan_type, weight=1.0)
    good_real, good_fake = torch.full((4, 1), 3.0), torch.full((4, 1), -3.0)
    fooled = loss.discriminator(good_fake, good_real)  # D swaps real and fake
    right = loss.discriminator(good_real, good_fake)
    assert sum(right.values()) < sum(fooled.values())
    # the generator prefers fakes the discriminator scores as real
    assert loss.generator(good_real, good_fake) < loss.generator(good_fake, good_real)


def test_adversarial_formulas_and_weight() -> None:
    fake, real = torch.randn(8), torch.randn(8)
    v = AdversarialLoss("vanilla", weight=0.01)
    assert torch.allclose(v.generator(fake), 0.01 * F.softplus(-fake).mean())
    h = AdversarialLoss("hinge").discriminator(real, fake)
    assert torch.allclose(h["d_real"], F.relu(1 - real).mean())
    assert torch.allclose(h["d_fake"], F.relu(1 + fake).mean())
    with pytest.raises(ValueError, match="gan_type='wgan'"):
        AdversarialLoss("wgan")


def test_feature_matching_ignores_real_gradients() -> None:
    fake = [torch.rand(2, 4, 4, 4, requires_grad=True)]
    real = [torch.rand(2, 4, 4, 4, requires_grad=True)]
    FeatureMatchingLoss()(fake, real).backward()
    assert fake[0].grad is not None and real[0].grad is None
    with pytest.raises(ValueError, match="same non-empty list"):
        FeatureMatchingLoss()(fake, [])


def test_perceptual_loss_vgg16_offline_and_differentiable() -> None:
    loss = PerceptualLoss(arch="vgg16", layers=["relu2_2", "relu3_3"], weight=0.2)
    sr = torch.rand(1, 2, 3, 32, 32, requires_grad=True)
    value = loss(sr, sr.detach())
    assert value.abs() < 1e-5  # identical frames: cosine distance 0
    loss(sr, torch.rand(1, 2, 3, 32, 32)).backward()
    assert sr.grad is not None and sr.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in loss.parameters())
    loss.train()
    assert not loss.features.training  # frozen network stays in eval mode


def test_perceptual_loss_missing_weights_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(WeightsNotFoundError, match="vgg19-dcbb9e9d.pth") as info:
        PerceptualLoss(arch="vgg19", layers=["relu5_4"])
    assert "\n" not in str(info.value)
    # weight 0: the term is off and its weights are never needed
    off = PerceptualLoss(arch="vgg19", layers=["relu5_4"], weight=0.0)
    assert off.features is None and off(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)) == 0


def test_shape_errors_are_one_line_value_errors() -> None:
    lr = torch.rand(1, 4, 3, 6, 6)
    with pytest.raises(ValueError, match="B,T-1,C,h,w"):
        FlowWarpLoss()(lr, lr)  # T warped frames instead of T-1
    # per-layer maps differ in size: reduction none only with one layer (no network built)
    with pytest.raises(ValueError, match="exactly one layer"):
        PerceptualLoss(layers=["relu2_2", "relu3_3"], reduction="none", weight=0.0)
