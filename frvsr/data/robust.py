"""Optional extra LR degradations for robust training: Gaussian noise, JPEG, H.264.

Applied after BI/BD to the LR clip only (HR stays clean), each with probability `prob`,
with draws from the sample's (seed, epoch, index) generator so resumed runs and any number
of workers see the same corruption. JPEG works frame by frame (OpenCV); H.264 encodes the
whole clip with PyAV (libx264, in memory), so it adds the temporal artefacts of real video.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch import Tensor

from frvsr.io.images import to_float_tensor, to_uint8
from frvsr.io.video import VideoWriter, decode_frames

__all__ = ["ExtraDegradations", "add_noise", "h264_roundtrip", "jpeg_roundtrip"]


def add_noise(clip: Tensor, sigma: float, rng: np.random.Generator) -> Tensor:
    """Additive white Gaussian noise of std `sigma` (in [0,1] units), clamped to [0,1]."""
    noise = torch.from_numpy(rng.standard_normal(clip.shape).astype(np.float32))
    return (clip + sigma * noise).clamp(0, 1)


def jpeg_roundtrip(clip: Tensor, quality: int) -> Tensor:
    """Encode every frame as JPEG at `quality` (1-100) and decode it again."""
    out = []
    for rgb in to_uint8(clip):
        ok, buf = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
        if not ok:
            raise RuntimeError(f"OpenCV could not JPEG-encode a {rgb.shape} frame")
        out.append(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    return to_float_tensor(np.stack(out))


def h264_roundtrip(clip: Tensor, crf: int) -> Tensor:
    """Encode the clip with libx264 at `crf` (yuv420p, even sizes padded) and decode it.

    In memory, untagged (`colors=None`: FFmpeg's default BT.601 conversion both ways), as
    this degradation has always been made, so seeded corruptions stay the same.
    """
    frames = to_uint8(clip)
    t, h, w = frames.shape[:3]
    buf = io.BytesIO()
    with VideoWriter(buf, 25, format="mp4", crf=crf, preset="veryfast", colors=None) as out:
        for rgb in frames:
            out.write(rgb)
    buf.seek(0)
    decoded = [f[:h, :w] for f in decode_frames(buf)]  # drop the padding of odd sizes
    if len(decoded) != t:
        raise RuntimeError(f"H.264 round trip returned {len(decoded)} frames for {t}")
    return to_float_tensor(np.stack(decoded))


@dataclass(frozen=True)
class ExtraDegradations:
    """Which extra corruptions to apply to training LR clips; ranges are sampled uniformly."""

    prob: float = 0.5
    noise_sigma: tuple[float, float] | None = None  # e.g. (0.0, 0.04)
    jpeg_quality: tuple[int, int] | None = None  # e.g. (30, 95)
    h264_crf: tuple[int, int] | None = None  # e.g. (18, 35)

    def __call__(self, lr: Tensor, rng: np.random.Generator) -> Tensor:
        if self.noise_sigma and rng.random() < self.prob:
            lr = add_noise(lr, float(rng.uniform(*self.noise_sigma)), rng)
        if self.jpeg_quality and rng.random() < self.prob:
            lr = jpeg_roundtrip(
                lr, int(rng.integers(self.jpeg_quality[0], self.jpeg_quality[1] + 1))
            )
        if self.h264_crf and rng.random() < self.prob:
            lr = h264_roundtrip(lr, int(rng.integers(self.h264_crf[0], self.h264_crf[1] + 1)))
        return lr
