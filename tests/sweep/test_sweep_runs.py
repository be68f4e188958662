"""Real sweeps of a few steps: the basic launcher (with wandb offline) and submitit's
local executor each end with a summary holding every job, the failed one with its error;
a sweep killed mid-job is rebuilt from its folder (running, then interrupted)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.sweep.helpers import (
    CROP_ERROR,
    CROPS,
    SWEEP_TINY,
    env,
    offline_runs,
    only_sweep,
    run_sweep_cli,
    run_train,
    summary_rows,
    sweep_info,
    train_cmd,
)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One decoded-frame cache for the module's sweeps (decoding is not what is tested)."""
    return tmp_path_factory.mktemp("frame_cache")


def _check_summary(sweep: Path, stdout: str) -> list[dict[str, str]]:
    """Three rows: the two crops that fit (completed, with metrics and a checkpoint, best
    first) and the one that does not (failed, with its one-line error)."""
    rows = summary_rows(sweep)
    assert [r["data.lr_patch"] for r in rows][2] == "1000", rows
    done, failed = rows[:2], rows[2]
    assert {r["data.lr_patch"] for r in done} == {"12", "16"}
    assert [r["status"] for r in rows] == ["completed", "completed", "failed"]
    assert float(done[0]["psnr_y"]) >= float(done[1]["psnr_y"]) > 10.0
    assert [r["best"] for r in rows] == ["1", "0", "0"]
    for r in done:
        assert r["steps"] == "2" and float(r["bicubic_psnr_y"]) > 10.0
        assert Path(r["checkpoint"]).is_file() and Path(r["checkpoint"]).parent == (
            Path(r["run_folder"]) / "checkpoints")
        assert (Path(r["run_folder"]) / "checkpoints" / "last.ckpt").is_file()
    assert CROP_ERROR in failed["error"] and "Traceback" not in failed["error"]
    # only the swept key is a column of the tables, and the table is printed
    assert "data.lr_patch" in rows[0] and "data.num_frames" not in rows[0]
    md = (sweep / "summary.md").read_text()
    assert CROP_ERROR in md and "| * |" in md
    assert (sweep / "summary.html").is_file() and (sweep / "summary.png").is_file()
    assert "sweep summary:" in stdout and "best: job" in stdout
    return rows


@pytest.mark.slow
def test_basic_multirun_summary_and_wandb_group(tmp_path: Path, cache: Path) -> None:
    log_dir = tmp_path / "outputs"
    log_dir.mkdir()
    proc = run_train([*SWEEP_TINY, "logger=wandb", CROPS], log_dir, cache)
    assert proc.returncode == 1, proc.stderr[-3000:]  # a job failed: the sweep says so
    assert "1 of 3 jobs failed" in proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and CROP_ERROR in errors[0]  # the job's own one line
    sweep = only_sweep(log_dir)
    _check_summary(sweep, proc.stdout)
    group = sweep_info(sweep)["id"]
    assert group == f"pretrain-{sweep.name}"
    runs = offline_runs(sweep)
    assert len(runs) >= 2 and {g for g, _ in runs} == {group}, runs
    assert {t for _, tags in runs for t in tags} >= {"data.lr_patch=12", "data.lr_patch=16"}
    assert "sweep:\n  id: " + group in (sweep / "0" / "config.yaml").read_text()


@pytest.mark.slow
def test_submitit_local_multirun_summary(tmp_path: Path, cache: Path) -> None:
    pytest.importorskip("hydra_plugins.hydra_submitit_launcher",
                        reason="the slurm extra (hydra-submitit-launcher) is not installed")
    log_dir = tmp_path / "outputs"
    log_dir.mkdir()
    proc = run_train([*SWEEP_TINY, "logger=csv", "launcher=submitit_local", CROPS], log_dir,
                     cache)
    assert proc.returncode == 1, proc.stderr[-3000:]
    sweep = only_sweep(log_dir)
    assert "Submitit 'local' sweep output dir" in proc.stdout + proc.stderr
    rows = _check_summary(sweep, proc.stdout)
    pids = {json.loads((Path(r["run_folder"]) / "result.json").read_text())["pid"]
            for r in rows}
    assert len(pids) == 3 and os.getpid() not in pids  # each job in its own process
    logs = list((sweep / ".submitit").rglob("*_log.err"))
    assert len(logs) == 3
    assert any(CROP_ERROR in p.read_text() for p in logs)  # the job's error line, in its log


def _wait_for(predicate, timeout: float, proc: subprocess.Popen) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "sweep ended"
        assert time.monotonic() < end, "timed out"
        time.sleep(0.5)


@pytest.mark.slow
def test_rebuild_running_then_interrupted_sweep(tmp_path: Path, cache: Path) -> None:
    log_dir = tmp_path / "outputs"
    log_dir.mkdir()
    args = [*SWEEP_TINY, "logger=none", "force=true", "trainer.max_steps=2,100000"]
    proc = subprocess.Popen(train_cmd(args, log_dir), cwd=tmp_path, env=env(cache),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        record = log_dir / "pretrain" / "multiruns"

        def training() -> bool:  # job 1 has started its steps
            found = list(record.glob("*/1/result.json"))
            return bool(found) and "total_steps" in json.loads(found[0].read_text())

        _wait_for(training, 240, proc)
        sweep = only_sweep(log_dir)
        live = run_sweep_cli([f"summary={sweep}"], tmp_path, cache)
        assert live.returncode == 0, live.stderr
        assert [(r["job"], r["status"]) for r in summary_rows(sweep)] == [
            ("0", "completed"), ("1", "running")]
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # as an out-of-memory kill or a lost node would
        proc.wait()
    rebuilt = run_sweep_cli([f"summary={sweep}"], tmp_path, cache)
    assert rebuilt.returncode == 0, rebuilt.stderr
    rows = summary_rows(sweep)
    assert [(r["job"], r["status"], r["best"]) for r in rows] == [
        ("0", "completed", "1"), ("1", "interrupted", "0")]
    assert rows[1]["total_steps"] == "100000" and Path(rows[0]["checkpoint"]).is_file()
    assert f"process {proc.pid} is gone" in (sweep / "summary.md").read_text()


@pytest.mark.slow
def test_restarted_job_resumes_from_its_own_checkpoint(tmp_path: Path, cache: Path) -> None:
    """What a SLURM requeue does: the same job started again in its own folder continues
    from its `last.ckpt` instead of starting over."""
    log_dir = tmp_path / "outputs"
    log_dir.mkdir()
    sweep = tmp_path / "sweep"
    args = [*SWEEP_TINY, "logger=none", f"hydra.sweep.dir={sweep}"]
    first = run_train([*args, "trainer.max_steps=2"], log_dir, cache)
    assert first.returncode == 0, first.stderr[-3000:]
    again = run_train([*args, "trainer.max_steps=4", "trainer.val_check_interval=4"], log_dir,
                      cache)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "started again in its own folder (requeued): resuming" in again.stdout
    assert "resuming at step 2" in again.stdout
    (row,) = summary_rows(sweep)
    assert (row["status"], row["steps"], row["val_step"]) == ("completed", "4", "4")
