"""Interrupted-and-resumed training ends with exactly the weights of an uninterrupted run.

Stop after N=3 steps (mid-epoch: an epoch of the sample footage has far more batches),
resume with `ckpt_path=last` to 2N with 2 data workers, compare with a straight 2N run.
Covers model, optimiser, iteration counter, EMA and the data order (the sampler skips the
batches the restored loop already consumed).
"""
from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest
import torch

from frvsr.checkpoint import resume_problem
from frvsr.lit.fit import fit as train
from frvsr.lit.resume import _resume_shapes
from frvsr.lit.sr_module import SRModule
from frvsr.losses import PixelLoss
from frvsr.models import FNet, FRVSRNet
from tests.helpers.lit import TINY, compose_train

N = 3


def _state(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]


@pytest.mark.slow
def test_resume_matches_uninterrupted_run(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    common = ["experiment=pretrain", *TINY, "data.num_workers=2", "model.ema_decay=0.9",
              "trainer.val_check_interval=1000", "callbacks.last_checkpoint.every_n_train_steps=2"]
    straight = tmp_path / "straight"
    train(compose_train(straight, [*common, f"trainer.max_steps={2 * N}"], name="pretrain/a"))

    resumed = tmp_path / "resumed"
    train(compose_train(resumed, [*common, f"trainer.max_steps={N}"], name="pretrain/first"))
    first = _state(resumed / "pretrain/first")
    assert int(first["iteration"]) == N
    # Another global seed: a run that silently started over would initialise differently
    # (the data order depends on data.seed only), so equality below proves the restore.
    train(compose_train(resumed, [*common, f"trainer.max_steps={2 * N}", "ckpt_path=last",
                                  "seed=999"], name="pretrain/second"))
    assert "resuming from" in capsys.readouterr().out

    a, b = _state(straight / "pretrain/a"), _state(resumed / "pretrain/second")
    assert int(b["iteration"]) == 2 * N
    assert a.keys() == b.keys()
    assert any(k.startswith("generator_ema.") for k in a)
    mismatched = [k for k in a if not torch.equal(a[k], b[k])]
    assert not mismatched, mismatched
    # and the resumed run really trained past the interruption
    key = "generator.flow_net.encoder1.0.weight"
    assert not torch.equal(first[key], b[key])


@pytest.mark.slow
def test_resume_may_start_or_drop_the_weight_average(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """`model.ema_decay` switched on at a resume: the average starts from the resumed
    weights (one update later it is their lerp with the new ones); switched off, the saved
    average is dropped. Neither is refused as another configuration."""
    common = ["experiment=sisr", *TINY, "trainer.val_check_interval=1000"]
    train(compose_train(tmp_path, [*common, "trainer.max_steps=2"], name="sisr/plain"))
    plain = tmp_path / "sisr/plain/checkpoints/last.ckpt"
    start = _state(tmp_path / "sisr/plain")
    assert not any(k.startswith("generator_ema.") for k in start)

    train(compose_train(tmp_path, [*common, "trainer.max_steps=3", "model.ema_decay=0.5",
                                   f"ckpt_path={plain}"], name="sisr/ema"))
    assert "has no weight average; one starts from its weights" in capsys.readouterr().out
    averaged = _state(tmp_path / "sisr/ema")
    weights = [k for k in averaged if k.startswith("generator.") and k.endswith("weight")]
    assert weights
    for key in weights:
        ema = averaged["generator_ema." + key[len("generator."):]]
        torch.testing.assert_close(ema, 0.5 * start[key] + 0.5 * averaged[key])
        assert not torch.equal(start[key], averaged[key])  # it trained one more step

    ema_ckpt = tmp_path / "sisr/ema/checkpoints/last.ckpt"
    train(compose_train(tmp_path, [*common, "trainer.max_steps=4", f"ckpt_path={ema_ckpt}"],
                        name="sisr/dropped"))
    assert "is dropped (set model.ema_decay to keep it)" in capsys.readouterr().out
    dropped = _state(tmp_path / "sisr/dropped")
    assert int(dropped["iteration"]) == 4
    assert not any(k.startswith("generator_ema.") for k in dropped)


def _module(ema_decay: float) -> SRModule:
    torch.manual_seed(0)
    return SRModule(generator=partial(FRVSRNet, num_feat=8, num_block=1), flow_net=FNet(),
                    scale=4, pixel_loss=PixelLoss(), optimizer=partial(torch.optim.Adam),
                    ema_decay=ema_decay)


def _loaded(module: SRModule, state: dict[str, torch.Tensor]) -> SRModule:
    checkpoint = {"state_dict": dict(state)}
    module.on_load_checkpoint(checkpoint)
    module.load_state_dict(checkpoint["state_dict"], strict=True)
    return module


def test_a_started_average_is_the_resumed_generator_and_a_dropped_one_is_not_loaded() -> None:
    """Every key, parameters and buffers: a new average equals the loaded generator; with
    the average off the generator gets the saved live weights, never the average."""
    plain = _module(0.0)
    started = _loaded(_module(0.9), plain.state_dict())
    for key, value in plain.generator.state_dict().items():
        assert torch.equal(started.generator.state_dict()[key], value)
        assert torch.equal(started.generator_ema.state_dict()[key], value)

    with torch.no_grad():  # an average that differs from the live weights
        for p in started.generator_ema.parameters():
            p.add_(1.0)
    dropped = _loaded(_module(0.0), started.state_dict())
    for key, value in started.generator.state_dict().items():
        assert torch.equal(dropped.generator.state_dict()[key], value)
    assert dropped.generator_ema is None


def test_a_damaged_average_is_a_resume_problem_not_a_traceback() -> None:
    module = _module(0.9)
    state = module.state_dict()
    entry = {"meta": {**module.meta, "stage": module.stage}, "state_dict": state}
    shapes = _resume_shapes(module)
    assert resume_problem(entry, module.stage, module.meta, shapes) is None
    for damaged in ({k: v for k, v in state.items() if k != "generator_ema.sr_net.conv_in.bias"},
                    {**state, "generator_ema.sr_net.conv_in.bias": torch.zeros(3)}):
        problem = resume_problem({**entry, "state_dict": damaged}, module.stage, module.meta,
                                 shapes)
        assert problem is not None and "does not mirror its generator" in problem
