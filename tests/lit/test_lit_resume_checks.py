"""`ckpt_path=last` / `ckpt_path=<file>` check what they resume: stage, generator and every
tensor shape; the newest *fitting* last.ckpt is picked, a misfit is one line with the fix."""
from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf
from torch import nn

from frvsr.checkpoint import CheckpointError, atomic_torch_save
from frvsr.lit.base import GeneratorModule
from frvsr.lit.gan_module import GANModule
from frvsr.lit.resume import resolve_ckpt_path
from frvsr.lit.sr_module import SRModule
from frvsr.losses import AdversarialLoss, PixelLoss
from frvsr.models import FNet, FRVSRNet, SpatialDiscriminator, SRResNet


def _sr(backbone: type[nn.Module] = FRVSRNet, num_feat: int = 8) -> SRModule:
    return SRModule(generator=partial(backbone, num_feat=num_feat, num_block=1), flow_net=FNet(),
                    scale=4, pixel_loss=PixelLoss(), optimizer=partial(torch.optim.Adam))


def _gan(d_feat: int = 8) -> GANModule:
    return GANModule(
        generator=partial(FRVSRNet, num_feat=8, num_block=1), flow_net=FNet(), scale=4,
        discriminator=SpatialDiscriminator(num_feat=d_feat), pixel_loss=PixelLoss(),
        adversarial_loss=AdversarialLoss(), optimizer_g=partial(torch.optim.Adam),
        optimizer_d=partial(torch.optim.Adam),
    )


def _save(module: GeneratorModule, path: Path, mtime: float) -> Path:
    ckpt = {"state_dict": module.state_dict()}
    module.on_save_checkpoint(ckpt)
    atomic_torch_save(ckpt, path)
    os.utime(path, (mtime, mtime))
    return path


def _cfg(tmp: Path, ckpt_path: str, task: str = "pretrain") -> OmegaConf:
    return OmegaConf.create({"ckpt_path": ckpt_path, "task_name": task,
                             "paths": {"log_dir": str(tmp)}})


def test_last_picks_newest_fitting_job_of_a_multirun(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    runs = tmp_path / "pretrain" / "multiruns" / "m"
    fits = _save(_sr(FRVSRNet), runs / "0/checkpoints/last.ckpt", 1_000)
    _save(_sr(SRResNet), runs / "1/checkpoints/last.ckpt", 2_000)  # finished last
    _save(_sr(FRVSRNet, num_feat=16), runs / "2/checkpoints/last.ckpt", 3_000)
    assert resolve_ckpt_path(_cfg(tmp_path, "last"), _sr(FRVSRNet)) == str(fits)
    assert "passed over 2 newer last.ckpt" in capsys.readouterr().out


def test_last_with_no_fitting_checkpoint_is_one_line(tmp_path: Path) -> None:
    other = _save(_sr(FRVSRNet, num_feat=16), tmp_path / "pretrain/runs/a/checkpoints/last.ckpt",
                  1_000)
    with pytest.raises(CheckpointError) as err:
        resolve_ckpt_path(_cfg(tmp_path, "last"), _sr(FRVSRNet))
    msg = str(err.value)
    assert "\n" not in msg and str(other) in msg and "num_feat=16 vs 8" in msg


def test_explicit_file_of_another_width_is_refused(tmp_path: Path) -> None:
    path = _save(_sr(FRVSRNet, num_feat=16), tmp_path / "w16.ckpt", 1_000)
    with pytest.raises(CheckpointError, match="num_feat=16 vs 8") as err:
        resolve_ckpt_path(_cfg(tmp_path, str(path)), _sr(FRVSRNet))
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_gan_resume_from_a_pretrain_file_names_init_from(tmp_path: Path) -> None:
    path = _save(_sr(FRVSRNet), tmp_path / "pretrain.ckpt", 1_000)
    with pytest.raises(CheckpointError, match="model.init_from=") as err:
        resolve_ckpt_path(_cfg(tmp_path, str(path), "gan"), _gan())
    assert "holds a pretrain run and this run is gan" in str(err.value)


def test_other_discriminator_width_is_caught_by_shapes(tmp_path: Path) -> None:
    path = _save(_gan(d_feat=16), tmp_path / "gan.ckpt", 1_000)
    with pytest.raises(CheckpointError, match="discriminator.*another width"):
        resolve_ckpt_path(_cfg(tmp_path, str(path), "gan"), _gan(d_feat=8))
    assert resolve_ckpt_path(_cfg(tmp_path, str(path), "gan"), _gan(d_feat=16)) == str(path)
