"""What `frvsr.train` does around `fit` in a multirun job (any launcher, any sweeper).

- the job's record (``record.py``) says ``running`` with host and pid before training, is
  kept up to date during training by `frvsr.callbacks.report.RunRecord` (added to the
  job's callbacks) and ends ``completed`` (with the value returned to the sweeper),
  ``failed`` (with the one-line error) or ``interrupted`` (Ctrl-C, SIGTERM);
- a failed job does not end the sweep: its user error is printed as one ``error:`` line
  (a bug: its traceback), recorded, and the job returns None, so the basic and submitit
  launchers go on and Optuna marks the trial failed; the summary lists it, and
  `frvsr.train` exits non-zero after the summary;
- wandb: every job of the sweep logs into one group (the sweep's id), with its swept
  ``key=value`` overrides as tags; the job's config gets a ``sweep`` node (id, job number,
  swept values), so config.yaml, the checkpoints and the wandb run's config carry them;
- a job started again in its own folder (SLURM requeue after preemption or time-out)
  resumes from its own ``checkpoints/last.ckpt``.
"""
from __future__ import annotations

import json
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, open_dict

from frvsr.errors import one_line
from frvsr.sweep.record import SWEEP_FILE, is_rank_zero, split_override, sweep_id, update_record

WANDB_TAG_MAX = 64  # wandb refuses longer tags


def in_multirun() -> bool:
    """True inside a job of a Hydra multirun (`-m`, `hydra.mode=MULTIRUN`, Optuna)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


@dataclass
class SweepJob:
    """One job of a sweep, as its Hydra runtime config describes it."""

    sweep_dir: Path
    out_dir: Path
    num: int
    id: str
    overrides: list[str]
    swept_keys: list[str] = field(default_factory=list)

    @classmethod
    def current(cls, cfg: DictConfig) -> SweepJob:
        from hydra.core.hydra_config import HydraConfig

        hc = HydraConfig.get()
        sweep_dir = Path(str(hc.sweep.dir)).resolve()
        info: dict[str, Any] = {}
        try:  # written by frvsr.sweep.callback at the start of the multirun
            info = json.loads((sweep_dir / SWEEP_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
        return cls(sweep_dir=sweep_dir, out_dir=Path(cfg.paths.output_dir), num=int(hc.job.num),
                   id=str(info.get("id") or sweep_id(str(cfg.task_name), sweep_dir)),
                   overrides=[str(o) for o in hc.overrides.task],
                   swept_keys=[str(k) for k in info.get("swept_keys", [])])

    @property
    def swept(self) -> dict[str, str]:
        """This job's values of the swept keys."""
        pairs = dict(split_override(o) for o in self.overrides)
        return {k: pairs[k] for k in self.swept_keys if k in pairs}


def _wandb_node(cfg: DictConfig) -> DictConfig | None:
    node = (cfg.get("logger") or {}).get("wandb")
    return node if isinstance(node, DictConfig) and "_target_" in node else None


def prepare(cfg: DictConfig, job: SweepJob) -> None:
    """The job's config changes: the wandb group/tags/config, the record callback and the
    resume of a requeued job."""
    with open_dict(cfg):
        node = _wandb_node(cfg)
        if node is not None:
            node.group = job.id
            node.name = f"{node.get('name') or cfg.task_name}-{job.num}"
            tags = [str(t) for t in (node.get("tags") or [])]
            tags += [f"{k}={v}"[:WANDB_TAG_MAX] for k, v in job.swept.items()]
            node.tags = tags
        # in config.yaml, the checkpoints' stored config and the wandb run's config
        cfg.sweep = {"id": job.id, "job": job.num, "swept": job.swept}
        if not cfg.get("callbacks"):
            cfg.callbacks = {}
        cfg.callbacks.run_record = {  # the writer as a function: callbacks sit below sweep
            "_target_": "frvsr.callbacks.report.RunRecord", "folder": str(job.out_dir),
            "write": {"_target_": "hydra.utils.get_method",
                      "path": "frvsr.sweep.record.update_record"}}
        last = job.out_dir / "checkpoints" / "last.ckpt"
        if cfg.get("ckpt_path") in (None, "", "none", "null") and last.is_file():
            cfg.ckpt_path = str(last)
            print(f"[frvsr] job {job.num} started again in its own folder (requeued): "
                  f"resuming {last}", flush=True)


def _report_failure(exc: Exception, argv: list[str]) -> str:
    """Print the failure (one line for a user error, the traceback for a bug or with
    debug_traceback=true) and return its one line for the record."""
    from frvsr.cli.errors import debug_requested, user_message

    message = user_message(exc)
    if message is None or debug_requested(argv):
        traceback.print_exc()
    if message is None:
        return one_line(f"{type(exc).__name__}: {exc}")
    if not debug_requested(argv):
        print(f"error: {message} (debug_traceback=true shows the traceback)", file=sys.stderr)
    return message


def run_job(cfg: DictConfig, fit: Callable[[DictConfig], float | None],
            argv: list[str]) -> float | None:
    """Run one multirun job: `fit(cfg)` with its record; never raises an `Exception` (see
    the module doc), so the sweep goes on and its summary lists the failure."""
    job = SweepJob.current(cfg)
    write = is_rank_zero()
    prepare(cfg, job)
    if write:
        update_record(job.out_dir, status="running", job=job.num, sweep_id=job.id,
                      overrides=job.overrides, swept=job.swept, host=socket.gethostname(),
                      pid=os.getpid(), started=time.time(), finished=None, error=None)
    try:
        value = fit(cfg)
    except Exception as exc:  # recorded and reported: the sweep goes on
        line = _report_failure(exc, argv)
        if write:
            update_record(job.out_dir, status="failed", error=line, finished=time.time())
        return None
    except BaseException as exc:  # Ctrl-C, SIGTERM, Lightning's exit after an interrupt
        if write:
            update_record(job.out_dir, status="interrupted", finished=time.time(),
                          error=_stop_reason(exc))
        raise
    if write:
        update_record(job.out_dir, status="completed", finished=time.time(),
                      objective=_plain(value))
    return value


def _stop_reason(exc: BaseException) -> str:
    """`stopped by SIGTERM (exit code 143)`, `stopped by Ctrl-C`: why a job ended without a
    result (`frvsr.lit.fit` exits with 128 + the signal number after a graceful stop)."""
    import signal

    code = exc.code if isinstance(exc, SystemExit) else None
    if isinstance(exc, KeyboardInterrupt) or code == 128 + signal.SIGINT:
        return "stopped by Ctrl-C"
    if isinstance(code, int) and code > 128:
        try:
            return f"stopped by {signal.Signals(code - 128).name} (exit code {code})"
        except ValueError:
            pass
    return f"stopped (exit code {code})" if code is not None else one_line(
        f"stopped: {type(exc).__name__} {exc}".strip())


def _plain(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
