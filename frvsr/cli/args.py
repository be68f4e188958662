"""`key=value` command lines without a Hydra run folder (evaluate, upscale, export).

Values are parsed with OmegaConf's dotlist grammar (numbers, booleans, lists), except the
keys a command declares as strings, which are kept exactly as typed: OmegaConf would read
``report_clip=000`` as 0 and ``011`` as octal 9.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from frvsr.errors import ConfigError


def raw_string(value: str) -> str | None:
    """A string value as typed (surrounding quotes removed); ``null`` is None."""
    if value == "null":
        return None
    quoted = len(value) >= 2 and value[0] == value[-1] and value[0] in "'\""
    return value[1:-1] if quoted else value


def parse_key_values(argv: Sequence[str], defaults: Mapping[str, Any],
                     str_keys: Sequence[str] = (), passthrough: Sequence[str] = (),
                     hint: str = "") -> tuple[dict[str, Any], list[str]]:
    """``key=value`` pairs over ``defaults``; returns ``(config, passthrough_args)``.

    Arguments starting with one of ``passthrough`` (e.g. ``data.``) are returned apart,
    untouched. Raises :class:`ConfigError` (one line listing the valid keys) for an
    argument that is not ``key=value`` or names an unknown key.
    """
    import yaml
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    valid = ", ".join(defaults)
    bad = [a for a in argv if "=" not in a]
    if bad:
        raise ConfigError(f"argument {bad[0]!r} is not key=value; valid keys: {valid}")
    extra = [a for a in argv if passthrough and a.startswith(tuple(passthrough))]
    argv = [a for a in argv if a not in extra]
    # String keys are re-read raw below; giving the YAML reader `null` for them keeps paths
    # with bytes that are not UTF-8 (surrogates in sys.argv) away from it.
    typed = [f"{a.split('=', 1)[0]}=null" if a.split("=", 1)[0] in str_keys else a
             for a in argv]
    try:
        given = OmegaConf.to_container(OmegaConf.from_dotlist(typed), resolve=True)
    except (OmegaConfBaseException, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot parse the arguments: {str(exc).splitlines()[0]}") from exc
    unknown = [k for k in given if k not in defaults]  # type: ignore[union-attr]
    if unknown:
        import difflib

        close = difflib.get_close_matches(str(unknown[0]), list(defaults), n=3)
        near = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ConfigError(f"unknown argument {unknown[0]!r}{near}; valid keys: {valid}{hint}")
    cfg = {**defaults, **given}  # type: ignore[dict-item]
    for arg in argv:
        key, value = arg.split("=", 1)
        if key in str_keys:
            cfg[key] = raw_string(value)
    return cfg, extra
