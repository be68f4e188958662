"""Temporal-consistency metrics: tOF, tLP, warping error and flicker.

Pair primitives (``*_pair``) score one consecutive pair (frame t-1, frame t) and are what
the streaming evaluator calls; the clip functions (``tof``, ``tlp``, ``ewarp``,
``tflicker``) take ``T,3,H,W`` float tensors in [0,1] and return the mean over pairs.

- Flow: OpenCV Farneback (pyr_scale 0.5, levels 3, winsize 15, iterations 3, poly_n 5,
  poly_sigma 1.2, flags 0) on 8-bit grayscale (``cv2.COLOR_RGB2GRAY`` of the frame
  rounded to uint8), always on full frames; a ``region`` crops the flow fields after.
- tOF (TecoGAN): mean over pixels of ||flow_gt - flow_sr||_2.
- tLP (TecoGAN): |LPIPS_alex(gt[t-1], gt[t]) - LPIPS_alex(sr[t-1], sr[t])|, returned x100.
- E_warp (Lai et al. 2018) with Farneback instead of FlowNet2: forward/backward flow on
  the GT pair, occlusion test of Ruder et al. 2016, squared RGB error between sr[t-1] and
  sr[t] warped back to t-1, averaged over non-occluded pixels. Warping is
  ``frvsr.ops.warp.flow_warp`` (bilinear, border padding), the project's only warp.
- tFlicker: mean |(sr[t] - sr[t-1]) - (gt[t] - gt[t-1])| on Y (0-255 scale).

Shapes and errors: frames are ``3,H,W`` and clips ``T,3,H,W`` float RGB, nominally in
[0,1] (flows see the frames clamped to [0,1] and rounded to uint8; tFlicker and E_warp use
the values as given), SR and GT of one size. The clip functions raise ``ValueError`` for
other shapes or T < 2; the pair functions check nothing (a size mismatch fails inside
OpenCV or torch). A ``region`` is applied by slicing: one reaching past the frame is
silently clipped to it. Names, kinds, directions and display formats of these metrics are
in the metric table, ``frvsr.metrics.specs``.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch import Tensor

from frvsr.metrics.fidelity import rgb_to_y
from frvsr.ops.warp import flow_warp

FARNEBACK_PARAMS = {"pyr_scale": 0.5, "levels": 3, "winsize": 15, "iterations": 3,
                    "poly_n": 5, "poly_sigma": 1.2, "flags": 0}
TLP_SCALE = 100.0


@dataclass(frozen=True)
class Region:
    """A rectangle ``[top:top+height, left:left+width]`` of a frame."""

    top: int
    left: int
    height: int
    width: int

    def slices(self) -> tuple[slice, slice]:
        return slice(self.top, self.top + self.height), slice(self.left, self.left + self.width)


def _crop(x: Tensor | np.ndarray, region: Region | None, hw_axes: tuple[int, int]):
    """Crop the two axes ``hw_axes`` of ``x`` to ``region`` (``None``: unchanged)."""
    if region is None:
        return x
    index: list[slice] = [slice(None)] * x.ndim
    index[hw_axes[0]], index[hw_axes[1]] = region.slices()
    return x[tuple(index)]


def to_gray_u8(frame: Tensor) -> np.ndarray:
    """``3,H,W`` RGB -> ``H,W`` uint8 gray as TecoGAN: clamp to [0,1], x255, round to uint8
    RGB, then ``cv2.COLOR_RGB2GRAY`` (0.299 R + 0.587 G + 0.114 B, rounded)."""
    rgb = (frame.detach().clamp(0, 1) * 255.0).round().to(torch.uint8).permute(1, 2, 0)
    return cv2.cvtColor(np.ascontiguousarray(rgb.cpu().numpy()), cv2.COLOR_RGB2GRAY)


def farneback(prev_gray: np.ndarray, next_gray: np.ndarray) -> np.ndarray:
    """Dense flow ``H,W,2`` float32 (x, y) in pixels such that ``prev(p) ~ next(p + flow(p))``.

    Two ``H,W`` uint8 images of one size; ``FARNEBACK_PARAMS`` (TecoGAN's metrics.py).
    """
    return cv2.calcOpticalFlowFarneback(prev_gray, next_gray, None, **FARNEBACK_PARAMS)


def tof_from_flows(flow_gt: np.ndarray, flow_sr: np.ndarray, region: Region | None = None) -> float:
    """tOF of one pair from its two ``H,W,2`` flows: the mean over the pixels of ``region``
    (default all) of ``||flow_gt - flow_sr||_2`` in float64. Pixels of the frames the flows
    were computed on (HR pixels for SR/GT); range [0, inf), 0 for equal flows."""
    diff = _crop(flow_gt, region, (0, 1)) - _crop(flow_sr, region, (0, 1))
    return float(np.mean(np.sqrt(np.sum(diff.astype(np.float64) ** 2, axis=-1))))


def tof_pair(sr0: Tensor, sr1: Tensor, gt0: Tensor, gt1: Tensor,
             region: Region | None = None) -> float:
    """tOF (TecoGAN) of the pair (t-1, t): Farneback flow t-1 -> t of the GT frames and of
    the SR frames (``3,H,W``, via :func:`to_gray_u8`), computed on full frames, compared
    inside ``region`` by :func:`tof_from_flows`. In HR pixels of mean flow difference, [0, inf);
    0 when SR moves exactly as GT (e.g. SR == GT). As TecoGAN's metrics.py and
    TecoGAN-PyTorch's ``compute_tOF`` (mean magnitude of the flow difference)."""
    flow_gt = farneback(to_gray_u8(gt0), to_gray_u8(gt1))
    flow_sr = farneback(to_gray_u8(sr0), to_gray_u8(sr1))
    return tof_from_flows(flow_gt, flow_sr, region)


def tlp_pair(lpips: torch.nn.Module, sr0: Tensor, sr1: Tensor, gt0: Tensor, gt1: Tensor,
             region: Region | None = None) -> float:
    """tLP (TecoGAN) of the pair (t-1, t): ``100 * |LPIPS(gt0, gt1) - LPIPS(sr0, sr1)|``.

    Frames ``3,H,W`` in [0,1], cropped to ``region`` before LPIPS; ``lpips`` is
    ``frvsr.metrics.LPIPS("alex")`` (v0.1), called without gradients. Stored and returned
    already x100 (``TLP_SCALE``; TecoGAN's tables report tLP x100), so [0, ~100] with
    LPIPS distances in about [0, 1]; 0 when SR changes perceptually as much as GT.
    """
    with torch.no_grad():
        d_gt = lpips(_crop(gt0, region, (1, 2))[None], _crop(gt1, region, (1, 2))[None])
        d_sr = lpips(_crop(sr0, region, (1, 2))[None], _crop(sr1, region, (1, 2))[None])
    return TLP_SCALE * abs(float(d_gt.item()) - float(d_sr.item()))


def _to_flow_tensor(flow: np.ndarray) -> Tensor:
    """``H,W,2`` numpy flow -> ``1,2,H,W`` float64 tensor for ``flow_warp``."""
    return torch.from_numpy(np.ascontiguousarray(flow.transpose(2, 0, 1)))[None].double()


def noc_mask(flow_fw: np.ndarray, flow_bw: np.ndarray) -> Tensor:
    """Non-occluded pixels of frame t-1 (Ruder et al. 2016 forward-backward check), ``H,W``
    bool: visible where ``|w_f + w_b(x + w_f)|^2 <= 0.01 (|w_f|^2 + |w_b(x + w_f)|^2) + 0.5``
    with ``w_f`` = ``flow_fw`` (t-1 -> t), ``w_b`` = ``flow_bw`` (t -> t-1), both ``H,W,2``;
    ``w_b(x + w_f)`` is sampled bilinearly with border padding (float64)."""
    fw = _to_flow_tensor(flow_fw)
    bw_at = flow_warp(_to_flow_tensor(flow_bw), fw)  # w_b(x + w_f(x))
    lhs = ((fw + bw_at) ** 2).sum(dim=1)
    rhs = 0.01 * ((fw**2).sum(dim=1) + (bw_at**2).sum(dim=1)) + 0.5
    return (lhs <= rhs)[0]


def ewarp_from_flows(sr0: Tensor, sr1: Tensor, flow_fw: np.ndarray, flow_bw: np.ndarray,
                     region: Region | None = None) -> float | None:
    """Warping error of the SR pair given GT flows t-1 -> t (``fw``) and t -> t-1 (``bw``).

    ``sr1`` (``3,H,W``) is warped back to t-1 with ``flow_fw`` (``frvsr.ops.warp.flow_warp``,
    bilinear, border padding, float64); the error is the squared L2 over RGB of
    ``sr0 - warped`` (values as given, [0,1] scale: range [0, 3]), averaged over the
    :func:`noc_mask` pixels inside ``region``. Raw value (tables show it x1e3). Returns
    ``None`` when every pixel of the region is occluded (no defined value).
    """
    warped = flow_warp(sr1[None].double(), _to_flow_tensor(flow_fw))[0]
    err = ((sr0.double() - warped) ** 2).sum(dim=0)
    mask = noc_mask(flow_fw, flow_bw)
    err, mask = _crop(err, region, (0, 1)), _crop(mask, region, (0, 1))
    n = int(mask.sum().item())
    return None if n == 0 else float(err[mask].sum().item() / n)


def ewarp_pair(sr0: Tensor, sr1: Tensor, gt0: Tensor, gt1: Tensor,
               region: Region | None = None) -> float | None:
    """E_warp of the pair (t-1, t) after Lai et al. 2018, with OpenCV Farneback on the GT
    frames (full frames, :func:`to_gray_u8`) instead of the paper's FlowNet2, so values are
    not comparable with the paper's: :func:`ewarp_from_flows` with the forward and backward
    GT flow. [0, 3], ``None`` when the region has no visible pixel."""
    g0, g1 = to_gray_u8(gt0), to_gray_u8(gt1)
    return ewarp_from_flows(sr0, sr1, farneback(g0, g1), farneback(g1, g0), region)


def tflicker_pair(sr0: Tensor, sr1: Tensor, gt0: Tensor, gt1: Tensor,
                  region: Region | None = None) -> float:
    """tFlicker of the pair (t-1, t): mean over the pixels of ``region`` of
    ``|(Y(sr1) - Y(sr0)) - (Y(gt1) - Y(gt0))|`` with ``Y`` = ``fidelity.rgb_to_y`` on the
    0-255 scale (BasicSR's BT.601 Y, not rounded). In Y levels; for inputs in [0,1] the
    range is [0, 438] (Y spans 16..235); 0 when SR changes exactly as GT does. frvsr's own
    definition (no TecoGAN counterpart)."""
    d = (rgb_to_y(sr1) - rgb_to_y(sr0)) - (rgb_to_y(gt1) - rgb_to_y(gt0))
    return float(_crop(d, region, (0, 1)).abs().mean().item())


def _check_clips(sr: Tensor, gt: Tensor) -> None:
    if sr.ndim != 4 or sr.shape[1] != 3 or sr.shape != gt.shape or sr.shape[0] < 2:
        raise ValueError(f"expected SR and GT clips T,3,H,W of equal shape with T >= 2, got "
                         f"{tuple(sr.shape)} and {tuple(gt.shape)}")


def _mean(values: list[float | None]) -> float:
    kept = [v for v in values if v is not None]
    if not kept:
        raise ValueError("no pair has a defined value (every pixel occluded)")
    return float(np.mean(kept))


def tof(sr: Tensor, gt: Tensor, region: Region | None = None) -> float:
    """Mean :func:`tof_pair` over the T-1 consecutive pairs of ``T,3,H,W`` clips: HR pixels
    of mean flow difference, [0, inf). ``ValueError`` for bad shapes or T < 2."""
    _check_clips(sr, gt)
    return _mean([tof_pair(sr[t - 1], sr[t], gt[t - 1], gt[t], region) for t in range(1, len(sr))])


def tlp(sr: Tensor, gt: Tensor, lpips: torch.nn.Module, region: Region | None = None) -> float:
    """Mean :func:`tlp_pair` (x100, as stored) over the T-1 consecutive pairs of ``T,3,H,W``
    clips; pass ``frvsr.metrics.LPIPS("alex")``. ``ValueError`` for bad shapes or T < 2."""
    _check_clips(sr, gt)
    return _mean([tlp_pair(lpips, sr[t - 1], sr[t], gt[t - 1], gt[t], region)
                  for t in range(1, len(sr))])


def ewarp(sr: Tensor, gt: Tensor, region: Region | None = None) -> float:
    """Mean :func:`ewarp_pair` over the pairs of ``T,3,H,W`` clips with a defined value
    (raw, [0, 3]). ``ValueError`` for bad shapes, T < 2, or when no pair has a visible
    pixel."""
    _check_clips(sr, gt)
    return _mean([ewarp_pair(sr[t - 1], sr[t], gt[t - 1], gt[t], region)
                  for t in range(1, len(sr))])


def tflicker(sr: Tensor, gt: Tensor, region: Region | None = None) -> float:
    """Mean :func:`tflicker_pair` over the T-1 consecutive pairs of ``T,3,H,W`` clips: Y
    levels (0-255 scale), [0, 438]. ``ValueError`` for bad shapes or T < 2."""
    _check_clips(sr, gt)
    return _mean([tflicker_pair(sr[t - 1], sr[t], gt[t - 1], gt[t], region)
                  for t in range(1, len(sr))])
