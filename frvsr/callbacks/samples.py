"""Samples a person can read, from fixed validation clips, after every validation.

- `samples/step<step>_<i>.png`: the middle frame as labelled tiles, bicubic | SR | GT (centre
  crops), each with its PSNR-Y on the whole frame;
- `samples/step<step>_<i>.mp4`: a labelled split-screen, bicubic left and SR right, of the
  same clip with up to `video_frames` frames (more than validation scores), at the clip's
  own frame rate, written by `frvsr.io.splitscreen.split_screen` and
  `frvsr.io.video.VideoWriter` (as `frvsr.upscale compare=true`).

`<step>` is the module's iteration counter, as in checkpoint names and logged steps. With
a WandbLogger the grid and the video are also sent as `wandb.Image` / `wandb.Video(path)`.
"""
from __future__ import annotations

import copy
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import lightning as L
import numpy as np
import torch
from lightning.pytorch.loggers import WandbLogger
from lightning.pytorch.utilities import rank_zero_only
from torch import Tensor

from frvsr.data import bicubic_baseline
from frvsr.data.video_io import CachedVideo
from frvsr.io.images import to_uint8, write_png
from frvsr.io.splitscreen import split_screen
from frvsr.io.video import VideoWriter, h264_or_mpeg4, probe_video
from frvsr.lit.validation import ValSample
from frvsr.metrics.fidelity import psnr_y

DEFAULT_FPS = Fraction(25)  # frame folders carry no frame rate
MIN_FPS = 10


def _centre_crop(x: Tensor, size: int) -> Tensor:
    h, w = x.shape[-2:]
    top, left = max(0, (h - size) // 2), max(0, (w - size) // 2)
    return x[..., top : top + size, left : left + size]


def _bicubic(lr: Tensor, scale: int, degradation: str) -> Tensor:
    """The bicubic upscale aligned with `degradation` (plain bicubic when it is unknown)."""
    try:
        return bicubic_baseline(lr, scale, degradation).clamp(0.0, 1.0)
    except ValueError:
        return torch.nn.functional.interpolate(
            lr, scale_factor=scale, mode="bicubic", align_corners=False).clamp(0.0, 1.0)


def _fitting(options: tuple[str, ...], width: int) -> tuple[str, float]:
    """The first text of `options` that fits `width` px at font scale 0.4 (down to 0.3)."""
    for text in options:
        for scale in (0.4, 0.35, 0.3):
            if cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0] <= width - 6:
                return text, scale
    return options[-1], 0.3


def _labelled(tile: np.ndarray, lines: tuple[tuple[str, ...], ...]) -> np.ndarray:
    """`tile` under a black strip with one text per line (each line: long and short forms,
    the longest that fits the tile's width is drawn)."""
    height = 4 + 13 * len(lines)
    strip = np.zeros((height, tile.shape[1], 3), np.uint8)
    for row, options in enumerate(lines):
        text, scale = _fitting(options, tile.shape[1])
        cv2.putText(strip, text, (3, 12 + 13 * row), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return np.concatenate([strip, tile], axis=0)


def _psnr_text(x: Tensor, gt: Tensor, crop_border: int) -> tuple[str, ...]:
    value = psnr_y(x, gt, crop_border)
    return f"PSNR-Y {value:.2f} dB", f"{value:.2f} dB"


def make_grid(sample: ValSample, scale: int, degradation: str, crop: int, step: int = 0,
              crop_border: int = 0) -> np.ndarray:
    """Middle frame: bicubic upscale of LR | SR | GT (centre crops), labelled with PSNR-Y."""
    t = sample.sr.shape[0] // 2
    bicubic = _bicubic(sample.lr[t : t + 1].float(), scale, degradation)[0]
    sr, gt = sample.sr[t].float().clamp(0.0, 1.0), sample.hr[t].float()
    labels = [(("bicubic",), _psnr_text(bicubic, gt, crop_border)),
              ((f"SR, step {step}", "SR"), _psnr_text(sr, gt, crop_border)),
              (("GT",), (f"frame {t + 1} of {sample.sr.shape[0]}", f"frame {t + 1}"))]
    tiles = [_labelled(to_uint8(_centre_crop(x, crop)), text)
             for x, text in zip((bicubic, sr, gt), labels, strict=True)]
    return np.concatenate(tiles, axis=1)


def clip_fps(clip: Any) -> Fraction:
    """The frame rate of a validation clip's source video; frame folders: 25 fps."""
    if isinstance(getattr(clip, "hr", None), CachedVideo):
        try:
            return Fraction(probe_video(clip.hr.source).fps)
        except Exception:  # an unreadable rate must not stop training
            return DEFAULT_FPS
    return DEFAULT_FPS


@torch.no_grad()
def upscale_clip(pl_module: L.LightningModule, lr: Tensor) -> Tensor:
    """SR of an LR clip `T,3,h,w` frame by frame (recurrent models stream their state),
    with the weights validation uses; `T,3,H,W` on the CPU in [0,1]."""
    net = pl_module.inference_generator()
    frames, state = [], None
    for t in range(lr.shape[0]):
        x = lr[t : t + 1].to(pl_module.device, torch.float32)
        if pl_module.recurrent:
            sr, state = net.step(x, state)
        else:
            sr = net(x)
        frames.append(sr.float().clamp(0.0, 1.0).cpu())
    return torch.cat(frames)


def write_split_screen(bicubic: Tensor, sr: Tensor, path: Path, fps: Fraction | int,
                       label: str = "SR") -> int:
    """Encode `T,3,H,W` bicubic | SR clips as a labelled split-screen mp4; returns frames."""
    with VideoWriter(path, fps, codec=h264_or_mpeg4()) as out:
        for b, s in zip(bicubic, sr, strict=True):
            out.write(split_screen(to_uint8(b), to_uint8(s), ("bicubic", label)))
    return int(sr.shape[0])


class SampleLogger(L.Callback):
    """After each validation, write labelled grids and split-screen videos of the module's
    kept `val_samples` (the first validation clips).

    Args:
        crop: side of the centre crop (HR pixels) shown in the grid.
        video: also write the split-screen video (and log it to wandb).
        fps: frame rate of the videos; None: the clip's own (at least 10).
        video_frames: frames of the clip in the video (validation may score fewer).
    """

    def __init__(self, crop: int = 128, video: bool = True, fps: float | None = None,
                 video_frames: int = 30) -> None:
        self.crop, self.video, self.fps = crop, video, fps
        self.video_frames = video_frames
        self._clips: dict[int, tuple[Tensor, Tensor, Fraction]] = {}  # read once per run

    def _video_clip(self, trainer: L.Trainer, pl_module: L.LightningModule, index: int,
                    degradation: str) -> tuple[Tensor, Tensor, Fraction] | None:
        """(LR clip, its bicubic upscale, fps) of validation clip `index`, `video_frames`
        long, with validation's crop and degradation."""
        if index not in self._clips:
            val_set = getattr(getattr(trainer, "datamodule", None), "val_set", None)
            if val_set is None or not hasattr(val_set, "items") or index >= len(val_set):
                return None
            longer = copy.copy(val_set)  # shares the reader: same clip, crop and degradation
            longer.max_frames = max(self.video_frames, val_set.max_frames or 0)
            lr = longer[index]["lr"]
            clip = val_set.reader.clips[val_set.items[index][0]]
            fps = Fraction(self.fps).limit_denominator(1001) if self.fps else clip_fps(clip)
            bicubic = _bicubic(lr.float(), pl_module.scale, degradation)
            self._clips[index] = (lr, bicubic, max(fps, Fraction(MIN_FPS)))
        return self._clips[index]

    @rank_zero_only
    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        samples: list[ValSample] = getattr(pl_module, "val_samples", [])
        if trainer.sanity_checking or not samples:
            return
        out_dir = Path(trainer.default_root_dir) / "samples"
        out_dir.mkdir(parents=True, exist_ok=True)
        dm = getattr(trainer, "datamodule", None)
        degradation = str(getattr(dm, "degradation", "bi"))
        wandb_logs: dict[str, tuple[str, Any, str]] = {}
        step = int(getattr(pl_module, "iteration", trainer.global_step))
        border = int(getattr(pl_module, "val_crop_border", 0))
        for i, sample in enumerate(samples):
            grid = make_grid(sample, pl_module.scale, degradation, self.crop, step, border)
            stem = f"step{step:07d}_{i}"
            write_png(out_dir / f"{stem}.png", grid)
            wandb_logs[f"val/sample_{i}"] = ("image", grid, sample.key)
            clip = self._video_clip(trainer, pl_module, i, degradation) if self.video else None
            if clip is not None and clip[0].shape[0] > 1:
                lr, bicubic, fps = clip
                path = out_dir / f"{stem}.mp4"
                label = f"SR, step {step}" if bicubic.shape[-1] >= 192 else "SR"
                write_split_screen(bicubic, upscale_clip(pl_module, lr), path, fps, label)
                wandb_logs[f"val/video_{i}"] = ("video", path, sample.key)
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                _log_wandb(logger, wandb_logs, step)


def _log_wandb(logger: WandbLogger, items: dict[str, tuple[str, Any, str]], step: int) -> None:
    import wandb

    payload: dict[str, Any] = {}
    for name, (kind, value, caption) in items.items():
        if kind == "image":
            payload[name] = wandb.Image(value, caption=f"{caption}: bicubic | SR | GT")
        else:
            payload[name] = wandb.Video(str(value), caption=f"{caption}: bicubic | SR",
                                        format="mp4")
    # Same x-axis key as Lightning's WandbLogger (the iteration, as every logged metric).
    payload["trainer/global_step"] = step
    logger.experiment.log(payload)
