"""Checks of a composed training config that need no data or model built: values of the
wrong type or range, named by their dotted key with a fix, before Lightning or torch turn
them into a traceback."""
from __future__ import annotations

from omegaconf import DictConfig, ListConfig

from frvsr.data.checks import check_data_sizes
from frvsr.errors import ConfigError

# Optimiser / scheduler arguments that must be numbers (a string reaches torch as-is).
NUMERIC_KEYS = ("lr", "weight_decay", "eps", "momentum", "gamma", "eta_min", "betas",
                "step_size", "T_max", "milestones")


def _walk(node: DictConfig, prefix: str) -> list[tuple[str, object]]:
    found = []
    for key in node.keys():
        value = node._get_node(key)
        dotted = f"{prefix}{key}"
        if isinstance(value, DictConfig):
            found += _walk(value, dotted + ".")
        elif str(key) in NUMERIC_KEYS:
            found.append((dotted, node[key]))
    return found


def _is_number(value: object) -> bool:
    if isinstance(value, (list, tuple, ListConfig)):
        return all(_is_number(v) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_values(cfg: DictConfig) -> None:
    """Data sizes (`frvsr.data.checks`) and numeric optimiser settings, as one line each."""
    if cfg.get("data") is not None:
        check_data_sizes(cfg.data)
    for dotted, value in _walk(cfg.model, "model.") if cfg.get("model") is not None else []:
        if value is not None and not _is_number(value):
            raise ConfigError(f"{dotted}={value!r} must be a number, e.g. {dotted}=1e-4 "
                              "(fix the override)" if dotted.endswith(".lr") else
                              f"{dotted}={value!r} must be a number (fix the override)")
