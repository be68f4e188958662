"""Results never overwrite each other silently (issue 12, item 3): default outputs named
after the method and data, one-line refusal to replace a result unless overwrite=true, and
compare= writing its own files next to its inputs or to out=."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from frvsr.evaluate import main
from frvsr.evaluation.run import default_compare_out
from tests.helpers.cli import one_line_error

FAST = ["metrics=[psnr_y]", "report=false"]


def _gt(root: Path) -> Path:
    rng = np.random.default_rng(0)
    for clip in ("a", "b"):
        (root / clip).mkdir(parents=True)
        for t in range(3):
            cv2.imwrite(str(root / clip / f"{t}.png"),
                        rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
    return root


def test_default_outputs_are_named_after_method_and_data_and_never_replaced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    gt = _gt(tmp_path / "vid" / "GT")
    bicubic = ["baseline=bicubic", f"gt={gt}", "scale=4", *FAST]
    assert main([*bicubic, "degradation=bi"]) == 0
    assert main([*bicubic, "degradation=bd_tecogan"]) == 0  # another method: its own folder
    assert main([f"sr={gt}", f"gt={gt}", *FAST]) == 0
    folders = sorted(p.name for p in (tmp_path / "eval").iterdir())
    assert folders == ["GT-vid_GT", "bicubic-bd_tecogan-vid_GT", "bicubic-bi-vid_GT"]
    first = tmp_path / "eval" / "bicubic-bi-vid_GT"
    assert {p.name for p in first.iterdir()} == {"results.json", "results.csv",
                                                 "results_frames"}
    before = (first / "results.json").read_bytes()

    err = one_line_error(main, capsys, *bicubic, "degradation=bi")
    assert err.strip() == ("error: eval/bicubic-bi-vid_GT/results.json exists (an earlier result); "
                   "pass overwrite=true to replace it, or out=<another .json> "
                   "(debug_traceback=true shows the traceback)")
    assert (first / "results.json").read_bytes() == before
    assert main([*bicubic, "degradation=bi", "overwrite=true"]) == 0
    assert main([*bicubic, "degradation=bi", "name=again"]) == 0  # name= names the folder
    assert (tmp_path / "eval" / "again-vid_GT" / "results.json").is_file()
    # ...and out= is taken as given, refused when it holds a result
    out = tmp_path / "mine.json"
    assert main([f"sr={gt}", f"gt={gt}", f"out={out}", *FAST]) == 0
    assert f"error: {out} exists" in one_line_error(main, capsys, f"sr={gt}", f"gt={gt}",
                                                     f"out={out}", *FAST)
    assert "overwrite=2 must be true or false" in one_line_error(
        main, capsys, f"sr={gt}", f"gt={gt}", "overwrite=2")


def test_compare_writes_next_to_its_inputs_or_to_out(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    gt = _gt(tmp_path / "clips")
    for deg in ("bi", "bd_tecogan"):
        assert main(["baseline=bicubic", f"gt={gt}", f"degradation={deg}", *FAST]) == 0
    a = Path("eval/bicubic-bi-clips/results.json")
    b = Path("eval/bicubic-bd_tecogan-clips/results.json")
    expected = Path("eval/compare_bicubic-bi_vs_bicubic-bd_tecogan-clips.json")
    assert default_compare_out([a, b]) == expected
    assert main([f"compare=[{a},{b}]"]) == 0
    assert "report: eval/compare_bicubic-bi_vs_bicubic-bd_tecogan-clips.html" in \
        capsys.readouterr().out
    for suffix in (".csv", ".html"):
        assert expected.with_suffix(suffix).is_file()
    csv_rows = expected.with_suffix(".csv").read_text().splitlines()
    assert csv_rows[0] == "method,protocol,psnr_y" and len(csv_rows) == 3
    err = one_line_error(main, capsys, f"compare=[{a},{b}]")
    assert f"{expected.with_suffix('.csv')} exists" in err and "overwrite=true" in err
    assert main([f"compare=[{a},{b}]", "overwrite=true"]) == 0
    assert main([f"compare=[{a},{b}]", "out=elsewhere/cmp.json", "report=false"]) == 0
    assert Path("elsewhere/cmp.csv").is_file() and not Path("elsewhere/cmp.html").exists()
    # inputs in one folder: the comparison sits beside them, named by their stems
    assert default_compare_out([Path("r/x.json"), Path("r/y.json")]) == \
        Path("r/compare_x_vs_y.json")
    many = [Path(f"r/method_with_a_long_name_{i}.json") for i in range(6)]
    assert default_compare_out(many).name.startswith("compare_6_results_")
