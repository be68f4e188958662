"""Clip transforms drawn from (seed, epoch, index), applied identically to every frame.

Random draws come from `numpy.random.default_rng([seed, epoch, index])`, never from a
worker's global RNG, so a sample is the same whatever `num_workers` is and a resumed run
sees exactly the samples of an uninterrupted one. (kornia's augmentation modules draw from
torch's global generator, which breaks that; flips and 90-degree rotations are exact index
permutations, so plain `torch.flip`/`torch.rot90` are used for them.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

__all__ = ["ClipAugment", "apply_augment", "draw_augment", "draw_crop", "sample_rng"]


def sample_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    """The generator for one sample; distinct (seed, epoch, index) give independent streams."""
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, int(epoch), int(index)])


@dataclass(frozen=True)
class ClipAugment:
    """One draw for a whole clip: flips, a 90-degree rotation, temporal reversal."""

    hflip: bool = False
    vflip: bool = False
    rot90: bool = False
    reverse: bool = False


def draw_augment(
    rng: np.random.Generator, enabled: bool = True, square: bool = True
) -> ClipAugment:
    """Each transform with probability 1/2; rotation only for square frames (keeps shapes)."""
    if not enabled:
        return ClipAugment()
    h, v, r, t = (bool(b) for b in rng.integers(0, 2, size=4))
    return ClipAugment(hflip=h, vflip=v, rot90=r and square, reverse=t)


def apply_augment(clip: Tensor, aug: ClipAugment) -> Tensor:
    """Apply `aug` to a T,C,H,W clip (the same draw to LR and HR keeps them paired)."""
    if aug.hflip:
        clip = torch.flip(clip, dims=(-1,))
    if aug.vflip:
        clip = torch.flip(clip, dims=(-2,))
    if aug.rot90:
        clip = torch.rot90(clip, k=1, dims=(-2, -1))
    if aug.reverse:
        clip = torch.flip(clip, dims=(0,))
    return clip  # no .contiguous(): default_collate copies into the batch anyway


def draw_crop(rng: np.random.Generator, h: int, w: int, patch: int) -> tuple[int, int]:
    """Top-left (y, x) of a patch x patch crop inside h x w (LR pixels), uniform."""
    return int(rng.integers(0, h - patch + 1)), int(rng.integers(0, w - patch + 1))
