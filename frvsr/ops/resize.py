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

`imresize` is one dense interpolation matrix per axis (weights computed in float64) applied
with matmuls. `upsample_bicubic_phase0` applies 4-tap kernels per axis (one kernel per output
phase, weights computed in float64) after replicate padding: no size-dependent Python, so it
exports to ONNX with symbolic height and width (`frvsr.export`). Both are exact,
differentiable, run on any device and work on any `...,C,H,W` float tensor.
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["imresize", "upsample_bicubic_phase0", "upsample_phase0_taps", "cubic"]


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


def _phase0_taps(scale: int) -> Tensor:
    """(scale, 4) float64 Keys (a=-0.5) weights: row d interpolates HR pixel s*i + d at LR
    coordinate i + d/s from LR pixels i-1, i, i+1, i+2 (row 0 is 0, 1, 0, 0: LR pixel i lands
    on HR pixel s*i unchanged). Not cached: under torch.export a cached tensor would be a
    tracing placeholder."""
    t = torch.arange(scale, dtype=torch.float64)[:, None] / scale
    return cubic(torch.cat([1 + t, t, 1 - t, 2 - t], dim=1))


def upsample_phase0_taps(x: Tensor, taps: Tensor) -> Tensor:
    """Phase-0 aligned upscale of `...,h,w` by `s = taps.shape[0]` with 4-tap kernels.

    `taps` (s, 4): weights of LR pixels i-1, i, i+1, i+2 for HR pixel s*i + d (row d).
    Out-of-range taps take the edge pixel (replicate padding, the convention of
    `torch.nn.functional.interpolate`), so the last s-1 HR rows extrapolate flatly.
    Rows first, then columns, in x's dtype; output `...,s*h,s*w`. Only pad, slice, matmul
    and reshape on symbolic sizes, so it exports to ONNX with dynamic height and width.
    """
    s = taps.shape[0]
    h, w = x.shape[-2], x.shape[-1]
    kt = taps.to(device=x.device, dtype=x.dtype).transpose(0, 1)  # 4,s
    y = F.pad(x.reshape(-1, 1, h, w), (1, 2, 1, 2), mode="replicate").squeeze(1)  # n,h+3,w+3
    # The 4 row taps of every LR row, times the s phase kernels: HR rows s*i + d.
    rows = torch.stack([y[:, j : j + h] for j in range(4)], dim=-1) @ kt  # n,h,w+3,s
    rows = rows.transpose(-1, -2).reshape(-1, h * s, w + 3)
    cols = torch.stack([rows[:, :, j : j + w] for j in range(4)], dim=-1) @ kt  # n,s*h,w,s
    return cols.reshape(*x.shape[:-2], h * s, w * s)


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
    if x.dim() < 2:
        raise ValueError(f"resize expects a tensor shaped ...,H,W, got shape {tuple(x.shape)}")
    return upsample_phase0_taps(x, _phase0_taps(int(scale)))
