"""wandb: offline when no API key is configured (with the `wandb sync` hint), and the
same run id when resuming, so a resumed run continues the same wandb run."""
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
    return {"wandb": extra}
