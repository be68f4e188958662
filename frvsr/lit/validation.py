"""Validation helpers: per-clip metrics from the metric table and the kept sample clips."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import Tensor

from frvsr.metrics import specs


@dataclass
class ValSample:
    """One validation clip kept for logging: `T,C,h,w` LR and `T,C,H,W` SR/GT, on CPU."""

    key: str
    lr: Tensor
    sr: Tensor
    hr: Tensor


def _crop(x: Tensor, border: int) -> Tensor:
    """``x`` (``...,H,W``) without ``border`` pixels on every edge (BasicSR's crop_border)."""
    if border < 0 or 2 * border >= min(x.shape[-2:]):
        raise ValueError(f"crop_border={border} leaves nothing of a {tuple(x.shape[-3:])} image")
    return x[..., border:x.shape[-2] - border, border:x.shape[-1] - border] if border else x


def clip_metrics(sr: Tensor, hr: Tensor, crop_border: int = 0) -> dict[str, float]:
    """The table's validation metrics (``MetricSpec.validation``: PSNR-Y, SSIM-Y, tOF,
    tFlicker) of a `T,3,H,W` clip in [0,1].

    Frame metrics: mean over frames, ``crop_border`` pixels cropped from every edge. Pair
    metrics (only when T > 1): mean over the defined values of the consecutive pairs, on
    whole frames (``crop_border`` does not apply to them); a metric with no defined pair
    is left out.
    """
    out: dict[str, float] = {}
    for spec in specs.validation_metrics():
        fn = spec.fn
        assert fn is not None  # the table checks it for validation metrics
        if spec.kind == "frame":
            values = [fn(_crop(sr[t], crop_border), _crop(hr[t], crop_border))
                      for t in range(sr.shape[0])]
            out[spec.name] = sum(values) / len(values)  # type: ignore[arg-type]
        elif sr.shape[0] > 1:
            pairs = [fn(sr[t - 1], sr[t], hr[t - 1], hr[t], None) for t in range(1, sr.shape[0])]
            kept = [v for v in pairs if v is not None]
            if kept:
                out[spec.name] = float(np.mean(kept))
    return out
