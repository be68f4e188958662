"""Validation helpers: per-clip metrics from the metric table, the kept sample clips, LPIPS
for the GAN stage, and the console comparison of the model with the bicubic baseline."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from frvsr.metrics import specs
from frvsr.metrics.recurrence import recurrence_gain


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


RECURRENCE_GAIN = "recurrence_gain"
NO_MEMORY = "psnr_y_no_memory"


def recurrence_metrics(generator: torch.nn.Module, lr: Tensor, hr: Tensor, sr: Tensor,
                       crop_border: int = 0) -> dict[str, float]:
    """`{"recurrence_gain": dB, "psnr_y_no_memory": dB}` of a recurrent generator on one
    validation clip (`T,C,h,w` LR, `T,C,H,W` GT and its own SR with memory, [0,1]).

    recurrence_gain: mean PSNR-Y with the previous estimate minus with it zeroed at every
    frame (`frvsr.metrics.recurrence`); positive when the model uses its memory.
    psnr_y_no_memory: mean PSNR-Y of the same weights with the memory zeroed (BasicSR's
    PSNR-Y, `crop_border` cropped). Against a frame-by-frame run of the same backbone it
    tells a memory that adds little from a single-frame path that gave up quality to read
    it. Logged as `val/recurrence_gain` and `val/psnr_y_no_memory`."""
    gain = recurrence_gain(generator, lr.float(), hr.float(), sr=sr.float(),
                           crop_border=crop_border)
    alone = gain.without_memory
    return {RECURRENCE_GAIN: gain.mean, NO_MEMORY: float(sum(alone) / len(alone))}


# ---- the console view: model vs the bicubic baseline -------------------------------------
# Shown at every validation and in the final summary (LPIPS only where it was computed: GAN).
CONSOLE_METRICS = ("psnr_y", "tof", "tflicker", "lpips_alex")
DISPLAY_NAMES = {"psnr_y": "PSNR-Y", "ssim_y": "SSIM-Y", "tof": "tOF", "tflicker": "tFlicker",
                 "lpips_alex": "LPIPS-alex"}
BICUBIC_PREFIX = "val_bicubic/"


def split_metrics(logged: dict[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
    """`val/<name>` and `val_bicubic/<name>` of Lightning's callback metrics as two dicts."""
    model, bicubic = {}, {}
    for key, value in logged.items():
        if key.startswith("val/"):
            model[key[4:]] = float(value)
        elif key.startswith(BICUBIC_PREFIX):
            bicubic[key[len(BICUBIC_PREFIX):]] = float(value)
    return model, bicubic


def compare_line(model: dict[str, float], bicubic: dict[str, float]) -> str:
    """`PSNR-Y 29.12 vs 28.37 dB (+0.75, better) | tOF ...`: the model, the bicubic baseline
    on the same frames, the difference and whether it is better (each metric's direction)."""
    parts = []
    for name in CONSOLE_METRICS:
        if name not in model:
            continue
        spec = specs.get(name)
        unit, digits, value = (" dB" if spec.label == "dB" else ""), spec.digits, model[name]
        if name not in bicubic:
            parts.append(f"{DISPLAY_NAMES[name]} {value:.{digits}f}{unit}")
            continue
        delta = value - bicubic[name]
        shown = round(delta, digits)
        delta = delta if shown else 0.0  # no "-0.000"
        word = "same" if shown == 0 else (
            "better" if (shown > 0) == (spec.direction == "higher") else "worse")
        parts.append(f"{DISPLAY_NAMES[name]} {value:.{digits}f} vs {bicubic[name]:.{digits}f}"
                     f"{unit} ({delta:+.{digits}f}, {word})")
    if RECURRENCE_GAIN in model:  # recurrent models: does the memory pay?
        parts.append(f"recurrence gain {model[RECURRENCE_GAIN]:+.2f} dB")
    if NO_MEMORY in model:
        parts.append(f"{model[NO_MEMORY]:.2f} dB without memory")
    return " | ".join(parts)


class ValLPIPS:
    """LPIPS-alex for validation, built on first use without touching the training RNG
    (the weights are loaded, but building the layers draws random initial values). Kept
    outside the module's registry, so checkpoints do not change. `None` when its weight
    file is missing: validation then goes on without it, said once."""

    def __init__(self) -> None:
        self.net: Any = None
        self.failed = False

    def __call__(self, device: torch.device) -> Any:
        if self.net is None and not self.failed:
            from frvsr.errors import WeightsNotFoundError
            from frvsr.metrics.perceptual import LPIPS

            try:
                with torch.random.fork_rng(devices=[]):
                    self.net = LPIPS("alex")
            except WeightsNotFoundError as exc:
                self.failed = True
                from frvsr.lit.console import say

                say(f"validation without LPIPS: {exc}")
        if self.net is not None:
            self.net.to(device)
        return self.net


@torch.no_grad()
def lpips_mean(net: Any, sr: Tensor, hr: Tensor, chunk: int = 8) -> float:
    """Mean LPIPS distance over the frames of `T,3,H,W` clips in [0,1]."""
    values = [net(sr[i:i + chunk].float(), hr[i:i + chunk].float())
              for i in range(0, sr.shape[0], chunk)]
    return float(torch.cat([v.flatten() for v in values]).mean())
