"""Evaluation metrics (pure torch / numpy / OpenCV; no Lightning, Hydra or wandb).

See docs/evaluation.md for the exact conventions.
"""
from frvsr.metrics.fidelity import psnr_rgb, psnr_y, rgb_to_y, ssim_rgb, ssim_y
from frvsr.metrics.perceptual import LPIPS

__all__ = ["LPIPS", "psnr_rgb", "psnr_y", "rgb_to_y", "ssim_rgb", "ssim_y"]
