"""A run stopped mid-epoch and resumed with ckpt_path=last sees the batches (and reaches the
weights) of an uninterrupted run, with 2 DataLoader workers."""

from __future__ import annotations

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


def _fit(
    root: Path, out: Path, max_steps: int, ckpt: str | None, every_n: int | None, val: bool
) -> _Toy:
    torch.manual_seed(0)
    model = _Toy()
    dm = VideoDataModule(
        train=FolderSource(str(root)),
        val=FolderSource(str(root), clips=["clip0"]) if val else None,
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
    )
    trainer.fit(model, datamodule=dm, ckpt_path=ckpt)
    return model


@pytest.mark.slow
@pytest.mark.parametrize(("every_n", "val"), [(None, False), (4, False), (None, True)])
def test_resume_mid_epoch_matches_uninterrupted_run(
    clips_root: Path, tmp_path: Path, every_n: int | None, val: bool
) -> None:
    n = 7  # not a multiple of the 5-batch epoch
    full = _fit(clips_root, tmp_path / "full", 2 * n, None, every_n, val)
    _fit(clips_root, tmp_path / "part", n, None, every_n, val)
    resumed = _fit(clips_root, tmp_path / "part", 2 * n, "last", every_n, val)
    start = resumed.seen[0][0]
    assert 0 < start <= n
    assert [s[:2] for s in resumed.seen] == [s[:2] for s in full.seen[start:]]
    assert [s[2] for s in resumed.seen] == [s[2] for s in full.seen[start:]]
    for a, b in zip(full.state_dict().values(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b)
