"""frvsr.evaluate's recurrence diagnostics for recurrent checkpoints: in the JSON, the
terminal table and the HTML report; zero for a model whose memory weights are zero."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from frvsr.evaluate import main
from tests.helpers.generators import save_checkpoint, tiny_frvsr, tiny_srresnet
from tests.helpers.media import panning_gt


def _gt(root: Path) -> Path:
    """Five 64x48 GT frames panning 1 px per frame (LR 16x12: DIS still runs)."""
    return panning_gt(root, frames=5, height=48, width=64, name="{t:03d}.png")


def _evaluate(tmp: Path, ckpt: Path, gt: Path, *extra: str) -> dict:
    out = tmp / "r" / "results.json"
    assert main([f"ckpt={ckpt}", f"gt={gt}", f"out={out}", "metrics=[psnr_y]",
                 "degradation=bd_tecogan", *extra]) == 0
    return json.loads(out.read_text())


def test_recurrent_results_carry_the_diagnostics(tmp_path: Path, capsys) -> None:
    gt = _gt(tmp_path)
    ckpt = save_checkpoint(tmp_path / "f.ckpt", tiny_frvsr())
    result = _evaluate(tmp_path, ckpt, gt, "report=true")
    rec = result["recurrence"]
    assert set(rec) >= {"gain_db", "gain_by_frame_index", "lr_warping_error", "lr_motion",
                        "clips", "convention"}
    assert len(rec["gain_by_frame_index"]) == 5 and rec["gain_by_frame_index"][0] == 0.0
    assert set(rec["lr_warping_error"]) == {"model", "zero", "dis", "farneback"}
    assert rec["lr_warping_error"]["dis"] < rec["lr_warping_error"]["zero"]  # it pans
    assert rec["clips"]["c"]["gain_db"] == pytest.approx(rec["gain_db"])
    # the same weights without memory: the scored PSNR-Y minus the gain, per frame alike
    assert rec["psnr_y_no_memory"] == pytest.approx(
        result["mean_over_clips"]["psnr_y"] - rec["gain_db"], abs=1e-6)
    assert rec["clips"]["c"]["psnr_y_no_memory"] == pytest.approx(rec["psnr_y_no_memory"])
    # GT pans 1 px per frame: 0.25 LR px per frame, hardly a pixel still
    motion = rec["lr_motion"]
    assert motion == rec["clips"]["c"]["lr_motion"]
    assert 0.1 < motion["median_px"] < 0.5 and motion["p90_px"] >= motion["median_px"]
    assert motion["still_share"] < 0.5
    out = capsys.readouterr().out
    lines = out.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("recurrence gain"))
    block = lines[start:next(i for i, ln in enumerate(lines) if ln.startswith("results:"))]
    assert "DIS" in " ".join(block) and all(len(ln) <= 80 for ln in block), block
    assert f"LR motion (DIS): median {motion['median_px']:.2f}" in " ".join(block)
    html = (tmp_path / "r" / "results.html").read_text()
    assert "Does the model use its memory?" in html and "OpenCV DIS" in html
    assert "LR motion median / p90" in html
    assert "PSNR-Y without memory" in html and f"{rec['psnr_y_no_memory']:.2f}" in html
    assert f"{rec['psnr_y_no_memory']:.2f} dB without" in " ".join(block)


def test_a_model_with_zero_memory_weights_gains_nothing(tmp_path: Path) -> None:
    loaded = tiny_frvsr()
    conv = loaded.model.sr_net.conv_in
    with torch.no_grad():
        conv.weight[:, 3:] = 0.0  # the channels of the warped previous estimate
    ckpt = save_checkpoint(tmp_path / "f.ckpt", loaded)
    rec = _evaluate(tmp_path, ckpt, _gt(tmp_path), "report=false")["recurrence"]
    assert abs(rec["gain_db"]) < 1e-6
    assert all(abs(g) < 1e-6 for g in rec["gain_by_frame_index"])


def test_single_frame_models_and_recurrence_false_have_none(tmp_path: Path) -> None:
    gt = _gt(tmp_path)
    sisr = save_checkpoint(tmp_path / "s.ckpt", tiny_srresnet())
    assert "recurrence" not in _evaluate(tmp_path, sisr, gt, "report=false")
    frvsr = save_checkpoint(tmp_path / "f.ckpt", tiny_frvsr())
    result = _evaluate(tmp_path, frvsr, gt, "report=false", "recurrence=false",
                       "overwrite=true")
    assert "recurrence" not in result
