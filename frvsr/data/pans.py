"""Synthetic slow pans: training clips cut from one HR frame by a crop window that moves.

Why: the embedded footage's training shots move fast (median 0.8-1.1 LR px per frame, 90th
percentile 5-7 px), where a flow computed on a 24 px crop misses the large motions, so a
recurrent SR net sees a memory that is often misplaced. Slow sub-pixel motion, where a
memory of earlier frames carries the most detail a single LR frame lacks, is rare in
those shots. A synthetic pan is exact and trackable: frame t is the HR region of one frame
shifted by a whole number of HR px, ``d_t = round(t * v)`` with a constant velocity ``v``
drawn per window (HR px per frame, each axis uniform in ``[-max_speed, max_speed]``), then
degraded like any other HR frame. Whole HR px shifts are sub-pixel LR shifts under x4, and
cropping HR introduces no resampling blur. This is the multi-frame shift model of classical
multi-image super-resolution (Irani & Peleg 1991; Farsiu et al. 2004, "Fast and robust
multiframe super resolution"), used here as a training augmentation.

Applied by `TrainClipDataset` to a window with probability `prob` (the draw comes from the
sample's own generator, so resumed runs see the same clips); frame-by-frame and recurrent
runs that share `data.` settings see the same pans (the demo's fairness rule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from frvsr.data.errors import DataError

__all__ = ["SyntheticPan", "draw_offsets"]


@dataclass(frozen=True)
class SyntheticPan:
    """How often and how fast synthetic pans are drawn.

    prob: share of training windows replaced by a pan of their first frame, in [0, 1].
    max_speed: the largest speed per axis in HR px per frame (> 0); 2.0 at x4 is half an LR
        px per frame.
    """

    prob: float = 0.5
    max_speed: float = 2.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.prob <= 1.0:
            raise DataError(f"data.synthetic_pan.prob={self.prob} must be in [0, 1]")
        if not self.max_speed > 0.0:
            raise DataError(f"data.synthetic_pan.max_speed={self.max_speed} must be > 0")

    def extent(self, num_frames: int) -> int:
        """The most HR px a pan of `num_frames` frames moves along one axis."""
        return math.ceil(self.max_speed * (num_frames - 1))


def draw_offsets(rng: np.random.Generator, num_frames: int, max_speed: float) -> np.ndarray:
    """``num_frames x 2`` integer HR offsets (dy, dx) of a constant-velocity pan; row 0 is 0.

    The velocity is uniform in ``[-max_speed, max_speed]`` per axis; rounding ``t * v`` keeps
    every frame an exact crop, so a speed of 0.3 px moves by one HR px every few frames.
    """
    v = rng.uniform(-max_speed, max_speed, size=2)
    t = np.arange(num_frames, dtype=np.float64)[:, None]
    return np.rint(t * v[None, :]).astype(np.int64)
