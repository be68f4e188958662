"""Streaming inference: frames in, SR frames out, through a trained generator (recurrent or
not) or a bicubic baseline. Shared by evaluation, upscaling, export and benchmarks.
Pure torch: never loads Lightning, Hydra, OmegaConf or wandb."""
from frvsr.inference.onnx_backend import OnnxUpscaler, onnx_upscaler
from frvsr.inference.upscaler import (
    BicubicUpscaler,
    FrameUpscaler,
    ModelUpscaler,
    bicubic_upscaler,
    model_upscaler,
)

__all__ = ["BicubicUpscaler", "FrameUpscaler", "ModelUpscaler", "OnnxUpscaler",
           "bicubic_upscaler", "model_upscaler", "onnx_upscaler"]
