"""Evaluation metrics (pure torch / numpy / OpenCV; no Lightning, Hydra or wandb).

See docs/evaluation.md for the exact conventions.
"""
from frvsr.metrics.fidelity import psnr_rgb, psnr_y, rgb_to_y, ssim_rgb, ssim_y
from frvsr.metrics.perceptual import LPIPS
from frvsr.metrics.temporal import Region, ewarp, tflicker, tlp, tof

__all__ = ["LPIPS", "Region", "ewarp", "psnr_rgb", "psnr_y", "rgb_to_y",
           "ssim_rgb", "ssim_y", "tflicker", "tlp", "tof"]
