"""`scripts/benchmark.py --quick` runs end to end on the CPU (reduced widths, tiny frames)
and its JSON holds every case, the CLI run and the closing ratio with positive numbers."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MODEL = "FRVSR+FRVSRNet-10-64"
EXPECTED = {  # (model, backend) of the quick CPU plan
    ("bicubic", "eager fp32"), (MODEL, "eager fp32"), (MODEL, "onnxruntime"),
    (MODEL, "onnxruntime threads=cores"), (MODEL, "channels_last"), (MODEL, "compile"),
    (MODEL, "bf16"), ("FRVSR+SRResNet-16", "eager fp32"), ("FRVSR+RRDBNet-23", "eager fp32"),
    ("FRVSR+ESPCN", "eager fp32"), ("FRVSRNet-10-64", "eager fp32"),
}
HAS_ORT = importlib.util.find_spec("onnxruntime") is not None


@pytest.mark.slow  # about 40 s on 2 idle cores (one ONNX export, one torch.compile)
def test_quick_benchmark_reports_every_case(tmp_path: Path) -> None:
    out = tmp_path / "b.json"
    proc = subprocess.run([sys.executable, str(REPO / "scripts" / "benchmark.py"), "--quick",
                           "--out", str(out)], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "CLOSING CONDITION" in proc.stdout
    report = json.loads(out.read_text())
    assert report["device"] == "cpu" and report["quick"] is True
    assert {(c["model"], c["backend"]) for c in report["cases"]} == EXPECTED
    for case in report["cases"]:
        if case["backend"].startswith("onnxruntime") and not HAS_ORT:
            assert case["status"].startswith("skipped")
            continue
        assert case["status"] == "ok", case
        assert case["frames"] == report["frames"] > 0
        for key in ("ms_median", "ms_min", "fps", "peak_mb", "peak_rss_mb"):
            assert case[key] > 0, (case["name"], key, case[key])
        if case["model"] == MODEL and case["backend"] != "eager fp32":
            assert case["max_abs_diff_vs_eager"] is not None
    (cli,) = report["cli"]
    for key in ("fps_cli", "fps_model", "ratio", "peak_mb"):
        assert cli[key] > 0, (key, cli[key])
    closing = report["closing"]
    assert closing["model"] == MODEL and closing["ratio"] > 0
    assert closing["best_backend"] in {b for m, b in EXPECTED if m == MODEL} - {"eager fp32"}
    zoo = {row["name"]: row for row in report["zoo"]}
    assert zoo["FRVSR+FRVSRNet-10-64"]["gflops_1080p"] > zoo["FRVSRNet-10-64"]["gflops_1080p"] > 0
    assert all(row["params"] > 0 for name, row in zoo.items() if name != "bicubic")
    assert all(abs(row["diff_pct"]) <= 3 for row in zoo.values() if row["diff_pct"] is not None)
