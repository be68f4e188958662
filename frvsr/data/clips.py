"""Clips: an ordered sequence of HR frames (image files or a cached video), optional LR
frames, and the shots (scene-cut free ranges) inside it. Sources (`sources.py`) list clips;
datasets (`datasets.py`) cut windows out of them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from frvsr.data.errors import DataError
from frvsr.data.video_io import CachedVideo
from frvsr.io.images import read_image

__all__ = ["IMAGE_EXTENSIONS", "Clip", "list_images", "natural_key", "read_image"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")
_ALL = slice(None)


def natural_key(name: str) -> list[int | str]:
    """Sort key so that 'Frame 2.png' < 'Frame 10.png' (digit runs compare as numbers)."""
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", name)]


def list_images(folder: Path) -> list[Path]:
    """PNG/JPEG/BMP files directly in `folder`, naturally sorted (hidden files skipped)."""
    files = [
        p
        for p in folder.iterdir()
        if p.suffix.lower() in IMAGE_EXTENSIONS and not p.name.startswith(".") and p.is_file()
    ]
    return sorted(files, key=lambda p: natural_key(p.name))


def _read_files(paths: Sequence[Path]) -> np.ndarray:
    """T,H,W,3 uint8, or uint16 when any frame is 16-bit (8-bit frames then scaled by 257,
    which `to_float_tensor` maps to exactly the same floats)."""
    frames = [read_image(p) for p in paths]
    first = frames[0].shape
    for p, f in zip(paths, frames, strict=True):
        if f.shape != first:
            raise DataError(
                f"{p}: frame is {f.shape[1]}x{f.shape[0]} but {paths[0].name} in the same clip is "
                f"{first[1]}x{first[0]}; resize the clip's frames to one size"
            )
    if any(f.dtype == np.uint16 for f in frames):
        frames = [f if f.dtype == np.uint16 else f.astype(np.uint16) * 257 for f in frames]
    return np.stack(frames)


@dataclass(frozen=True)
class Clip:
    """One clip. `hr` is a list of frame files or a `CachedVideo`; `lr` optional frame files.

    `shots` are half-open [start, end) frame ranges that contain no scene cut.
    """

    key: str
    hr: Sequence[Path] | CachedVideo
    lr: Sequence[Path] | None = None
    shots: list[tuple[int, int]] | None = None  # None: the whole clip is one shot

    def __post_init__(self) -> None:
        if self.shots is None:
            object.__setattr__(self, "shots", [(0, len(self))])

    def __len__(self) -> int:
        return self.hr.num_frames if isinstance(self.hr, CachedVideo) else len(self.hr)

    @property
    def location(self) -> Path:
        """The file or folder errors should name."""
        if isinstance(self.hr, CachedVideo):
            return self.hr.source
        return self.hr[0].parent

    def frame_size(self) -> tuple[int, int]:
        """(H, W) of the HR frames, from the cache metadata or the first file's header."""
        if isinstance(self.hr, CachedVideo):
            return self.hr.height, self.hr.width
        try:
            with Image.open(self.hr[0]) as im:
                return im.height, im.width
        except OSError:  # PIL cannot parse the header: let the full reader name the problem
            return read_image(self.hr[0]).shape[:2]

    def read_hr(self, start: int, stop: int, rows: slice = _ALL, cols: slice = _ALL) -> np.ndarray:
        """HR frames [start, stop) as T,H,W,3 uint8 (uint16 for 16-bit image files),
        optionally only `rows` x `cols`; `frvsr.io.images.to_float_tensor` scales either.

        From a cached video only the region is read (memmap); image files are decoded whole.
        """
        if isinstance(self.hr, CachedVideo):
            return np.array(self.hr.frames()[start:stop, rows, cols])  # copy: memmap is read-only
        return _read_files(self.hr[start:stop])[:, rows, cols]

    def read_lr(self, start: int, stop: int) -> np.ndarray:
        """LR frames [start, stop) as T,h,w,3 uint8 (uint16 for 16-bit files)."""
        if self.lr is None:
            raise DataError(f"{self.location}: no LR frames configured for clip {self.key!r}")
        return _read_files(self.lr[start:stop])
