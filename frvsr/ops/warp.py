"""Flow warping and space/depth rearrangement: the project's only caller of ``grid_sample``.

Conventions (see docs/DESIGN.md):

* A flow is ``B,2,h,w`` in pixels, channel 0 = x (columns), channel 1 = y (rows).
* Flows are *backward*: pixel ``p`` of the current frame is found at ``p + flow(p)`` in the
  frame being warped, so ``flow_warp(prev, flow)`` moves ``prev`` onto the current frame.
* Pixel ``i`` has coordinate ``i`` (pixel centres on the integer grid). ``grid_sample`` is
  therefore called with ``align_corners=True``, where -1 and +1 are the centres of the first
  and last pixel; an integer flow then samples pixel centres exactly (no blur) and a zero
  flow is the identity. This is the convention of TecoGAN-PyTorch's ``backward_warp``, so
  its published weights see the same warps.
* Samples outside the frame take the nearest border pixel (``padding_mode="border"``).
"""
from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["WarpMode", "flow_warp", "upsample_flow", "space_to_depth", "depth_to_space"]


def _check_flow(x: Tensor, flow: Tensor) -> None:
    if x.dim() != 4 or flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError(
            f"flow_warp expects x B,C,H,W and flow B,2,H,W, got {tuple(x.shape)} and "
            f"{tuple(flow.shape)}"
        )
    if x.shape[0] != flow.shape[0] or x.shape[-2:] != flow.shape[-2:]:
        raise ValueError(
            f"flow_warp: x {tuple(x.shape)} and flow {tuple(flow.shape)} differ in batch or "
            "size; upsample the flow first (upsample_flow)"
        )


WarpMode = Literal["bilinear", "bicubic"]


def flow_warp(x: Tensor, flow: Tensor, mode: WarpMode = "bilinear") -> Tensor:
    """Sample ``x`` (``B,C,H,W``) at ``p + flow(p)`` for every pixel ``p``.

    ``flow`` is ``B,2,H,W`` in pixels (channel 0 = x). Border padding. Differentiable with
    respect to both ``x`` and ``flow``. ``mode="bilinear"`` (FRVSR's and TecoGAN's warp) or
    ``"bicubic"`` (``grid_sample``'s cubic convolution, a = -0.75): bilinear sampling at a
    fractional offset low-passes the warped image (at half a pixel it removes the highest
    frequency entirely), bicubic keeps more of it and may overshoot the input's range.

    Raises:
        ValueError: shapes that do not fit (see ``_check_flow``), an unknown ``mode``.
    """
    _check_flow(x, flow)
    if mode not in ("bilinear", "bicubic"):
        raise ValueError(f"flow_warp mode={mode!r}; use 'bilinear' or 'bicubic'")
    _, _, h, w = x.shape
    # Coordinates in at least float32: half precision cannot address a 1080p row exactly.
    dtype = torch.promote_types(x.dtype, torch.float32)
    flow = flow.to(dtype)
    ys = torch.arange(h, device=x.device, dtype=dtype).view(1, h, 1)
    xs = torch.arange(w, device=x.device, dtype=dtype).view(1, 1, w)
    # Pixel coordinates -> [-1, 1] with align_corners=True; a 1-pixel axis maps to 0.
    # torch.sym_max is max() on ints and stays symbolic under torch.export (ONNX export with
    # dynamic sizes), where Python's max() would have to guard on the size.
    gx = (xs + flow[:, 0]) * (2.0 / torch.sym_max(w - 1, 1)) - 1.0
    gy = (ys + flow[:, 1]) * (2.0 / torch.sym_max(h - 1, 1)) - 1.0
    if w == 1:  # exported sizes are >= 2, so export resolves these without a guard
        gx = torch.zeros_like(gx)
    if h == 1:
        gy = torch.zeros_like(gy)
    grid = torch.stack((gx, gy), dim=-1)  # B,H,W,2 as grid_sample wants (x first)
    out = F.grid_sample(
        x.to(dtype), grid, mode=mode, padding_mode="border", align_corners=True
    )
    return out.to(x.dtype)


def upsample_flow(flow: Tensor, scale: int) -> Tensor:
    """Resize a ``B,2,h,w`` flow to ``B,2,s*h,s*w`` (bilinear, ``align_corners=False``) and
    multiply its magnitudes by ``scale`` so they are in HR pixels."""
    if flow.dim() != 4 or flow.shape[1] != 2:
        raise ValueError(f"upsample_flow expects B,2,h,w, got {tuple(flow.shape)}")
    h, w = flow.shape[-2:]
    up = F.interpolate(flow, size=(h * scale, w * scale), mode="bilinear", align_corners=False)
    return up * scale


def space_to_depth(x: Tensor, scale: int) -> Tensor:
    """``B,C,s*h,s*w`` -> ``B,s*s*C,h,w`` in TensorFlow's channel order.

    Output channel ``(dy*s + dx)*C + c`` holds input pixel ``(s*i + dy, s*j + dx)`` of channel
    ``c`` (offset-major, colour-minor), as ``tf.nn.space_to_depth`` and TecoGAN do, so FRVSR
    checkpoints from TecoGAN-PyTorch see the channels in the order they were trained on. Note
    that this differs from ``torch.nn.functional.pixel_unshuffle`` (colour-major).
    """
    b, c, hh, ww = x.shape
    if hh % scale or ww % scale:
        raise ValueError(f"space_to_depth: size {hh}x{ww} is not divisible by scale {scale}")
    h, w = hh // scale, ww // scale
    y = x.reshape(b, c, h, scale, w, scale).permute(0, 3, 5, 1, 2, 4)
    return y.reshape(b, scale * scale * c, h, w)


def depth_to_space(x: Tensor, scale: int) -> Tensor:
    """Inverse of :func:`space_to_depth` (TensorFlow channel order): ``B,s*s*C,h,w`` ->
    ``B,C,s*h,s*w``."""
    b, cc, h, w = x.shape
    if cc % (scale * scale):
        raise ValueError(f"depth_to_space: {cc} channels are not divisible by {scale}**2")
    c = cc // (scale * scale)
    y = x.reshape(b, scale, scale, c, h, w).permute(0, 3, 4, 1, 5, 2)
    return y.reshape(b, c, h * scale, w * scale)
