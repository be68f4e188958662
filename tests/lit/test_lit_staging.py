"""GAN stage initialisation: newest matching pretraining checkpoint, architecture checks."""
from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pytest
import torch
from torch import nn

from frvsr.checkpoint import atomic_torch_save, find_init_checkpoint
from frvsr.lit.gan_module import GANModule
from frvsr.lit.sr_module import SRModule
from frvsr.lit.staging import StageError, resolve_init
from frvsr.losses import AdversarialLoss, PixelLoss
from frvsr.models import FNet, FRVSRNet, SpatialDiscriminator, SRResNet


def _sr_module(backbone: type[nn.Module], num_feat: int = 8) -> SRModule:
    return SRModule(generator=partial(backbone, num_feat=num_feat, num_block=1), flow_net=FNet(),
                    scale=4, pixel_loss=PixelLoss(), optimizer=partial(torch.optim.Adam))


def _gan_module(backbone: type[nn.Module], num_feat: int = 8) -> GANModule:
    return GANModule(
        generator=partial(backbone, num_feat=num_feat, num_block=1), flow_net=FNet(), scale=4,
        discriminator=SpatialDiscriminator(num_feat=8), pixel_loss=PixelLoss(),
        adversarial_loss=AdversarialLoss(), optimizer_g=partial(torch.optim.Adam),
        optimizer_d=partial(torch.optim.Adam), ema_decay=0.9,
    )


def _save(module: SRModule, path: Path, mtime: float) -> None:
    ckpt = {"state_dict": module.state_dict()}
    module.on_save_checkpoint(ckpt)
    atomic_torch_save(ckpt, path)
    os.utime(path, (mtime, mtime))


def test_picks_newest_matching_and_ignores_newer_other_architecture(tmp_path: Path) -> None:
    old_match, new_match = _sr_module(FRVSRNet), _sr_module(FRVSRNet)
    runs = tmp_path / "outputs"
    _save(old_match, runs / "pretrain/runs/a/checkpoints/last.ckpt", 1_000)
    _save(new_match, runs / "pretrain/multiruns/b/0/checkpoints/last.ckpt", 2_000)
    _save(_sr_module(SRResNet), runs / "pretrain/multiruns/b/1/checkpoints/last.ckpt", 3_000)
    _save(_sr_module(FRVSRNet, num_feat=16), runs / "pretrain/runs/c/checkpoints/last.ckpt", 4_000)
    (runs / "pretrain/runs/d/checkpoints").mkdir(parents=True)
    (runs / "pretrain/runs/d/checkpoints/last.ckpt").write_bytes(b"killed mid-write")

    gan = _gan_module(FRVSRNet)
    used = resolve_init(gan, "auto", runs)
    assert used == runs / "pretrain/multiruns/b/0/checkpoints/last.ckpt"
    for name, value in new_match.generator.state_dict().items():
        assert torch.equal(gan.generator.state_dict()[name], value)
        assert torch.equal(gan.generator_ema.state_dict()[name], value)


def test_gan_checkpoints_are_never_init_candidates(tmp_path: Path) -> None:
    runs = tmp_path / "outputs"
    gan = _gan_module(FRVSRNet)
    _save(gan, runs / "gan/runs/a/checkpoints/last.ckpt", 1_000)
    assert find_init_checkpoint(runs, gan.meta) is None
    with pytest.raises(StageError, match="experiment=pretrain"):
        resolve_init(gan, "auto", runs)


def test_explicit_init_from_of_other_architecture_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "srresnet.ckpt"
    _save(_sr_module(SRResNet), path, 1_000)
    with pytest.raises(StageError, match="another architecture"):
        resolve_init(_gan_module(FRVSRNet), str(path), tmp_path)


def test_init_from_none_starts_from_scratch(tmp_path: Path) -> None:
    gan = _gan_module(FRVSRNet)
    before = {k: v.clone() for k, v in gan.generator.state_dict().items()}
    assert resolve_init(gan, "none", tmp_path) is None
    assert all(torch.equal(before[k], v) for k, v in gan.generator.state_dict().items())


def test_refused_init_from_is_never_reported_as_used(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = tmp_path / "srresnet.ckpt"
    _save(_sr_module(SRResNet), path, 1_000)
    for init_from in (path, tmp_path / "missing.ckpt"):
        with pytest.raises((StageError, FileNotFoundError, RuntimeError)):
            resolve_init(_gan_module(FRVSRNet), str(init_from), tmp_path)
        assert "initialised from" not in capsys.readouterr().out


def test_pretrain_init_from_says_which_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "pre.ckpt"
    _save(_sr_module(FRVSRNet), path, 1_000)
    assert resolve_init(_sr_module(FRVSRNet), str(path), tmp_path) == path
    assert f"pretrain stage initialised from {path}" in capsys.readouterr().out

