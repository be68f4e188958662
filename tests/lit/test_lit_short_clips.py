"""One-frame clips: a recurrent model refuses them at setup (one line naming model=sisr);
its temporal loss terms stay finite on them anyway; the single-frame baseline trains on them."""
from __future__ import annotations

import math
from functools import partial
from pathlib import Path

import hydra
import lightning as L
import pytest
import torch
from omegaconf import OmegaConf

from frvsr.lit.fit import fit as train
from frvsr.lit.sr_module import SRModule
from frvsr.losses import FlowWarpLoss, PingPongLoss, PixelLoss
from frvsr.models import FNet, FRVSRNet
from tests.helpers.lit import TINY, compose_train


def _images(shared: Path) -> list[str]:
    return ["data=images", f"data.train.root={shared / 'set14'}",
            f"data.val.root={shared / 'set5'}", "data.num_frames=1", "data.val_max_frames=1"]


def test_recurrent_model_on_one_frame_clips_stops_at_setup(
    tmp_path: Path, shared_data: Path
) -> None:
    cfg = compose_train(tmp_path, [*TINY, *_images(shared_data)])
    with pytest.raises(ValueError, match="model=sisr") as err:
        train(cfg)
    assert "\n" not in str(err.value) and "data.num_frames=1" in str(err.value)
    assert not (tmp_path / "run" / "checkpoints").exists()  # refused before any step
    # the module's own setup hook refuses it too, for drivers other than frvsr.train
    model_cfg = OmegaConf.create(OmegaConf.to_container(cfg.model, resolve=True))
    model_cfg.pop("init_from")
    trainer = L.Trainer(accelerator="cpu", fast_dev_run=True, logger=False,
                        enable_progress_bar=False, enable_model_summary=False)
    with pytest.raises(ValueError, match="model=sisr"):
        trainer.fit(hydra.utils.instantiate(model_cfg),
                    datamodule=hydra.utils.instantiate(cfg.data))


def test_temporal_terms_are_finite_on_one_frame_clips() -> None:
    module = SRModule(
        generator=partial(FRVSRNet, num_feat=8, num_block=1), flow_net=FNet(), scale=4,
        pixel_loss=PixelLoss(), optimizer=partial(torch.optim.Adam),
        flow_loss=FlowWarpLoss(), pingpong_loss=PingPongLoss(),
    )
    terms = module.compute_losses(torch.rand(2, 1, 3, 8, 8), torch.rand(2, 1, 3, 32, 32))
    assert set(terms) == {"pixel"}  # no frame pair: no flow, no ping-pong term
    assert all(math.isfinite(v.item()) for v in terms.values())
    # the losses themselves: zero, not the NaN mean of an empty tensor
    assert float(FlowWarpLoss()(torch.rand(2, 0, 3, 8, 8), torch.rand(2, 1, 3, 8, 8))) == 0.0
    assert float(PingPongLoss()(torch.rand(2, 1, 3, 8, 8))) == 0.0


def test_sisr_trains_on_one_frame_clips(tmp_path: Path, shared_data: Path) -> None:
    cfg = compose_train(tmp_path, ["experiment=sisr", *TINY, *_images(shared_data),
                                   "trainer.max_steps=2", "trainer.val_check_interval=2"])
    train(cfg)
    ckpt = torch.load(tmp_path / "run" / "checkpoints" / "last.ckpt", weights_only=True)
    assert ckpt["frvsr"]["meta"]["stage"] == "sisr" and ckpt["frvsr"]["meta"]["iteration"] == 2
