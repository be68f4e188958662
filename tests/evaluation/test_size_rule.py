"""Issue 11, case 4: SR and GT sizes may differ either way by up to 3 px per axis.

GT 245x183 (WxH) with LR 62x46 (MATLAB rounds LR sizes up) gives SR 248x184. Before the
fix GT larger than SR was cropped but SR larger than GT was refused (``sr is 248x184 but
gt is 245x183``); now both score the common top-left region, recorded in the result, and
a larger difference is one line naming the limit.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from frvsr.evaluate import main, parse_args, run
from frvsr.evaluation.clips import read_frame, to_tensor
from frvsr.io.images import write_png
from frvsr.metrics.fidelity import psnr_y
from tests.helpers.generators import save_checkpoint, tiny_srresnet


def _clip(shared_data: Path, root: Path) -> tuple[Path, Path, Path]:
    """gt/ 245x183, lr/ 62x46 and sr/ 248x184 (bicubic of lr) frames of a DAVIS clip."""
    for t, p in enumerate(sorted((shared_data / "davis_480p" / "cows").iterdir())[:3]):
        gt = np.ascontiguousarray(cv2.imread(str(p))[100:283, 200:445, ::-1])
        lr = cv2.resize(gt, (62, 46), interpolation=cv2.INTER_AREA)
        write_png(root / "gt" / "c" / f"{t}.png", gt)
        write_png(root / "lr" / "c" / f"{t}.png", lr)
        write_png(root / "sr" / "c" / f"{t}.png",
                  cv2.resize(lr, (248, 184), interpolation=cv2.INTER_CUBIC))
    return root / "gt", root / "lr", root / "sr"


def test_sr_larger_than_gt_scores_the_common_region(shared_data: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    gt, lr, sr = _clip(shared_data, tmp_path)
    out = tmp_path / "r.json"
    result = run(parse_args([f"sr={sr}", f"gt={gt}", f"out={out}", "metrics=[psnr_y,tof]",
                             "profile_row=182", "threads=1"]))  # HTML report on the region
    assert result is not None
    clip = json.loads(out.read_text())["clips"]["c"]
    assert clip["size"] == [183, 245]
    assert clip["size_mismatch"]["sr"] == [184, 248] and clip["size_mismatch"]["gt"] == [183, 245]
    assert "common top-left region" in clip["size_mismatch"]["scored"]
    want = [psnr_y(to_tensor(read_frame(sr / "c" / f"{t}.png", "c", t)[:183, :245]),
                   to_tensor(read_frame(gt / "c" / f"{t}.png", "c", t))) for t in range(3)]
    assert clip["per_frame"]["psnr_y"] == pytest.approx(want)
    # the same through a generated run (lr= of MATLAB-rounded size), with the report's
    # bicubic column made from GT (244x180: within the rule, cut to the common region)
    ckpt = save_checkpoint(tmp_path / "sisr.ckpt", tiny_srresnet())
    gen = run(parse_args(["baseline=sisr", f"ckpt={ckpt}", "degradation=bi", f"gt={gt}",
                          f"lr={lr}", f"out={tmp_path / 'b.json'}", "metrics=[psnr_y]",
                          "threads=1"]))
    assert gen is not None and gen["clips"]["c"]["size_mismatch"]["sr"] == [184, 248]
    assert (tmp_path / "b.html").is_file()
    # GT larger than SR (the old rule) is recorded too; GT is cropped as before
    swapped = run(parse_args([f"sr={gt}", f"gt={sr}", f"out={tmp_path / 's.json'}",
                              "metrics=[psnr_y]", "report=false"]))
    assert swapped is not None
    assert swapped["clips"]["c"]["per_frame"]["psnr_y"] == pytest.approx(want)


def test_beyond_the_limit_is_one_line(shared_data: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    gt, _, sr = _clip(shared_data, tmp_path)
    for t in range(3):
        img = np.pad(read_frame(sr / "c" / f"{t}.png", "c", t), ((0, 0), (0, 1), (0, 0)))
        write_png(sr / "c" / f"{t}.png", np.ascontiguousarray(img))  # 249x184: 4 px wider
    assert main([f"sr={sr}", f"gt={gt}", f"out={tmp_path / 'x.json'}", "metrics=[psnr_y]",
                 "report=false"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "clip 'c' frame 0: sr is 249x184 but gt is 245x183; " \
        "sizes may differ by at most 3 px per axis" in err
