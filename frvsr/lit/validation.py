"""Validation helpers: per-clip metrics from `frvsr.metrics` and the kept sample clips."""
from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor

from frvsr.metrics import psnr_y, ssim_y
from frvsr.metrics.temporal import tflicker, tof


@dataclass
class ValSample:
    """One validation clip kept for logging: `T,C,h,w` LR and `T,C,H,W` SR/GT, on CPU."""

    key: str
    lr: Tensor
    sr: Tensor
    hr: Tensor


def clip_metrics(sr: Tensor, hr: Tensor, crop_border: int = 0) -> dict[str, float]:
    """Mean PSNR-Y / SSIM-Y over frames plus tFlicker and tOF of a `T,3,H,W` clip."""
    frames = range(sr.shape[0])
    psnr = [psnr_y(sr[t], hr[t], crop_border=crop_border) for t in frames]
    ssim = [ssim_y(sr[t], hr[t], crop_border=crop_border) for t in frames]
    out = {"psnr_y": sum(psnr) / len(psnr), "ssim_y": sum(ssim) / len(ssim)}
    if sr.shape[0] > 1:
        out["tflicker"] = float(tflicker(sr, hr))
        out["tof"] = float(tof(sr, hr))
    return out
