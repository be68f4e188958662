"""Optional extra LR degradations for robust training: Gaussian noise, JPEG, H.264.

Applied after BI/BD to the LR clip only (HR stays clean), each with probability `prob`,
with draws from the sample's (seed, epoch, index) generator so resumed runs and any number
of workers see the same corruption. JPEG works frame by frame (OpenCV); H.264 encodes the
whole clip with PyAV (libx264, in memory), so it adds the temporal artefacts of real video.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction

import av
import cv2
import numpy as np
import torch
from torch import Tensor

__all__ = ["ExtraDegradations", "add_noise", "h264_roundtrip", "jpeg_roundtrip"]


def _to_uint8(clip: Tensor) -> np.ndarray:
    """T,3,H,W float [0,1] -> T,H,W,3 uint8 RGB."""
    return (clip.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).numpy()


def _to_float(frames: np.ndarray) -> Tensor:
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255


def add_noise(clip: Tensor, sigma: float, rng: np.random.Generator) -> Tensor:
    """Additive white Gaussian noise of std `sigma` (in [0,1] units), clamped to [0,1]."""
    noise = torch.from_numpy(rng.standard_normal(clip.shape).astype(np.float32))
    return (clip + sigma * noise).clamp(0, 1)


def jpeg_roundtrip(clip: Tensor, quality: int) -> Tensor:
    """Encode every frame as JPEG at `quality` (1-100) and decode it again."""
    out = []
    for rgb in _to_uint8(clip):
        ok, buf = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
        if not ok:
            raise RuntimeError(f"OpenCV could not JPEG-encode a {rgb.shape} frame")
        out.append(cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1])
    return _to_float(np.stack(out))


def h264_roundtrip(clip: Tensor, crf: int) -> Tensor:
    """Encode the clip with libx264 at `crf` (yuv420p, even sizes padded) and decode it."""
    frames = _to_uint8(clip)
    t, h, w = frames.shape[:3]
    ph, pw = h + h % 2, w + w % 2  # 4:2:0 needs even sizes: pad by edge replication
    padded = np.pad(frames, ((0, 0), (0, ph - h), (0, pw - w), (0, 0)), mode="edge")
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=Fraction(25, 1))
        stream.width, stream.height, stream.pix_fmt = pw, ph, "yuv420p"
        stream.options = {"crf": str(int(crf)), "preset": "veryfast"}
        for rgb in padded:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
        out.mux(stream.encode())
    buf.seek(0)
    with av.open(buf, "r") as inp:
        decoded = [f.to_ndarray(format="rgb24")[:h, :w] for f in inp.decode(video=0)]
    if len(decoded) != t:
        raise RuntimeError(f"H.264 round trip returned {len(decoded)} frames for {t}")
    return _to_float(np.stack(decoded))


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
