"""A sweep job's record, ``<job folder>/result.json``: what the summary reads (and the
names shared by the sweep's files).

Fields (all optional except ``status``): ``status`` (``running``, ``completed``,
``failed``, ``interrupted``), ``job`` (Hydra's job number), ``sweep_id``, ``overrides``
(this job's ``key=value`` list), ``host``, ``pid``, ``started``/``finished``/``updated``
(Unix times), ``steps``/``total_steps``, ``val_step`` with ``metrics`` and ``bicubic``
(the last validation: ``{name: value}`` of the model and of the bicubic baseline on the
same frames), ``objective`` (the value returned to the sweeper), ``checkpoint`` (best, else
last) and ``last_checkpoint``, ``error`` (one line).

Every write merges into the existing record and replaces the file atomically, so a reader
(``python -m frvsr.sweep`` while the sweep runs) never sees half a file. Stdlib only.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from frvsr.io.atomic import atomic_write_text

RECORD_NAME = "result.json"
SWEEP_FILE = "sweep.json"  # in the sweep folder: id, command, swept keys, metric
STATUSES = ("running", "completed", "failed", "interrupted")


def sweep_id(task_name: str, sweep_dir: str | Path) -> str:
    """The sweep's id: `<task>-<sweep folder name>` (its wandb group)."""
    return f"{task_name}-{Path(sweep_dir).name}"


def split_override(text: str) -> tuple[str, str]:
    """`model/generator=srresnet` -> (`model/generator`, `srresnet`); `+`/`~` prefixes kept
    off the key."""
    key, _, value = text.partition("=")
    return key.lstrip("+~"), value


def read_record(folder: str | Path) -> dict[str, Any] | None:
    """The record in `folder`, or None when there is none (or it cannot be parsed)."""
    path = Path(folder) / RECORD_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def update_record(folder: str | Path, **fields: Any) -> dict[str, Any]:
    """Merge `fields` into `folder`'s record (created when missing) and write it atomically;
    returns the merged record. ``None`` values delete a field."""
    record = read_record(folder) or {}
    for key, value in fields.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    record["updated"] = time.time()
    atomic_write_text(Path(folder) / RECORD_NAME, json.dumps(record, indent=1, sort_keys=True)
                      + "\n")
    return record


def is_rank_zero() -> bool:
    """True unless this process is a non-zero rank of a distributed job (SLURM tasks,
    torchrun, Lightning's DDP children): only rank 0 writes the record."""
    return all(os.environ.get(var, "0") == "0"
               for var in ("RANK", "LOCAL_RANK", "SLURM_PROCID", "NODE_RANK"))
