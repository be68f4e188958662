"""Report pieces: temporal profiles hold the right pixels, the bicubic column, tables, JSON."""
from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from frvsr.evaluate import parse_args, run
from frvsr.report.html import _gather
from frvsr.report.results import jsonable
from frvsr.report.tables import compare_rows, table_rows


def _clip(root: Path, n: int = 5, h: int = 40, w: int = 48) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for _ in range(n)]
    (root / "c").mkdir(parents=True)
    for t, f in enumerate(frames):
        cv2.imwrite(str(root / "c" / f"{t}.png"), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))
    return frames


def test_profiles_crops_and_bicubic_column(tmp_path: Path) -> None:
    frames = _clip(tmp_path / "gt")
    result = run(parse_args([f"sr={tmp_path / 'gt'}", f"gt={tmp_path / 'gt'}", "report=false",
                             "metrics=[psnr_y]", f"out={tmp_path / 'r.json'}", "name=same"]))
    assert result is not None
    g = _gather(result, tmp_path / "gt", tmp_path / "gt", None, "bd_tecogan", 4, None, 7)
    assert g["order"] == ["GT", "bicubic", "same"]
    prof = g["profiles"]["GT"]
    assert prof.shape == (5, 48, 3)
    assert np.array_equal(prof, np.stack([f[7] for f in frames]))  # row 7 of every frame
    assert np.array_equal(g["profiles"]["same"], prof)
    assert g["crops"]["GT"].shape == (40, 40, 3)
    assert len(g["bicubic_psnr"]) == 5 and all(math.isfinite(v) for v in g["bicubic_psnr"])
    with pytest.raises(ValueError, match="profile_row=40"):
        _gather(result, tmp_path / "gt", tmp_path / "gt", None, None, None, None, 40)
    with pytest.raises(ValueError, match="report_clip=x"):
        _gather(result, tmp_path / "gt", tmp_path / "gt", None, None, None, "x", None)


def test_report_with_bicubic_folder(tmp_path: Path) -> None:
    _clip(tmp_path / "gt")
    out = tmp_path / "r.json"
    run(parse_args(["baseline=bicubic", f"gt={tmp_path / 'gt'}", "degradation=bi", "scale=4",
                    f"out={tmp_path / 'bic.json'}", "metrics=[psnr_y]", "report=false"]))
    run(parse_args([f"sr={tmp_path / 'gt'}", f"gt={tmp_path / 'gt'}", "metrics=[psnr_y,ssim_y]",
                    f"bicubic={tmp_path / 'bic_frames'}", f"out={out}", "name=oracle"]))
    page = out.with_suffix(".html").read_text()
    assert "oracle" in page and "Temporal profile" in page and "Conventions" in page
    assert page.count("data:image/png;base64,") == 3  # bicubic curve is finite
    for png in (tmp_path / "r_plots").iterdir():
        assert cv2.imread(str(png)) is not None


def test_tables_and_compare_formatting() -> None:
    clip = {"scored_frames": 3, "psnr_y": math.inf, "ewarp": 0.00123, "tlp": 0.5}
    res = {"method": "m", "protocol": "basicsr", "metrics": ["psnr_y", "ewarp", "tlp"],
           "clips": {"c": clip}, "mean_over_clips": clip, "mean_over_frames": clip}
    header, rows = table_rows(res)
    assert header == ["clip", "frames", "psnr_y (dB)", "ewarp (x1e-3)", "tlp (tLP x100)"]
    assert rows[0] == ["c", "3", "inf", "1.230", "0.500"]
    other = json.loads(json.dumps(jsonable({**res, "method": "n", "mean_over_clips":
                                            {"psnr_y": 30.0, "ewarp": 0.002, "tlp": 0.4}})))
    _, crow = compare_rows([json.loads(json.dumps(jsonable(res))), other])
    assert crow[0] == ["m", "inf*", "1.230*", "0.500"]
    assert crow[1] == ["n", "30.00", "2.000", "0.400*"]
    with pytest.raises(ValueError, match="NaN"):
        jsonable({"x": float("nan")})


@pytest.mark.slow
def test_report_logged_to_wandb_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WANDB_MODE", "offline")
    _clip(tmp_path / "gt")
    run(parse_args([f"sr={tmp_path / 'gt'}", f"gt={tmp_path / 'gt'}", "metrics=[ssim_y]",
                    f"out={tmp_path / 'r.json'}", "wandb_run=evaltest",
                    f"wandb_dir={tmp_path}"]))
    runs = list((tmp_path / "wandb").glob("offline-run-*-evaltest"))
    assert len(runs) == 1
    assert list(runs[0].rglob("*.html")), "the report was not logged as wandb.Html"
