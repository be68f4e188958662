"""A sweep's rows, from its folder alone: each job's `result.json` (``record.py``),
``.hydra/overrides.yaml`` for a job without one, and ``sweep.json`` (written when the
multirun started: id, optimised metric and direction).

Works on a finished sweep, on one still running (a job whose process is alive is
``running``) and on an interrupted one (a ``running`` record whose process is gone on this
machine is ``interrupted``).
"""
from __future__ import annotations

import json
import math
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frvsr.errors import ConfigError, UserPathError
from frvsr.sweep.record import RECORD_NAME, SWEEP_FILE, read_record, split_override

DEFAULT_METRIC = "val/psnr_y"


@dataclass
class JobRow:
    """One job of the sweep as the summary shows it."""

    folder: Path
    num: int | None
    status: str
    overrides: dict[str, str]
    steps: int | None = None
    total_steps: int | None = None
    seconds: float | None = None
    val_step: int | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    bicubic: dict[str, float] = field(default_factory=dict)
    objective: float | None = None
    checkpoint: str | None = None
    error: str | None = None
    best: bool = False

    @property
    def note(self) -> str:
        """The error of a failed job, or what a running/interrupted one had reached."""
        if self.error and self.status == "failed":
            return self.error
        if self.status in ("running", "interrupted"):
            reached = f"step {self.steps or 0}/{self.total_steps or '?'}"
            if self.error:
                reached += f" ({self.error})"
            return reached
        if self.status == "no record":
            return "no result.json: the job did not reach frvsr.train"
        return ""


@dataclass
class Sweep:
    """A sweep folder's summary: its rows sorted best first (`best` marks the winner)."""

    dir: Path
    id: str
    metric: str
    direction: str  # maximize | minimize
    swept: list[str]
    rows: list[JobRow]
    command: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(r.status == "failed" for r in self.rows)

    def counts(self) -> str:
        """`3 jobs: 2 completed, 1 failed`."""
        by: dict[str, int] = {}
        for r in self.rows:
            by[r.status] = by.get(r.status, 0) + 1
        parts = ", ".join(f"{n} {s}" for s, n in by.items())
        return f"{len(self.rows)} job{'s' if len(self.rows) != 1 else ''}: {parts}"


def _read_yaml_list(path: Path) -> list[str]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return []
    return [str(x) for x in data] if isinstance(data, list) else []


def _job_folders(sweep_dir: Path) -> list[Path]:
    """The job folders (Hydra's `hydra.sweep.subdir`, the job number by default): children
    holding a record or Hydra's `.hydra/`, in job order."""
    found = [f for f in sweep_dir.iterdir() if f.is_dir() and not f.name.startswith(".")
             and ((f / RECORD_NAME).is_file() or (f / ".hydra").is_dir())]
    return sorted(found, key=lambda f: (int(f.name) if f.name.isdigit() else 1 << 30, f.name))


def _process_gone(record: dict[str, Any]) -> bool:
    """True when the record's process ran on this machine and no longer exists."""
    pid, host = record.get("pid"), record.get("host")
    if not isinstance(pid, int) or host != socket.gethostname():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a zombie (killed, not yet reaped by its parent) is gone too
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return False


def _row(folder: Path, metric: str) -> JobRow:
    record = read_record(folder)
    if record is None:
        overrides = _read_yaml_list(folder / ".hydra" / "overrides.yaml")
        num = int(folder.name) if folder.name.isdigit() else None
        return JobRow(folder, num, "no record", dict(split_override(o) for o in overrides))
    status = str(record.get("status", "running"))
    error = record.get("error")
    if status == "running" and _process_gone(record):
        status, error = "interrupted", f"process {record.get('pid')} is gone"
    started, finished = record.get("started"), record.get("finished")
    seconds = None
    if isinstance(started, (int, float)):
        end = finished if isinstance(finished, (int, float)) else (
            time.time() if status == "running" else record.get("updated", started))
        seconds = max(0.0, float(end) - float(started))
    metrics = {k: float(v) for k, v in (record.get("metrics") or {}).items()}
    objective = record.get("objective")
    name = metric[4:] if metric.startswith("val/") else None
    if name is not None and name in metrics:
        objective = metrics[name]
    if not isinstance(objective, (int, float)) or not math.isfinite(objective):
        objective = None
    overrides = record.get("overrides") or _read_yaml_list(folder / ".hydra" / "overrides.yaml")
    return JobRow(
        folder=folder, num=record.get("job", int(folder.name) if folder.name.isdigit() else None),
        status=status, overrides=dict(split_override(str(o)) for o in overrides),
        steps=record.get("steps"), total_steps=record.get("total_steps"), seconds=seconds,
        val_step=record.get("val_step"), metrics=metrics,
        bicubic={k: float(v) for k, v in (record.get("bicubic") or {}).items()},
        objective=objective, checkpoint=record.get("checkpoint"),
        error=str(error) if error else None,
    )


def varying_keys(rows: list[JobRow]) -> list[str]:
    """The override keys whose value is not the same in every row, in first-seen order."""
    keys: dict[str, None] = {}
    for r in rows:
        keys.update(dict.fromkeys(r.overrides))
    return [k for k in keys if len({r.overrides.get(k, "") for r in rows}) > 1]


def _direction(metric: str, given: str | None) -> str:
    if given in ("maximize", "minimize"):
        return given
    if metric.startswith("val/"):
        from frvsr.metrics import specs

        if metric[4:] in specs.names():
            return "maximize" if specs.higher_is_better(metric[4:]) else "minimize"
    return "maximize"


def _order(rows: list[JobRow], direction: str) -> list[JobRow]:
    sign = -1.0 if direction == "maximize" else 1.0

    def key(r: JobRow) -> tuple[int, float, int]:
        if r.status == "failed":
            group = 3
        elif r.objective is None:
            group = 2
        else:
            group = 0 if r.status == "completed" else 1
        value = sign * r.objective if r.objective is not None else 0.0
        return group, value, r.num if r.num is not None else 1 << 30

    ordered = sorted(rows, key=key)
    if ordered and ordered[0].status == "completed" and ordered[0].objective is not None:
        ordered[0].best = True
    return ordered


def collect(sweep_dir: str | Path) -> Sweep:
    """The summary of the sweep in `sweep_dir` (one `error:` line when it is not one)."""
    folder = Path(sweep_dir).expanduser()
    if not folder.is_dir():
        raise UserPathError(f"summary={sweep_dir}: no such folder; pass a multirun folder, "
                            "e.g. outputs/<task>/multiruns/<time>")
    folder = folder.resolve()
    if not (folder / SWEEP_FILE).is_file() and not (folder / "multirun.yaml").is_file():
        inside = " (this is one job's folder; pass its parent)" if (
            (folder / RECORD_NAME).is_file() or (folder / ".hydra").is_dir()) else ""
        raise ConfigError(f"summary={sweep_dir} is not a multirun folder (no {SWEEP_FILE} or "
                          f"multirun.yaml){inside}; pass e.g. outputs/<task>/multiruns/<time>")
    jobs = _job_folders(folder)
    if not jobs:
        raise ConfigError(f"summary={sweep_dir} holds no sweep jobs (no <job>/{RECORD_NAME} "
                          "or <job>/.hydra); pass a multirun folder, e.g. "
                          "outputs/<task>/multiruns/<time>")
    info: dict[str, Any] = {}
    try:
        info = json.loads((folder / SWEEP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    metric = str(info.get("optimized_metric") or DEFAULT_METRIC)
    direction = _direction(metric, info.get("direction"))
    rows = [_row(j, metric) for j in jobs]
    return Sweep(dir=folder, id=str(info.get("id") or folder.name), metric=metric,
                 direction=direction, swept=varying_keys(rows), rows=_order(rows, direction),
                 command=[str(c) for c in info.get("overrides", [])])
