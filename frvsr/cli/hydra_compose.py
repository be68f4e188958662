"""Hydra composition problems as one line, before `@hydra.main` prints its many-line report."""
from __future__ import annotations

import re
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"


def _one_line_hydra(message: str) -> str:
    """Hydra's multi-line composition message as one line: tab-indented option lists are
    joined with commas; the config search path block is dropped."""
    parts: list[str] = []
    for raw in message.split("Config search path:")[0].splitlines():
        line = raw.strip()
        if not line:
            continue
        if raw.startswith("\t") and parts and parts[-1][-1:] in (":", ","):
            parts[-1] += f" {line},"
        else:
            if parts and parts[-1].endswith(","):
                parts[-1] = parts[-1][:-1] + ";"
            elif parts and parts[-1][-1:] not in (".", ":", ";"):
                parts[-1] += ";"
            parts.append(line)
    return " ".join(parts).rstrip(",;")


def _valid_keys(overrides: list[str], bad_key: str) -> str:
    """`; valid keys of <parent>: ...` for an override of a key that does not exist."""
    from hydra import compose, initialize_config_dir

    parent = bad_key.rpartition(".")[0]
    rest = [o for o in overrides if not o.split("=", 1)[0].lstrip("+~").endswith(bad_key)]
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            node = OmegaConf.select(compose("train", overrides=rest), parent or "")
    except Exception:  # the other overrides fail too: the first message is enough
        return ""
    if not isinstance(node, DictConfig):
        return ""
    return f"; valid keys of {parent or 'the config'}: {', '.join(str(k) for k in node)}"


def composition_error(argv: list[str]) -> str | None:
    """Compose the command line's config once with Hydra's compose API (each value of a
    choice sweep on its own) and return Hydra's complaint as one line, or None.

    Runs before `@hydra.main`, whose own report of the same problems spans many lines.
    Anything unusual (help, another config dir, sweeps Hydra expands later) is left to Hydra.
    """
    from hydra import compose, initialize_config_dir
    from hydra._internal.utils import get_args_parser
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    args, _ = get_args_parser().parse_known_args(argv)
    if args.help or args.hydra_help or args.info or args.shell_completion or args.cfg \
            or args.config_path or args.config_dir:
        return None
    try:
        parsed = OverridesParser.create().parse_overrides(args.overrides)
    except HydraException as exc:
        return _one_line_hydra(str(exc))
    fixed = [o.input_line for o in parsed if not o.is_sweep_override()]
    variants = [fixed]
    for o in parsed:
        if o.is_sweep_override():
            try:
                values = list(o.sweep_string_iterator())
            except Exception:  # interval()/tag sweeps: values only the sweeper knows
                continue
            variants += [[*fixed, f"{o.get_key_element()}={v}"] for v in values]
    for overrides in variants:
        try:
            with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
                compose(args.config_name or "train", overrides=overrides)
        except (HydraException, OmegaConfBaseException) as exc:
            message = _one_line_hydra(str(exc))
            bad = re.match(r"Could not override '([^']+)'", message)
            if bad and "+" in message:
                message += _valid_keys(overrides, bad.group(1))
            return message
    return None
