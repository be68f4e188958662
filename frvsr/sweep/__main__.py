"""Rebuild a sweep's summary: `python -m frvsr.sweep summary=<sweep dir>`.

Reads the folder alone (each job's result.json, sweep.json) and writes
summary.{csv,md,html} (+ summary.png when a swept key is numeric) into it, then prints the
table. Works on a finished sweep, on one still running (its running jobs are shown as
such) and on an interrupted one (a job whose process is gone is `interrupted`). Every
multirun of `frvsr.train` writes the same files when it ends.

Example: python -m frvsr.sweep summary=outputs/pretrain/multiruns/2026-11-30_21-58-33_519620
"""
from __future__ import annotations

import sys

from frvsr.cli.args import parse_key_values
from frvsr.cli.errors import key_value_main, strip_debug
from frvsr.errors import ConfigError

DEFAULTS: dict[str, object] = {"summary": "<sweep dir>"}


def rebuild(args: list[str]) -> None:
    """Parse `summary=<dir>`, collect, write and print."""
    from frvsr.sweep.render import best_line, print_table, write
    from frvsr.sweep.summary import collect

    options, _ = parse_key_values(strip_debug(args), DEFAULTS, str_keys=("summary",))
    folder = options["summary"]
    if folder in (None, DEFAULTS["summary"]):
        raise ConfigError("summary=<sweep dir> is required, e.g. "
                          "summary=outputs/pretrain/multiruns/<time>")
    sweep = collect(str(folder))
    written = write(sweep)
    print_table(sweep)
    print(f"[frvsr] {best_line(sweep)}")
    print(f"[frvsr] wrote {', '.join(str(p) for p in written)}")


def main(argv: list[str] | None = None) -> int:
    return key_value_main(argv, __doc__, DEFAULTS, rebuild)


if __name__ == "__main__":
    sys.exit(main())
