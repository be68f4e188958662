"""Evaluation metrics (pure torch / numpy / OpenCV; no Lightning, Hydra or wandb).

See docs/evaluation.md for the exact conventions. ``frvsr.metrics.specs`` is the metric
table every consumer reads (name, kind, direction, unit, display format, convention).
"""
from frvsr.metrics.fidelity import psnr_rgb, psnr_y, rgb_to_y, ssim_rgb, ssim_y
from frvsr.metrics.perceptual import LPIPS
from frvsr.metrics.specs import MetricSpec, register
from frvsr.metrics.temporal import Region, ewarp, tflicker, tlp, tof

__all__ = ["LPIPS", "MetricSpec", "Region", "ewarp", "psnr_rgb", "psnr_y", "register",
           "rgb_to_y", "ssim_rgb", "ssim_y", "tflicker", "tlp", "tof"]
