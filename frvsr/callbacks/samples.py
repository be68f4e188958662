"""Image grids (LR-bicubic | SR | GT) and short SR clips of fixed validation clips.

Written into the run folder (`samples/`) with every logger, and sent to wandb as
`wandb.Image` / `wandb.Video(path)` when a WandbLogger is active. Videos are encoded
with `frvsr.io.video.VideoWriter` (H.264 when available, else MPEG-4 Part 2), no moviepy.
"""
from __future__ import annotations

from pathlib import Path

import lightning as L
import numpy as np
import torch
from lightning.pytorch.loggers import WandbLogger
from lightning.pytorch.utilities import rank_zero_only
from torch import Tensor

from frvsr.data import bicubic_baseline
from frvsr.io.images import to_uint8, write_png
from frvsr.io.video import VideoWriter, h264_or_mpeg4
from frvsr.lit.validation import ValSample


def _centre_crop(x: Tensor, size: int) -> Tensor:
    h, w = x.shape[-2:]
    top, left = max(0, (h - size) // 2), max(0, (w - size) // 2)
    return x[..., top : top + size, left : left + size]


def make_grid(sample: ValSample, scale: int, degradation: str, crop: int) -> np.ndarray:
    """Middle frame: bicubic upscale of LR, SR and GT side by side (centre crops)."""
    t = sample.sr.shape[0] // 2
    try:
        bicubic = bicubic_baseline(sample.lr[t : t + 1], scale, degradation)[0]
    except ValueError:  # unknown degradation: plain bicubic still shows the input
        bicubic = torch.nn.functional.interpolate(
            sample.lr[t : t + 1], scale_factor=scale, mode="bicubic", align_corners=False
        )[0]
    panels = [_centre_crop(x, crop) for x in (bicubic, sample.sr[t], sample.hr[t])]
    return np.concatenate([to_uint8(p) for p in panels], axis=1)


def encode_video(frames: Tensor, path: Path, fps: int = 10) -> None:
    """Encode `T,3,H,W` [0,1] to an mp4 atomically (temp file + rename), frame by frame:
    H.264 (MPEG-4 Part 2 without libx264), yuv420p tagged BT.709, odd sizes padded."""
    with VideoWriter(path, fps, codec=h264_or_mpeg4()) as out:
        for frame in frames:
            out.write(to_uint8(frame))


class SampleLogger(L.Callback):
    """After each validation, log the module's kept `val_samples`.

    Args:
        crop: side of the centre crop (HR pixels) shown in the grid.
        video: also encode the SR clip (and log it to wandb).
        fps: frame rate of the clips.
    """

    def __init__(self, crop: int = 128, video: bool = True, fps: int = 10) -> None:
        self.crop = crop
        self.video = video
        self.fps = fps

    @rank_zero_only
    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        samples: list[ValSample] = getattr(pl_module, "val_samples", [])
        if trainer.sanity_checking or not samples:
            return
        out_dir = Path(trainer.default_root_dir) / "samples"
        out_dir.mkdir(parents=True, exist_ok=True)
        dm = getattr(trainer, "datamodule", None)
        degradation = str(getattr(dm, "degradation", "bi"))
        wandb_logs: dict[str, object] = {}
        step = int(getattr(pl_module, "iteration", trainer.global_step))
        for i, sample in enumerate(samples):
            grid = make_grid(sample, pl_module.scale, degradation, self.crop)
            stem = f"it{step:07d}_{i}"
            write_png(out_dir / f"{stem}.png", grid)
            wandb_logs[f"val/sample_{i}"] = ("image", grid, sample.key)
            if self.video and sample.sr.shape[0] > 1:
                video_path = out_dir / f"{stem}.mp4"
                encode_video(sample.sr, video_path, self.fps)
                wandb_logs[f"val/video_{i}"] = ("video", video_path, sample.key)
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                _log_wandb(logger, wandb_logs, trainer.global_step, self.fps)


def _log_wandb(logger: WandbLogger, items: dict[str, tuple], step: int, fps: int) -> None:
    import wandb

    payload = {}
    for name, (kind, value, caption) in items.items():
        if kind == "image":
            payload[name] = wandb.Image(value, caption=f"{caption}: bicubic | SR | GT")
        else:
            payload[name] = wandb.Video(str(value), caption=caption, format="mp4")
    # Same x-axis key as Lightning's WandbLogger, no explicit `step` (it must not go back).
    payload["trainer/global_step"] = step
    logger.experiment.log(payload)
