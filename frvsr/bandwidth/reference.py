"""The reference clip and its low-resolution version, written once as lossless work files.

The reference is the input's frames ``start .. start+frames-1`` (all by default),
optionally resized to ``height`` rows first (OpenCV area filter, width keeping the aspect
ratio), then cropped at the bottom/right to a multiple of the scale (of ``2 * scale`` for
odd scales, so every full-resolution size is even, as yuv420p and VMAF need). The
low-resolution clip is the reference degraded with ``frvsr.data.degradations.degrade``
(the model's own degradation, e.g. ``bd_tecogan``: Gaussian blur + phase-0 sampling; or
``bi``: MATLAB-style antialiased bicubic), clamped and rounded to uint8 as in evaluation.
An odd low-resolution size is padded to even by the H.264 encoder (repeating the last
row/column) and cropped back after decoding.

Both are written as FFV1 in RGB (``bgr0``, exact: a decoded frame equals the written
one), frame by frame; nothing holds the whole clip in memory.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from frvsr.data.degradations import check_degradation, degrade
from frvsr.errors import ConfigError, DataError
from frvsr.io.images import to_float_tensor, to_uint8
from frvsr.io.video import VideoWriter, decode_frames, probe_video


@dataclass(frozen=True)
class Reference:
    """The study's reference (``path``) and its low-resolution version (``lr_path``).

    Sizes in pixels, ``fps`` in frames/s; ``duration_s`` = frames / fps (seconds)."""

    path: Path
    lr_path: Path
    width: int
    height: int
    lr_width: int
    lr_height: int
    frames: int
    fps: Fraction
    scale: int
    degradation: str

    @property
    def duration_s(self) -> float:
        return float(self.frames / self.fps)

    @property
    def pixel_rate(self) -> float:
        """Full-resolution pixels per second (px/s)."""
        return float(self.width * self.height * self.fps)

    def frames_hr(self) -> Iterator[np.ndarray]:
        """The reference frames, ``H,W,3`` uint8 RGB, in order (decoded from the work file)."""
        return decode_frames(self.path)

    def frames_lr(self) -> Iterator[np.ndarray]:
        """The low-resolution frames, ``h,w,3`` uint8 RGB, in order."""
        return decode_frames(self.lr_path)


def lossless_writer(path: Path, fps: Fraction) -> VideoWriter:
    """An exact RGB writer (FFV1, ``bgr0``) for work files."""
    return VideoWriter(path, fps, codec="ffv1", pix_fmt="bgr0")


def _crop_multiple(scale: int) -> int:
    return scale if scale % 2 == 0 else 2 * scale


def _resize(rgb: np.ndarray, height: int | None) -> np.ndarray:
    if height is None or height == rgb.shape[0]:
        return rgb
    width = max(1, round(rgb.shape[1] * height / rgb.shape[0]))
    return cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)


def prepare_reference(src: Path, work: Path, scale: int, degradation: str, start: int = 0,
                      frames: int | None = None, height: int | None = None) -> Reference:
    """Write ``work/reference.mkv`` and ``work/lr.mkv`` from ``src`` (streaming).

    Raises ``DataError`` for an input that is not a video or has fewer than 2 frames after
    ``start``, ``ConfigError`` for a size that leaves nothing after cropping."""
    check_degradation(scale, degradation)
    if start < 0 or (frames is not None and frames < 2):
        raise ConfigError(f"start={start} must be >= 0 and frames={frames} >= 2 (tOF needs "
                          "pairs of frames)")
    info = probe_video(src)
    multiple = _crop_multiple(scale)
    ref_path, lr_path = work / "reference.mkv", work / "lr.mkv"
    count, size, lr_size = 0, (0, 0), (0, 0)
    stop = None if frames is None else start + frames
    with lossless_writer(ref_path, info.fps) as ref_w, lossless_writer(lr_path, info.fps) as lr_w:
        for i, rgb in enumerate(decode_frames(src, stop)):
            if i < start:
                continue
            rgb = _resize(rgb, height)
            h, w = rgb.shape[0] - rgb.shape[0] % multiple, rgb.shape[1] - rgb.shape[1] % multiple
            if h < 4 * multiple or w < 4 * multiple:
                raise ConfigError(f"{src}: frames of {rgb.shape[1]}x{rgb.shape[0]} px are too "
                                  f"small for x{scale} (need at least {4 * multiple} px a side)")
            hr = np.ascontiguousarray(rgb[:h, :w])
            lr = to_uint8(degrade(to_float_tensor(hr), scale, degradation))
            ref_w.write(hr)
            lr_w.write(lr)
            count, size, lr_size = count + 1, (w, h), (lr.shape[1], lr.shape[0])
        if count < 2:
            raise DataError(f"{src}: only {count} frame(s) from frame {start} on; the ladder "
                            "needs at least 2 (lower start=)")
    return Reference(ref_path, lr_path, size[0], size[1], lr_size[0], lr_size[1], count,
                     Fraction(info.fps), scale, degradation)
