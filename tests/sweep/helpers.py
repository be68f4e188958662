"""Running `python -m frvsr.train -m ...` and `python -m frvsr.sweep` as users do, and
reading a sweep folder."""
from __future__ import annotations

import csv
import json
import os
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.helpers.lit import TINY

REPO = Path(__file__).resolve().parents[2]
# TINY's sizes with a real logger choice left to each test; 2 steps, validated at the end.
SWEEP_TINY = [a for a in TINY if not a.startswith("logger=")] + [
    "experiment=pretrain", "trainer.max_steps=2", "trainer.val_check_interval=2",
    "model.init_from=none"]
# One value of the crop fails in data setup with a user error (frames are 640x272).
CROPS = "data.lr_patch=12,16,1000"
CROP_ERROR = "smaller than the crop 4000x4000"


def env(cache: Path) -> dict[str, str]:
    out = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true",
           "FRVSR_CACHE_DIR": str(cache), "PYTHONUNBUFFERED": "1", "MPLBACKEND": "Agg",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    out.pop("HYDRA_FULL_ERROR", None)
    return out


def train_cmd(args: list[str], log_dir: Path) -> list[str]:
    return [sys.executable, "-m", "frvsr.train", "-m", *args, f"paths.log_dir={log_dir}"]


def run_train(args: list[str], log_dir: Path, cache: Path, timeout: int = 400
              ) -> subprocess.CompletedProcess:
    return subprocess.run(train_cmd(args, log_dir), cwd=log_dir.parent, env=env(cache),
                          capture_output=True, text=True, timeout=timeout)


def run_sweep_cli(args: list[str], cwd: Path, cache: Path, timeout: int = 120
                  ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "frvsr.sweep", *args], cwd=cwd,
                          env=env(cache), capture_output=True, text=True, timeout=timeout)


def only_sweep(log_dir: Path, task: str = "pretrain") -> Path:
    (sweep,) = (log_dir / task / "multiruns").iterdir()
    return sweep


def summary_rows(sweep: Path) -> list[dict[str, str]]:
    with open(sweep / "summary.csv", newline="") as f:
        return list(csv.DictReader(f))


def sweep_info(sweep: Path) -> dict[str, Any]:
    return json.loads((sweep / "sweep.json").read_text())


def _log_records(path: Path) -> Iterator[bytes]:
    """The records of a wandb transaction log (LevelDB log format: 32 KiB blocks of
    chunks with a 7-byte header: crc32, length, type full/first/middle/last)."""
    data, pos, block, pending = path.read_bytes(), 7, 32768, b""
    while pos + 7 <= len(data):
        if block - pos % block < 7:
            pos += block - pos % block
            continue
        _, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        chunk, pos = data[pos + 7:pos + 7 + length], pos + 7 + length
        if kind == 0:
            break
        if kind == 1:
            yield chunk
        elif kind == 2:
            pending = chunk
        elif kind == 3:
            pending += chunk
        elif kind == 4:
            yield pending + chunk
            pending = b""


def offline_runs(sweep: Path) -> list[tuple[str, list[str]]]:
    """(group, tags) of every offline wandb run under the sweep's job folders."""
    from wandb.proto import wandb_internal_pb2 as pb

    found = []
    for path in sorted(sweep.glob("*/wandb/offline-run-*/run-*.wandb")):
        for raw in _log_records(path):
            record = pb.Record()
            record.ParseFromString(raw)
            if record.WhichOneof("record_type") == "run":
                found.append((record.run.run_group, list(record.run.tags)))
                break
    return found
