"""Bicubic resizing with the two grid conventions super-resolution needs.

`imresize(x, scale)` reproduces MATLAB's `imresize(..., 'bicubic')` (Keys cubic, a=-0.5,
antialiasing when downscaling, symmetric edge handling). The grids are *centre aligned*:
output pixel j (0-based) covers input coordinate (j + 0.5) / scale - 0.5. This is the BI
degradation every SR paper's table uses, and its matching bicubic upscale.

`upsample_bicubic_phase0(x, scale)` is the inverse alignment of phase-0 sampling (the BD
degradation keeps HR rows/columns 0, s, 2s, ...): LR pixel i sits on HR pixel s*i, so HR
pixel j is interpolated at LR coordinate j / s. A centre-aligned upscale of such frames is
shifted by (s - 1) / 2 HR pixels and loses about 2 dB for reasons that have nothing to do
with super-resolution.

Both are written as one dense interpolation matrix per axis (weights computed in float64)
applied with matmuls, so they are exact, differentiable, run on any device and work on any
`...,C,H,W` float tensor.
"""

from __future__ import annotations

import functools
import math

import torch
from torch import Tensor

__all__ = ["imresize", "upsample_bicubic_phase0", "cubic"]


def cubic(x: Tensor, a: float = -0.5) -> Tensor:
    """Keys' cubic convolution kernel; a=-0.5 is MATLAB's choice (torch uses -0.75)."""
    ax = x.abs()
    ax2, ax3 = ax * ax, ax * ax * ax
    near = (a + 2) * ax3 - (a + 3) * ax2 + 1
    far = a * ax3 - 5 * a * ax2 + 8 * a * ax - 4 * a
    return torch.where(ax <= 1, near, torch.where(ax < 2, far, torch.zeros_like(ax)))


def _symmetric_index(idx: Tensor, n: int) -> Tensor:
    """MATLAB's 'symmetric' padding: ... 1 0 | 0 1 ... n-1 | n-1 n-2 ... (edge repeated)."""
    period = 2 * n
    idx = torch.remainder(idx, period)
    return torch.where(idx < n, idx, period - 1 - idx)


@functools.lru_cache(maxsize=64)  # datasets resize the same crop sizes over and over
def _imresize_matrix(in_len: int, out_len: int, scale: float) -> Tensor:
    """(out_len, in_len) float64 matrix of MATLAB `contributions` for one axis."""
    kernel_width = 4.0
    if scale < 1:  # antialiasing: stretch the kernel by 1/scale and lower its height
        kernel_width /= scale
    # 1-based output coordinates mapped to 1-based input coordinates, as in MATLAB.
    x = torch.arange(1, out_len + 1, dtype=torch.float64)
    u = x / scale + 0.5 * (1 - 1 / scale)
    left = torch.floor(u - kernel_width / 2)
    taps = math.ceil(kernel_width) + 2
    ind = left[:, None] + torch.arange(taps, dtype=torch.float64)[None, :]
    dist = u[:, None] - ind
    weights = scale * cubic(scale * dist) if scale < 1 else cubic(dist)
    weights = weights / weights.sum(dim=1, keepdim=True)
    cols = _symmetric_index(ind.long() - 1, in_len)
    mat = torch.zeros(out_len, in_len, dtype=torch.float64)
    mat.scatter_add_(1, cols, weights)
    return mat


@functools.lru_cache(maxsize=64)
def _phase0_matrix(in_len: int, scale: int) -> Tensor:
    """(scale*in_len, in_len) matrix: HR pixel j interpolated at LR coordinate j/scale.

    Out-of-range taps are clamped to the edge pixel (replicate), the convention of
    `torch.nn.functional.interpolate`; the last s-1 HR rows extrapolate flatly.
    """
    out_len = in_len * scale
    u = torch.arange(out_len, dtype=torch.float64) / scale
    base = torch.floor(u)
    ind = base[:, None] + torch.arange(-1, 3, dtype=torch.float64)[None, :]
    weights = cubic(u[:, None] - ind)
    cols = ind.long().clamp(0, in_len - 1)
    mat = torch.zeros(out_len, in_len, dtype=torch.float64)
    mat.scatter_add_(1, cols, weights)
    return mat


def _apply(x: Tensor, mat_h: Tensor, mat_w: Tensor) -> Tensor:
    """Apply per-axis matrices to the last two dims in x's dtype (float64 weights, rounded
    once; float32 stays within ~1e-7 of the float64 result, half the time of float64)."""
    if x.dim() < 2:
        raise ValueError(f"resize expects a tensor shaped ...,H,W, got shape {tuple(x.shape)}")
    # The cached matrices are shared: `.to` returns a new tensor or the same one unmodified
    # (matmul does not write into its inputs).
    mat_h = mat_h.to(device=x.device, dtype=x.dtype)
    mat_w = mat_w.to(device=x.device, dtype=x.dtype)
    return torch.matmul(torch.matmul(mat_h, x), mat_w.transpose(0, 1))


def imresize(x: Tensor, scale: float) -> Tensor:
    """MATLAB-compatible bicubic resize of `...,H,W` float tensors (values are not clipped).

    `scale` < 1 downscales with antialiasing (0.25 for x4 BI), > 1 upscales. Output size is
    `ceil(H * scale), ceil(W * scale)`, as in MATLAB.
    """
    if not x.is_floating_point():
        raise TypeError(
            f"imresize expects a float tensor, got {x.dtype}; convert with x.float() / 255"
        )
    if scale <= 0:
        raise ValueError(f"imresize scale must be > 0, got {scale}")
    h, w = x.shape[-2], x.shape[-1]
    out_h, out_w = math.ceil(h * scale - 1e-9), math.ceil(w * scale - 1e-9)
    return _apply(x, _imresize_matrix(h, out_h, scale), _imresize_matrix(w, out_w, scale))


def upsample_bicubic_phase0(x: Tensor, scale: int) -> Tensor:
    """Bicubic x`scale` upscale of `...,C,h,w` where LR pixel i sits on HR pixel scale*i.

    Use it to invert (or skip-connect around) BD-style phase-0 subsampling
    (`hr[..., ::s, ::s]` after a blur). Output `...,C,s*h,s*w`; differentiable.
    """
    if not x.is_floating_point():
        raise TypeError(f"upsample_bicubic_phase0 expects a float tensor, got {x.dtype}")
    if int(scale) != scale or scale < 1:
        raise ValueError(f"upsample_bicubic_phase0 scale must be a positive integer, got {scale}")
    scale = int(scale)
    h, w = x.shape[-2], x.shape[-1]
    return _apply(x, _phase0_matrix(h, scale), _phase0_matrix(w, scale))
