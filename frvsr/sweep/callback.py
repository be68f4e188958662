"""The Hydra callback behind every multirun's summary (registered in
`conf/hydra/default.yaml` under `hydra.callbacks`, so the basic launcher, the submitit
launchers and the Optuna sweeper all get it).

- `on_multirun_start` (on the machine that launches): `<sweep dir>/sweep.json` with the
  sweep's id (its wandb group), the command's overrides, the swept keys, the optimised
  metric and its direction, so jobs and a later rebuild read them from the folder;
- `on_multirun_end`: the summary files (`frvsr.sweep.render`), the table and the best job
  on the console. `last_sweep()` hands the result to `frvsr.train.main` (exit 1 when a job
  failed).
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf

from frvsr.io.atomic import atomic_write_text
from frvsr.sweep.record import SWEEP_FILE, sweep_id
from frvsr.sweep.summary import Sweep

_last: Sweep | None = None


def last_sweep() -> Sweep | None:
    """The summary of the multirun that ended last in this process (None: no multirun)."""
    return _last


def swept_keys(overrides: list[str], params: dict[str, Any] | None) -> list[str]:
    """Keys swept by the command line (`key=a,b`, `range(...)`, `choice(...)`, ...) and by
    `hydra.sweeper.params` (grid or Optuna search spaces)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    candidates = list(overrides) + [f"{k}={v}" for k, v in (params or {}).items()]
    keys: dict[str, None] = {}
    for override in parser.parse_overrides(candidates):
        if override.is_sweep_override():
            keys[override.key_or_group] = None
    return list(keys)


def _direction(config: DictConfig) -> str | None:
    direction = OmegaConf.select(config, "hydra.sweeper.direction", default=None)
    if isinstance(direction, (list, tuple)) or OmegaConf.is_list(direction):
        direction = direction[0] if len(direction) else None
    text = str(direction).lower() if direction is not None else None
    return text.rsplit(".", 1)[-1] if text else None  # Optuna's enum prints as Direction.X


class SweepSummary(Callback):
    """Writes `sweep.json` when a multirun starts and its summary when it ends."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir)).resolve()
        overrides = [str(o) for o in config.hydra.overrides.task]
        params = OmegaConf.select(config, "hydra.sweeper.params", default=None)
        params = OmegaConf.to_container(params) if params is not None else None
        info = {
            "id": sweep_id(str(config.get("task_name", "train")), sweep_dir),
            "overrides": overrides,
            "swept_keys": swept_keys(overrides, params),  # type: ignore[arg-type]
            "optimized_metric": config.get("optimized_metric"),
            "direction": _direction(config),
            "launcher": str(OmegaConf.select(config, "hydra.launcher._target_", default="")),
            "sweeper": str(OmegaConf.select(config, "hydra.sweeper._target_", default="")),
            "started": time.time(),
        }
        atomic_write_text(sweep_dir / SWEEP_FILE, json.dumps(info, indent=1) + "\n")

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        global _last
        from frvsr.sweep.render import best_line, print_table, write
        from frvsr.sweep.summary import collect

        sweep_dir = Path(str(config.hydra.sweep.dir)).resolve()
        if not sweep_dir.is_dir():
            return
        sweep = collect(sweep_dir)
        written = write(sweep)
        print_table(sweep)
        print(f"[frvsr] {best_line(sweep)}")
        others = ", ".join(p.name for p in written if p != written[1])
        print(f"[frvsr] sweep summary: {written[1]} (also {others})", flush=True)
        _last = sweep
