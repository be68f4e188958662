"""Discriminators: finite logits and gradients, TecoGAN input construction."""
from __future__ import annotations

import torch

from frvsr.models import SpatialDiscriminator, SpatioTemporalDiscriminator
from frvsr.ops import flow_warp, upsample_flow


def test_spatial_discriminator_patch_logits_and_gradients() -> None:
    disc = SpatialDiscriminator(in_channels=3, num_feat=8, num_block=3)
    x = torch.rand(2, 3, 32, 24, requires_grad=True)
    logits, feats = disc(x, return_features=True)
    assert logits.shape == (2, 1, 4, 3) and len(feats) == 3
    assert torch.isfinite(logits).all()
    logits.mean().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    grads = [p.grad for p in disc.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    # Spectral norm: every conv weight is a parametrisation.
    assert sum("parametrizations" in k for k in disc.state_dict()) >= 5


def _triplet(b: int = 2, h: int = 8, w: int = 8, s: int = 4):
    hr = torch.rand(b, 3, 3, h * s, w * s, requires_grad=True)
    flows = (torch.randn(b, 3, 2, h, w) * 0.5).requires_grad_()
    lr = torch.rand(b, 3, 3, h, w)
    return hr, flows, lr


def test_spatiotemporal_discriminator_logits_features_gradients() -> None:
    disc = SpatioTemporalDiscriminator(num_feat=8, scale=4)
    hr, flows, lr = _triplet()
    logits, feats = disc(hr, flows, lr, return_features=True)
    assert logits.shape == (2, 1, 2, 2)
    assert [f.shape[1] for f in feats] == [8, 8, 16, 32]
    assert torch.isfinite(logits).all()
    (logits.mean() + sum(f.mean() for f in feats)).backward()
    assert torch.isfinite(hr.grad).all() and hr.grad.abs().sum() > 0
    assert flows.grad is None  # flows enter with a stopped gradient
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in disc.parameters())


def test_spatiotemporal_input_has_27_channels_cropped_warps_and_condition() -> None:
    disc = SpatioTemporalDiscriminator(num_feat=8, scale=4, crop_ratio=0.75)
    hr, flows, lr = _triplet(b=1)
    x = disc.build_input(hr, flows, lr)
    assert x.shape == (1, 27, 32, 32)
    torch.testing.assert_close(x[:, :9], hr.reshape(1, 9, 32, 32))
    # Warped frames: kept in the central 24x24 (75 %), zero in the 4-pixel border.
    warped = flow_warp(hr.reshape(3, 3, 32, 32), upsample_flow(flows.reshape(3, 2, 8, 8), 4))
    inner = (..., slice(4, 28), slice(4, 28))
    torch.testing.assert_close(x[:, 9:18][inner], warped.reshape(1, 9, 32, 32)[inner])
    border = x[:, 9:18].clone()
    border[..., 4:28, 4:28] = 0
    assert torch.equal(border, torch.zeros_like(border))
    # HR flows give the same input as the LR flows they come from.
    hr_flows = upsample_flow(flows.reshape(3, 2, 8, 8), 4).reshape(1, 3, 2, 32, 32)
    torch.testing.assert_close(disc.build_input(hr, hr_flows, lr), x)
    assert x[:, 18:].shape == (1, 9, 32, 32) and torch.isfinite(x).all()
