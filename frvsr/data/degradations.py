"""Degradations HR -> LR (BI, BD) and the matching bicubic baselines LR -> HR.

Names used across the project (`VideoDataModule.degradation`, checkpoints, evaluation):

* ``bi``: MATLAB `imresize` bicubic downscale with antialiasing (centre-aligned grid).
* ``bd_tecogan``: Gaussian blur sigma 1.5, 9x9 kernel (1 + 2*int(3*sigma)) at every scale,
  as FRVSR and TecoGAN; then every s-th pixel at phase 0 (rows/columns 0, s, 2s, ...).
* ``bd_duf``: Gaussian blur 13x13, sigma 0.4*s (1.6 at x4), as the DUF/BasicVSR tables;
  then phase-0 sampling.

The blur uses reflect padding (kornia's ``reflect``: the edge pixel is not repeated).
HR frames whose height or width is not a multiple of the scale are cropped to one, keeping
the top-left corner (so phase 0 stays on HR pixel 0): see `crop_to_multiple`.
"""

from __future__ import annotations

import kornia
import torch
from torch import Tensor

from frvsr.data.errors import DataError
from frvsr.ops.resize import imresize, upsample_bicubic_phase0

__all__ = [
    "DEGRADATIONS",
    "SCALES",
    "bd_blur_params",
    "bd_kernel",
    "bicubic_baseline",
    "check_degradation",
    "crop_to_multiple",
    "degrade",
]

DEGRADATIONS = ("bi", "bd_tecogan", "bd_duf")
SCALES = (2, 3, 4)


def check_degradation(scale: int, kind: str) -> None:
    """Raise a one-line DataError for an unsupported scale or degradation name."""
    if kind not in DEGRADATIONS:
        raise DataError(f"unknown degradation {kind!r}; use one of {', '.join(DEGRADATIONS)}")
    if scale not in SCALES:
        raise DataError(f"unsupported scale {scale!r}; use one of {SCALES}")


def bd_blur_params(scale: int, kind: str) -> tuple[int, float]:
    """(kernel size, sigma) of a BD preset."""
    check_degradation(scale, kind)
    if kind == "bd_tecogan":
        sigma = 1.5
        return 1 + 2 * int(3 * sigma), sigma
    if kind == "bd_duf":
        return 13, 0.4 * scale
    raise DataError(f"degradation {kind!r} has no blur kernel; only bd_* presets do")


def bd_kernel(scale: int, kind: str) -> Tensor:
    """The normalised 2-D Gaussian kernel (k, k) of a BD preset (float64, sums to 1)."""
    size, sigma = bd_blur_params(scale, kind)
    sig = torch.tensor([[sigma, sigma]], dtype=torch.float64)
    return kornia.filters.get_gaussian_kernel2d((size, size), sig, dtype=torch.float64)[0]


def crop_to_multiple(hr: Tensor, scale: int) -> Tensor:
    """Crop `...,H,W` to the largest multiple of `scale`, keeping the top-left corner."""
    h, w = hr.shape[-2], hr.shape[-1]
    if h < scale or w < scale:
        raise DataError(f"frame of {w}x{h} px is smaller than the scale {scale}; use larger frames")
    return hr[..., : h - h % scale, : w - w % scale]


def _as_4d(x: Tensor) -> tuple[Tensor, torch.Size]:
    if x.dim() < 3:
        raise ValueError(f"expected a tensor shaped ...,C,H,W, got shape {tuple(x.shape)}")
    lead = x.shape[:-3]
    return x.reshape(-1, *x.shape[-3:]), lead


def degrade(hr: Tensor, scale: int, kind: str) -> Tensor:
    """HR `...,C,H,W` float in [0,1] -> LR `...,C,H/s,W/s` (HR first cropped to a multiple of s).

    BI output is not clipped (bicubic overshoots by a few 1e-3); callers that need [0,1]
    (datasets) clamp.
    """
    check_degradation(scale, kind)
    hr = crop_to_multiple(hr, scale)
    if kind == "bi":
        return imresize(hr, 1.0 / scale)
    x, lead = _as_4d(hr)
    size, sigma = bd_blur_params(scale, kind)
    blurred = kornia.filters.gaussian_blur2d(x, (size, size), (sigma, sigma), border_type="reflect")
    lr = blurred[..., ::scale, ::scale]
    return lr.reshape(*lead, *lr.shape[-3:])


def bicubic_baseline(lr: Tensor, scale: int, kind: str) -> Tensor:
    """The bicubic upscale that matches a degradation's grid: `...,C,h,w` -> `...,C,s*h,s*w`.

    ``bi``: MATLAB `imresize` upscale (centre aligned, the literature's bicubic numbers);
    ``bd_*``: phase-0 aligned bicubic (LR pixel i on HR pixel s*i). Not clipped.
    """
    check_degradation(scale, kind)
    if kind == "bi":
        return imresize(lr, float(scale))
    return upsample_bicubic_phase0(lr, scale)
