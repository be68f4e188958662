"""Folders of clips for evaluation: ``<root>/<clip>/<frames>`` (PNG/JPEG, natural order).

Frames are read by the one image reader (:mod:`frvsr.io.images`, as the training data):
8-bit and 16-bit (full precision) RGB, grayscale, RGBA and palette files; every problem is
an :class:`EvalError` whose one-line message names the clip and frame.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from torch import Tensor

from frvsr.data.clips import list_images, natural_key
from frvsr.errors import EvalError
from frvsr.io.images import ImageError, as_uint8, load_image, to_float_tensor
from frvsr.io.images import write_png as write_png  # re-exported: the evaluation writer

MAX_SCALE = 4  # GT may exceed SR by up to scale-1 pixels (HR cropped to a multiple of s)


# Same frame discovery as the datasets: natural sort, PNG/JPEG/BMP, hidden files skipped.
list_frames = list_images


def list_clips(root: Path, side: str) -> dict[str, list[Path]]:
    """Clip name -> frame paths. A root holding images directly is one clip named after it."""
    if not root.is_dir():
        raise EvalError(f"{side} folder {root} does not exist")
    direct = list_frames(root)
    if direct:
        return {root.name: direct}
    subdirs = sorted((d for d in root.iterdir() if d.is_dir()), key=lambda d: natural_key(d.name))
    if not subdirs:
        raise EvalError(f"{side} folder {root} is empty: expected <clip>/<frames> or frames")
    clips = {}
    for d in subdirs:
        frames = list_frames(d)
        if not frames:
            raise EvalError(f"clip '{d.name}' ({side}): folder {d} has no PNG/JPEG frames")
        clips[d.name] = frames
    return clips


@dataclass(frozen=True)
class ClipPair:
    name: str
    sr: list[Path]
    gt: list[Path]


def match_clips(sr_root: Path, gt_root: Path) -> list[ClipPair]:
    """Pair SR and GT clips by name (folders of clips) or as single clips; check counts."""
    sr, gt = list_clips(sr_root, "sr"), list_clips(gt_root, "gt")
    if len(sr) == 1 and len(gt) == 1 and sr_root.name in sr and gt_root.name in gt:
        sr = {gt_root.name: sr[sr_root.name]}  # two plain frame folders: one clip
    missing_sr, missing_gt = sorted(set(gt) - set(sr)), sorted(set(sr) - set(gt))
    if missing_sr:
        raise EvalError(f"clip '{missing_sr[0]}' is in gt={gt_root} but missing in sr={sr_root}")
    if missing_gt:
        raise EvalError(f"clip '{missing_gt[0]}' is in sr={sr_root} but missing in gt={gt_root}")
    pairs = []
    for name in sorted(gt, key=natural_key):
        if len(sr[name]) != len(gt[name]):
            raise EvalError(f"clip '{name}': sr has {len(sr[name])} frames, gt has "
                            f"{len(gt[name])}; frame counts must match")
        pairs.append(ClipPair(name, sr[name], gt[name]))
    return pairs


def read_frame(path: Path, clip: str, index: int) -> np.ndarray:
    """H,W,3 RGB uint8, or uint16 for 16-bit files (see :mod:`frvsr.io.images`).

    Raises:
        EvalError: ``clip '<clip>' frame <index> (<file>): unreadable image: <reason>``.
    """
    try:
        return load_image(path)
    except ImageError as err:
        raise EvalError(f"clip '{clip}' frame {index} ({path.name}): unreadable image: "
                        f"{err}") from None


def read_frame_u8(path: Path, clip: str, index: int) -> np.ndarray:
    """:func:`read_frame` as H,W,3 uint8 (16-bit frames by the output rule): for display
    and 8-bit consumers (VMAF); metrics use :func:`read_frame` at full precision."""
    return as_uint8(read_frame(path, clip, index))


def to_tensor(img: np.ndarray) -> Tensor:
    """H,W,3 uint8/uint16 -> 3,H,W float32 in [0,1] (:func:`frvsr.io.images.to_float_tensor`;
    the copy to a contiguous array keeps the tensor layout the metrics have always seen)."""
    return to_float_tensor(np.ascontiguousarray(img))


def align_sizes(sr: np.ndarray, gt: np.ndarray, clip: str, index: int) -> np.ndarray:
    """GT cropped (top-left kept) to the SR size when it exceeds it by < MAX_SCALE pixels."""
    (hs, ws), (hg, wg) = sr.shape[:2], gt.shape[:2]
    if (hs, ws) == (hg, wg):
        return gt
    if 0 <= hg - hs < MAX_SCALE and 0 <= wg - ws < MAX_SCALE:
        return gt[:hs, :ws]
    raise EvalError(f"clip '{clip}' frame {index}: sr is {ws}x{hs} but gt is {wg}x{hg}")
