"""Every shared dataset through its source, and REDS / LR-folder / natural-sort trees in tmp."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from frvsr.data.clips import list_images, natural_key
from frvsr.data.datasets import EvalClipDataset, TrainClipDataset
from frvsr.data.errors import DataError
from frvsr.data.sources import FolderSource, ImageSource, VimeoSource


def _check_item(item: dict, t: int, p: int, s: int) -> None:
    assert item["lr"].shape == (t, 3, p, p) and item["hr"].shape == (t, 3, s * p, s * p)
    for k in ("lr", "hr"):
        assert (
            item[k].dtype == torch.float32
            and 0.0 <= float(item[k].min())
            and float(item[k].max()) <= 1.0
        )
    assert isinstance(item["key"], str)


def test_vimeo_septuplet_splits(shared_data: Path) -> None:
    root = str(shared_data / "vimeo_septuplet")
    train, test = VimeoSource(root, "train").clips(), VimeoSource(root, "test").clips()
    assert [c.key for c in train][:2] == ["00001/0001", "00001/0002"] and len(train) == 8
    assert {c.key for c in test}.isdisjoint(c.key for c in train)
    assert all(len(c) == 7 and c.hr[0].name == "im1.png" for c in train)
    ds = TrainClipDataset(train, 4, "bd_tecogan", num_frames=7, lr_patch=32, seed=3)
    assert len(ds) == 8
    _check_item(ds[(0, 5)], 7, 32, 4)
    ev = EvalClipDataset(test[:1], 4, "bi", max_frames=3)[0]
    assert (
        ev["hr"].shape == (3, 3, 256, 448)
        and ev["lr"].shape == (3, 3, 64, 112)
        and ev["key"] == "00002/0001"
    )


def test_davis_jpeg_folders(shared_data: Path) -> None:
    clips = FolderSource(str(shared_data / "davis_480p"), clips=["blackswan", "cows"]).clips()
    assert [c.key for c in clips] == ["blackswan", "cows"]
    assert clips[0].hr[0].name == "00000.jpg" and clips[0].hr[-1].suffix == ".jpg"
    ds = TrainClipDataset(clips, 3, "bd_duf", num_frames=5, lr_patch=24)
    _check_item(ds[(2, len(ds) - 1)], 5, 24, 3)
    ev = EvalClipDataset(clips, 4, "bd_tecogan", max_frames=2, crop=30)[1]
    assert ev["lr"].shape == (2, 3, 30, 30) and ev["hr"].shape == (2, 3, 120, 120)
    assert len(FolderSource(str(shared_data / "davis_480p")).clips()) == 20


def test_temple_single_clip_root_and_crop_to_multiple(shared_data: Path) -> None:
    (clip,) = FolderSource(str(shared_data / "temple")).clips()
    assert clip.key == "temple" and len(clip) == 31
    ev = EvalClipDataset([clip], 3, "bi", max_frames=2)[0]  # 1200x800 -> cropped to 1200x798
    assert ev["hr"].shape == (2, 3, 798, 1200) and ev["lr"].shape == (2, 3, 266, 400)


def test_set5_images_as_one_frame_clips(shared_data: Path) -> None:
    clips = ImageSource(str(shared_data / "set5")).clips()
    assert [c.key for c in clips] == [f"img_00{i}_SRF_4_HR" for i in range(1, 6)]
    ds = TrainClipDataset(clips, 4, "bi", num_frames=1, lr_patch=24)
    assert len(ds) == 5
    _check_item(ds[(0, 4)], 1, 24, 4)


def _write(path: Path, img: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))


@pytest.fixture(scope="module")
def small_frames(shared_data: Path) -> list[np.ndarray]:
    """Eight real DAVIS frames downscaled to 96x64 (RGB uint8)."""
    paths = list_images(shared_data / "davis_480p" / "dog")[:8]
    return [
        cv2.resize(cv2.imread(str(p))[..., ::-1], (96, 64), interpolation=cv2.INTER_AREA)
        for p in paths
    ]


def test_reds_layout_with_reds4_selection(tmp_path: Path, small_frames: list[np.ndarray]) -> None:
    for clip in ("000", "001", "011", "015", "020", "021"):
        for i, f in enumerate(small_frames[:5]):
            _write(tmp_path / clip / f"{i:08d}.png", f)
    keys = lambda src: [c.key for c in src.clips()]  # noqa: E731
    assert keys(FolderSource(str(tmp_path), subset="reds4")) == ["000", "011", "015", "020"]
    assert keys(FolderSource(str(tmp_path), subset="not_reds4")) == ["001", "021"]
    assert len(keys(FolderSource(str(tmp_path)))) == 6
    (tmp_path / "015").rename(tmp_path / "x015")
    with pytest.raises(DataError, match=r"\['015'\] not found"):
        FolderSource(str(tmp_path), subset="reds4").clips()


def test_lr_folder_mode_reads_published_lr_aligned(
    tmp_path: Path, small_frames: list[np.ndarray]
) -> None:
    s = 2
    for i, f in enumerate(small_frames[:6]):
        _write(tmp_path / "hr" / "clipA" / f"{i:03d}.png", f)
        _write(
            tmp_path / "lr" / "clipA" / f"{i:03d}.png", np.ascontiguousarray(f[::s, ::s])
        )  # phase-0 LR
    clips = FolderSource(str(tmp_path / "hr"), lr_root=str(tmp_path / "lr")).clips()
    assert clips[0].lr is not None
    ds = TrainClipDataset(clips, s, "bi", num_frames=3, lr_patch=10, augment=False)
    for index in range(len(ds)):
        item = ds[(1, index)]
        # LR read from files: exactly the HR crop's phase-0 pixels, so the crops are aligned
        assert torch.equal(item["lr"], item["hr"][..., ::s, ::s])
    ev = EvalClipDataset(clips, s, "bi")[0]
    assert torch.equal(ev["lr"], ev["hr"][..., ::s, ::s]) and ev["lr"].shape == (6, 3, 32, 48)
    with pytest.raises(DataError, match="not 4x larger"):
        TrainClipDataset(clips, 4, "bi", num_frames=3, lr_patch=8)[(0, 0)]


def test_natural_sort_with_spaces(tmp_path: Path, small_frames: list[np.ndarray]) -> None:
    names = ["Frame 1.png", "Frame 10.png", "Frame 2.png", "Frame 9.png", "Frame 11.png"]
    order = sorted(names, key=natural_key)
    assert order == ["Frame 1.png", "Frame 2.png", "Frame 9.png", "Frame 10.png", "Frame 11.png"]
    for n in names:  # each frame's content encodes its number
        _write(
            tmp_path / "My Clip" / n, np.full((32, 32, 3), int(n.split()[1][:-4]) * 10, np.uint8)
        )
    (clip,) = FolderSource(str(tmp_path)).clips()
    assert clip.key == "My Clip" and [p.name for p in clip.hr] == order
    values = clip.read_hr(0, 5)[:, 0, 0, 0]
    assert values.tolist() == [10, 20, 90, 100, 110]


def test_folder_exclude_drops_named_clips_and_ignores_absent_ones(shared_data: Path) -> None:
    root = str(shared_data / "davis_480p")
    keys = [c.key for c in FolderSource(root, exclude=["cows", "not_there"]).clips()]
    assert len(keys) == 19 and "cows" not in keys
    with pytest.raises(DataError, match="no clip folders left"):
        FolderSource(root, clips=["cows"], exclude=["cows"]).clips()
