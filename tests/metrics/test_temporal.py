"""tOF / tLP / E_warp / tFlicker: hand-computed values, invariants and conventions."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from frvsr.metrics.perceptual import LPIPS
from frvsr.metrics.temporal import (
    Region,
    ewarp,
    ewarp_from_flows,
    farneback,
    noc_mask,
    tflicker,
    tflicker_pair,
    tlp,
    tlp_pair,
    to_gray_u8,
    tof,
    tof_from_flows,
)


def _texture(h: int = 64, w: int = 80, seed: int = 0) -> torch.Tensor:
    """Smooth random texture (blurred noise) that Farneback can track, 3,h,w in [0,1]."""
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(1, 3, h + 16, w + 16, generator=g)
    k = torch.ones(3, 1, 5, 5) / 25
    x = torch.nn.functional.conv2d(x, k, groups=3)
    x = (x - x.min()) / (x.max() - x.min())
    return x[0, :, 6:6 + h, 6:6 + w].contiguous()


def _shifted_clip(dx: int, n: int = 3) -> torch.Tensor:
    """Frames of one texture moving right by ``dx`` pixels per frame."""
    big = _texture(64, 80 + dx * n)
    return torch.stack([big[:, :, dx * (n - t): dx * (n - t) + 80] for t in range(n)])


def test_farneback_direction_convention() -> None:
    clip = _shifted_clip(2)
    flow = farneback(to_gray_u8(clip[0]), to_gray_u8(clip[1]))
    inner = flow[16:-16, 16:-16]
    # Content moves right: pixel p of frame 0 is found at p + (2, 0) in frame 1.
    assert abs(float(np.median(inner[..., 0])) - 2.0) < 0.2
    assert abs(float(np.median(inner[..., 1]))) < 0.2


def test_tof_hand_computed_from_flows_and_region() -> None:
    gt = np.zeros((4, 6, 2), np.float32)
    sr = np.zeros_like(gt)
    sr[..., 0], sr[..., 1] = 3.0, 4.0  # |(3, 4)| = 5 everywhere
    assert tof_from_flows(gt, sr) == pytest.approx(5.0)
    sr[1:3, 2:4] = 0.0
    assert tof_from_flows(gt, sr) == pytest.approx(5.0 * 20 / 24)
    assert tof_from_flows(gt, sr, Region(1, 2, 2, 2)) == 0.0


def test_tof_invariants() -> None:
    clip = _shifted_clip(2, n=3)
    assert tof(clip, clip) == 0.0
    # A static SR of a moving GT misses the whole motion (|flow| ~ 2 inside).
    static = clip[:1].repeat(3, 1, 1, 1)
    assert 1.0 < tof(static, clip, Region(16, 16, 32, 48)) < 2.5
    # A one-pixel spatial shift of every SR frame keeps the motion: tOF stays small.
    shifted = torch.roll(clip, shifts=1, dims=3)
    assert tof(shifted, clip, Region(16, 16, 32, 48)) < 0.3


def test_tflicker_hand_computed() -> None:
    gt = torch.full((2, 3, 8, 8), 0.5, dtype=torch.float64)
    sr = gt.clone()
    sr[1] += 10 / 255  # SR brightens by 10 levels, GT does not: Y jumps by 219*10/255
    assert tflicker(sr, gt) == pytest.approx(219 * 10 / 255)
    # SR changing exactly as GT does is zero, even with a constant offset.
    assert tflicker_pair(gt[0] + 0.1, gt[1] + 0.1, gt[0], gt[1]) == pytest.approx(0.0, abs=1e-9)
    sr[1, :, :, :4] = 0.5  # only the right half (columns 4..7) flickers
    assert tflicker(sr, gt, Region(0, 0, 8, 4)) == pytest.approx(0.0, abs=1e-9)


def test_noc_mask_hand_computed() -> None:
    fw = np.zeros((8, 8, 2), np.float32)
    fw[..., 0] = 2.0
    consistent = -fw
    assert bool(noc_mask(fw, consistent).all())
    # Inconsistent backward flow: |2 + 2|^2 = 16 > 0.01 * (4 + 4) + 0.5 -> occluded.
    assert not bool(noc_mask(fw, fw.copy()).any())
    # Small inconsistency within the 0.5 slack stays visible.
    near = -fw
    near[..., 1] = 0.6  # |(0, 0.6)|^2 = 0.36 <= 0.01 * (4 + 4.36) + 0.5
    assert bool(noc_mask(fw, near).all())


def test_ewarp_hand_computed_static_flow() -> None:
    zero = np.zeros((8, 8, 2), np.float32)
    sr0 = torch.full((3, 8, 8), 0.4, dtype=torch.float64)
    sr1 = sr0 + 0.1  # every RGB value differs by 0.1: 3 * 0.01 per pixel
    assert ewarp_from_flows(sr0, sr1, zero, zero) == pytest.approx(0.03)
    inconsistent = zero.copy()
    fw = zero.copy()
    fw[..., 0] = 2.0
    inconsistent[..., 0] = 2.0
    assert ewarp_from_flows(sr0, sr1, fw, inconsistent) is None  # all pixels occluded


def test_ewarp_follows_gt_motion() -> None:
    clip = _shifted_clip(2, n=3)
    region = Region(16, 16, 32, 48)
    assert ewarp(clip, clip, region) < 2e-3  # SR moving as GT warps onto itself
    flicker = clip.clone()
    flicker[1] = (flicker[1] + 0.1).clamp(0, 1)
    assert ewarp(flicker, clip, region) > 5 * ewarp(clip, clip, region) + 0.01


def test_tlp_hand_computed_and_zero() -> None:
    lp = LPIPS("alex")
    clip = _shifted_clip(2, n=3)
    assert tlp(clip, clip, lp) == 0.0
    static = clip[:1].repeat(3, 1, 1, 1)  # SR pairs identical: tLP = 100 * LPIPS(gt pair)
    with torch.no_grad():
        d = lp(clip[0:1], clip[1:2]).item()
    assert tlp_pair(lp, static[0], static[1], clip[0], clip[1]) == pytest.approx(100 * d, rel=1e-5)


def test_clip_shape_errors() -> None:
    with pytest.raises(ValueError, match="T >= 2"):
        tof(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))
    with pytest.raises(ValueError, match="equal shape"):
        tflicker(torch.rand(2, 3, 8, 8), torch.rand(3, 3, 8, 8))
