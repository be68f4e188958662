"""Hydra composition problems as one line, before `@hydra.main` prints its many-line report:
unknown group options (with the valid ones), unknown keys (with the closest valid keys, never
`+key`), and the config groups of `conf/` for `frvsr.train --help`."""
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


def config_groups(conf: Path = CONF_DIR) -> dict[str, list[str]]:
    """Config groups of `conf/` and their options, discovered from the yaml files
    (`{"data": ["folder", ...], "model/generator": [...], ...}`); Hydra's own settings
    group (`hydra`) is left out."""
    groups: dict[str, list[str]] = {}
    for folder in sorted(p for p in conf.rglob("*") if p.is_dir()):
        name = folder.relative_to(conf).as_posix()
        options = sorted(f.stem for f in folder.glob("*.yaml"))
        if options and name.split("/")[0] != "hydra":
            groups[name] = options
    return groups


def _compose(overrides: list[str]) -> DictConfig | None:
    """The train config with `overrides`, or None when they do not compose."""
    from hydra import compose, initialize_config_dir

    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            return compose("train", overrides=overrides)
    except Exception:  # the other overrides fail too: the first message is enough
        return None


def unknown_key_message(overrides: list[str], bad_key: str) -> str:
    """`unknown key 'traner.max_steps' (closest: trainer.max_steps); valid keys of the
    config: ...`: the deepest existing parent of `bad_key`, its keys and the closest ones
    (difflib). Never suggests `+key` (appending a key nothing reads hides the typo)."""
    import difflib

    if "/" in bad_key:  # a group path such as model/generatr=srresnet
        groups = list(config_groups())
        close = difflib.get_close_matches(bad_key, groups, n=3, cutoff=0.6)
        near = f" (closest: {', '.join(close)})" if close else ""
        return f"unknown config group {bad_key!r}{near}; config groups: {', '.join(groups)}"
    rest = [o for o in overrides
            if not (o.split("=", 1)[0].lstrip("+~") + ".").startswith(bad_key + ".")]
    cfg = _compose(rest)
    message = f"unknown key {bad_key!r}"
    if cfg is None:
        return message
    parts, node, depth = bad_key.split("."), cfg, 0
    while depth < len(parts) - 1:
        child = OmegaConf.select(node, parts[depth], throw_on_resolution_failure=False)
        if not isinstance(child, DictConfig):
            break
        node, depth = child, depth + 1
    parent = ".".join(parts[:depth])
    keys = [str(k) for k in node]
    if not parent:  # the root: groups (experiment=, debug=, ...) are valid names too
        keys += [g for g in config_groups() if "/" not in g and g not in keys]
    tail = parts[depth + 1:]
    close = []
    for key in difflib.get_close_matches(parts[depth], keys, n=3, cutoff=0.6):
        full = ".".join([*parts[:depth], key, *tail])
        exists = not tail or OmegaConf.select(cfg, full, throw_on_resolution_failure=False,
                                              default="\0missing") != "\0missing"
        close.append(full if exists else ".".join([*parts[:depth], key]))
    if close:
        message += f" (closest: {', '.join(close)})"
    return f"{message}; valid keys of {parent or 'the config'}: {', '.join(keys)}"


def _top_level_additions(parsed: list) -> list[tuple[str, str]]:
    """(key, its top-level name) of `+key=value` overrides whose top-level name is not a
    config group (`+trainer.limit_train_batches=3` is checked against the config later)."""
    groups = set(config_groups())
    found = []
    for o in parsed:
        top = o.key_or_group.split(".")[0]
        if o.is_add() and not o.is_force_add() and "/" not in top and top not in groups:
            found.append((o.key_or_group, top))
    return found


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
    added = _top_level_additions(parsed)
    if added:  # `+foo=1` composes, but nothing reads foo: refuse it as the typo it is
        keys = {key for key, _ in added}
        base = _compose([o.input_line for o in parsed if o.key_or_group not in keys
                         and not o.is_sweep_override()])
        for key, top in added:
            if base is not None and top not in base:
                return unknown_key_message(args.overrides, key if key == top else top)
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
            if bad:
                return unknown_key_message(overrides, bad.group(1))
            there = re.match(r"Could not append to config\. An item is already at '([^']+)'",
                             message)
            if there:
                key = there.group(1)
                return f"{key} is already in the config: set it with {key}=<value>"
            return message
    return None
