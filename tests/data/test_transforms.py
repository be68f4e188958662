"""Transforms: identical across a clip's frames, paired LR/HR, draws from (seed, epoch, index)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from frvsr.data.clips import Clip
from frvsr.data.datasets import TrainClipDataset
from frvsr.data.degradations import degrade
from frvsr.data.sampler import EpochSampler
from frvsr.data.transforms import ClipAugment, apply_augment, draw_augment, sample_rng


class _ArrayClip(Clip):
    """A clip held in memory (frames T,H,W,3 uint8) to test transforms without files."""

    def __init__(self, frames: np.ndarray) -> None:
        super().__init__(key="mem", hr=[None] * len(frames))  # type: ignore[list-item]
        object.__setattr__(self, "_frames", frames)

    def frame_size(self) -> tuple[int, int]:
        return self._frames.shape[1:3]

    def read_hr(
        self, start: int, stop: int, rows: slice = slice(None), cols: slice = slice(None)
    ) -> np.ndarray:
        return self._frames[start:stop, rows, cols].copy()


def _video(t: int = 6, h: int = 40, w: int = 48, static: bool = False) -> np.ndarray:
    rng = np.random.default_rng(1)
    first = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    frames = np.stack([first if static else np.roll(first, i, axis=1) for i in range(t)])
    frames[:, 0, 0, 0] = np.arange(t) * 40  # frame number written into one pixel
    return frames


def test_apply_augment_is_one_draw_for_all_frames() -> None:
    clip = torch.rand(4, 3, 8, 8)
    aug = ClipAugment(hflip=True, vflip=True, rot90=True, reverse=True)
    out = apply_augment(clip, aug)
    for t in range(4):
        want = torch.rot90(clip[3 - t].flip(-1).flip(-2), 1, dims=(-2, -1))
        assert torch.equal(out[t], want)


def test_static_clip_stays_static_and_pairs_stay_aligned() -> None:
    ds = TrainClipDataset(
        [_ArrayClip(_video(static=True))], 2, "bd_tecogan", num_frames=4, lr_patch=10
    )
    seen = set()
    for epoch in range(6):
        item = ds[(epoch, 1)]
        for k in ("lr", "hr"):  # every frame got the same crop and the same flips/rotation
            body = item[k][..., 1:, 1:]  # skip the pixel that encodes the frame number
            assert torch.equal(body, body[:1].expand_as(body))
        seen.add(tuple(item["hr"][:, 0, 0, 0].tolist()))
    assert len(seen) > 1  # the draws do change between epochs


def test_crop_without_augment_equals_degrade_then_crop() -> None:
    frames = _video()
    ds = TrainClipDataset(
        [_ArrayClip(frames)], 2, "bd_duf", num_frames=3, lr_patch=8, augment=False, seed=5
    )
    full = torch.from_numpy(frames).permute(0, 3, 1, 2).float() / 255
    lr_full = degrade(full, 2, "bd_duf").clamp(0, 1)
    for index in range(len(ds)):
        item = ds[(0, index)]
        start = int(item["key"].split("/")[1])
        hr = full[start : start + 3]
        # locate the HR crop, then its LR counterpart must be the same window of lr_full
        pos = [
            (y, x)
            for y in range(0, 40 - 15, 2)
            for x in range(0, 48 - 15, 2)
            if torch.equal(hr[..., y : y + 16, x : x + 16], item["hr"])
        ]
        assert len(pos) == 1
        y, x = pos[0]
        assert torch.allclose(
            item["lr"],
            lr_full[start : start + 3, :, y // 2 : y // 2 + 8, x // 2 : x // 2 + 8],
            atol=1e-6,
        )


def test_temporal_reversal_reverses_lr_and_hr_together() -> None:
    frames = np.stack([np.full((40, 48, 3), 40 * t, np.uint8) for t in range(6)])  # frame t = 40t
    ds = TrainClipDataset([_ArrayClip(frames)], 2, "bi", num_frames=4, lr_patch=12)
    kinds = set()
    for epoch in range(16):
        item = ds[(epoch, 1)]  # window of frames 1..4
        hr = (item["hr"].mean(dim=(1, 2, 3)) * 255).round().tolist()
        lr = (item["lr"].mean(dim=(1, 2, 3)) * 255).round().tolist()
        assert hr == lr and hr in ([40.0, 80.0, 120.0, 160.0], [160.0, 120.0, 80.0, 40.0])
        kinds.add(hr[0] > hr[-1])
    assert kinds == {True, False}


def test_same_seed_epoch_index_same_sample_any_order() -> None:
    ds = TrainClipDataset([_ArrayClip(_video())], 2, "bi", num_frames=3, lr_patch=8, seed=11)
    a = [ds[(2, i)] for i in range(len(ds))]
    b = [ds[(2, i)] for i in reversed(range(len(ds)))][::-1]
    assert all(
        torch.equal(x["lr"], y["lr"]) and torch.equal(x["hr"], y["hr"])
        for x, y in zip(a, b, strict=True)
    )
    other = TrainClipDataset([_ArrayClip(_video())], 2, "bi", num_frames=3, lr_patch=8, seed=12)
    assert any(not torch.equal(x["hr"], other[(2, i)]["hr"]) for i, x in enumerate(a))


def test_sampler_permutes_by_seed_and_epoch_and_skips_batches() -> None:
    s = EpochSampler(10, seed=3, batch_size=2)
    s.set_epoch(1)
    e1 = list(s)
    assert sorted(i for _, i in e1) == list(range(10)) and {e for e, _ in e1} == {1}
    s.set_epoch(2)
    assert list(s) != [(2, i) for _, i in e1]
    resumed = EpochSampler(10, seed=3, batch_size=2, position=lambda: (1, 3))
    assert list(resumed) == e1[6:]
    shards = [list(EpochSampler(10, seed=3, num_replicas=3, rank=r)) for r in range(3)]
    assert all(len(x) == 3 for x in shards) and len({i for sh in shards for _, i in sh}) == 9


@pytest.mark.parametrize("square", [True, False])
def test_rotation_only_for_square_crops(square: bool) -> None:
    draws = [draw_augment(sample_rng(0, 0, i), square=square) for i in range(64)]
    assert any(d.rot90 for d in draws) == square


@pytest.mark.parametrize("scale,kind", [(2, "bd_tecogan"), (4, "bd_duf"), (3, "bi")])
def test_augmented_samples_keep_the_degradation_alignment(scale: int, kind: str) -> None:
    """LR of an augmented sample equals the degradation of its (augmented) HR patch, away
    from the patch border: flipping after phase-0 sampling would shift it by s-1 HR px."""
    frames = _video(t=4, h=20 * scale, w=24 * scale)
    ds = TrainClipDataset([_ArrayClip(frames)], scale, kind, num_frames=2, lr_patch=12, seed=3)
    m = 4  # LR px of the patch border where the patch-only degradation lacks context
    seen = set()
    for epoch in range(12):
        item = ds[(epoch, 0)]
        aug = draw_augment(sample_rng(3, epoch, 0), True, square=True)
        seen.add((aug.hflip, aug.vflip, aug.rot90))
        want = degrade(item["hr"], scale, kind).clamp(0, 1)
        assert torch.allclose(item["lr"][..., m:-m, m:-m], want[..., m:-m, m:-m], atol=1e-5)
    assert len(seen) >= 4  # flips and rotations were exercised
