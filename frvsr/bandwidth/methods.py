"""What the client shows: decoded rungs as frame streams, upscaled by each method.

Every stream yields ``H,W,3`` uint8 RGB frames one at a time (no clip in memory):

- ``full``: the full-resolution rung, decoded (cropped to the reference size);
- ``sr`` / ``sr_adapted``: the low-resolution rung decoded and upscaled by an frvsr model
  through the streaming upscaler (:class:`frvsr.inference.upscaler.ModelUpscaler`), its
  recurrent state reset at the first frame and at every scene cut the training detector
  (:class:`frvsr.data.scenes.CutDetector`) finds in the decoded LR frames, as
  ``frvsr.upscale`` does. The SR frames are scored as shown, not re-encoded;
- ``bicubic``: :class:`frvsr.inference.upscaler.BicubicUpscaler` matched to the
  degradation (phase-0 bicubic for ``bd_*``, MATLAB ``imresize`` for ``bi``);
- ``lanczos``: OpenCV's Lanczos (``cv2.INTER_LANCZOS4``: a = 4, 8x8 taps; FFmpeg's swscale
  ``lanczos`` defaults to a = 3) through ``cv2.remap`` on the grid of the degradation:
  HR pixel ``x`` samples LR position ``x / s`` for ``bd_*`` (phase 0, where the LR
  samples sit) and ``(x + 0.5) / s - 0.5`` for ``bi`` (centre aligned, what players and
  ``ffmpeg -vf scale=...:flags=lanczos`` assume for a centre-aligned downscale). Aligned
  this way no method loses points to a sub-pixel shift that a real sender/player pair
  would not have. Edges replicate.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

from frvsr.data.scenes import CutDetector
from frvsr.inference.upscaler import BicubicUpscaler, FrameUpscaler
from frvsr.io.images import to_float_tensor, to_uint8
from frvsr.io.video import decode_frames

LR_METHODS = ("sr", "bicubic", "lanczos")
LABELS = {"full": "full-res", "sr": "LR+SR", "sr_adapted": "LR+SR adapted",
          "bicubic": "LR+bicubic", "lanczos": "LR+Lanczos"}


def decoded(path: Path, width: int, height: int) -> Iterator[np.ndarray]:
    """Frames of an encode, cropped to ``width x height`` (the encoder pads odd sizes)."""
    for rgb in decode_frames(path):
        yield np.ascontiguousarray(rgb[:height, :width])


def model_frames(lr: Iterable[np.ndarray], upscaler: FrameUpscaler,
                 scene_threshold: float) -> Iterator[np.ndarray]:
    """LR frames through a streaming upscaler, reset at the start and at scene cuts."""
    detector = CutDetector(scene_threshold)
    upscaler.reset()
    for rgb in lr:
        if detector(rgb):
            upscaler.reset()  # a new shot: never warp the previous one into it
        yield to_uint8(upscaler(to_float_tensor(rgb)[None])[0])


def bicubic_frames(lr: Iterable[np.ndarray], scale: int, degradation: str
                   ) -> Iterator[np.ndarray]:
    """LR frames upscaled by the bicubic that matches the degradation's grid."""
    up = BicubicUpscaler(scale, degradation)
    for rgb in lr:
        yield to_uint8(up(to_float_tensor(rgb)[None])[0])


def lanczos_maps(h: int, w: int, scale: int, degradation: str
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``cv2.remap`` maps (``s*h, s*w`` float32) from HR pixels to LR positions."""
    def grid(n: int) -> np.ndarray:
        x = np.arange(n * scale, dtype=np.float64)
        pos = x / scale if degradation != "bi" else (x + 0.5) / scale - 0.5
        return pos.astype(np.float32)

    gx, gy = grid(w), grid(h)
    return np.broadcast_to(gx[None, :], (h * scale, w * scale)).copy(), \
        np.broadcast_to(gy[:, None], (h * scale, w * scale)).copy()


def lanczos_frames(lr: Iterable[np.ndarray], scale: int, degradation: str
                   ) -> Iterator[np.ndarray]:
    """LR frames upscaled with OpenCV Lanczos-4 on the degradation's grid."""
    maps: tuple[np.ndarray, np.ndarray] | None = None
    for rgb in lr:
        if maps is None:
            maps = lanczos_maps(rgb.shape[0], rgb.shape[1], scale, degradation)
        yield cv2.remap(rgb, maps[0], maps[1], interpolation=cv2.INTER_LANCZOS4,
                        borderMode=cv2.BORDER_REPLICATE)
