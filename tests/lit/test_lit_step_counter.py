"""One step counter in the GAN stage: checkpoint names, sample names, the logged `step` and
the `iteration` buffer agree, although Lightning's global_step counts optimiser steps (one
or two per iteration); learning rates are logged as lr/generator and lr/discriminator."""
from __future__ import annotations

import csv
from pathlib import Path

import torch

from frvsr.lit.fit import fit as train
from tests.helpers.lit import TINY_GAN, compose_train


def test_gan_names_logs_and_iteration_agree(tmp_path: Path) -> None:
    train(compose_train(tmp_path, ["experiment=gan", *TINY_GAN, "model.init_from=none",
                                   "model.perceptual_loss.weight=0", "model.d_update=every",
                                   "logger=csv", "trainer.max_steps=2",
                                   "trainer.val_check_interval=1"]))
    run = tmp_path / "run"
    (best,) = (run / "checkpoints").glob("best-step*.ckpt")
    ckpt = torch.load(best, weights_only=True)
    named = int(best.stem.removeprefix("best-step"))
    assert named == ckpt["frvsr"]["meta"]["iteration"] == int(ckpt["state_dict"]["iteration"])
    assert ckpt["global_step"] == 2 * named  # Lightning's count: G and D step per iteration
    assert named in (1, 2)
    samples = sorted(p.stem for p in (run / "samples").glob("*.png"))
    assert samples == ["step0000001_0", "step0000002_0"]

    (metrics,) = (run / "csv").rglob("metrics.csv")
    rows = list(csv.DictReader(metrics.open()))
    val_steps = [int(r["step"]) for r in rows if r.get("val/psnr_y")]
    train_steps = [int(r["step"]) for r in rows if r.get("train/g_loss")]
    assert val_steps == [1, 2] and train_steps == [1, 2]
    lr_rows = [r for r in rows if r.get("lr/generator")]
    assert lr_rows and all(r["lr/discriminator"] for r in lr_rows)
    assert not [k for k in rows[0] if k.startswith("lr-")]
    assert all(r.get("val_bicubic/psnr_y") for r in rows if r.get("val/psnr_y"))
    assert all(r.get("val/lpips_alex") for r in rows if r.get("val/psnr_y"))  # GAN: LPIPS
