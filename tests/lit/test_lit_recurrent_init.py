"""FRVSR started from its own backbone trained frame by frame, and the flow warm-up."""
from __future__ import annotations

import os
from functools import partial
from pathlib import Path

import pytest
import torch
from torch import nn

from frvsr.checkpoint import atomic_torch_save
from frvsr.errors import ConfigError, StageError
from frvsr.lit.sr_module import SRModule
from frvsr.lit.staging import resolve_init
from frvsr.losses import FlowWarpLoss, PixelLoss
from frvsr.models import FNet, FRVSRNet, SRResNet

# training_step outside a Trainer (its self.log calls are no-ops there)
pytestmark = pytest.mark.filterwarnings(r"ignore:You are trying to `self.log\(\)`")


def _module(backbone: type[nn.Module], recurrent: bool, num_feat: int = 8,
            warmup: int = 0) -> SRModule:
    torch.manual_seed(1 if recurrent else 2)
    return SRModule(generator=partial(backbone, num_feat=num_feat, num_block=1),
                    flow_net=FNet() if recurrent else None, scale=4, pixel_loss=PixelLoss(),
                    flow_loss=FlowWarpLoss(), optimizer=partial(torch.optim.Adam, lr=1e-3),
                    flow_warmup_steps=warmup)


def _save(module: SRModule, path: Path) -> Path:
    ckpt = {"state_dict": module.state_dict()}
    module.on_save_checkpoint(ckpt)
    atomic_torch_save(ckpt, path)
    os.utime(path, (1_000, 1_000))
    return path


@pytest.mark.parametrize("backbone", [FRVSRNet, SRResNet])
def test_frvsr_from_single_frame_run_starts_as_that_run(tmp_path: Path, backbone) -> None:
    sisr = _module(backbone, recurrent=False)
    path = _save(sisr, tmp_path / "sisr.ckpt")
    frvsr = _module(backbone, recurrent=True)
    flow_before = {k: v.clone() for k, v in frvsr.generator.flow_net.state_dict().items()}
    assert resolve_init(frvsr, str(path), tmp_path) == path
    lr = torch.rand(1, 4, 3, 16, 16)
    with torch.no_grad():
        recurrent = frvsr.generator(lr).sr
        single = sisr.generator(lr.flatten(0, 1)).unflatten(0, (1, 4))
    # memory channels start at zero: the same SR as frame by frame, whatever the estimate
    assert torch.allclose(recurrent, single, atol=1e-5)
    for key, value in frvsr.generator.flow_net.state_dict().items():
        assert torch.equal(value, flow_before[key])  # the flow net is not touched


def test_single_frame_run_of_another_width_is_refused(tmp_path: Path) -> None:
    path = _save(_module(FRVSRNet, recurrent=False, num_feat=16), tmp_path / "sisr.ckpt")
    with pytest.raises(StageError, match="another architecture"):
        resolve_init(_module(FRVSRNet, recurrent=True), str(path), tmp_path)


def test_flow_warmup_trains_the_flow_net_alone() -> None:
    module = _module(FRVSRNet, recurrent=True, warmup=2)
    opt = module.configure_optimizers()
    batch = {"lr": torch.rand(2, 3, 3, 16, 16), "hr": torch.rand(2, 3, 3, 64, 64)}
    sr_before = {k: v.clone() for k, v in module.generator.sr_net.state_dict().items()}
    flow_before = {k: v.clone() for k, v in module.generator.flow_net.state_dict().items()}
    for _ in range(2):
        assert module.in_flow_warmup()
        loss = module.training_step(batch, 0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        module.after_iteration()
    assert all(torch.equal(v, sr_before[k])
               for k, v in module.generator.sr_net.state_dict().items())
    assert not all(torch.equal(v, flow_before[k])
                   for k, v in module.generator.flow_net.state_dict().items())
    assert not module.in_flow_warmup()  # then the joint training starts
    loss = module.training_step(batch, 0)
    opt.zero_grad()
    loss.backward()
    assert module.generator.sr_net.conv_in.weight.grad is not None


def test_flow_warmup_needs_the_flow_loss() -> None:
    with pytest.raises(ConfigError, match="flow_warmup_steps"):
        SRModule(generator=partial(FRVSRNet, num_feat=8, num_block=1), flow_net=FNet(),
                 scale=4, pixel_loss=PixelLoss(), optimizer=partial(torch.optim.Adam),
                 flow_warmup_steps=3)


def test_validation_logs_the_recurrence_gain(tmp_path: Path) -> None:
    """A recurrent module's validation metrics hold `recurrence_gain` (0 when its memory
    channels are zero: the FRVSR started from a single-frame run) and `psnr_y_no_memory`
    (then equal to its PSNR-Y)."""
    sisr = _module(FRVSRNet, recurrent=False)
    frvsr = _module(FRVSRNet, recurrent=True)
    resolve_init(frvsr, str(_save(sisr, tmp_path / "s.ckpt")), tmp_path)
    frvsr.on_validation_epoch_start()
    batch = {"lr": torch.rand(1, 3, 3, 16, 16), "hr": torch.rand(1, 3, 3, 64, 64),
             "key": ["c"]}
    frvsr.validation_step(batch, 0)
    logged = frvsr._val_metrics[0]
    assert abs(logged["recurrence_gain"]) < 1e-6
    assert logged["psnr_y_no_memory"] == pytest.approx(logged["psnr_y"], abs=1e-6)
    sisr.on_validation_epoch_start()
    sisr.validation_step(batch, 0)
    assert "recurrence_gain" not in sisr._val_metrics[0]
    assert "psnr_y_no_memory" not in sisr._val_metrics[0]


def test_teacher_forcing_schedule_falls_linearly_after_the_flow_warmup() -> None:
    module = SRModule(generator=partial(FRVSRNet, num_feat=8, num_block=1), flow_net=FNet(),
                      scale=4, pixel_loss=PixelLoss(), flow_loss=FlowWarpLoss(),
                      optimizer=partial(torch.optim.Adam, lr=1e-3), flow_warmup_steps=2,
                      teacher_forcing_steps=4)
    weights = []
    for step in range(8):
        module.iteration.fill_(step)
        weights.append(module.teacher_weight())
    assert weights == [1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    single = SRModule(generator=partial(FRVSRNet, num_feat=8, num_block=1), flow_net=None,
                      scale=4, pixel_loss=PixelLoss(), optimizer=partial(torch.optim.Adam),
                      teacher_forcing_steps=4)
    assert single.teacher_weight() == 0.0  # single-frame models have no memory
    with pytest.raises(ConfigError, match="teacher_forcing_steps"):
        SRModule(generator=partial(FRVSRNet, num_feat=8, num_block=1), flow_net=None, scale=4,
                 pixel_loss=PixelLoss(), optimizer=partial(torch.optim.Adam),
                 teacher_forcing_steps=-1)


def test_teacher_forcing_reaches_the_training_forward() -> None:
    """With the GT share at 1 the training loss is the one of GT memory; at 0 the plain one."""
    module = SRModule(generator=partial(FRVSRNet, num_feat=8, num_block=1), flow_net=FNet(),
                      scale=4, pixel_loss=PixelLoss(), flow_loss=FlowWarpLoss(),
                      optimizer=partial(torch.optim.Adam, lr=1e-3), teacher_forcing_steps=2)
    lr, hr = torch.rand(1, 3, 3, 8, 8), torch.rand(1, 3, 3, 32, 32)
    with torch.no_grad():
        forced = module.compute_losses(lr, hr)["pixel"]
        expected = PixelLoss()(module.generator(lr, teacher=hr, teacher_weight=1.0).sr, hr)
        module.iteration.fill_(2)
        plain = module.compute_losses(lr, hr)["pixel"]
    assert torch.allclose(forced, expected) and not torch.allclose(forced, plain)
    assert torch.allclose(plain, PixelLoss()(module.generator(lr).sr, hr))


def test_detach_memory_reaches_the_training_forward(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict] = []
    module = SRModule(generator=partial(FRVSRNet, num_feat=8, num_block=1), flow_net=FNet(),
                      scale=4, pixel_loss=PixelLoss(), flow_loss=FlowWarpLoss(),
                      optimizer=partial(torch.optim.Adam, lr=1e-3), detach_memory=True)
    forward = module.generator.forward
    monkeypatch.setattr(module.generator, "forward",
                        lambda lr, **kw: seen.append(kw) or forward(lr, **kw))
    module.compute_losses(torch.rand(1, 2, 3, 8, 8), torch.rand(1, 2, 3, 32, 32))
    assert seen == [{"detach_memory": True}]


def test_memory_dropout_reaches_the_training_forward(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict] = []
    make = partial(SRModule, generator=partial(FRVSRNet, num_feat=8, num_block=1),
                   flow_net=FNet(), scale=4, pixel_loss=PixelLoss(), flow_loss=FlowWarpLoss(),
                   optimizer=partial(torch.optim.Adam, lr=1e-3))
    module = make(memory_dropout=0.3)
    forward = module.generator.forward
    monkeypatch.setattr(module.generator, "forward",
                        lambda lr, **kw: seen.append(kw) or forward(lr, **kw))
    module.compute_losses(torch.rand(1, 2, 3, 8, 8), torch.rand(1, 2, 3, 32, 32))
    assert seen == [{"memory_dropout": 0.3}]
    with pytest.raises(ConfigError, match="memory_dropout"):
        make(memory_dropout=1.0)
