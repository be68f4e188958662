"""compare= refuses incomparable results and tells equal method names apart; report options
are checked before scoring; one-line errors name the clip and frame (review fixes 3, 5, 6)."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from frvsr.evaluate import main, parse_args, run
from frvsr.report.results import load_results
from frvsr.report.tables import compare_rows
from tests.helpers.cli import one_line_error

FAST = ["metrics=[psnr_y]", "report=false"]


def _clips(root: Path, names: tuple[str, ...] = ("a", "b"), n: int = 3, size: int = 32,
           seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    for name in names:
        (root / name).mkdir(parents=True)
        for t in range(n):
            img = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
            cv2.imwrite(str(root / name / f"{t}.png"), img)
    return root


def _error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    return one_line_error(main, capsys, *args)


def _result(tmp_path: Path, out: Path, *extra: str) -> Path:
    gt, sr = tmp_path / "gt", tmp_path / "sr"
    if not gt.exists():
        _clips(gt, ("a", "b"))
        _clips(sr, ("a", "b"), seed=1)
    run(parse_args([f"sr={sr}", f"gt={gt}", f"out={out}", *FAST, *extra]))
    return out


def test_compare_refuses_different_conventions_and_clip_sets(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = _result(tmp_path, tmp_path / "a.json")
    b = _result(tmp_path, tmp_path / "b.json", "crop_border=4")
    err = _error(capsys, f"compare=[{a},{b}]")
    assert str(a) in err and str(b) in err and "crop_border" in err
    data = json.loads(a.read_text())
    del data["clips"]["b"]
    c = tmp_path / "c.json"
    c.write_text(json.dumps(data))
    err = _error(capsys, f"compare={a},{c}")
    assert "different clips: 'b' is only in" in err and str(c) in err
    assert "twice" in _error(capsys, f"compare={a},{a}")


def test_compare_single_path_comma_list_and_equal_names(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = _result(tmp_path, tmp_path / "one" / "res.json", "name=m")
    b = _result(tmp_path, tmp_path / "two" / "res.json", "name=m")
    assert parse_args([f"compare={a}"])["compare"] == [str(a)]
    assert parse_args([f"compare={a},{b}"])["compare"] == [str(a), str(b)]
    capsys.readouterr()
    assert main([f"compare={a}", "report=false"]) == 0
    assert main([f"compare={a},{b}", f"out={tmp_path / 'cmp.json'}"]) == 0
    out = capsys.readouterr().out
    assert "m (one/res)" in out and "m (two/res)" in out
    rows = [r[0] for r in compare_rows(load_results([a, b]))[1]]
    assert rows == ["m (one/res)", "m (two/res)"]


def test_report_options_fail_before_scoring(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    gt = _clips(tmp_path / "gt", ("a",))
    base = [f"sr={gt}", f"gt={gt}", "metrics=[psnr_y]", f"out={tmp_path / 'r.json'}"]

    def no_scoring(*_: object, **__: object) -> None:
        raise AssertionError("scored before the report options were checked")

    monkeypatch.setattr("frvsr.evaluation.run.evaluate_folders", no_scoring)
    assert "report_clip=zzz is not a clip of gt=" in _error(capsys, *base, "report_clip=zzz")
    assert "profile_row=9999 is outside clip 'a' frame 0" in _error(
        capsys, *base, "profile_row=9999")
    assert "bicubic folder /nope does not exist" in _error(capsys, *base, "bicubic=/nope")
    other = _clips(tmp_path / "bic", ("x", "y"))
    assert f"bicubic={other} has no clip 'a'" in _error(capsys, *base, f"bicubic={other}")
    assert "report=false" in _error(capsys, *base, "report=false", "report_clip=a")
    assert "profile_row=-1" in _error(capsys, *base, "profile_row=-1")


def test_wandb_run_logs_means_without_report(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple] = []
    monkeypatch.setattr("frvsr.evaluation.run.log_to_wandb", lambda *a: calls.append(a))
    gt = _clips(tmp_path / "gt", ("a",))
    run(parse_args([f"sr={gt}", f"gt={gt}", f"out={tmp_path / 'r.json'}", *FAST,
                    "wandb_run=abc"]))
    assert len(calls) == 1 and calls[0][0] is None and calls[0][2] == "abc"
    assert "psnr_y" in calls[0][1]["mean_over_clips"]


def test_small_frame_errors_name_clip_and_frame(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    gt = _clips(tmp_path / "gt", ("tiny",), n=6, size=40)
    err = _error(capsys, f"sr={gt}", f"gt={gt}", "protocol=tecogan", "metrics=[psnr_y]",
                 f"out={tmp_path / 'r.json'}", "report=false")
    assert "clip 'tiny' frame 0 (40x40)" in err and "too small for the tecogan crop" in err
    err = _error(capsys, f"sr={gt}", f"gt={gt}", "crop_border=15", "metrics=[ssim_y]",
                 f"out={tmp_path / 'r.json'}", "report=false")
    assert "clip 'tiny' frame 0 (0.png): SSIM needs at least 11x11" in err
