"""Checkpoint files: atomic writes, one-line errors for foreign files, compiled models
saving plain keys, GAN schedulers stepped once per iteration."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

import frvsr
from frvsr.checkpoint import CheckpointError, atomic_torch_save
from frvsr.lit.fit import fit as train
from tests.helpers.lit import TINY, TINY_GAN, compose_train


class Unpicklable:
    def __reduce__(self) -> tuple:
        raise RuntimeError("boom mid-write")


def test_atomic_save_keeps_the_old_file_when_a_write_fails(tmp_path: Path) -> None:
    path = tmp_path / "last.ckpt"
    atomic_torch_save({"v": torch.ones(3)}, path)
    with pytest.raises(RuntimeError, match="boom"):
        atomic_torch_save({"v": torch.zeros(3), "bad": Unpicklable()}, path)
    assert torch.equal(torch.load(path, weights_only=True)["v"], torch.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]  # no temp file left


def test_foreign_or_broken_checkpoints_are_one_line_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.ckpt"
    broken.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read") as info:
        frvsr.load_generator(broken)
    assert "\n" not in str(info.value)
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(CheckpointError, match="not written by frvsr.train"):
        frvsr.load_generator(foreign)
    with pytest.raises(CheckpointError, match="does not exist"):
        frvsr.load_generator(tmp_path / "missing.ckpt")


def test_gan_schedulers_step_once_per_iteration(tmp_path: Path) -> None:
    step_lr = "{_target_:torch.optim.lr_scheduler.StepLR,_partial_:true,step_size:1,gamma:0.5}"
    cfg = compose_train(tmp_path, [
        "experiment=gan", *TINY_GAN, "model.init_from=none", "model.d_update=every",
        "model.perceptual_loss.weight=0", f"model.scheduler_g={step_lr}",
        f"model.scheduler_d={step_lr}",
    ])
    train(cfg)
    ckpt = torch.load(tmp_path / "run/checkpoints/last.ckpt", weights_only=True)
    lr_g = ckpt["optimizer_states"][0]["param_groups"][0]["lr"]
    lr_d = ckpt["optimizer_states"][1]["param_groups"][0]["lr"]
    assert lr_g == pytest.approx(cfg.model.optimizer_g.lr * 0.5**3)  # 3 iterations
    assert lr_d == pytest.approx(cfg.model.optimizer_d.lr * 0.5**3)  # not 6 optimiser steps


@pytest.mark.slow
def test_compiled_generator_saves_plain_keys(tmp_path: Path, monkeypatch) -> None:
    # A private inductor cache: a shared one that another process left half-written
    # ("file too short") must not fail this test.
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "inductor"))
    train(compose_train(tmp_path, ["experiment=sisr", *TINY, "model.compile=true"]))
    path = tmp_path / "run/checkpoints/last.ckpt"
    keys = torch.load(path, weights_only=True)["state_dict"].keys()
    assert not any("_orig_mod" in k for k in keys)
    assert not frvsr.load_generator(path).recurrent


def test_memory_warp_is_rebuilt_from_the_checkpoint(tmp_path: Path) -> None:
    # A run trained with model.memory_warp=bicubic evaluates with it; checkpoints written
    # before the option existed (no key in their config) keep the bilinear warp.
    from tests.helpers.generators import FRVSR_YAML, save_checkpoint, tiny_frvsr

    path = save_checkpoint(tmp_path / "old.ckpt", tiny_frvsr())
    assert frvsr.load_generator(path).model.memory_warp == "bilinear"
    entry = torch.load(path, weights_only=False)
    entry["frvsr"]["config"] = FRVSR_YAML.replace("model:\n", "model:\n  memory_warp: bicubic\n")
    torch.save(entry, tmp_path / "bicubic.ckpt")
    assert frvsr.load_generator(tmp_path / "bicubic.ckpt").model.memory_warp == "bicubic"
