"""The fp16 copy of the export and the bandwidth account that the CLI writes."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from frvsr.inference.onnx_backend import OnnxUpscaler, read_metadata
from frvsr.web.bandwidth import account, stream_stats
from frvsr.web.site import ensure_bandwidth
from tests.web.conftest import FPS, FRAMES_PER_CLIP, LR_SIZE, WebFixture

pytestmark = pytest.mark.slow  # shares the exported tiny model (~20 s once per session)


def test_fp16_copy_stores_half_precision_weights(web_site: WebFixture) -> None:
    import onnx

    site = web_site.site
    fp32, fp16 = site.onnx, site.onnx_fp16  # type: ignore[attr-defined]
    model = onnx.load(str(fp16))
    kinds = {init.data_type for init in model.graph.initializer}
    assert onnx.TensorProto.FLOAT not in kinds and onnx.TensorProto.FLOAT16 in kinds
    assert fp16.stat().st_size < 0.6 * fp32.stat().st_size
    meta = read_metadata(fp16)
    assert meta["weights"].startswith("float16") and meta["scale"] == "4"
    # It still runs as a frvsr export, with outputs a float16 rounding away from fp32's.
    frame = torch.rand(1, 3, 24, 32, generator=torch.Generator().manual_seed(0))
    a, b = OnnxUpscaler(fp32), OnnxUpscaler(fp16)
    for _ in range(2):
        diff = float((a(frame) - b(frame)).abs().max())
        assert diff < 2e-2
    facts = json.loads(fp16.with_suffix(".json").read_text())
    assert facts["bytes"] == fp16.stat().st_size and 0 < facts["max_abs_diff"] < 2e-2


def test_bandwidth_account(web_site: WebFixture) -> None:
    site = web_site.site
    report = json.loads((site.work / "bandwidth.json").read_text())  # type: ignore[attr-defined]
    assert report == site.session["bandwidth"]  # type: ignore[attr-defined]
    lr, ref, summary = report["lr"], report["reference"], report["summary"]
    assert (lr["width"], lr["height"]) == LR_SIZE and lr["frames"] == 2 * FRAMES_PER_CLIP
    assert lr["seconds"] == pytest.approx(2 * FRAMES_PER_CLIP / FPS, abs=1e-3)
    assert (ref["width"], ref["height"]) == (4 * LR_SIZE[0], 4 * LR_SIZE[1])
    assert ref["frames"] == lr["frames"] and ref["crf"] == 23 and ref["encoder"] == "libx264"
    assert "bicubic" in ref["source"]
    assert report["model"]["fp32_bytes"] == site.onnx.stat().st_size  # type: ignore
    fp16 = summary["fp16"]
    assert fp16["sr_total_bytes"] == lr["video_bytes"] + report["model"]["fp16_bytes"]
    assert lr["kbps"] == pytest.approx(lr["video_bytes"] * 8 / lr["seconds"] / 1000, rel=1e-3)


def test_bandwidth_is_cached_until_an_input_changes(web_site: WebFixture) -> None:
    site = web_site.site
    path = site.work / "bandwidth.json"  # type: ignore[attr-defined]
    before = path.stat().st_mtime_ns
    again = ensure_bandwidth(site.video, site.onnx, site.onnx_fp16, 4,  # type: ignore
                             site.work, 23, "medium", None)  # type: ignore[attr-defined]
    assert path.stat().st_mtime_ns == before and again["summary"] == json.loads(
        path.read_text())["summary"]


def test_account_arithmetic() -> None:
    lr = {"seconds": 10.0, "kbps": 400.0, "video_bytes": 500_000}
    ref = {"video_bytes": 5_000_000, "kbps": 4000.0}
    out = account(lr, {"fp16": 1_000_000, "fp32": 2_000_000}, ref)
    assert out["stream_ratio"] == pytest.approx(0.1)
    assert out["fp16"]["sr_total_bytes"] == 1_500_000
    assert out["fp16"]["saving"] == pytest.approx(0.7)
    # The model pays for itself after 1 MB / (450 kB/s saved) = 2.22 s of video.
    assert out["fp16"]["break_even_seconds"] == pytest.approx(2.22, abs=0.01)
    worse = account(lr, {"fp16": 1}, {"video_bytes": 100_000, "kbps": 80.0})
    assert worse["fp16"]["break_even_seconds"] is None and worse["fp16"]["saving"] < 0


def test_stream_stats_counts_video_packets(web_site: WebFixture) -> None:
    stats = stream_stats(web_site.video)
    assert stats["codec"] == "h264" and stats["frames"] == 2 * FRAMES_PER_CLIP
    assert 0 < stats["video_bytes"] < stats["file_bytes"]
    assert np.isclose(stats["fps"], FPS)
