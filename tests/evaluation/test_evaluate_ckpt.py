"""ckpt=, baseline=sisr and baseline=bicubic run through frvsr.load_generator / degradations."""
from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from frvsr.checkpoint import build_generator
from frvsr.data.degradations import bicubic_baseline, degrade
from frvsr.evaluate import main, parse_args, run
from frvsr.evaluation.clips import read_frame_u8, to_tensor
from frvsr.models import FNet
from frvsr.models.espcn import ESPCN
from tests.helpers.media import panning_gt

GEN = "{_target_: frvsr.models.espcn.ESPCN, num_feat: 8, num_block: 1}"


def _checkpoint(path: Path, recurrent: bool) -> torch.nn.Module:
    """A checkpoint in frvsr.train's self-describing format with a tiny ESPCN (and FNet)."""
    torch.manual_seed(0)
    sr_net = functools.partial(ESPCN, num_feat=8, num_block=1)
    model = build_generator(sr_net, FNet() if recurrent else None, 4)
    config = f"task_name: pretrain\nmodel:\n  generator: {GEN}\n" + (
        "  flow_net: {_target_: frvsr.models.FNet}\n" if recurrent else "")
    meta = {"scale": 4, "recurrent": recurrent, "degradation": "bd_tecogan", "stage": "pretrain"}
    state = {f"generator.{k}": v for k, v in model.state_dict().items()}
    torch.save({"frvsr": {"config": config, "meta": meta}, "state_dict": state}, path)
    return model.eval()


def _gt(root: Path, n: int = 4) -> Path:
    return panning_gt(root, frames=n)


def _lr_clip(gt: Path) -> torch.Tensor:
    frames = []
    for t, p in enumerate(sorted((gt / "c").iterdir())):
        lr = degrade(to_tensor(read_frame_u8(p, "c", t)), 4, "bd_tecogan")
        frames.append((lr.clamp(0, 1) * 255).round() / 255)  # LR quantised like stored files
    return torch.stack(frames)


@pytest.mark.parametrize("recurrent", [True, False])
def test_ckpt_mode_streams_whole_frames(tmp_path: Path, recurrent: bool) -> None:
    gt = _gt(tmp_path)
    model = _checkpoint(tmp_path / "m.ckpt", recurrent)
    args = [f"ckpt={tmp_path / 'm.ckpt'}", f"gt={gt}", f"out={tmp_path / 'r.json'}",
            "metrics=[psnr_y,tflicker]", "report=false"]
    if not recurrent:
        args.append("baseline=sisr")
    result = run(parse_args(args))
    assert result is not None
    assert result["checkpoint"]["recurrent"] is recurrent and result["degradation"] == "bd_tecogan"
    assert result["clips"]["c"]["frames"] == 4
    assert result["method"] == "pretrain:m"  # named after the training task, then the file
    lr = _lr_clip(gt)
    with torch.no_grad():
        ref = model(lr[None]).sr[0] if recurrent else model(lr)
    for t in range(4):
        written = read_frame_u8(tmp_path / "r_frames" / "c" / f"{t}.png", "c", t)
        expected = (ref[t].clamp(0, 1) * 255).round().permute(1, 2, 0).numpy()
        assert np.abs(written.astype(float) - expected).max() <= 1  # step == forward


def test_sisr_baseline_rejects_recurrent_and_bad_ckpt(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gt = _gt(tmp_path)
    _checkpoint(tmp_path / "m.ckpt", recurrent=True)
    assert main(["baseline=sisr", f"ckpt={tmp_path / 'm.ckpt'}", f"gt={gt}"]) == 2
    assert "single-frame checkpoint" in capsys.readouterr().err
    assert main([f"ckpt={tmp_path / 'none.ckpt'}", f"gt={gt}"]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("degradation", ["bi", "bd_tecogan"])
def test_bicubic_baseline_uses_the_degradations_inverse(tmp_path: Path, degradation: str) -> None:
    gt = _gt(tmp_path)
    out = tmp_path / "b.json"
    result = run(parse_args(["baseline=bicubic", f"gt={gt}", f"degradation={degradation}",
                             "scale=4", f"out={out}", "metrics=[psnr_y]", "report=false"]))
    assert result is not None
    saved = json.loads(out.read_text())
    assert saved["baseline"]["kind"] == "bicubic" and saved["degradation"] == degradation
    assert ("MATLAB" in saved["baseline"]["upscale"]) == (degradation == "bi")
    lr = to_tensor(read_frame_u8(gt / "c" / "0.png", "c", 0))
    lr = (degrade(lr, 4, degradation).clamp(0, 1) * 255).round() / 255
    up = (bicubic_baseline(lr, 4, degradation).clamp(0, 1) * 255).round().permute(1, 2, 0)
    written = read_frame_u8(tmp_path / "b_frames" / "c" / "0.png", "c", 0)
    assert np.array_equal(written, up.to(torch.uint8).numpy())


def test_bicubic_baseline_needs_degradation(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline=bicubic", f"gt={_gt(tmp_path)}"]) == 2
    assert "needs degradation=" in capsys.readouterr().err


@pytest.mark.slow
def test_data_option_runs_the_conf_data_test_clips(tmp_path: Path) -> None:
    out = tmp_path / "s.json"
    result = run(parse_args(["baseline=bicubic", "data=sample", f"out={out}",
                             "metrics=[psnr_y]", "report=false"]))
    assert result is not None
    assert result["data"]["option"] == "sample" and result["degradation"] == "bd_tecogan"
    clip = next(iter(result["clips"].values()))
    assert clip["frames"] > 20 and 20 < clip["psnr_y"] < 45
    assert len(list((tmp_path / "s_data" / "lr").rglob("*.png"))) == clip["frames"]


def test_unknown_data_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["baseline=bicubic", "data=nope", f"out={tmp_path / 'x.json'}"]) == 2
    err = capsys.readouterr().err
    assert "data=nope" in err and "sample" in err
