"""wandb: offline when no API key is configured (with the `wandb sync` hint), the same run
id when resuming, so a resumed run continues the same wandb run, and quiet unless
`verbose=true`. A sweep's jobs (`frvsr.sweep.job`) set the logger's `group` (the sweep's
id), `name` and `tags` (their swept `key=value`); their config's `sweep` node reaches the
run's config with the rest of the resolved config."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from frvsr.lit.console import say
from frvsr.report.wandb_log import wandb_key_configured


def configure_wandb(cfg: DictConfig, resume_id: str | None) -> dict[str, dict[str, Any]]:
    """Extra kwargs for the `wandb` logger entry (empty when wandb is not used)."""
    node = (cfg.get("logger") or {}).get("wandb")
    if not node or "_target_" not in node:
        return {}
    extra: dict[str, Any] = {}
    mode = os.environ.get("WANDB_MODE", "")
    if node.get("offline") or mode in ("offline", "dryrun") or not wandb_key_configured():
        extra["offline"] = True
        save_dir = Path(node.get("save_dir") or ".")
        say(
            "wandb: no API key configured (or WANDB_MODE=offline), logging offline "
            f"under {save_dir / 'wandb'}; upload later with `wandb sync {save_dir / 'wandb'}/"
            "offline-run-*`"
        )
    if resume_id:
        extra.update(id=resume_id, resume="allow")
        say(f"wandb: continuing run {resume_id}")
    if not cfg.get("verbose", False):
        import wandb

        # Offline, wandb's own banner (version, sync mode, run folder) repeats the line
        # above; online, only its essential lines (the run's URL) remain.
        quiet = {"silent": True} if extra.get("offline") else {"quiet": True}
        extra["settings"] = wandb.Settings(**quiet)
    return {"wandb": extra}


def tidy_wandb_logger(logger: Any) -> None:
    """Drop the `anonymous` argument Lightning's WandbLogger always passes to `wandb.init`
    (wandb >= 0.19 warns that the setting has no effect, even for None)."""
    init = getattr(logger, "_wandb_init", None)
    if isinstance(init, dict) and init.get("anonymous") is None:
        init.pop("anonymous", None)
