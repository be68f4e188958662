"""PSNR and SSIM with BasicSR's conventions, on ``3,H,W`` float RGB tensors in [0,1].

- Y = 16 + 65.481 R + 128.553 G + 24.966 B (BT.601 studio range, 0-255 scale, not rounded).
- PSNR = 10 log10(255^2 / MSE), in float64; identical images give ``math.inf``.
- SSIM as MATLAB / BasicSR: 11x11 Gaussian window (sigma 1.5), C1 = (0.01*255)^2,
  C2 = (0.03*255)^2, "valid" filtering (no padding); RGB SSIM is the channel mean.
- ``crop_border`` pixels are removed from every edge before scoring.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

_Y_WEIGHTS = (65.481, 128.553, 24.966)


def _check(sr: Tensor, gt: Tensor, crop_border: int) -> None:
    if sr.ndim != 3 or sr.shape[0] != 3:
        raise ValueError(f"expected a 3,H,W RGB tensor, got shape {tuple(sr.shape)}")
    if sr.shape != gt.shape:
        raise ValueError(f"SR and GT shapes differ: {tuple(sr.shape)} vs {tuple(gt.shape)}")
    if crop_border < 0 or 2 * crop_border >= min(sr.shape[1:]):
        raise ValueError(
            f"crop_border={crop_border} leaves nothing of a {tuple(sr.shape[1:])} image")


def rgb_to_y(img: Tensor) -> Tensor:
    """``3,H,W`` (or ``...,3,H,W``) RGB in [0,1] -> Y on the 0-255 scale, float64."""
    x = img.to(torch.float64)
    w = x.new_tensor(_Y_WEIGHTS).view(3, 1, 1)
    return (x * w).sum(dim=-3) + 16.0


def _crop(x: Tensor, border: int) -> Tensor:
    return x[..., border: x.shape[-2] - border, border: x.shape[-1] - border] if border else x


def _psnr(a: Tensor, b: Tensor) -> float:
    mse = torch.mean((a - b) ** 2).item()
    return math.inf if mse == 0 else 10.0 * math.log10(255.0**2 / mse)


def psnr_y(sr: Tensor, gt: Tensor, crop_border: int = 0) -> float:
    """PSNR on the Y channel (0-255 scale); ``math.inf`` for identical inputs."""
    _check(sr, gt, crop_border)
    return _psnr(_crop(rgb_to_y(sr), crop_border), _crop(rgb_to_y(gt), crop_border))


def psnr_rgb(sr: Tensor, gt: Tensor, crop_border: int = 0) -> float:
    """PSNR over all RGB values on the 0-255 scale."""
    _check(sr, gt, crop_border)
    a = _crop(sr.to(torch.float64) * 255.0, crop_border)
    b = _crop(gt.to(torch.float64) * 255.0, crop_border)
    return _psnr(a, b)


def _gaussian_1d(size: int = 11, sigma: float = 1.5) -> Tensor:
    # cv2.getGaussianKernel(11, 1.5) (BasicSR uses its outer product; we filter separably).
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(r**2) / (2 * sigma**2))
    return g / g.sum()


def _ssim_plane(a: Tensor, b: Tensor) -> float:
    """MATLAB-style SSIM of two H,W float64 planes on the 0-255 scale (valid region)."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    if min(a.shape) < 11:
        raise ValueError(f"SSIM needs at least 11x11 pixels after cropping, got {tuple(a.shape)}; "
                         "use a smaller crop_border or drop ssim_* from metrics=")
    g = _gaussian_1d()
    col, row = g.view(1, 1, 11, 1), g.view(1, 1, 1, 11)

    def filt(x: Tensor) -> Tensor:
        # Separable 11x11 Gaussian, "valid" region only (no padding), as MATLAB's SSIM.
        y = torch.nn.functional.conv2d(x.view(1, 1, *x.shape), col)
        return torch.nn.functional.conv2d(y, row)[0, 0]

    mu_a, mu_b = filt(a), filt(b)
    var_a = filt(a * a) - mu_a**2
    var_b = filt(b * b) - mu_b**2
    cov = filt(a * b) - mu_a * mu_b
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2)
    return float((num / den).mean().item())


def ssim_y(sr: Tensor, gt: Tensor, crop_border: int = 0) -> float:
    """SSIM on the Y channel (0-255 scale), MATLAB/BasicSR conventions."""
    _check(sr, gt, crop_border)
    return _ssim_plane(_crop(rgb_to_y(sr), crop_border), _crop(rgb_to_y(gt), crop_border))


def ssim_rgb(sr: Tensor, gt: Tensor, crop_border: int = 0) -> float:
    """Mean over R, G, B of the per-channel SSIM on the 0-255 scale (as BasicSR)."""
    _check(sr, gt, crop_border)
    a = _crop(sr.to(torch.float64) * 255.0, crop_border)
    b = _crop(gt.to(torch.float64) * 255.0, crop_border)
    return sum(_ssim_plane(a[c], b[c]) for c in range(3)) / 3.0
