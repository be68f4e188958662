"""``python -m frvsr.demo [demo=default|quick|long|smoke] [seed=1234] [out=<folder>]``: the
first command (`make train`, `make train DEMO=quick`, `make train DEMO=long`).

Trains the same backbone frame by frame (`experiment=sisr`) and as FRVSR
(`experiment=pretrain`), fine-tunes FRVSR with the GAN losses (`experiment=gan`), scores
all three and bicubic (matched to the footage's degradation) on the held-out shot of the
embedded footage, prints the comparison table and the paths of the HTML comparison report
and of the learning-curve plot. Each demo writes into its own new folder
(default `outputs/demo/<time>/`; FRVSR_ROOT moves it), so a second run never touches the
first. Sizes and the fairness rule: frvsr/demo/presets.py and docs/training.md.
"""
from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from frvsr.cli.args import parse_key_values
from frvsr.cli.errors import key_value_main, strip_debug
from frvsr.errors import ConfigError

DEFAULTS: dict[str, Any] = {"demo": "default", "seed": 1234, "out": None}


def _main(argv: list[str]) -> None:
    from frvsr.demo.pipeline import run_demo
    from frvsr.demo.presets import get_preset

    cfg, _ = parse_key_values(strip_debug(argv), DEFAULTS, ("demo", "out"), ())
    preset = get_preset(str(cfg["demo"]))
    if not isinstance(cfg["seed"], int):
        raise ConfigError(f"seed={cfg['seed']} must be an integer")
    root = Path(os.environ.get("FRVSR_ROOT", ".")) / "outputs" / "demo"
    out = Path(cfg["out"]) if cfg["out"] else root / datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    if out.exists():
        raise ConfigError(f"out={out} exists; a demo writes into a new folder (pick another out=)")
    run_demo(preset, out, int(cfg["seed"]))


def main(argv: list[str] | None = None) -> int:
    return key_value_main(argv, __doc__, DEFAULTS, _main)


if __name__ == "__main__":
    sys.exit(main())
