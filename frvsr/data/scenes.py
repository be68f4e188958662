"""Scene-cut detection: split footage into shots so training windows never span a cut.

The score of frame t is the mean absolute difference between the 64x36 RGB thumbnails of
frames t-1 and t (values in [0,1]). Within a shot, even fast motion stays low on such tiny
thumbnails (bikes.mp4: at most 0.08), while a hard cut changes most of the picture
(bikes.mp4: 0.19-0.33), so one threshold (default 0.12) separates them. The detector is
the same for the embedded sample, the shared videos and users' own footage.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

__all__ = [
    "DEFAULT_THRESHOLD",
    "CutDetector",
    "cut_scores",
    "detect_cuts",
    "shots_from_cuts",
    "split_shots",
    "thumbnail",
]

DEFAULT_THRESHOLD = 0.12
THUMB_SIZE = (64, 36)  # (w, h)


def thumbnail(rgb: np.ndarray) -> np.ndarray:
    """The 64x36 uint8 thumbnail the detector compares (area interpolation)."""
    return cv2.resize(rgb, THUMB_SIZE, interpolation=cv2.INTER_AREA)


def cut_scores(thumbs: np.ndarray) -> np.ndarray:
    """Per-frame cut score (T,) of uint8 thumbnails T,h,w,3; score[0] is 0."""
    x = thumbs.astype(np.float32) / 255.0
    scores = np.zeros(len(x), dtype=np.float32)
    if len(x) > 1:
        scores[1:] = np.abs(np.diff(x, axis=0)).mean(axis=(1, 2, 3))
    return scores


def detect_cuts(scores: np.ndarray, threshold: float = DEFAULT_THRESHOLD) -> list[int]:
    """Frame indices that start a new shot (score above `threshold`)."""
    return [int(i) for i in np.flatnonzero(scores > threshold) if i > 0]


def shots_from_cuts(cuts: Sequence[int], num_frames: int) -> list[tuple[int, int]]:
    """Half-open [start, end) frame ranges between cuts, covering 0..num_frames."""
    bounds = [0, *sorted(c for c in cuts if 0 < c < num_frames), num_frames]
    return [(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


def split_shots(
    thumbs: np.ndarray, threshold: float | None = DEFAULT_THRESHOLD
) -> list[tuple[int, int]]:
    """Shots of a clip from its thumbnails; `threshold=None` keeps the clip as one shot."""
    if threshold is None:
        return [(0, len(thumbs))]
    return shots_from_cuts(detect_cuts(cut_scores(thumbs), threshold), len(thumbs))


class CutDetector:
    """The same detector, streaming: call it on each frame in order; it returns True when
    the frame starts a new shot (its thumbnail differs from the previous frame's by more
    than ``threshold``, exactly as :func:`cut_scores` + :func:`detect_cuts`).

    Frames are ``H,W,3`` uint8 RGB arrays. Used for the recurrent state's reset at cuts
    (``frvsr.inference.upscaler.run``'s ``is_cut`` hook) in evaluation and upscaling.
    """

    def __init__(self, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.threshold = float(threshold)
        self._prev: np.ndarray | None = None
        self.cuts: list[int] = []  # indices of the frames that started a new shot
        self._index = -1

    def __call__(self, rgb: np.ndarray) -> bool:
        self._index += 1
        thumb = thumbnail(rgb).astype(np.float32) / 255.0
        cut = self._prev is not None and float(np.abs(thumb - self._prev).mean()) > self.threshold
        self._prev = thumb
        if cut:
            self.cuts.append(self._index)
        return cut
