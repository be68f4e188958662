"""Data faults during training: one unreadable frame among thousands stops the run with its
path (default) or, with `data.skip_bad=true`, is skipped with a warning and counted; a
DataLoader worker that dies ends the run with one line instead of a hang."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from torch.utils.data import DataLoader

from frvsr.data.datasets import TrainClipDataset
from frvsr.data.sources import FolderSource
from frvsr.errors import DataError
from frvsr.io.images import write_png
from frvsr.lit.fit import fit
from tests.helpers.lit import TINY, compose_train
from tests.reliability.train_runs import train_cmd, train_env

CLIPS, FRAMES = 20, 100  # 2000 frames of 32x32


def _dataset(root: Path, clips: int = CLIPS, frames: int = FRAMES) -> Path:
    """`clips` clips of `frames` tiny PNG frames; frame 50 of clip 7 cut to 40 bytes."""
    rng = np.random.default_rng(0)
    for c in range(clips):
        folder = root / f"clip{c:02d}"
        folder.mkdir(parents=True)
        for t in range(frames):
            write_png(folder / f"{t:03d}.png", rng.integers(0, 256, (32, 32, 3), np.uint8))
    bad = root / f"clip{min(7, clips - 1):02d}" / f"{min(50, frames - 1):03d}.png"
    bad.write_bytes(bad.read_bytes()[:40])
    return bad


def _train_set(root: Path, skip_bad: bool) -> TrainClipDataset:
    return TrainClipDataset(FolderSource(str(root)).clips(), 4, "bi", num_frames=3,
                            lr_patch=8, augment=False, stride=3, skip_bad=skip_bad)


@pytest.mark.slow
def test_one_bad_frame_among_thousands(tmp_path: Path) -> None:
    bad = _dataset(tmp_path / "data")
    strict = _train_set(tmp_path / "data", skip_bad=False)
    loader = DataLoader(strict, batch_size=16, num_workers=2, timeout=60)
    with pytest.raises(DataError) as err:  # PyTorch re-raises the worker's error
        for _ in loader:
            pass
    assert str(bad) in str(err.value) or bad.name in str(err.value)

    lenient = _train_set(tmp_path / "data", skip_bad=True)
    seen, reports = 0, []
    for batch in DataLoader(lenient, batch_size=16, num_workers=2, timeout=60):
        seen += len(batch["key"])
        reports += [line for r in batch["skipped"] for line in r.split("\n") if line]
    assert seen == len(lenient)  # every window came back, the bad ones replaced
    # windows of 3 frames with stride 3: exactly one window holds frame 50
    assert len(reports) == 1 and bad.name in reports[0] and "clip07" in reports[0], reports


def _fit_folder(tmp: Path, *extra: str) -> None:
    fit(compose_train(tmp, ["experiment=pretrain", *TINY, "data=folder",
                            f"data.train.root={tmp / 'data'}", "data.val.clips=[clip01]",
                            "data.num_frames=2", "data.lr_patch=8", "data.scale=4",
                            "trainer.max_steps=2", "trainer.val_check_interval=1000",
                            "data.augment=false", *extra], name="pretrain/run"))


def _small(root: Path, bad: str, data: bytes | None) -> Path:
    """clip00 (4 frames, trained on) and clip01 (2 frames, validation); clip00/`bad` is
    replaced by `data` (None: cut to 40 bytes)."""
    rng = np.random.default_rng(1)
    for c, n in (("clip00", 4), ("clip01", 2)):
        for t in range(n):
            (root / c).mkdir(parents=True, exist_ok=True)
            write_png(root / c / f"{t:03d}.png", rng.integers(0, 256, (32, 32, 3), np.uint8))
    path = root / "clip00" / bad
    path.write_bytes(path.read_bytes()[:40] if data is None else data)
    return path


def test_bad_frame_stops_training_with_its_path(tmp_path: Path) -> None:
    bad = _small(tmp_path / "data", "001.png", None)  # in every window but the last
    with pytest.raises(DataError) as err:
        _fit_folder(tmp_path, "data.batch_size=3")  # one batch holds windows 0, 1, 2
    assert str(bad) in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "pretrain").exists()  # no checkpoint: the run folder is gone


@pytest.mark.slow
def test_skip_bad_trains_on_and_counts(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _small(tmp_path / "data", "003.png", b"")  # in window 2 (frames 2, 3) only
    _fit_folder(tmp_path, "data.skip_bad=true", "data.batch_size=3")
    out = capsys.readouterr().out
    assert "warning: skipped a training window (1 so far)" in out and "003.png" in out, out
    assert "training window(s) with an unreadable frame were skipped" in out
    assert list((tmp_path / "pretrain/run/checkpoints").glob("last.ckpt"))


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_dead_worker_ends_the_run_without_hanging(tmp_path: Path, rel_cache: Path) -> None:
    (tmp_path / "runs").mkdir()
    proc = subprocess.Popen(train_cmd(tmp_path / "runs", "trainer.max_steps=2000",
                                      "data.num_workers=2"),
                            cwd=tmp_path / "runs", env=train_env(rel_cache), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    for line in proc.stdout:
        if "estimated training time" in line:
            break
    workers = _children(proc.pid)
    assert workers, "no DataLoader worker found"
    os.kill(workers[0], signal.SIGKILL)
    start = time.monotonic()
    out, err = proc.communicate(timeout=120)  # a hang fails here
    assert time.monotonic() - start < 120
    assert proc.returncode == 2, out + err
    assert "Traceback" not in err, err
    last = [ln for ln in err.splitlines() if ln.strip()][-1]
    assert last.startswith("error: DataLoader worker") and "data.num_workers" in last, err
