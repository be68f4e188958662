"""frvsr.evaluate end to end on tiny synthetic clips: schema, inf handling, bad inputs, compare."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest

from frvsr.errors import EvalError
from frvsr.evaluate import main, parse_args, run
from frvsr.evaluation.scoring import ALL_METRICS
from tests.helpers.cli import one_line_error

FAST = "metrics=[psnr_y,ssim_y,tof,ewarp,tflicker]"


def _frames(n: int, h: int = 48, w: int = 64, seed: int = 0) -> list[np.ndarray]:
    """A smooth texture panning right one pixel per frame (uint8 RGB)."""
    rng = np.random.default_rng(seed)
    big = cv2.GaussianBlur(rng.random((h, w + n, 3)).astype(np.float32), (7, 7), 2)
    big = (255 * (big - big.min()) / (big.max() - big.min())).astype(np.uint8)
    return [big[:, n - t: n - t + w] for t in range(n)]


def _write(folder: Path, frames: list[np.ndarray], names: list[str] | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, f in enumerate(frames):
        name = names[i] if names else f"frame {i}.png"  # spaces + natural sort
        assert cv2.imwrite(str(folder / name), cv2.cvtColor(f, cv2.COLOR_RGB2BGR))


def _noisy(frames: list[np.ndarray], seed: int = 1, amp: int = 6) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [np.clip(f.astype(int) + rng.integers(-amp, amp + 1, f.shape), 0, 255).astype(np.uint8)
            for f in frames]


@pytest.fixture()
def dataset(tmp_path: Path) -> tuple[Path, Path]:
    gt, sr = tmp_path / "gt", tmp_path / "sr"
    for i, clip in enumerate(["clip a", "clip b"]):
        frames = _frames(6 + i, seed=i)
        _write(gt / clip, frames)
        _write(sr / clip, _noisy(frames, seed=10 + i))
    return sr, gt


def _run(*args: str) -> dict:
    result = run(parse_args(list(args)))
    assert result is not None
    return result


def test_schema_json_csv_html(dataset: tuple[Path, Path], tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    sr, gt = dataset
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)  # a Hydra run folder would appear here
    out = tmp_path / "res" / "m.json"
    _run(f"sr={sr}", f"gt={gt}", f"out={out}", FAST)
    data = json.loads(out.read_text())
    assert set(data) >= {"method", "protocol", "conventions", "clips", "mean_over_clips",
                         "mean_over_frames", "metrics"}
    assert data["protocol"] == "basicsr" and data["method"] == "sr"
    ewarp_note = data["conventions"]["ewarp"]
    assert "Farneback" in ewarp_note and "FlowNet2" in ewarp_note
    assert data["conventions"]["tlp_scale"] == 100
    assert list(data["clips"]) == ["clip a", "clip b"]
    a = data["clips"]["clip a"]
    assert a["frames"] == 6 and a["scored_frames"] == 6 and a["scored_pairs"] == 5
    keys = {"psnr_y", "ssim_y", "tof", "ewarp", "tflicker", "psnr_y_inf_frames", "per_frame"}
    assert keys <= set(a)
    assert len(a["per_frame"]["psnr_y"]) == 6 and len(a["per_frame"]["tof"]) == 5
    assert a["psnr_y"] == pytest.approx(np.mean(a["per_frame"]["psnr_y"]))
    b = data["clips"]["clip b"]
    assert data["mean_over_clips"]["psnr_y"] == pytest.approx((a["psnr_y"] + b["psnr_y"]) / 2)
    pooled = a["per_frame"]["tof"] + b["per_frame"]["tof"]
    assert data["mean_over_frames"]["tof"] == pytest.approx(np.mean(pooled))
    rows = list(csv.reader(out.with_suffix(".csv").open()))
    assert rows[0][:3] == ["clip", "scored_frames", "psnr_y"]
    assert [r[0] for r in rows[1:]] == ["clip a", "clip b", "mean_over_clips", "mean_over_frames"]
    page = out.with_suffix(".html").read_text()
    assert page.count("data:image/png;base64,") == 6 and "src=\"http" not in page  # 2 clips
    assert sorted(p.name for p in (tmp_path / "res" / "m_plots").iterdir()) == [
        f"{c}_{f}.png" for c in ("clip a", "clip b")
        for f in ("crop_grid", "psnr_curve", "temporal_profile")]
    assert "Clip &#x27;clip b&#x27;" in page  # a section per clip
    assert not list(tmp_path.rglob("*.tmp")) and not list(work.iterdir())


def test_natural_sort_with_spaces(tmp_path: Path) -> None:
    frames = _frames(11)
    names = [f"frame {i}.png" for i in range(11)]
    _write(tmp_path / "gt" / "c", frames, names)
    _write(tmp_path / "sr" / "c", frames[:10] + [_noisy(frames)[10]], names)
    data = _run(f"sr={tmp_path / 'sr'}", f"gt={tmp_path / 'gt'}", f"out={tmp_path / 'o.json'}",
                "metrics=[psnr_y]", "report=false")
    per = data["clips"]["c"]["per_frame"]["psnr_y"]
    assert per[:10] == [math.inf] * 10 and math.isfinite(per[10])  # frame 10 sorted last


def test_scoring_against_itself(dataset: tuple[Path, Path], tmp_path: Path) -> None:
    _, gt = dataset
    out = tmp_path / "self.json"
    _run(f"sr={gt}", f"gt={gt}", f"out={out}", FAST, "report=false")
    data = json.loads(out.read_text())
    a = data["clips"]["clip a"]
    assert a["psnr_y"] == "inf" and a["psnr_y_inf_frames"] == 6
    assert a["per_frame"]["psnr_y"] == ["inf"] * 6
    assert a["tof"] == 0.0 and a["tflicker"] == 0.0 and a["ssim_y"] == pytest.approx(1.0)
    assert data["mean_over_clips"]["psnr_y"] == "inf"
    assert data["mean_over_clips"]["psnr_y_inf_frames"] == 13


def test_inf_frames_excluded_from_means(tmp_path: Path) -> None:
    frames = _frames(4)
    sr = _noisy(frames)
    sr[0] = frames[0]
    _write(tmp_path / "gt" / "c", frames)
    _write(tmp_path / "sr" / "c", sr)
    out = tmp_path / "r.json"
    _run(f"sr={tmp_path / 'sr'}", f"gt={tmp_path / 'gt'}", f"out={out}", "metrics=[psnr_y]",
         "report=false")
    c = json.loads(out.read_text())["clips"]["c"]
    assert c["per_frame"]["psnr_y"][0] == "inf" and c["psnr_y_inf_frames"] == 1
    assert c["psnr_y"] == pytest.approx(np.mean(c["per_frame"]["psnr_y"][1:]))


def test_gt_larger_by_less_than_scale_is_cropped(tmp_path: Path) -> None:
    frames = _frames(3, h=51, w=66)
    _write(tmp_path / "gt" / "c", frames)
    _write(tmp_path / "sr" / "c", [f[:48, :64] for f in frames])
    data = _run(f"sr={tmp_path / 'sr'}", f"gt={tmp_path / 'gt'}", f"out={tmp_path / 'o.json'}",
                "metrics=[psnr_y]", "report=false")
    assert data["clips"]["c"]["psnr_y"] == math.inf and data["clips"]["c"]["size"] == [48, 64]


def _error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    return one_line_error(main, capsys, *args)


def test_bad_inputs_are_one_line_errors(dataset: tuple[Path, Path], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    sr, gt = dataset
    o = f"out={tmp_path / 'x.json'}"
    assert "unknown metric psnr_z" in _error(capsys, f"sr={sr}", f"gt={gt}", o, "metrics=[psnr_z]")
    assert all(m in _error(capsys, f"sr={sr}", f"gt={gt}", "metrics=[bogus]") for m in ALL_METRICS)
    assert "unknown argument 'srr'" in _error(capsys, f"srr={sr}", f"gt={gt}")
    assert "not key=value" in _error(capsys, str(sr))
    assert "missing in sr" in _error(capsys, f"sr={sr / 'clip a'}", f"gt={gt}", o)
    (tmp_path / "empty").mkdir()
    assert "is empty" in _error(capsys, f"sr={tmp_path / 'empty'}", f"gt={gt}", o)
    (sr / "clip b" / "frame 6.png").unlink()
    assert "clip 'clip b': sr has 6 frames, gt has 7" in _error(capsys, f"sr={sr}", f"gt={gt}", o)
    (gt / "clip b" / "frame 6.png").unlink()
    (sr / "clip b" / "frame 3.png").write_bytes(b"not a png")
    assert "clip 'clip b' frame 3 (frame 3.png): unreadable" in _error(
        capsys, f"sr={sr}", f"gt={gt}", o, "metrics=[psnr_y]")
    _write(sr / "clip b", [np.zeros((40, 64, 3), np.uint8)], ["frame 3.png"])
    assert "clip 'clip b' frame 3: sr is 64x40 but gt is 64x48" in _error(
        capsys, f"sr={sr}", f"gt={gt}", o, "metrics=[psnr_y]")
    assert "own centre crop" in _error(capsys, f"sr={sr}", f"gt={gt}", "protocol=tecogan",
                                       "crop_border=4")
    _write(tmp_path / "short" / "c", _frames(5))
    assert "clip 'c' has 5 frames; protocol=tecogan needs >= 6" in _error(
        capsys, f"sr={tmp_path / 'short'}", f"gt={tmp_path / 'short'}", o, "protocol=tecogan",
        "metrics=[psnr_y]")
    assert "protocol=foo" in _error(capsys, f"sr={sr}", f"gt={gt}", "protocol=foo")


def test_compare_marks_best(dataset: tuple[Path, Path], tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    sr, gt = dataset
    worse = tmp_path / "worse"
    for clip in ("clip a", "clip b"):
        frames = [cv2.cvtColor(cv2.imread(str(p)), cv2.COLOR_BGR2RGB)
                  for p in sorted((gt / clip).iterdir())]
        _write(worse / clip, _noisy(frames, seed=3, amp=20))
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    _run(f"sr={sr}", f"gt={gt}", f"out={a}", "metrics=[psnr_y,tflicker]", "report=false")
    _run(f"sr={worse}", f"gt={gt}", f"out={b}", "metrics=[psnr_y,tflicker]", "report=false")
    capsys.readouterr()
    assert main([f"compare=[{a},{b}]", f"out={tmp_path / 'cmp.json'}"]) == 0
    lines = capsys.readouterr().out.splitlines()
    good = next(line for line in lines if " sr " in f" {line} ")
    bad = next(line for line in lines if "worse" in line)
    assert good.count("*") == 2 and "*" not in bad  # higher PSNR and lower flicker win
    assert (tmp_path / "cmp.html").read_text().count("data:image/png;base64,") >= 2
    _run(f"sr={sr}", f"gt={gt}", f"out={b}", "metrics=[psnr_y]", "report=false",
         "protocol=basicsr", "crop_border=2", "overwrite=true")
    data = json.loads(b.read_text())
    data["protocol"] = "tecogan"
    b.write_text(json.dumps(data))
    assert "one protocol" in _error(capsys, f"compare=[{a},{b}]")


def test_vmaf_number_or_unavailable(dataset: tuple[Path, Path], tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    sr, gt = dataset
    data = _run(f"sr={sr}", f"gt={gt}", f"out={tmp_path / 'v.json'}", "metrics=[vmaf]",
                "report=false")
    assert 0 < data["clips"]["clip a"]["vmaf"] <= 100
    self_score = _run(f"sr={gt}", f"gt={gt}", f"out={tmp_path / 's.json'}", "metrics=[vmaf]",
                      "report=false")["clips"]["clip a"]["vmaf"]
    assert self_score > data["clips"]["clip a"]["vmaf"]
    import frvsr.evaluation.scoring as scoring

    monkeypatch.setattr(scoring, "ffmpeg_with_vmaf", lambda: (None, "imageio-ffmpeg missing"))
    out = tmp_path / "u.json"
    _run(f"sr={sr}", f"gt={gt}", f"out={out}", "metrics=[psnr_y,vmaf]", "report=false")
    saved = json.loads(out.read_text())
    assert saved["clips"]["clip a"]["vmaf"].startswith("unavailable")
    assert saved["mean_over_clips"]["vmaf"].startswith("unavailable")


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "compare=" in out and "protocol=basicsr" in out


def test_parse_args_defaults() -> None:
    cfg = parse_args(["gt=x"])
    assert cfg["protocol"] == "basicsr" and cfg["crop_border"] == 0
    assert cfg["metrics"] == ["psnr_y", "ssim_y", "lpips_alex", "tof", "tlp", "ewarp", "tflicker"]
    with pytest.raises(EvalError, match="bicubic or sisr"):
        parse_args(["baseline=nearest"])
