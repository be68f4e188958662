"""The ladder's encodes: libx264 through PyAV, 2-pass ABR (or CRF), measured bitrates.

Why PyAV and not the bundled ffmpeg binary: frames are already decoded, downscaled and
upscaled in this process, PyAV's libx264 takes x264's own two-pass options
(``x264-params=pass=1|2:stats=<file>``) and the target as the codec's ``b`` option, so
every encode streams frame by frame without a pipe or a second decoder; the encoder
settings are the same for every rung: ``preset`` (default ``medium``), yuv420p, BT.709
tags, a 2-second GOP (``gop_size = round(2 * fps)``, as streaming ladders segment), no
VBV cap. Pass 1 runs with the same preset (no x264 "fast first pass").

Measured bitrate: the video stream's packet bytes x 8 / (frames / fps), in kbit/s (1000
bit/s); container overhead is not counted. Saturation (the encoder cannot hit the
target), flagged per rung and kept in the curves at its measured rate:

- ``floor``: x264 cannot spend so few bits: the encode came out more than 15 % over
  the target, or the target is below a constant-QP 51 probe encode of the same frames
  (the coarsest H.264 quantizer). Near that floor 2-pass rate control overshoots (on
  short, small clips up to about twice the probe's rate, where I-frames dominate);
- ``ceiling``: the encode came out more than 15 % under the target: x264 ran out of
  detail to spend bits on (near-lossless already).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from frvsr.io.video import VideoWriter

TOLERANCE = 0.15  # |measured / target - 1| a rung below saturation stays within
QP_MAX = 51  # H.264's coarsest quantizer (8-bit)


@dataclass(frozen=True)
class Encode:
    """One encoded rung: ``kbps`` is the measured rate (kbit/s), ``target_kbps`` the ABR
    target (None in CRF mode), ``flag`` ``""``, ``"floor"`` or ``"ceiling"``."""

    path: Path
    kbps: float
    frames: int
    target_kbps: float | None = None
    crf: int | None = None
    flag: str = ""


def measured_kbps(path: Path, fps: Fraction) -> tuple[float, int]:
    """(kbit/s of the first video stream's packets over frames / fps, frame count)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        sizes = [p.size for p in container.demux(stream) if p.size]
    if not sizes:
        raise ValueError(f"{path}: no video packets")
    return sum(sizes) * 8 / (len(sizes) / float(fps)) / 1000.0, len(sizes)


def _writer(dst: Path, fps: Fraction, preset: str, options: dict[str, str],
            crf: int | None = None) -> VideoWriter:
    return VideoWriter(dst, fps, codec="libx264", preset=preset, crf=crf,
                       gop_size=max(1, round(2 * float(fps))), options=options)


def _encode(frames: Iterable[np.ndarray], writer: VideoWriter) -> None:
    with writer as w:
        for rgb in frames:
            w.write(rgb)


def encode_abr(frames: Iterable[np.ndarray], again: Iterable[np.ndarray], dst: Path,
               fps: Fraction, kbps: float, preset: str = "medium") -> Encode:
    """2-pass ABR at ``kbps`` kbit/s: ``frames`` feed pass 1, ``again`` (the same frames,
    decoded a second time) pass 2. Pass 1's output and x264's stats files are removed."""
    stats = dst.with_suffix(".x264stats")
    rate = {"b": str(round(kbps * 1000))}
    first = dst.with_name(dst.stem + ".pass1.mp4")
    try:
        _encode(frames, _writer(first, fps, preset,
                                {**rate, "x264-params": f"pass=1:stats={stats}"}))
        _encode(again, _writer(dst, fps, preset,
                               {**rate, "x264-params": f"pass=2:stats={stats}"}))
    finally:
        for leftover in (first, stats, Path(f"{stats}.mbtree"), Path(f"{stats}.temp"),
                         Path(f"{stats}.mbtree.temp")):
            leftover.unlink(missing_ok=True)
    measured, count = measured_kbps(dst, fps)
    return Encode(dst, measured, count, target_kbps=float(kbps))


def encode_crf(frames: Iterable[np.ndarray], dst: Path, fps: Fraction, crf: int,
               preset: str = "medium") -> Encode:
    """1-pass constant-rate-factor encode (``crf`` 0-51); the rate is whatever comes out."""
    _encode(frames, _writer(dst, fps, preset, {}, crf=int(crf)))
    measured, count = measured_kbps(dst, fps)
    return Encode(dst, measured, count, crf=int(crf))


def floor_kbps(frames: Iterable[np.ndarray], dst: Path, fps: Fraction,
               preset: str = "medium") -> float:
    """kbit/s of a constant-QP 51 encode: the fewest bits x264 can spend on these frames
    with this preset (the file is removed)."""
    try:
        _encode(frames, _writer(dst, fps, preset, {"qp": str(QP_MAX)}))
        return measured_kbps(dst, fps)[0]
    finally:
        dst.unlink(missing_ok=True)


def saturation(target_kbps: float | None, measured: float, floor: float) -> str:
    """``"floor"``, ``"ceiling"`` or ``""`` (see the module doc); always ``""`` in CRF mode."""
    if target_kbps is None:
        return ""
    if target_kbps < floor or measured > target_kbps * (1 + TOLERANCE):
        return "floor"
    if measured < target_kbps * (1 - TOLERANCE):
        return "ceiling"
    return ""


def flagged(enc: Encode, floor: float) -> Encode:
    """``enc`` with its saturation flag set against the probe's ``floor`` (kbit/s)."""
    return Encode(enc.path, enc.kbps, enc.frames, enc.target_kbps, enc.crf,
                  saturation(enc.target_kbps, enc.kbps, floor))


def default_rungs(pixel_rate: float) -> list[float]:
    """Five targets in kbit/s, a factor 2 apart, at 0.005-0.08 bits per full-resolution
    pixel (1080p30: about 310-4980 kbit/s, the span of a typical ladder), rounded to 2
    significant digits."""
    out = []
    for bpp in (0.005, 0.01, 0.02, 0.04, 0.08):
        kbps = bpp * pixel_rate / 1000.0
        out.append(float(f"{kbps:.2g}"))
    return out
