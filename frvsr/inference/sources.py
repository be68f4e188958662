"""Inputs of the upscaler: a video file or a folder of frames, read one frame at a time.

A :class:`FrameSource` knows its size, frame rate, time base, rotation and audio (what the
output must keep) and yields ``(rgb, pts)``: ``H,W,3`` uint8 (or uint16 for 16-bit PNG
frames) RGB and the frame's timestamp in ``time_base`` units (None for frame folders:
frames are then numbered at ``fps``). Frame sizes must stay constant; a frame of another
size, a stream corrupt part-way or ending before its stated length is a one-line
:class:`frvsr.errors.DataError` naming the frame.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from frvsr.data.clips import list_images
from frvsr.errors import DataError
from frvsr.io.images import read_image
from frvsr.io.video_read import decode_timed, probe_video

VIDEO_SUFFIXES = (".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v", ".mpg", ".mpeg", ".ts")


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


@dataclass
class FrameSource:
    """One input: ``path`` (video file or frame folder) and what the output keeps."""

    path: Path
    width: int
    height: int
    frames: int  # 0 when unknown
    fps: Fraction
    time_base: Fraction
    rotation: int = 0
    audio: bool = False  # the file has audio streams to carry over
    frame_paths: list[Path] | None = None

    def __iter__(self) -> Iterator[tuple[np.ndarray, int | None]]:
        if self.frame_paths is not None:
            yield from self._folder_frames()
        else:
            yield from self._video_frames()

    def _check(self, rgb: np.ndarray, index: int, where: str) -> None:
        if rgb.shape[:2] != (self.height, self.width):
            raise DataError(f"{where}: frame {index} is {rgb.shape[1]}x{rgb.shape[0]} but frame 0 "
                            f"is {self.width}x{self.height}; frames of one input must share "
                            "a size (split the input where the size changes)")

    def _folder_frames(self) -> Iterator[tuple[np.ndarray, int | None]]:
        assert self.frame_paths is not None
        for i, path in enumerate(self.frame_paths):
            rgb = read_image(path)
            self._check(rgb, i, str(path))
            yield rgb, None

    def _video_frames(self) -> Iterator[tuple[np.ndarray, int | None]]:
        count = 0
        for rgb, pts in decode_timed(self.path):
            self._check(rgb, count, str(self.path))
            count += 1
            yield rgb, pts
        if count == 0:
            raise DataError(f"{self.path}: has zero video frames; nothing to upscale")
        if self.frames and count < self.frames:
            raise DataError(f"{self.path}: ends after frame {count - 1} of the {self.frames} its "
                            "header states (truncated or corrupt); re-encode or re-download it")


def open_source(path: Path, fps: Fraction | None = None) -> FrameSource:
    """A video file or a folder of frames (natural order) as a :class:`FrameSource`.

    ``fps`` sets a frame folder's rate (default 25) and is refused for videos (their own
    timestamps are kept). Raises ``DataError`` for a missing path, a file that is not a
    video, a folder without frames, or a first frame that cannot be read."""
    if not path.exists():
        raise DataError(f"input={path} does not exist; pass a video file or a folder of frames")
    if path.is_dir():
        frames = list_images(path)
        if not frames:
            raise DataError(f"input={path} has no PNG/JPEG/BMP frames (and is not a video file)")
        first = read_image(frames[0])
        rate = Fraction(fps) if fps else Fraction(25)
        return FrameSource(path, first.shape[1], first.shape[0], len(frames), rate, 1 / rate,
                           frame_paths=frames)
    if fps:
        raise DataError(f"fps={fps} applies to frame folders only; {path} keeps its own timing")
    info = probe_video(path)
    return FrameSource(path, info.width, info.height, info.frames, info.fps, info.time_base,
                       rotation=info.rotation, audio=bool(info.audio))
