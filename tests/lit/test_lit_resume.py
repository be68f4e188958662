"""Interrupted-and-resumed training ends with exactly the weights of an uninterrupted run.

Stop after N=3 steps (mid-epoch: an epoch of the sample footage has far more batches),
resume with `ckpt_path=last` to 2N with 2 data workers, compare with a straight 2N run.
Covers model, optimiser, iteration counter, EMA and the data order (the sampler skips the
batches the restored loop already consumed).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from frvsr.lit.fit import fit as train
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
def test_resume_may_start_or_drop_the_weight_average(tmp_path: Path) -> None:
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
    dropped = _state(tmp_path / "sisr/dropped")
    assert int(dropped["iteration"]) == 4
    assert not any(k.startswith("generator_ema.") for k in dropped)
