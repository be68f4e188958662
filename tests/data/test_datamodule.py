"""VideoDataModule built from every conf/data/*.yaml; batches, validation clips, workers."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import OmegaConf
from omegaconf.errors import MissingMandatoryValue

from frvsr.lit.datamodule import VideoDataModule

CONF = Path(__file__).resolve().parents[2] / "conf" / "data"


def _compose(name: str, overrides: list[str] | None = None) -> VideoDataModule:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name=name, overrides=overrides or [])
    return instantiate(cfg)


def test_sample_needs_nothing_and_holds_out_a_shot() -> None:
    dm = _compose("sample", ["num_workers=0", "batch_size=2", "val_max_frames=6", "val_crop=40"])
    assert (dm.scale, dm.degradation) == (4, "bd_tecogan")
    dm.prepare_data()
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader()))
    assert batch["lr"].shape == (2, 7, 3, 32, 32) and batch["hr"].shape == (2, 7, 3, 128, 128)
    assert len(batch["key"]) == 2 and all(k.startswith("bikes/") for k in batch["key"])
    (val,) = list(dm.val_dataloader())
    assert val["lr"].shape == (1, 6, 3, 40, 40) and val["hr"].shape == (1, 6, 3, 160, 160)
    assert val["key"] == ["bikes"]
    starts = {int(dm.train_set.windows[i][1]) for i in range(len(dm.train_set))}
    assert not any(181 <= s < 242 for s in starts)  # no training window touches frames 187-241


def test_batches_do_not_depend_on_num_workers() -> None:
    def batches(workers: int) -> list[dict]:
        dm = _compose("sample", [f"num_workers={workers}", "batch_size=3", "lr_patch=16"])
        dm.setup("fit")
        loader = dm.train_dataloader()
        loader.sampler.set_epoch(2)
        return [b for _, b in zip(range(4), loader, strict=False)]

    for a, b in zip(batches(0), batches(2), strict=True):
        assert (
            a["key"] == b["key"] and torch.equal(a["lr"], b["lr"]) and torch.equal(a["hr"], b["hr"])
        )


@pytest.mark.parametrize("name", ["vimeo", "reds", "folder", "video", "images"])
def test_mandatory_roots_are_marked(name: str) -> None:
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name=name)
    assert OmegaConf.is_missing(cfg.train, "root")
    with pytest.raises(MissingMandatoryValue):
        instantiate(cfg)


@pytest.mark.parametrize(
    ("name", "overrides", "lr_shape"),
    [
        ("vimeo", ["train.root={d}/vimeo_septuplet"], (5, 3, 64, 112)),
        ("folder", ["train.root={d}/davis_480p", "val.clips=[cows]"], (5, 3, 120, 213)),
        (
            "video",
            [
                "train.root={d}/videos",
                "val.root={d}/videos/bedroom.mp4",
                "train.exclude=[bedroom.mp4]",
                "train.max_frames=8",
                "val.max_frames=8",
                "num_frames=5",
            ],
            (5, 3, 135, 240),
        ),
        ("images", ["train.root={d}/set5", "val.root={d}/set14"], (1, 3, 64, 64)),
    ],
)
def test_shared_configs_build_and_validate(
    shared_data: Path, name: str, overrides: list[str], lr_shape: tuple[int, ...]
) -> None:
    ov = [o.format(d=shared_data) for o in overrides] + ["num_workers=0", "val_max_frames=5"]
    if name == "images":
        ov += ["val_crop=64", "batch_size=4"]  # Set5: 5 one-frame windows
    dm = _compose(name, ov)
    dm.setup("fit")
    val = next(iter(dm.val_dataloader()))
    assert val["lr"].shape[1:] == lr_shape
    assert val["hr"].shape[-2:] == (lr_shape[-2] * 4, lr_shape[-1] * 4)
    batch = dm.train_set[(0, 0)]
    assert batch["lr"].shape[0] == dm.num_frames


def test_reds_config_selects_reds4(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    for clip in ("000", "005", "011", "015", "020"):
        (tmp_path / clip).mkdir()
        for i in range(7):
            cv2.imwrite(
                str(tmp_path / clip / f"{i:08d}.png"), np.full((64, 64, 3), i * 9, np.uint8)
            )
    dm = _compose("reds", [f"train.root={tmp_path}", "num_workers=0", "lr_patch=8",
                             "batch_size=1"])  # one 7-frame training clip: one window
    dm.setup("fit")
    assert [c.key for c in dm.train_set.reader.clips] == ["005"]
    assert [c.key for c in dm.val_set.reader.clips] == ["000", "011", "015", "020"]


def test_train_sampler_is_left_alone_by_lightning_ddp() -> None:
    from torch.utils.data.distributed import DistributedSampler

    dm = _compose("sample", ["num_workers=0"])
    dm.setup("fit")
    loader = dm.train_dataloader()
    # Lightning injects its own DistributedSampler unless loader.sampler already is one
    assert isinstance(loader.sampler, DistributedSampler)
    assert len(loader) == len(dm.train_set) // dm.batch_size


def _keys(clips: list) -> list[str]:
    return [c.key for c in clips]


def test_folder_holds_val_clips_out_of_training(shared_data: Path) -> None:
    dm = _compose("folder", [f"train.root={shared_data}/davis_480p", "val.clips=[cows,dog]",
                             "num_workers=0"])
    dm.setup("fit")
    train, val = _keys(dm.train_set.reader.clips), _keys(dm.val_set.reader.clips)
    assert val == ["cows", "dog"]
    assert len(train) == 18 and not set(train) & set(val)


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("folder", ["train.root={d}/davis_480p"]),  # val.clips unset: val = every train clip
        ("folder", ["train.root={d}/temple"]),  # a single-clip root
        ("images", ["train.root={d}/set5", "val.root={d}/set5", "batch_size=2"]),
        ("video", ["train.root={d}/videos", "val.root={d}/videos/bedroom.mp4",
                   "train.max_frames=8", "val.max_frames=8"]),
    ],
)
def test_validation_on_training_clips_is_one_line_error(
    shared_data: Path, name: str, overrides: list[str]
) -> None:
    from frvsr.data import DataError

    dm = _compose(name, [o.format(d=shared_data) for o in overrides] + ["num_workers=0"])
    with pytest.raises(DataError, match="is also a training clip") as err:
        dm.setup("fit")
    assert "\n" not in str(err.value) and "data.val.root=<dir>" in str(err.value)


def test_fewer_windows_than_a_batch_is_one_line_error(shared_data: Path) -> None:
    from frvsr.data import DataError

    # Set14 holds 14 images; the images config's batch of 16 would leave no training batch
    dm = _compose("images", [f"train.root={shared_data}/set14", f"val.root={shared_data}/set5",
                             "num_workers=0"])
    with pytest.raises(DataError, match="14 training windows but data.batch_size=16"):
        dm.setup("fit")
