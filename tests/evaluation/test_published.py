"""Issue 11, case 6: ``evaluate baseline=sisr ckpt=<BasicSR MSRResNet .pth>
model/generator=srresnet scale=4`` builds the model, loads the weights and scores it.

The weights are a state dict in BasicSR's published key layout (``params_ema``); the SR
frames written must be those of the published forward (re-stated in
tests/models/test_pretrained.py), which adds a *bilinear* skip: our srresnet config
defaults to the BD skip, which would load without complaint and cost 2-3 dB, so the skip
comes from the weights and a contradicting ``model.generator.skip=`` is refused. Before
the fix the file was refused (``has no 'frvsr' entry``).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from frvsr.data.degradations import degrade
from frvsr.evaluate import main, parse_args, run
from frvsr.evaluation.clips import read_frame, to_tensor
from frvsr.io.images import to_uint8, write_png
from tests.models.test_pretrained import msrresnet_keys, ref_msrresnet

SMALL = ["model/generator=srresnet", "model.generator.num_feat=8", "model.generator.num_block=2"]
FAST = ["metrics=[psnr_y,tof]", "report=false", "threads=1"]


@pytest.fixture()
def weights(tmp_path: Path) -> tuple[Path, dict]:
    torch.manual_seed(0)
    sd = msrresnet_keys(8, 2, 4)
    path = tmp_path / "MSRResNet_x4.pth"
    torch.save({"params_ema": sd, "params": msrresnet_keys(8, 2, 4)}, path)
    return path, sd


def _images(shared_data: Path, root: Path) -> Path:
    """Two Set5 crops of different sizes in a flat folder (an image set)."""
    for i, stem in enumerate(("img_002", "img_005")):
        img = read_frame(shared_data / "set5" / f"{stem}_SRF_4_HR.png", stem, 0)
        write_png(root / f"{stem}.png", np.ascontiguousarray(img[:64, : 64 + 16 * i]))
    return root


def test_published_msrresnet_from_the_cli(shared_data: Path, tmp_path: Path,
                                          weights: tuple[Path, dict]) -> None:
    path, sd = weights
    gt = _images(shared_data, tmp_path / "gt")
    out = tmp_path / "msr.json"
    result = run(parse_args(["baseline=sisr", f"ckpt={path}", "scale=4", *SMALL, f"gt={gt}",
                             f"out={out}", "crop_border=4", *FAST]))
    assert result is not None and result["method"] == "MSRResNet_x4"
    saved = json.loads(out.read_text())
    published = saved["checkpoint"]["published"]
    assert published["origin"] == "BasicSR MSRResNet" and published["skip"] == "bilinear"
    assert published["generator"] == "srresnet" and saved["checkpoint"]["ema"] is True
    assert saved["degradation"] == "bi"  # from the weights: BasicSR's models are BI
    for name in ("img_002", "img_005"):
        hr = to_tensor(read_frame(gt / f"{name}.png", name, 0))
        lr = to_tensor(to_uint8(degrade(hr, 4, "bi")))[None]
        with torch.no_grad():
            want = to_uint8(ref_msrresnet(sd, lr, 2, 4)[0]).astype(int)
        got = read_frame(tmp_path / "msr_frames" / name / f"{name}.png", name, 0).astype(int)
        assert np.abs(got - want).max() <= 1 and (got == want).mean() > 0.999
        assert saved["clips"][name]["tof"] == "n/a"


def test_published_weights_errors(shared_data: Path, tmp_path: Path,
                                  weights: tuple[Path, dict],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    path, _ = weights
    gt = _images(shared_data, tmp_path / "gt")
    base = ["baseline=sisr", f"ckpt={path}", f"gt={gt}", f"out={tmp_path / 'e.json'}", *FAST]

    def error(*args: str) -> str:
        assert main([*base, *args]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1, err
        return err

    assert "pass model.generator.skip=bilinear" in error(*SMALL,
                                                         "model.generator.skip=bicubic_phase0")
    assert "pass model/generator=srresnet" in error("model/generator=rrdbnet")
    assert "add model/generator=" in error()  # the old "has no 'frvsr' entry", with the fix
    assert "needs model/generator=" in error("model.generator.num_block=2")
    assert "does not fit SRResNet" in error(*SMALL[:2])  # num_block 16 vs 2 in the file


def test_published_weights_with_a_data_option(shared_data: Path, tmp_path: Path,
                                              weights: tuple[Path, dict]) -> None:
    """data=images degrades at scale= (default 4) and the weights' degradation."""
    path, _ = weights
    gt = _images(shared_data, tmp_path / "gt")
    result = run(parse_args(["baseline=sisr", f"ckpt={path}", *SMALL, "data=images",
                             f"data.val.root={gt}", f"out={tmp_path / 'd.json'}", *FAST]))
    assert result is not None and result["scale"] == 4 and result["degradation"] == "bi"
    assert sorted(result["clips"]) == ["img_002", "img_005"]
