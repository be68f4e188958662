"""Short real fits of the three stages on the embedded sample footage, and what they leave."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

import frvsr
from frvsr.lit.fit import fit as train
from frvsr.lit.staging import StageError
from tests.helpers.lit import TINY, TINY_GAN, compose_train


def _last(run: Path) -> Path:
    return run / "checkpoints" / "last.ckpt"


def test_pretrain_fit_writes_checkpoint_that_rebuilds_generator(tmp_path: Path) -> None:
    cfg = compose_train(tmp_path, ["experiment=pretrain", *TINY], name="pre")
    psnr = train(cfg)
    assert psnr is not None and 10.0 < psnr < 60.0  # validated on the held-out shot
    ckpt_path = _last(tmp_path / "pre")
    ckpt = torch.load(ckpt_path, weights_only=True)  # plain data only
    meta = ckpt["frvsr"]["meta"]
    assert meta["stage"] == "pretrain" and meta["num_feat"] == 8 and meta["iteration"] == 3
    assert int(ckpt["state_dict"]["iteration"]) == 3
    assert (tmp_path / "pre" / "config.yaml").is_file()
    assert list((tmp_path / "pre" / "samples").glob("*.png"))

    loaded = frvsr.load_generator(ckpt_path)
    assert loaded.recurrent and loaded.scale == 4 and loaded.degradation == "bd_tecogan"
    state = {k[len("generator."):]: v for k, v in ckpt["state_dict"].items()
             if k.startswith("generator.")}
    for name, value in loaded.model.state_dict().items():
        assert torch.equal(value, state[name]), name
    with torch.no_grad():
        sr, state1 = loaded.model.step(torch.rand(1, 3, 12, 16), None)
    assert sr.shape == (1, 3, 48, 64)


def test_sisr_fit_trains_backbone_alone(tmp_path: Path) -> None:
    cfg = compose_train(tmp_path, ["experiment=sisr", *TINY], name="sisr")
    assert train(cfg) is not None
    loaded = frvsr.load_generator(_last(tmp_path / "sisr"))
    assert not loaded.recurrent
    assert type(loaded.model).__name__ == "FRVSRNet"
    with torch.no_grad():
        assert loaded.model(torch.rand(2, 3, 8, 8)).shape == (2, 3, 32, 32)


def test_gan_fit_from_pretrain_checkpoint(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    train(compose_train(tmp_path, ["experiment=pretrain", *TINY], name="pre"))
    pre = torch.load(_last(tmp_path / "pre"), weights_only=True)["state_dict"]
    cfg = compose_train(tmp_path, ["experiment=gan", *TINY_GAN, "model.d_update=every"],
                        name="gan")
    train(cfg)
    assert str(_last(tmp_path / "pre")) in capsys.readouterr().out  # says which one it used
    ckpt = torch.load(_last(tmp_path / "gan"), weights_only=True)
    meta, state = ckpt["frvsr"]["meta"], ckpt["state_dict"]
    assert meta["stage"] == "gan" and meta["iteration"] == 3  # iterations, not optimiser steps
    assert ckpt["global_step"] == 6  # one G and one D step per iteration
    assert not any(k.startswith("perceptual_loss.") for k in state)  # VGG not stored
    # started from the pretrained weights, then moved
    key = next(k for k in pre if k.startswith("generator.") and k.endswith("weight"))
    assert not torch.equal(pre[key], state[key])
    # the EMA copy is what load_generator returns by default
    ema = frvsr.load_generator(_last(tmp_path / "gan"))
    live = frvsr.load_generator(_last(tmp_path / "gan"), ema=False)
    ema_key = key[len("generator."):]
    assert torch.equal(ema.model.state_dict()[ema_key], state["generator_ema." + ema_key])
    assert torch.equal(live.model.state_dict()[ema_key], state[key])


def test_gan_without_pretraining_names_the_command(tmp_path: Path) -> None:
    cfg = compose_train(tmp_path, ["experiment=gan", *TINY_GAN], name="gan")
    with pytest.raises(StageError, match="python -m frvsr.train experiment=pretrain"):
        train(cfg)


@pytest.mark.parametrize("experiment", ["pretrain", "sisr"])
def test_speed_switches_bf16_and_channels_last(tmp_path: Path, experiment: str) -> None:
    cfg = compose_train(tmp_path, [f"experiment={experiment}", *TINY,
                                   "trainer.precision=bf16-mixed", "model.channels_last=true"])
    psnr = train(cfg)
    assert psnr is not None and 10.0 < psnr < 60.0
    weights = torch.load(_last(tmp_path / "run"), weights_only=True)["state_dict"]
    assert all(v.dtype in (torch.float32, torch.int64) for v in weights.values())


def test_single_frame_gan_starts_from_the_sisr_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    train(compose_train(tmp_path, ["experiment=sisr", *TINY], name="sisr"))
    train(compose_train(tmp_path, ["experiment=pretrain", *TINY], name="pre"))  # newer, recurrent
    cfg = compose_train(tmp_path, ["experiment=gan", "model=gan_sisr", *TINY_GAN,
                                   "model.perceptual_loss.weight=0"], name="gan")
    assert cfg.model.discriminator._target_.endswith("SpatialDiscriminator")
    capsys.readouterr()
    train(cfg)
    assert f"initialised from {_last(tmp_path / 'sisr')}" in capsys.readouterr().out
    meta = torch.load(_last(tmp_path / "gan"), weights_only=True)["frvsr"]["meta"]
    assert meta["stage"] == "gan" and not meta["recurrent"]
