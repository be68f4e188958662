"""``python -m frvsr.ladder``: one-line user errors, and one small end-to-end run (with a
content-adaptive model) on the first 60 frames of a real clip, downscaled."""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from frvsr import ladder
from frvsr.metrics.vmaf import vmaf_available
from tests.helpers.generators import save_checkpoint, tiny_frvsr
from tests.ladder.conftest import HEIGHT, adaptable_checkpoint


@pytest.mark.parametrize("args, message", [
    ([], "give input=<video> and ckpt=<checkpoint>"),
    (["input=nope.mp4", "ckpt=nope.ckpt"], "input=nope.mp4 is not a file"),
    (["rungs=[100]"], "at least 2 levels"),
    (["rungs=[100,200]", "crf=[20,30]"], "not both"),
    (["crf=[20,60]"], "integers in 0-51"),
    (["preset=quick"], "preset=quick must be one of"),
    (["bogus=1"], "unknown argument 'bogus'"),
])
def test_user_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                  args: list[str], message: str) -> None:
    video, ckpt = tmp_path / "v.mp4", tmp_path / "c.ckpt"
    video.write_bytes(b"x")
    ckpt.write_bytes(b"x")
    base = [] if not args or args[0].startswith("input=") else [f"input={video}",
                                                                  f"ckpt={ckpt}"]
    assert ladder.main(base + args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err


def test_help_lists_the_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert ladder.main(["help"]) == 0
    assert "adapt=False" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.skipif(not vmaf_available(), reason="imageio-ffmpeg with libvmaf missing")
def test_end_to_end_on_a_real_clip_with_adaptation(clip: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("bjontegaard")
    ckpt = adaptable_checkpoint(tmp_path / "tiny.ckpt")
    out = tmp_path / "ladder"
    code = ladder.main([f"input={clip}", f"ckpt={ckpt}", "frames=60", f"height={HEIGHT}",
                        "rungs=[30,60,120]", "preset=veryfast", "adapt=true", "steps=2",
                        f"out={out}", "progress=false", "threads=1"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "BD-rate" in printed and "LR+SR vs full-res" in printed
    assert {p.name for p in out.iterdir()} == {"results.json", "results.csv", "report.html",
                                               "rate_quality.png", "rate_psnr.png"}
    result = json.loads((out / "results.json").read_text())
    assert result["reference"]["frames"] == 60 and result["vmaf_model"] == "vmaf_v0.6.1"
    assert result["methods"] == ["full", "sr", "bicubic", "lanczos", "sr_adapted"]
    assert len(result["rows"]) == 3 * 5
    for row in result["rows"]:
        assert 0 <= row["vmaf"] <= 100 and math.isfinite(row["psnr_y"])
        assert row["kbps"] == pytest.approx(row["encode_kbps"] + row["overhead_kbps"])
    a = result["adaptation"]
    assert a["overhead_kbps"] == pytest.approx(a["bytes"] * 8 / a["duration_s"] / 1000)
    assert a["tensors"] and all(t.startswith("sr_net.") for t in a["tensors"])  # FNet frozen
    adapted_rows = [r for r in result["rows"] if r["method"] == "sr_adapted"]
    assert all(r["overhead_kbps"] == a["overhead_kbps"] > 0 for r in adapted_rows)
    pairs = {(d["test"], d["anchor"]) for d in result["bd"]}
    assert {("sr", "full"), ("sr", "bicubic"), ("sr_adapted", "sr")} <= pairs
    assert "Does SR save bandwidth?" in (out / "report.html").read_text()


@pytest.mark.slow
@pytest.mark.skipif(not vmaf_available(), reason="imageio-ffmpeg with libvmaf missing")
def test_crf_mode_and_keep(clip: Path, tmp_path: Path) -> None:
    pytest.importorskip("bjontegaard")
    ckpt = save_checkpoint(tmp_path / "tiny.ckpt", tiny_frvsr())
    out = tmp_path / "crf"
    assert ladder.main([f"input={clip}", f"ckpt={ckpt}", "frames=12", "height=72",
                        "crf=[30,40]", "preset=ultrafast", "keep=true", f"out={out}",
                        "progress=false", "threads=1"]) == 0
    result = json.loads((out / "results.json").read_text())
    assert result["mode"] == "crf" and [r["crf"] for r in result["rungs"]] == [40, 30]
    work = [p for p in out.iterdir() if p.name.startswith("ladder_work_")]
    assert len(work) == 1 and (work[0] / "reference.mkv").is_file()
