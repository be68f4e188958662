"""PSNR/SSIM against hand-computed values, BasicSR's cv2-based SSIM, and invariants."""
from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
import torch

from frvsr.metrics.fidelity import psnr_rgb, psnr_y, rgb_to_y, ssim_rgb, ssim_y


def _gray(v: float, h: int = 16, w: int = 16) -> torch.Tensor:
    return torch.full((3, h, w), v, dtype=torch.float64)


def test_rgb_to_y_basicsr_coefficients() -> None:
    px = torch.tensor([1.0, 0.0, 0.0]).view(3, 1, 1)
    assert rgb_to_y(px).item() == pytest.approx(16 + 65.481)
    assert rgb_to_y(_gray(1.0, 1, 1)).item() == pytest.approx(235.0)  # white: studio range top


def test_psnr_y_hand_computed() -> None:
    # Grey shifted by 1/255 on every channel: Y moves by 219/255 everywhere.
    gt, sr = _gray(0.5), _gray(0.5 + 1 / 255)
    expected = 10 * math.log10(255**2 / (219 / 255) ** 2)
    assert psnr_y(sr.double(), gt.double()) == pytest.approx(expected, abs=1e-9)


def test_psnr_rgb_hand_computed() -> None:
    gt = torch.zeros(3, 4, 4, dtype=torch.float64)
    sr = gt.clone()
    sr[1, 2, 3] = 0.1  # one of 48 values off by 25.5
    assert psnr_rgb(sr, gt) == pytest.approx(10 * math.log10(255**2 / (25.5**2 / 48)), abs=1e-9)


def test_identical_is_inf_and_ssim_one() -> None:
    x = torch.rand(3, 24, 24)
    assert psnr_y(x, x) == math.inf and psnr_rgb(x, x) == math.inf
    assert ssim_y(x, x) == pytest.approx(1.0, abs=1e-12)
    assert ssim_rgb(x, x) == pytest.approx(1.0, abs=1e-12)


def test_crop_border_removes_edges() -> None:
    gt = torch.rand(3, 20, 20)
    sr = gt.clone()
    sr[:, 0, :] = 0.0  # only the first row differs
    assert math.isfinite(psnr_y(sr, gt)) and psnr_y(sr, gt, crop_border=1) == math.inf


def test_ssim_constant_images_closed_form() -> None:
    # Constant planes: variances and covariance vanish -> (2ab + C1) / (a^2 + b^2 + C1).
    a, b = 16 + 219 * 0.4, 16 + 219 * 0.5
    c1 = (0.01 * 255) ** 2
    expected = (2 * a * b + c1) / (a * a + b * b + c1)
    assert ssim_y(_gray(0.4).double(), _gray(0.5).double()) == pytest.approx(expected, abs=1e-12)


def _basicsr_ssim_cv2(img1: np.ndarray, img2: np.ndarray) -> float:
    """BasicSR's _ssim, written with cv2.filter2D (an independent code path)."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    k = cv2.getGaussianKernel(11, 1.5)
    win = np.outer(k, k.transpose())
    mu1 = cv2.filter2D(img1, -1, win)[5:-5, 5:-5]
    mu2 = cv2.filter2D(img2, -1, win)[5:-5, 5:-5]
    s1 = cv2.filter2D(img1**2, -1, win)[5:-5, 5:-5] - mu1**2
    s2 = cv2.filter2D(img2**2, -1, win)[5:-5, 5:-5] - mu2**2
    s12 = cv2.filter2D(img1 * img2, -1, win)[5:-5, 5:-5] - mu1 * mu2
    m = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1**2 + mu2**2 + c1) * (s1 + s2 + c2))
    return float(m.mean())


def test_ssim_matches_basicsr_cv2_formulation() -> None:
    g = torch.Generator().manual_seed(1)
    gt = torch.rand(3, 32, 40, generator=g)
    sr = (gt + 0.05 * torch.randn(3, 32, 40, generator=g)).clamp(0, 1)
    ref_y = _basicsr_ssim_cv2(rgb_to_y(sr).numpy(), rgb_to_y(gt).numpy())
    assert ssim_y(sr, gt) == pytest.approx(ref_y, abs=1e-10)
    a, b = sr.double().numpy() * 255, gt.double().numpy() * 255
    ref_rgb = np.mean([_basicsr_ssim_cv2(a[c], b[c]) for c in range(3)])
    assert ssim_rgb(sr, gt) == pytest.approx(ref_rgb, abs=1e-10)
    ref_c = _basicsr_ssim_cv2(rgb_to_y(sr).numpy()[2:-2, 2:-2], rgb_to_y(gt).numpy()[2:-2, 2:-2])
    assert ssim_y(sr, gt, crop_border=2) == pytest.approx(ref_c, abs=1e-10)


def test_one_pixel_shift_lowers_scores() -> None:
    g = torch.Generator().manual_seed(2)
    gt = torch.rand(3, 32, 32, generator=g)
    shifted = torch.roll(gt, shifts=1, dims=2)
    assert 0 < psnr_y(shifted, gt) < 20 and ssim_y(shifted, gt) < 0.5
    # Scores are symmetric in their arguments.
    assert psnr_y(shifted, gt) == pytest.approx(psnr_y(gt, shifted))
    assert ssim_y(shifted, gt) == pytest.approx(ssim_y(gt, shifted))


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        psnr_y(torch.rand(3, 8, 8), torch.rand(3, 8, 9))
    with pytest.raises(ValueError, match="3,H,W"):
        psnr_y(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))
    with pytest.raises(ValueError, match="crop_border"):
        psnr_y(torch.rand(3, 8, 8), torch.rand(3, 8, 8), crop_border=4)
    with pytest.raises(ValueError, match="11x11"):
        ssim_y(torch.rand(3, 10, 30), torch.rand(3, 10, 30))
