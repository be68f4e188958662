"""Training entry point: `python -m frvsr.train experiment=pretrain|sisr|gan [overrides]`.

Composes the Hydra config (a composition mistake is one `error:` line listing the valid
choices), then `frvsr.lit.fit.fit` runs the stage and returns the optimised metric (for
the Optuna sweeper). User errors are one line (exit 2); `debug_traceback=true` shows the
traceback.
"""
from __future__ import annotations

import os
import sys

import hydra
from omegaconf import DictConfig

from frvsr.cli.errors import EXIT_USER_ERROR, call_or_exit, debug_requested
from frvsr.cli.hydra_compose import composition_error


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
def _hydra_main(cfg: DictConfig) -> float | None:
    from frvsr.lit.fit import fit  # Lightning loads only once the config composed

    argv = sys.argv[1:] + (["debug_traceback=true"] if cfg.get("debug_traceback") else [])
    return call_or_exit(lambda: fit(cfg), argv)


def main() -> float | None:
    """Console entry point: a composition problem (unknown group option or key) is one
    `error:` line (exit 2) listing the valid choices; then Hydra takes over as usual."""
    if debug_requested(sys.argv[1:]):
        os.environ["HYDRA_FULL_ERROR"] = "1"  # Hydra's own errors with their traceback too
    else:
        problem = composition_error(sys.argv[1:])
        if problem is not None:
            print(f"error: {problem} (fix the override)", file=sys.stderr)
            sys.exit(EXIT_USER_ERROR)
    return _hydra_main()


if __name__ == "__main__":
    main()
