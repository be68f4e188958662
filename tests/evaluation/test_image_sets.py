"""Issue 11, case 1: image sets (Set5, Set14, ...) are scored on the per-frame metrics.

A flat folder of images of different sizes, a folder of one-frame clips and
``data=images data.val.root=`` all give the value every SR paper tables for Set5 x4
bicubic (frvsr's float-Y convention: 28.431 dB / 0.8113, the value of each image duplicated
into a 2-frame clip); temporal metrics are reported as not applicable ("n/a" in JSON, CSV
and the table), never as an error or a silent number. ``baseline=sisr`` of a single-frame
checkpoint scores image sets the same way. Before the fix each of these was refused
(``size 288x288 differs from frame 0``, ``has 1 frames; protocol=basicsr needs >= 2``).
"""
from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from frvsr.data.degradations import degrade
from frvsr.evaluate import main, parse_args, run
from frvsr.evaluation.clips import read_frame, to_tensor
from frvsr.io.images import to_uint8, write_png
from frvsr.metrics.fidelity import psnr_y
from frvsr.metrics.specs import NOT_APPLICABLE
from tests.helpers.generators import save_checkpoint, tiny_srresnet

SET5_X4 = {"psnr_y": 28.431, "ssim_y": 0.8113}  # bicubic (BI) x4, crop_border=4, float Y
ARGS = ["degradation=bi", "scale=4", "crop_border=4", "metrics=[psnr_y,ssim_y,tof,tflicker]",
        "report=false", "threads=1"]


@pytest.fixture(scope="module")
def set5(shared_data: Path) -> Path:
    return shared_data / "set5"


def _check_set5(result: dict, out: Path) -> None:
    """The paper value, and the n/a marker for the temporal metrics everywhere."""
    assert len(result["clips"]) == 5 and all(c["frames"] == 1 for c in result["clips"].values())
    for key in ("mean_over_clips", "mean_over_frames"):
        assert result[key]["psnr_y"] == pytest.approx(SET5_X4["psnr_y"], abs=5e-4)
        assert result[key]["ssim_y"] == pytest.approx(SET5_X4["ssim_y"], abs=5e-5)
        assert result[key]["tof"] == result[key]["tflicker"] == NOT_APPLICABLE
    saved = json.loads(out.read_text())
    clip = saved["clips"]["img_002_SRF_4_HR"]
    assert clip["size"] == [288, 288] and clip["tof"] == "n/a"
    assert clip["not_applicable"]["metrics"] == ["tof", "tflicker"]
    assert clip["per_frame"]["tof"] == [] and len(clip["per_frame"]["psnr_y"]) == 1
    rows = list(csv.reader(out.with_suffix(".csv").open()))
    assert rows[0] == ["clip", "scored_frames", "psnr_y", "ssim_y", "tof", "tflicker"]
    assert all(r[4:] == ["n/a", "n/a"] for r in rows[1:])


def _subset(set5: Path, folder: Path, names: tuple[str, ...] = ("img_002", "img_003"),
            crop: int | None = None) -> Path:
    """A flat folder with some Set5 images (optionally top-left crops, sizes kept distinct)."""
    folder.mkdir(parents=True)
    for i, stem in enumerate(names):
        img = read_frame(set5 / f"{stem}_SRF_4_HR.png", stem, 0)
        write_png(folder / f"{stem}.png", img[:crop, :crop - 8 * i] if crop else img)
    return folder


def test_flat_folder_of_different_sizes_scores_set5(set5: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "flat.json"
    result = run(parse_args(["baseline=bicubic", f"gt={set5}", f"out={out}", *ARGS]))
    assert result is not None
    _check_set5(result, out)
    table = capsys.readouterr().out
    assert "img_001_SRF_4_HR" in table and "n/a" in table and "28.43" in table
    # SR images of another tool in a flat folder, named differently: paired in name order;
    # the HTML report draws one-frame clips too
    sr = tmp_path / "their_sr"
    sr.mkdir()
    for i, stem in enumerate(("img_002_SRF_4_HR", "img_003_SRF_4_HR")):
        shutil.copy(tmp_path / "flat_frames" / stem / f"{stem}.png", sr / f"out_{i}.png")
    gt = _subset(set5, tmp_path / "gt2")
    again = run(parse_args([f"sr={sr}", f"gt={gt}", f"out={tmp_path / 'sr.json'}",
                            "crop_border=4", "metrics=[psnr_y,tof]", "threads=1"]))
    assert again is not None and list(again["clips"]) == ["img_002", "img_003"]
    for name in again["clips"]:
        assert again["clips"][name]["psnr_y"] == pytest.approx(
            result["clips"][f"{name}_SRF_4_HR"]["psnr_y"])
    assert "n/a" in (tmp_path / "sr.html").read_text()


def test_one_frame_clips_and_data_images(set5: Path, tmp_path: Path) -> None:
    clips = tmp_path / "clips"
    for p in set5.iterdir():
        (clips / p.stem).mkdir(parents=True)
        shutil.copy(p, clips / p.stem / "0.png")
    out = tmp_path / "clips.json"
    result = run(parse_args(["baseline=bicubic", f"gt={clips}", f"out={out}", *ARGS]))
    assert result is not None
    _check_set5(result, out)
    out = tmp_path / "images.json"  # the documented data option (scale 4, bi from its yaml)
    result = run(parse_args(["baseline=bicubic", "data=images", f"data.val.root={set5}",
                             f"out={out}", *ARGS[2:]]))
    assert result is not None and result["data"]["option"] == "images"
    _check_set5(result, out)


def test_single_frame_checkpoint_on_an_image_set(set5: Path, tmp_path: Path) -> None:
    loaded = tiny_srresnet()
    ckpt = save_checkpoint(tmp_path / "sisr.ckpt", loaded)
    gt = _subset(set5, tmp_path / "gt")
    result = run(parse_args(["baseline=sisr", f"ckpt={ckpt}", f"gt={gt}",
                             f"out={tmp_path / 'sisr.json'}", *ARGS]))
    assert result is not None and result["baseline"]["kind"] == "sisr"
    for name, clip in result["clips"].items():
        hr = to_tensor(read_frame(gt / f"{name}.png", name, 0))
        lr = to_tensor(to_uint8(degrade(hr, 4, "bi")))
        with torch.no_grad():
            sr = to_tensor(to_uint8(loaded.model(lr[None])[0]))
        assert clip["psnr_y"] == pytest.approx(psnr_y(sr[:, 4:-4, 4:-4], hr[:, 4:-4, 4:-4]))
        assert clip["tof"] == NOT_APPLICABLE and "cut_resets" not in clip


def test_mixed_sets_and_compare(set5: Path, tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    """A one-frame clip next to a video clip: temporal means over the clips that have pairs;
    results with n/a columns still compare."""
    gt = tmp_path / "gt"
    img = read_frame(set5 / "img_003_SRF_4_HR.png", "x", 0)[:64, :96]
    for name, frames in (("still", [img]), ("moving", [img, np.roll(img, 2, axis=1)])):
        for t, f in enumerate(frames):
            write_png(gt / name / f"{t}.png", f)
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    ra = run(parse_args(["baseline=bicubic", f"gt={gt}", f"out={a}", *ARGS]))
    assert ra is not None and ra["clips"]["still"]["tof"] == NOT_APPLICABLE
    assert ra["mean_over_clips"]["tof"] == ra["clips"]["moving"]["tof"] != NOT_APPLICABLE
    images = _subset(set5, tmp_path / "images", crop=64)
    run(parse_args(["baseline=bicubic", f"gt={images}", f"out={a}", *ARGS, "overwrite=true"]))
    run(parse_args(["baseline=bicubic", f"gt={images}", f"out={b}", *ARGS, "name=other"]))
    capsys.readouterr()
    assert main([f"compare={a},{b}", f"out={tmp_path / 'cmp.json'}"]) == 0
    assert "n/a" in capsys.readouterr().out


def test_tecogan_protocol_names_the_fix(set5: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    images = _subset(set5, tmp_path / "images", crop=64)
    assert main(["baseline=bicubic", f"gt={images}", "degradation=bi", "protocol=tecogan",
                 f"out={tmp_path / 't.json'}", "metrics=[psnr_y]", "report=false",
                 "threads=1"]) == 2
    err = capsys.readouterr().err
    assert "has 1 frames; protocol=tecogan needs >= 6; score image sets with protocol=basicsr" \
        in err
