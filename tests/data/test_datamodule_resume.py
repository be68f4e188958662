"""A run stopped mid-epoch and resumed with ckpt_path=last sees the batches (and reaches the
weights) of an uninterrupted run, with 2 DataLoader workers."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from lightning import LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint

from frvsr.data.sources import FolderSource
from frvsr.lit.datamodule import VideoDataModule


class _Toy(LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Conv2d(3, 3, 3, padding=1)
        self.seen: list[tuple[int, tuple[str, ...], float]] = []

    def training_step(self, batch: dict, batch_idx: int) -> torch.Tensor:
        self.seen.append((self.global_step, tuple(batch["key"]), float(batch["lr"].sum())))
        lr = batch["lr"].flatten(0, 1)
        return (self.net(lr) - batch["hr"].flatten(0, 1)[..., ::2, ::2]).square().mean()

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        self.log(
            "val/loss", (self.net(batch["lr"][0]) - batch["hr"][0][..., ::2, ::2]).square().mean()
        )

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=1e-2)


@pytest.fixture(scope="module")
def clips_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("toy_clips")
    rng = np.random.default_rng(0)
    for c in range(4):
        (root / f"clip{c}").mkdir()
        for f in range(6):
            cv2.imwrite(
                str(root / f"clip{c}" / f"{f:03d}.png"),
                rng.integers(0, 256, (24, 24, 3), dtype=np.uint8),
            )
    return root


def _val_root(root: Path) -> Path:
    """A copy of clip0 outside the training root: validation must not use training clips."""
    val_root = root.parent / f"{root.name}_val" / "clip0"
    if not val_root.is_dir():
        shutil.copytree(root / "clip0", val_root)
    return val_root


def _fit(
    root: Path,
    out: Path,
    max_steps: int,
    ckpt: str | None,
    every_n: int | None,
    val: bool,
    limit: int | None = None,
) -> _Toy:
    torch.manual_seed(0)
    model = _Toy()
    dm = VideoDataModule(
        train=FolderSource(str(root)),
        val=FolderSource(str(_val_root(root))) if val else None,
        scale=2,
        degradation="bi",
        num_frames=3,
        lr_patch=6,
        batch_size=3,
        num_workers=2,
        seed=7,
    )  # 4 clips x 4 windows = 16 samples -> 5 batches per epoch
    callback = ModelCheckpoint(dirpath=out, save_last=True, every_n_train_steps=every_n)
    trainer = Trainer(
        max_steps=max_steps,
        callbacks=[callback],
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=out,
        accelerator="cpu",
        devices=1,
        val_check_interval=3 if val else 1.0,
        num_sanity_val_steps=0,
        limit_train_batches=limit,
    )
    trainer.fit(model, datamodule=dm, ckpt_path=ckpt)
    return model


@pytest.mark.slow
@pytest.mark.parametrize(
    ("n", "every_n", "val"),
    [(7, None, False), (7, 4, False), (7, None, True), (10, None, False), (10, 5, True)],
)
def test_resume_matches_uninterrupted_run(
    clips_root: Path, tmp_path: Path, n: int, every_n: int | None, val: bool
) -> None:
    # n=7 stops mid-epoch (5 batches per epoch); n=10 exactly at an epoch's end; checkpoints
    # written by the epoch-end hook (every_n None), on a train batch, or after validation
    _check_resume(clips_root, tmp_path, n, every_n, val, None)


@pytest.mark.slow
@pytest.mark.parametrize("n", [6, 8])
def test_resume_with_limit_train_batches(clips_root: Path, tmp_path: Path, n: int) -> None:
    _check_resume(clips_root, tmp_path, n, 2, False, 4)  # 4-batch epochs: mid and end


def _check_resume(
    clips_root: Path, tmp_path: Path, n: int, every_n: int | None, val: bool, limit: int | None
) -> None:
    full = _fit(clips_root, tmp_path / "full", 2 * n, None, every_n, val, limit)
    _fit(clips_root, tmp_path / "part", n, None, every_n, val, limit)
    resumed = _fit(clips_root, tmp_path / "part", 2 * n, "last", every_n, val, limit)
    start = resumed.seen[0][0]
    assert 0 < start <= n
    assert [s[:2] for s in resumed.seen] == [s[:2] for s in full.seen[start:]]
    assert [s[2] for s in resumed.seen] == [s[2] for s in full.seen[start:]]
    for a, b in zip(full.state_dict().values(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b)
