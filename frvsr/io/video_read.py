"""Reading videos with PyAV: probe a file's properties, decode its frames (with timestamps).

Frames are ``H,W,3`` uint8 RGB (``rgb24``), in order, each decoded once; YUV is converted
with the matrix and range the stream is tagged with (untagged: BT.601 limited, FFmpeg's
default). Damaged files raise a one-line :class:`frvsr.errors.DataError` naming the file
and the fix. No framework imports.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

import av
import numpy as np
from av.video.reformatter import Interpolation

from frvsr.errors import DataError

# Frames decoded by `decode_frames` in this process; the benchmark reads it to show that
# the frame cache bounds decoding.
DECODE_STATS = {"frames": 0}

Source = str | Path | BinaryIO
_MATRICES = {1: "bt709", 5: "bt601", 6: "bt601", 9: "bt2020", 2: "unspecified"}
# swscale flags for YUV <-> RGB: full-resolution chroma in and out and accurate rounding.
# The default (fast) path is off by up to 2 levels on saturated colours per conversion;
# these (area chroma filter: no ringing at colour edges) keep a YUV round trip within
# 1 level. Bump DECODER_VERSION when this changes
# (the training frame cache keys on it).
SWS_FLAGS = (Interpolation.AREA | Interpolation.ACCURATE_RND | Interpolation.FULL_CHR_H_INT
             | Interpolation.FULL_CHR_H_INP)
DECODER_VERSION = 2


def video_error(path: object, what: str) -> DataError:
    """The one-line error for an unusable video file: what is wrong and how to fix it."""
    return DataError(
        f"{path}: {what}; re-encode it (e.g. ffmpeg -i in -c:v libx264 out.mp4) or remove it"
    )


@contextmanager
def open_video(source: Source) -> Iterator[tuple[Any, Any]]:
    """``(container, first video stream)`` of a path or file-like object, closed on exit.

    Raises:
        DataError: not a video, or no video stream.
    """
    try:
        container = av.open(source if not isinstance(source, Path) else str(source))
    except (av.error.FFmpegError, OSError) as err:  # type: ignore[attr-defined]
        raise video_error(source, f"cannot open as a video ({err})") from None
    with container:
        if not container.streams.video:
            raise video_error(source, "has no video stream")
        yield container, container.streams.video[0]


@dataclass(frozen=True)
class VideoInfo:
    """What a video file says about its first video stream (and its audio streams).

    ``fps`` is the average frame rate, ``time_base`` the stream's pts unit (seconds),
    ``frames`` the count the container states (0 when unknown), ``rotation`` the display
    rotation in degrees counter-clockwise, ``matrix``/``full_range`` the YUV matrix
    (``bt709``, ``bt601``, ``bt2020``, ``unspecified``) and range, ``audio`` the codec name
    of each audio stream.
    """

    path: str
    width: int
    height: int
    fps: Fraction
    time_base: Fraction
    frames: int
    rotation: int = 0
    matrix: str = "unspecified"
    full_range: bool = False
    audio: list[str] = field(default_factory=list)


def probe_video(path: str | Path) -> VideoInfo:
    """Open ``path`` and read its stream properties (decodes one frame for the rotation).

    Raises:
        DataError: not a video, or no video stream.
    """
    with open_video(Path(path)) as (container, stream):
        cc = stream.codec_context
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate or 25
        rotation = 0
        try:
            first = next(container.decode(stream), None)
            rotation = int(round(first.rotation)) if first is not None else 0
        except av.error.FFmpegError:  # type: ignore[attr-defined]
            pass  # a corrupt first frame is reported by the decoder itself
        return VideoInfo(
            path=str(path), width=int(cc.width), height=int(cc.height), fps=Fraction(rate),
            time_base=Fraction(stream.time_base or Fraction(1, 90000)),
            frames=int(stream.frames or 0), rotation=rotation,
            matrix=_MATRICES.get(int(cc.colorspace or 2), "unspecified"),
            full_range=int(cc.color_range or 0) == 2,
            audio=[a.codec_context.name for a in container.streams.audio])


def decode_timed(source: Source, max_frames: int | None = None
                 ) -> Iterator[tuple[np.ndarray, int | None]]:
    """Yield ``(rgb, pts)`` per frame of the first video stream: ``H,W,3`` uint8 RGB and
    the frame's timestamp in the stream's time base (None when the file has none).

    Raises:
        DataError: not a video, no video stream, or corrupt after some frame (the
            message names the last good frame).
    """
    with open_video(source) as (container, stream):
        stream.thread_type = "AUTO"  # frame threading: sequential decode, several cores
        count = 0
        try:
            for frame in container.decode(stream):
                if max_frames is not None and count >= max_frames:
                    break
                DECODE_STATS["frames"] += 1
                count += 1
                yield frame.to_ndarray(format="rgb24", interpolation=SWS_FLAGS), frame.pts
        except av.error.FFmpegError as err:  # type: ignore[attr-defined]
            raise video_error(source, f"is corrupt after frame {count} ({err})") from None


def decode_frames(source: Source, max_frames: int | None = None) -> Iterator[np.ndarray]:
    """Yield ``H,W,3`` uint8 RGB frames of the first video stream, in order, each decoded once.

    ``source`` is a path or a readable file-like object; at most ``max_frames`` frames.

    Raises:
        DataError: not a video, no video stream, or corrupt after some frame.
    """
    for rgb, _ in decode_timed(source, max_frames):
        yield rgb


def count_frames(path: Path) -> int:
    """Frames (non-empty packets) of the first video stream, from the demuxer alone.

    Raises:
        DataError: unreadable file or no video stream.
    """
    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise video_error(path, "has no video stream")
            stream = container.streams.video[0]
            return sum(1 for p in container.demux(stream) if p.size)
    except av.error.FFmpegError as err:  # type: ignore[attr-defined]
        raise video_error(path, f"cannot be read ({err})") from None
