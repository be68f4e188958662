"""The summary from a sweep folder's records (no training): order, best row, failed and
running/interrupted jobs, varying keys only, the files, the plot, the CLI's errors."""
from __future__ import annotations

import csv
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from frvsr.sweep.callback import swept_keys
from frvsr.sweep.record import update_record
from frvsr.sweep.render import plot_png, to_markdown, write
from frvsr.sweep.summary import collect
from tests.sweep.helpers import run_sweep_cli

COMMON = ["experiment=pretrain", "trainer.max_steps=2"]


def _sweep(tmp: Path, metric: str = "val/psnr_y") -> Path:
    sweep = tmp / "multiruns" / "t0"
    sweep.mkdir(parents=True)
    (sweep / "sweep.json").write_text(f'{{"id": "pretrain-t0", "optimized_metric": "{metric}"}}')
    return sweep


def _job(sweep: Path, num: int, lr: str, status: str, psnr: float | None = None,
         tof: float | None = None, **extra: object) -> None:
    metrics = {} if psnr is None else {"psnr_y": psnr, "ssim_y": 0.8, "tof": tof or 0.3,
                                       "tflicker": 3.0}
    fields: dict[str, object] = {
        "status": status, "job": num, "started": 100.0, "finished": 130.0, "steps": 2,
        "total_steps": 2, "overrides": [*COMMON, f"model.optimizer.lr={lr}"],
        "metrics": metrics, "bicubic": {"psnr_y": 27.4} if metrics else None,
        "checkpoint": str(sweep / str(num) / "checkpoints" / "last.ckpt"), **extra}
    update_record(sweep / str(num), **fields)


def test_rows_sorted_best_marked_failed_listed(tmp_path: Path) -> None:
    sweep = _sweep(tmp_path)
    _job(sweep, 0, "1e-3", "completed", 25.0)
    _job(sweep, 1, "2e-3", "completed", 27.5)
    _job(sweep, 2, "3e-3", "failed", error="frames are smaller than the crop")
    summary = collect(sweep)
    assert [r.num for r in summary.rows] == [1, 0, 2]
    assert [r.best for r in summary.rows] == [True, False, False]
    assert summary.swept == ["model.optimizer.lr"]  # experiment=... is the same everywhere
    assert summary.failed == 1
    written = write(summary)
    assert sorted(p.name for p in written) == ["summary.csv", "summary.html", "summary.md",
                                               "summary.png"]
    rows = list(csv.DictReader((sweep / "summary.csv").open()))
    assert [(r["job"], r["status"], r["best"]) for r in rows] == [
        ("1", "completed", "1"), ("0", "completed", "0"), ("2", "failed", "0")]
    assert rows[0]["model.optimizer.lr"] == "2e-3" and float(rows[0]["psnr_y"]) == 27.5
    assert rows[0]["bicubic_psnr_y"] == "27.4" and rows[0]["wall_s"] == "30.0"
    assert rows[2]["error"] == "frames are smaller than the crop"
    md = (sweep / "summary.md").read_text()
    assert "| * | 1 | completed | 2e-3 | 2 | 30s | 27.50 |" in md
    assert "| failed | 3e-3 |" in md and "frames are smaller than the crop" in md
    assert "experiment" not in md.split("\n|")[1]  # only the keys that vary are columns
    assert (sweep / "summary.png").read_bytes()[:4] == b"\x89PNG"


def test_lower_is_better_metric_sorts_ascending(tmp_path: Path) -> None:
    sweep = _sweep(tmp_path, metric="val/tof")
    _job(sweep, 0, "1e-3", "completed", 25.0, tof=0.2)
    _job(sweep, 1, "2e-3", "completed", 27.5, tof=0.4)
    summary = collect(sweep)
    assert summary.direction == "minimize"
    assert [(r.num, r.best) for r in summary.rows] == [(0, True), (1, False)]


def test_running_and_interrupted_jobs(tmp_path: Path) -> None:
    sweep = _sweep(tmp_path)
    _job(sweep, 0, "1e-3", "completed", 25.0)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    host = socket.gethostname()
    _job(sweep, 1, "2e-3", "running", pid=os.getpid(), host=host, finished=None)
    _job(sweep, 2, "3e-3", "running", pid=gone.pid, host=host, finished=None)
    by_num = {r.num: r for r in collect(sweep).rows}
    assert by_num[1].status == "running" and by_num[1].note == "step 2/2"
    assert by_num[2].status == "interrupted"
    assert by_num[2].note == f"step 2/2 (process {gone.pid} is gone)"
    assert by_num[0].best


def test_no_plot_without_a_numeric_key(tmp_path: Path) -> None:
    sweep = _sweep(tmp_path)
    for num, gen in enumerate(["srresnet", "espcn"]):
        update_record(sweep / str(num), status="completed", job=num,
                      overrides=[f"model/generator={gen}"], metrics={"psnr_y": 25.0 + num})
    summary = collect(sweep)
    assert summary.swept == ["model/generator"] and plot_png(summary) is None
    assert "| * | 1 | completed | espcn |" in to_markdown(summary)


def test_swept_keys_from_the_command_line_and_sweeper_params() -> None:
    keys = swept_keys(["experiment=pretrain", "model/generator=srresnet,espcn",
                       "model.optimizer.lr=1e-3", "data.num_frames=range(3,8,2)"],
                      {"model.flow_loss.weight": "interval(0.1, 2)", "seed": "3"})
    assert keys == ["model/generator", "data.num_frames", "model.flow_loss.weight"]


def test_cli_help_and_real_run(tmp_path: Path) -> None:
    proc = run_sweep_cli(["--help"], tmp_path, tmp_path / "cache")
    assert proc.returncode == 0 and "summary=<sweep dir>" in proc.stdout
    sweep = _sweep(tmp_path)
    _job(sweep, 0, "1e-3", "completed", 25.0)
    _job(sweep, 1, "2e-3", "failed", error="boom")
    proc = run_sweep_cli([f"summary={sweep}"], tmp_path, tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    assert "best: job 0 (model.optimizer.lr=1e-3)" in proc.stdout and "boom" in proc.stdout
    assert (sweep / "summary.md").is_file() and (sweep / "summary.html").is_file()


@pytest.mark.parametrize(("where", "message"), [
    ("missing", "no such folder"),
    ("plain", "is not a multirun folder (no sweep.json or multirun.yaml)"),
    ("job", "(this is one job's folder; pass its parent)"),
])
def test_cli_errors_are_one_line(tmp_path: Path, where: str, message: str) -> None:
    sweep = _sweep(tmp_path)
    _job(sweep, 0, "1e-3", "completed", 25.0)
    folder = {"missing": tmp_path / "nope", "plain": tmp_path, "job": sweep / "0"}[where]
    proc = run_sweep_cli([f"summary={folder}"], tmp_path, tmp_path / "cache")
    assert proc.returncode == 2
    errors = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: ") and message in errors[0], errors
    assert not (tmp_path / "summary.md").exists()


def test_stop_reasons_of_an_interrupted_job() -> None:
    from frvsr.sweep.job import _stop_reason

    assert _stop_reason(KeyboardInterrupt()) == "stopped by Ctrl-C"
    assert _stop_reason(SystemExit(130)) == "stopped by Ctrl-C"  # fit's exit after SIGINT
    assert _stop_reason(SystemExit(143)) == "stopped by SIGTERM (exit code 143)"
    assert _stop_reason(SystemExit(1)) == "stopped (exit code 1)"
