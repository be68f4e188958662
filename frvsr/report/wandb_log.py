"""Attach evaluation results to a wandb run (offline unless an API key is configured).

No Lightning here: the key check is plain wandb/netrc logic."""
from __future__ import annotations

import math
import netrc
import os
from pathlib import Path
from typing import Any


def wandb_key_configured() -> bool:
    """True when WANDB_API_KEY is set or `wandb login` stored a key in ~/.netrc."""
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        auth = netrc.netrc(os.environ.get("NETRC")).authenticators("api.wandb.ai")
    except (FileNotFoundError, netrc.NetrcParseError, OSError):
        return False
    return bool(auth and auth[2])

def log_to_wandb(path: Path | None, result: dict[str, Any], run_id: str, project: str,
                 wandb_dir: Path | None = None) -> None:
    """Attach the means (and the report when ``path`` is given) to an existing wandb run
    (offline unless a key is set).

    `dir` is passed explicitly: wandb keeps the settings of the first run in a process, so
    an environment variable set later would be ignored."""
    import wandb

    mode = os.environ.get("WANDB_MODE") or ("online" if wandb_key_configured() else "offline")
    target = Path(wandb_dir or os.environ.get("WANDB_DIR") or ".")
    target.mkdir(parents=True, exist_ok=True)
    run = wandb.init(project=project, id=run_id, resume="allow", mode=mode, dir=str(target))
    logged: dict[str, Any] = {f"eval/{k}": v for k, v in result["mean_over_clips"].items()
                              if isinstance(v, (int, float)) and math.isfinite(v)}
    if path is not None:
        logged["eval/report"] = wandb.Html(path.read_text())
    run.log(logged)
    if mode == "offline":
        print(f"wandb: logged offline under {target / 'wandb'}; upload with `wandb sync`")
    run.finish()
