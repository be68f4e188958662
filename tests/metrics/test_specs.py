"""The metric table (frvsr.metrics.specs): lookups, formats identical to the former tables,
and a metric added through the table alone being scored, ranked, formatted and plotted."""
from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import torch

from frvsr.errors import EvalError
from frvsr.evaluation.protocols import Protocol
from frvsr.evaluation.run import evaluate_folders
from frvsr.evaluation.scoring import DEFAULT_METRICS, check_metrics
from frvsr.lit.validation import clip_metrics
from frvsr.metrics import specs
from frvsr.metrics.specs import MetricSpec
from frvsr.metrics.temporal import Region
from frvsr.report import html, plots
from frvsr.report.results import jsonable
from frvsr.report.tables import compare_rows, table_rows

DOCS = Path(__file__).resolve().parents[2] / "docs" / "evaluation.md"
BUILTIN = ("psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "lpips_alex", "lpips_vgg", "tof", "tlp",
           "ewarp", "tflicker", "vmaf")


def test_lookup_direction_and_unknown_names() -> None:
    assert specs.names() == BUILTIN
    assert DEFAULT_METRICS == ("psnr_y", "ssim_y", "lpips_alex", "tof", "tlp", "ewarp",
                               "tflicker")
    assert [s.name for s in specs.validation_metrics()] == ["psnr_y", "ssim_y", "tof",
                                                            "tflicker"]
    higher = {m for m in BUILTIN if specs.higher_is_better(m)}
    assert higher == {"psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "vmaf"}
    assert specs.lower_better(["psnr_y", "tof", "ewarp"]) == {"tof", "ewarp"}
    assert check_metrics(["tof", "psnr_y", "tof"]) == ["tof", "psnr_y"]
    with pytest.raises(EvalError) as err:
        specs.get("bogus")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("unknown metric bogus; valid: psnr_y, ssim_y")
    with pytest.raises(EvalError, match=r"unknown metric \(none given\); valid: psnr_y"):
        check_metrics([])
    with pytest.raises(EvalError, match="unknown metric nope"):
        check_metrics(["psnr_y", "nope"])


def _old_fmt(metric: str, value: Any) -> str:
    """The formatter of frvsr/report/tables.py before the table existed."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return "n/a" if value.startswith("unavailable") else value
    if metric == "ewarp":
        return f"{value * 1e3:.3f}"
    if metric.startswith("ssim") or metric.startswith("lpips"):
        return f"{value:.4f}"
    return f"{value:.3f}" if metric in ("tof", "tlp", "tflicker") else f"{value:.2f}"


def test_formats_and_headers_unchanged() -> None:
    units = {"tlp": "tLP x100", "psnr_y": "dB", "psnr_rgb": "dB", "ewarp": "x1e-3"}
    values = [None, "inf", "unavailable: no ffmpeg", math.inf, 0.0, 1, 0.00123456, 3.14159,
              31.4951, 97.25, 2.0e-5]
    for m in BUILTIN:
        for v in values:
            assert specs.format_value(m, v) == _old_fmt(m, v), (m, v)
        assert specs.header(m) == (f"{m} ({units[m]})" if m in units else m)
    assert specs.display_notes() == "ewarp shown x1e-3, tLP x100"


def test_conventions_come_from_the_table() -> None:
    conv = Protocol("basicsr").conventions()
    keys = list(conv)
    assert keys[keys.index("y_channel") + 1:keys.index("mean_over_clips")] == [
        "psnr", "ssim", "lpips", "tof", "tlp", "ewarp", "tflicker", "vmaf"]
    for s in specs.METRICS.values():
        assert conv[s.convention_key or s.name] == s.convention


def test_docs_metric_table_matches_the_table() -> None:
    text = DOCS.read_text()
    block = re.search(r"<!-- metric-table:start -->\n(.*?)\n<!-- metric-table:end -->", text,
                      re.S)
    assert block, "docs/evaluation.md lost its <!-- metric-table:start/end --> markers"
    assert block.group(1) == specs.markdown_table(), (
        "docs/evaluation.md's metric table differs from frvsr.metrics.specs; regenerate it with "
        "python -c 'from frvsr.metrics.specs import markdown_table; print(markdown_table())'")
    row = next(line for line in text.splitlines() if line.startswith("| `metrics` |"))
    assert f"`[{','.join(specs.default_metrics())}]`" in row
    assert f"any of `{' '.join(specs.names())}`" in row
    bullets = text[text.index("## Metrics"):text.index("## Protocols")]
    for name in specs.names():
        assert re.search(rf"^- [^\n]*`{name}`", bullets, re.M), f"no bullet for {name}"


def _frame_brightness(sr: torch.Tensor, gt: torch.Tensor) -> float:
    """Dummy frame metric: mean SR value x100 (higher is better)."""
    return 100.0 * float(sr.double().mean())


def _pair_jump(sr0: torch.Tensor, sr1: torch.Tensor, gt0: torch.Tensor, gt1: torch.Tensor,
               region: Region | None) -> float:
    """Dummy pair metric: mean |sr1 - sr0| inside the region (lower is better)."""
    ys, xs = region.slices() if region else (slice(None), slice(None))
    return float((sr1 - sr0)[:, ys, xs].abs().double().mean())


@pytest.fixture
def dummies(monkeypatch: pytest.MonkeyPatch) -> tuple[MetricSpec, MetricSpec]:
    """Two metrics added only through the table, removed again after the test."""
    monkeypatch.setattr(specs, "METRICS", dict(specs.METRICS))
    hi = specs.register(MetricSpec(
        "dummy_hi", "frame", "higher", "mean SR value x100", "test", "mean of SR x100",
        fn=_frame_brightness, label="%", digits=5, validation=True))
    lo = specs.register(MetricSpec(
        "dummy_lo", "pair", "lower", "mean |sr[t]-sr[t-1]|", "test", "mean temporal jump",
        fn=_pair_jump, label="x1e-2", scale=100.0, digits=1, note="dummy_lo shown x1e-2"))
    return hi, lo


def _clip(root: Path, frames: list[np.ndarray]) -> None:
    (root / "c").mkdir(parents=True)
    for t, f in enumerate(frames):
        cv2.imwrite(str(root / "c" / f"{t:02d}.png"), f)


def test_a_metric_added_through_the_table_is_scored_ranked_formatted_plotted(
        tmp_path: Path, dummies: tuple[MetricSpec, MetricSpec],
        monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    gt = [rng.integers(60, 200, (16, 20, 3), dtype=np.uint8) for _ in range(4)]
    bright = [np.clip(f.astype(int) + 20, 0, 255).astype(np.uint8) for f in gt]  # higher dummy_hi
    still = [gt[0]] * 4  # no temporal jump: best dummy_lo
    for name, frames in (("gt", gt), ("bright", bright), ("still", still)):
        _clip(tmp_path / name, frames)
    metrics = check_metrics(["psnr_y", "dummy_hi", "dummy_lo"])
    proto = Protocol("basicsr", crop_border=1)
    results = [evaluate_folders(tmp_path / m, tmp_path / "gt", proto, metrics, m,
                                progress=False) for m in ("bright", "still")]

    # scored by the Scorer: per-frame / per-pair values are the functions' on the region
    region = proto.region(16, 20)
    ys, xs = region.slices()
    c = results[0]["clips"]["c"]
    tensors = [torch.from_numpy(cv2.cvtColor(f, cv2.COLOR_BGR2RGB)).permute(2, 0, 1)
               .float() / 255 for f in bright]
    assert c["per_frame"]["dummy_hi"] == pytest.approx(
        [_frame_brightness(x[:, ys, xs], x) for x in tensors])
    assert c["per_frame"]["dummy_lo"] == pytest.approx(
        [_pair_jump(tensors[t - 1], tensors[t], tensors[t], tensors[t], region)
         for t in range(1, 4)])
    assert c["dummy_hi"] == pytest.approx(np.mean(c["per_frame"]["dummy_hi"]))
    assert results[1]["clips"]["c"]["dummy_lo"] == 0.0
    assert results[0]["conventions"]["dummy_lo"] == "mean temporal jump"

    # ranked in each metric's direction; formatted with its scale and digits
    loaded = [json.loads(json.dumps(jsonable(r))) for r in results]
    header, rows = compare_rows(loaded)
    assert header == ["method", "psnr_y (dB)", "dummy_hi (%)", "dummy_lo (x1e-2)"]
    hi_b, hi_s = (r["mean_over_clips"]["dummy_hi"] for r in results)
    assert hi_b > hi_s
    lo_b = results[0]["mean_over_clips"]["dummy_lo"]
    assert rows[0][2] == f"{hi_b:.5f}*" and rows[1][2] == f"{hi_s:.5f}"
    assert rows[0][3] == f"{lo_b * 100:.1f}" and rows[1][3] == "0.0*"
    _, trows = table_rows(loaded[0])
    assert trows[0][3] == f"{hi_b:.5f}"
    assert specs.display_notes() == "dummy_lo shown x1e-2, ewarp shown x1e-3, tLP x100"

    # plotted: the comparison's bar chart gets each metric's direction from the table
    seen: dict[str, Any] = {}
    real_bars = plots.metric_bars

    def bars(values: dict, lower_better: Any = None) -> bytes:
        seen.update(values=set(values), lower=set(lower_better))
        return real_bars(values, lower_better)

    monkeypatch.setattr(plots, "metric_bars", bars)
    html.build_compare_report(loaded, tmp_path / "compare.html")
    assert seen["values"] == {"psnr_y", "dummy_hi", "dummy_lo"}
    assert seen["lower"] == {"dummy_lo"}
    png = real_bars({"dummy_hi": {"a": 1.0, "b": 2.0}})  # default: directions of the table
    assert png.startswith(b"\x89PNG")


def test_validation_logs_the_table_metrics(dummies: tuple[MetricSpec, MetricSpec]) -> None:
    torch.manual_seed(0)
    hr = torch.rand(3, 3, 24, 24)
    sr = (hr + 0.05 * torch.randn_like(hr)).clamp(0, 1)
    out = clip_metrics(sr, hr, crop_border=2)
    assert list(out) == ["psnr_y", "ssim_y", "tof", "tflicker", "dummy_hi"]
    assert out["dummy_hi"] == pytest.approx(
        np.mean([_frame_brightness(sr[t][:, 2:22, 2:22], hr[t]) for t in range(3)]))
    assert list(clip_metrics(sr[:1], hr[:1])) == ["psnr_y", "ssim_y", "dummy_hi"]


def test_register_checks_its_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(specs, "METRICS", dict(specs.METRICS))
    row = dict(unit="u", source="s", convention="c")
    with pytest.raises(ValueError, match="already in the table"):
        specs.register(MetricSpec("psnr_y", "frame", "higher", fn=_frame_brightness, **row))
    with pytest.raises(ValueError, match="with fn"):
        specs.register(MetricSpec("x", "pair", "lower", **row))
    with pytest.raises(ValueError, match="kind must be one of"):
        specs.register(MetricSpec("x", "video", "lower", fn=_pair_jump, **row))  # type: ignore[arg-type]
    assert "x" not in specs.METRICS
