"""Video files (mp4, mkv, mov, avi, ...) read with PyAV through an on-disk uint8 frame cache.

Real footage has few keyframes (the shared mp4s have one every 250 frames or only the
first), so seeking to a random window costs a decode from the previous keyframe: up to
the whole video per sample. Instead each video is decoded *once*, sequentially, into
``<cache_dir>/<hash>.npy`` (T,H,W,3 uint8, memory-mapped by readers), keyed by the file's
absolute path, mtime, size and the frame cap. Windows are then memmap slices: the cost
per sampled clip does not depend on the video's length (`scripts/bench_data.py`).

Decoding is `frvsr.io.video.decode_frames` (re-exported here with `DECODE_STATS`).
Every cache file is written to a temporary name and renamed, so a killed run leaves either
a complete entry or none; concurrent writers (DataLoader workers) produce identical files.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from frvsr.data.errors import DataError
from frvsr.data.scenes import thumbnail
from frvsr.io.atomic import atomic_path, atomic_write_text
from frvsr.io.video import DECODE_STATS, count_frames, decode_frames, video_error
from frvsr.io.video_read import DECODER_VERSION

__all__ = [
    "VIDEO_EXTENSIONS",
    "CachedVideo",
    "DECODE_STATS",
    "decode_frames",
    "default_cache_dir",
    "open_cached_video",
]

VIDEO_EXTENSIONS = (".mp4", ".mkv", ".mov", ".avi", ".webm", ".m4v")


def default_cache_dir() -> Path:
    """$FRVSR_CACHE_DIR, else $XDG_CACHE_HOME/frvsr/frames, else ~/.cache/frvsr/frames."""
    if env := os.environ.get("FRVSR_CACHE_DIR"):
        return Path(env)
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "frvsr" / "frames"


@dataclass(frozen=True)
class CachedVideo:
    """A decoded video on disk: `frames()` is a read-only T,H,W,3 uint8 memmap."""

    source: Path
    frames_path: Path
    thumbs_path: Path
    num_frames: int
    height: int
    width: int

    def frames(self) -> np.ndarray:
        arr = np.load(self.frames_path, mmap_mode="r")
        return arr[: self.num_frames]

    def thumbnails(self) -> np.ndarray:
        return np.load(self.thumbs_path)


def _key(path: Path, max_frames: int | None) -> str:
    st = path.stat()
    ident = f"{path.resolve()}|{st.st_mtime_ns}|{st.st_size}|{max_frames}|v{DECODER_VERSION}"
    return hashlib.sha1(ident.encode()).hexdigest()[:20]


def _decode_into_cache(path: Path, cache_dir: Path, key: str, max_frames: int | None) -> None:
    capacity = count_frames(path)
    if max_frames is not None:
        capacity = min(capacity, max_frames)
    if capacity == 0:
        raise video_error(path, "has zero video frames")
    with atomic_path(cache_dir / f"{key}.npy") as tmp:
        frames = None
        thumbs = []
        for i, rgb in enumerate(decode_frames(path, capacity)):
            if frames is None:  # size known only after the first decoded frame
                shape = (capacity, *rgb.shape)
                frames = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=shape)
            if rgb.shape != frames.shape[1:]:
                raise video_error(path, f"changes frame size at frame {i} ({rgb.shape[:2]})")
            frames[i] = rgb
            thumbs.append(thumbnail(rgb))
        if frames is None:
            raise video_error(path, "has zero decodable video frames")
        frames.flush()
        del frames
        with atomic_path(cache_dir / f"{key}.thumbs.npy") as thumbs_tmp:
            np.save(thumbs_tmp, np.stack(thumbs))
    meta = {"source": str(path), "num_frames": len(thumbs)}
    atomic_write_text(cache_dir / f"{key}.json", json.dumps(meta))


def open_cached_video(
    path: Path, cache_dir: Path | None = None, max_frames: int | None = None
) -> CachedVideo:
    """Decode `path` into the cache unless an entry for its current mtime exists; open it.

    `max_frames` keeps only the first frames (quick tests, previews); it is part of the key.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: video file not found; check the dataset root / path")
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = _key(path, max_frames)
    meta_path = cache_dir / f"{key}.json"
    if not meta_path.is_file():  # the .json is written last: its presence marks a complete entry
        _decode_into_cache(path, cache_dir, key, max_frames)
    meta = json.loads(meta_path.read_text())
    frames_path = cache_dir / f"{key}.npy"
    shape = np.load(frames_path, mmap_mode="r").shape
    return CachedVideo(
        source=path,
        frames_path=frames_path,
        thumbs_path=cache_dir / f"{key}.thumbs.npy",
        num_frames=int(meta["num_frames"]),
        height=int(shape[1]),
        width=int(shape[2]),
    )
