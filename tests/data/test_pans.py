"""Synthetic pans (frvsr.data.pans): exact shifts of one HR frame, degraded like any frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from frvsr.data.datasets import TrainClipDataset
from frvsr.data.degradations import degrade
from frvsr.data.errors import DataError
from frvsr.data.pans import SyntheticPan, draw_offsets
from frvsr.data.transforms import sample_rng
from frvsr.io.images import to_float_tensor
from frvsr.lit.datamodule import VideoDataModule

CONF = Path(__file__).resolve().parents[2] / "conf" / "data"
_PAN = "synthetic_pan={_target_:frvsr.data.pans.SyntheticPan,prob:1.0,max_speed:2.0}"


def _sample(overrides: list[str]) -> VideoDataModule:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name="sample", overrides=["num_workers=0", *overrides])
    dm = instantiate(cfg)
    dm.prepare_data()
    dm.setup("fit")
    return dm


def test_offsets_are_a_constant_velocity_pan() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        d = draw_offsets(rng, 10, 2.0)
        assert d.shape == (10, 2) and d.dtype == np.int64 and (d[0] == 0).all()
        assert np.abs(d).max() <= SyntheticPan(max_speed=2.0).extent(10)
        steps = np.diff(d, axis=0)
        assert np.abs(steps).max() <= 2 and np.ptp(steps, axis=0).max() <= 1  # rounding only


def test_bad_settings_are_one_line_errors() -> None:
    with pytest.raises(DataError, match="prob"):
        SyntheticPan(prob=1.5)
    with pytest.raises(DataError, match="max_speed"):
        SyntheticPan(max_speed=0.0)


def _replayed_offsets(ds: TrainClipDataset, epoch: int, index: int) -> np.ndarray:
    """The offsets `TrainClipDataset` draws for (epoch, index): the pan decision, the crop's
    two integers, then the velocity (the order of `_item` and `_pan_item`)."""
    rng = sample_rng(ds.seed, epoch, index)
    rng.random()
    rng.integers(0, 2), rng.integers(0, 2)
    return draw_offsets(rng, ds.num_frames, ds.pan.max_speed)


def _locate(src: torch.Tensor, crop: torch.Tensor) -> tuple[int, int]:
    """Top-left of the one place where `crop` (3,P,P) sits bit-exactly inside `src`."""
    p = crop.shape[-1]
    hit = src.unfold(1, p, 1).unfold(2, p, 1)[0, :, :, 0, 0] == crop[0, 0, 0]
    ys, xs = hit.nonzero(as_tuple=True)
    match = [(int(y), int(x)) for y, x in zip(ys, xs, strict=True)
             if torch.equal(src[:, y : y + p, x : x + p], crop)]
    assert len(match) == 1
    return match[0]


def test_pan_frames_are_the_drawn_shifts_of_one_degraded_frame() -> None:
    """Frame t of a pan is HR frame `start` moved by exactly the drawn offset; LR is that crop
    degraded as degrading the whole frame and cropping would give."""
    dm = _sample(["num_frames=5", "lr_patch=24", "augment=false", _PAN])
    ds: TrainClipDataset = dm.train_set
    clip = ds.reader.clips[0]
    full_hr = to_float_tensor(clip.read_hr(0, 300))  # every frame of the embedded footage
    full_lr = degrade(full_hr, 4, "bd_tecogan").clamp(0, 1)
    moved = 0
    for index in (0, 17, 90, 133):
        item = ds[(3, index)]
        _, start = ds.windows[index]
        assert item["key"].endswith("/pan")
        lr, hr = item["lr"], item["hr"]
        assert lr.shape == (5, 3, 24, 24) and hr.shape == (5, 3, 96, 96)
        found = np.array([_locate(full_hr[start], hr[t]) for t in range(5)])
        offsets = _replayed_offsets(ds, 3, index)
        assert (found - found[0] == offsets).all()
        moved += int(np.abs(offsets).max() > 0)
        # Where the HR crop starts on the LR grid, LR is the whole degraded frame's crop.
        for t, (y, x) in enumerate(found):
            if y % 4 == 0 and x % 4 == 0:
                ref = full_lr[start, :, y // 4 : y // 4 + 24, x // 4 : x // 4 + 24]
                assert torch.allclose(lr[t], ref, atol=1e-5)
    assert moved >= 3


def test_augmented_pans_keep_lr_and_hr_aligned() -> None:
    """Flips, rotations and reversal act on HR before the degradation: away from the crop's
    border, LR equals the degraded HR crop (flipping after BD would shift its grid)."""
    ds = _sample(["num_frames=5", "lr_patch=24", "augment=true", _PAN]).train_set
    for index in range(12):
        item = ds[(0, index)]
        lr, hr = item["lr"], item["hr"]
        inner = degrade(hr, 4, "bd_tecogan").clamp(0, 1)[..., 3:-3, 3:-3]
        assert torch.allclose(lr[..., 3:-3, 3:-3], inner, atol=1e-5), index


def test_pans_are_reproducible_and_off_by_default() -> None:
    plain = _sample(["num_frames=5", "lr_patch=24"]).train_set
    assert plain.pan is None and not plain[(0, 5)]["key"].endswith("/pan")
    never = _sample(["num_frames=5", "lr_patch=24", _PAN.replace("prob:1.0", "prob:0.0")])
    assert torch.equal(never.train_set[(0, 5)]["lr"], plain[(0, 5)]["lr"])  # same draws
    half = _sample(["num_frames=5", "lr_patch=24",
                    _PAN.replace("prob:1.0", "prob:0.5")]).train_set
    keys = [half[(1, i)]["key"].endswith("/pan") for i in range(60)]
    assert 15 < sum(keys) < 45
    a, b = half[(1, 7)], half[(1, 7)]
    assert a["key"] == b["key"] and torch.equal(a["lr"], b["lr"])


def test_room_for_the_pan_is_checked_at_setup() -> None:
    """68 LR rows, T=10 at up to 2 HR px per frame: 18 HR px = 5 LR px of pan plus a 3 px
    degradation margin on each side leave room for crops of 52 px, not 53."""
    ds = _sample(["num_frames=10", "lr_patch=52", _PAN]).train_set
    assert ds[(0, 0)]["lr"].shape == (10, 3, 52, 52)
    with pytest.raises(DataError, match="lower data.synthetic_pan.max_speed, data.num_frames"):
        _sample(["num_frames=10", "lr_patch=53", _PAN])
    with pytest.raises(DataError, match="no room for a synthetic pan"):
        _sample(["num_frames=10", "lr_patch=null", _PAN])
