"""Folders of clips for evaluation: ``<root>/<clip>/<frames>`` (PNG/JPEG, natural order).

Frames are read by the one image reader (:mod:`frvsr.io.images`, as the training data):
8-bit and 16-bit (full precision) RGB, grayscale, RGBA and palette files; every problem is
an :class:`EvalError` whose one-line message names the clip and frame.

Image sets: a flat folder of images of different sizes (Set5, Set14, ...) cannot be one
clip, so each image is a one-frame clip named after its file (see :func:`list_clips`);
folders of one-frame clips are image sets too. Two flat folders (``sr=``/``lr=`` next to
``gt=``) are paired frame by frame in natural order, whatever their file names.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from torch import Tensor

from frvsr.data.clips import list_images, natural_key
from frvsr.errors import EvalError
from frvsr.io.images import ImageError, as_uint8, load_image, to_float_tensor
from frvsr.io.images import write_png as write_png  # re-exported: the evaluation writer

# SR and GT may differ by up to MAX_SCALE-1 pixels per axis (an HR size that is not a
# multiple of the scale: LR sizes rounded down or up); their common top-left region is scored.
MAX_SCALE = 4


# Same frame discovery as the datasets: natural sort, PNG/JPEG/BMP, hidden files skipped.
list_frames = list_images


def _header_size(path: Path) -> tuple[int, int] | None:
    """(W, H) from the file header only; None when PIL cannot parse it (the full reader
    names the problem later)."""
    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def is_image_set(frames: list[Path]) -> bool:
    """Whether the frames of a flat folder differ in size (then they are separate images)."""
    first = None
    for path in frames:
        size = _header_size(path)
        if size is None:
            continue
        if first is None:
            first = size
        elif size != first:
            return True
    return False


def _image_clips(frames: list[Path]) -> dict[str, list[Path]]:
    """One one-frame clip per image, named after the file (its full name when two files
    share a stem, e.g. ``a.png`` and ``a.jpg``)."""
    stems = [p.stem for p in frames]
    return {(p.stem if stems.count(p.stem) == 1 else p.name): [p] for p in frames}


def list_clips(root: Path, side: str) -> dict[str, list[Path]]:
    """Clip name -> frame paths.

    A root holding images directly is one clip named after it, or, when the images differ
    in size, an image set: one one-frame clip per image, named after the file. Otherwise
    every subfolder is a clip.

    Raises:
        EvalError: the root is missing or empty, or a clip folder has no frames.
    """
    if not root.is_dir():
        raise EvalError(f"{side} folder {root} does not exist")
    direct = list_frames(root)
    if direct:
        return _image_clips(direct) if len(direct) > 1 and is_image_set(direct) \
            else {root.name: direct}
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


def keyed_like(gt: dict[str, list[Path]], gt_root: Path, other: dict[str, list[Path]],
               other_root: Path, side: str) -> dict[str, list[Path]]:
    """``other``'s clips under GT's clip names where names cannot match.

    - two flat folders with an image set on either side: images paired in natural order
      (SR/LR files of another tool are named differently);
    - one clip on each side: the same clip whatever the folder names;
    - otherwise clips are matched by name (unchanged).

    Raises:
        EvalError: two flat image folders with different image counts.
    """
    flat = bool(list_frames(gt_root)) and other_root.is_dir() and bool(list_frames(other_root))
    if flat and (len(gt) > 1 or len(other) > 1):
        ours = [p for paths in other.values() for p in paths]
        if len(ours) != len(gt):
            raise EvalError(f"{side}={other_root} has {len(ours)} images but gt={gt_root} has "
                            f"{len(gt)}; an image set is paired image by image in name order")
        return {name: [p] for name, p in zip(gt, ours, strict=True)}
    if len(other) == 1 and len(gt) == 1:
        return {next(iter(gt)): next(iter(other.values()))}
    return other


@dataclass(frozen=True)
class ClipPair:
    name: str
    sr: list[Path]
    gt: list[Path]


def match_clips(sr_root: Path, gt_root: Path) -> list[ClipPair]:
    """Pair SR and GT clips by name (folders of clips), as single clips, or image by image
    (flat image sets); check counts."""
    gt = list_clips(gt_root, "gt")
    sr = keyed_like(gt, gt_root, list_clips(sr_root, "sr"), sr_root, "sr")
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


def common_size(sr: tuple[int, ...], gt: tuple[int, ...], clip: str, index: int
                ) -> tuple[int, int]:
    """(H, W) scored for SR and GT frames of shapes ``sr``, ``gt`` (H, W, ...): the common
    top-left region, when they differ by less than MAX_SCALE pixels per axis either way.

    Raises:
        EvalError: a larger difference, one line naming the clip, frame and both sizes.
    """
    (hs, ws), (hg, wg) = sr[:2], gt[:2]
    if abs(hs - hg) < MAX_SCALE and abs(ws - wg) < MAX_SCALE:
        return min(hs, hg), min(ws, wg)
    raise EvalError(f"clip '{clip}' frame {index}: sr is {ws}x{hs} but gt is {wg}x{hg}; "
                    f"sizes may differ by at most {MAX_SCALE - 1} px per axis (their common "
                    "top-left region is scored): check scale= and the frames")


def crop_common(sr: np.ndarray, gt: np.ndarray, clip: str, index: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """SR and GT (H,W,3) cropped to their common top-left region (see :func:`common_size`)."""
    h, w = common_size(sr.shape, gt.shape, clip, index)
    return sr[:h, :w], gt[:h, :w]


def align_sizes(sr: np.ndarray, gt: np.ndarray, clip: str, index: int) -> np.ndarray:
    """GT cropped (top-left kept) to the common region with SR (``crop_common``'s GT)."""
    return crop_common(sr, gt, clip, index)[1]
