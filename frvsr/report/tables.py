"""Terminal output of evaluation: one result's table, a comparison of several, progress.

Formats, headers and which way is better come from the metric table (``frvsr.metrics.specs``).
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from frvsr.errors import EvalError
from frvsr.metrics import specs
from frvsr.report.results import load_results


def table_rows(result: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows (clips, then the two means) of one result, formatted for display."""
    metrics = [m for m in result["metrics"]]
    header = ["clip", "frames"] + [specs.header(m) for m in metrics]
    rows = [[name, str(c["scored_frames"])] + [specs.format_value(m, c[m]) for m in metrics]
            for name, c in result["clips"].items()]
    total = str(sum(c["scored_frames"] for c in result["clips"].values()))
    for key in ("mean_over_clips", "mean_over_frames"):
        rows.append([key, total] + [specs.format_value(m, result[key][m]) for m in metrics])
    return header, rows


def compare_rows(results: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """Methods side by side on mean_over_clips; the best value per column gets a '*'."""
    if len({r["protocol"] for r in results}) > 1:  # load_results names the two files
        raise EvalError("compare needs results of one protocol; got "
                        + ", ".join(sorted({r["protocol"] for r in results})))
    metrics = [m for m in results[0]["metrics"] if all(m in r["metrics"] for r in results)]
    best: dict[str, float] = {}
    for m in metrics:
        vals = [r["mean_over_clips"][m] for r in results]
        nums = [(math.inf if v == "inf" else v) for v in vals if isinstance(v, (int, float))
                or v == "inf"]
        if nums:
            best[m] = max(nums) if specs.higher_is_better(m) else min(nums)
    rows = []
    for r in results:
        row = [r["method"]]
        for m in metrics:
            v = r["mean_over_clips"][m]
            num = math.inf if v == "inf" else v
            mark = "*" if m in best and isinstance(num, (int, float)) and num == best[m] else ""
            row.append(specs.format_value(m, v) + mark)
        rows.append(row)
    return ["method"] + [specs.header(m) for m in metrics], rows


def _console() -> Console:
    # Off a terminal (CI logs, pipes) rich would wrap at 80 columns and truncate headers.
    c = Console()
    return c if c.is_terminal else Console(width=200)


def print_table(result: dict[str, Any], console: Console | None = None) -> None:
    header, rows = table_rows(result)
    table = Table(title=f"{result['method']} - protocol {result['protocol']} "
                        f"({specs.display_notes()})")
    for h in header:
        table.add_column(h, justify="left" if h == "clip" else "right")
    for i, r in enumerate(rows):
        table.add_row(*r, style="bold" if i >= len(rows) - 2 else None)
    (console or _console()).print(table)


def print_compare(paths: list[Path], console: Console | None = None) -> None:
    results = load_results(paths)
    header, rows = compare_rows(results)
    table = Table(title=f"protocol {results[0]['protocol']}: mean over clips "
                        "(* = best per column)")
    for h in header:
        table.add_column(h, justify="left" if h == "method" else "right")
    for r in rows:
        table.add_row(*r)
    (console or _console()).print(table)


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Progress]:
    with Progress(disable=not enabled, transient=True) as bar:
        yield bar
