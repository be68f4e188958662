"""A non-finite loss, injected deterministically (`faults.nonfinite_step`): by default the
run stops with one line naming the step and the loss term and keeps its last good
checkpoint; with `skip_nonfinite=true` the step changes neither weights nor optimiser
state, and the skip is said and counted in the log."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from frvsr.cli.errors import user_message
from frvsr.lit.fit import fit
from frvsr.lit.nonfinite import NonFiniteLossError
from tests.helpers.lit import TINY, compose_train

COMMON = ["experiment=pretrain", *TINY, "trainer.val_check_interval=1000",
          "callbacks.last_checkpoint.every_n_train_steps=1"]


def _ckpt(run: Path) -> dict:
    return torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)


@pytest.mark.slow
def test_nonfinite_loss_stops_naming_step_and_term(tmp_path: Path) -> None:
    cfg = compose_train(tmp_path, [*COMMON, "trainer.max_steps=4", "faults.nonfinite_step=3",
                                   "faults.nonfinite_term=flow"], name="pretrain/run")
    with pytest.raises(NonFiniteLossError) as err:
        fit(cfg)
    line = user_message(err.value)
    assert line is not None and "\n" not in line
    assert "non-finite loss at step 3: loss term flow=nan" in line, line
    last = tmp_path / "pretrain/run/checkpoints/last.ckpt"
    assert f"the last good checkpoint {last} is kept" in line and "skip_nonfinite=true" in line
    kept = _ckpt(tmp_path / "pretrain/run")
    assert int(kept["state_dict"]["iteration"]) == 2
    assert all(torch.isfinite(v).all() for v in kept["state_dict"].values()
               if v.is_floating_point())


def test_nonfinite_loss_before_any_checkpoint_leaves_no_run_folder(tmp_path: Path) -> None:
    cfg = compose_train(tmp_path, [*COMMON, "trainer.max_steps=2", "faults.nonfinite_step=1"],
                        name="pretrain/run")
    with pytest.raises(NonFiniteLossError, match="no checkpoint had been written yet"):
        fit(cfg)
    assert not (tmp_path / "pretrain").exists()


@pytest.mark.slow
def test_skip_nonfinite_leaves_weights_and_optimiser_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    fit(compose_train(tmp_path, [*COMMON, "trainer.max_steps=1"], name="pretrain/first"))
    before = _ckpt(tmp_path / "pretrain/first")
    fit(compose_train(tmp_path, [*COMMON, "trainer.max_steps=3", "ckpt_path=last",
                                 "faults.nonfinite_step=2", "skip_nonfinite=true",
                                 "logger=csv"], name="pretrain/second"))
    out = capsys.readouterr().out
    assert "step 2: non-finite loss (pixel=nan); step skipped (1 skipped so far)" in out, out
    after = _ckpt(tmp_path / "pretrain/second")
    assert int(after["state_dict"]["iteration"]) == 3
    # step 3 trained normally: compare the skipped step through a run that stops there
    fit(compose_train(tmp_path, [*COMMON, "trainer.max_steps=2", "ckpt_path=" + str(
        tmp_path / "pretrain/first/checkpoints/last.ckpt"), "faults.nonfinite_step=2",
        "skip_nonfinite=true"], name="pretrain/third"))
    skipped = _ckpt(tmp_path / "pretrain/third")
    gen = [k for k in before["state_dict"] if k.startswith("generator.")]
    assert gen and all(torch.equal(before["state_dict"][k], skipped["state_dict"][k])
                       for k in gen)
    assert int(skipped["state_dict"]["iteration"]) == 2
    opt_a, opt_b = before["optimizer_states"][0]["state"], skipped["optimizer_states"][0]["state"]
    assert opt_a.keys() == opt_b.keys() and all(
        torch.equal(opt_a[i][k], opt_b[i][k]) for i in opt_a for k in opt_a[i])
    assert not torch.equal(after["state_dict"][gen[0]], before["state_dict"][gen[0]])
    metrics = next((tmp_path / "pretrain/second").rglob("metrics.csv")).read_text()
    header, *rows = metrics.splitlines()
    col = header.split(",").index("train/nonfinite_skips")
    assert [r.split(",")[col] for r in rows if r.split(",")[col]][-1] == "1.0"
