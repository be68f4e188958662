"""Terminal output of evaluation: one result's table, a comparison of several, progress.

Formats, headers and which way is better come from the metric table (``frvsr.metrics.specs``).
"""
from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich import box
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


WIDTH = 80  # terminal tables fit this many columns: metric columns wrap into blocks
MAX_LABEL = 28  # longer clip / method names are shortened with an ellipsis
# The two means keep their own names apart in a narrow table; the legend spells them out.
MEAN_LABELS = {"mean_over_clips": "mean(clips)", "mean_over_frames": "mean(frames)"}
MEANS_LEGEND = ("mean(clips) = mean_over_clips (mean of the clip means); mean(frames) = "
                "mean_over_frames (pooled over all scored frames / pairs)")


def _console() -> Console:
    # Off a terminal (CI logs, pipes) rich would guess; the tables are packed to WIDTH.
    c = Console()
    return c if c.is_terminal else Console(width=WIDTH)


def unit_label(name: str) -> str:
    """The display unit of a metric without its name: "dB", "x1e-3", "x100" ("" if none)."""
    spec = specs.get(name)
    return spec.label[len(spec.abbrev):].strip() if spec.label.startswith(spec.abbrev) \
        else spec.label


def short_header(name: str) -> str:
    """A compact column header: abbreviation and direction marker, e.g. "PSNR-Y\u2191"."""
    return specs.get(name).abbrev + specs.arrow(name)


def legend(metrics: list[str], means: bool = True) -> str:
    """One legend line (wrapped by the caller) defining the compact headers of ``metrics``."""
    parts = []
    for m in metrics:
        unit = unit_label(m)
        parts.append(f"{specs.get(m).abbrev}={m}" + (f" {unit}" if unit else ""))
    text = ", ".join(parts) + "; \u2191 higher / \u2193 lower is better"
    return text + (f"; {MEANS_LEGEND}" if means else "")


def _shorten(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[:MAX_LABEL - 1] + "\u2026"


def _table(label_headers: list[str], headers: list[str], rows: list[list[str]],
           bold_from: int) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for i, h in enumerate(label_headers + headers):
        table.add_column(h, justify="left" if i == 0 else "right", no_wrap=True)
    for i, r in enumerate(rows):
        table.add_row(*r, style="bold" if i >= bold_from else None)
    return table


def blocks(label_headers: list[str], headers: list[str], rows: list[list[str]],
           bold_from: int, width: int = WIDTH) -> list[Table]:
    """The table split column-wise into tables at most ``width`` wide, each repeating the
    label columns (the first ``len(label_headers)`` of every row)."""
    n_label = len(label_headers)
    rows = [[_shorten(r[0]), *r[1:]] for r in rows]
    measure = Console(width=1000)
    out: list[Table] = []
    cols: list[int] = []
    for j in range(len(headers)):
        trial = cols + [j]
        t = _table(label_headers, [headers[k] for k in trial],
                   [r[:n_label] + [r[n_label + k] for k in trial] for r in rows], bold_from)
        if cols and measure.measure(t).maximum > width:
            out.append(_table(label_headers, [headers[k] for k in cols],
                              [r[:n_label] + [r[n_label + k] for k in cols] for r in rows],
                              bold_from))
            cols = [j]
        else:
            cols = trial
    out.append(_table(label_headers, [headers[k] for k in cols],
                      [r[:n_label] + [r[n_label + k] for k in cols] for r in rows], bold_from))
    return out


def _print(console: Console, title: str, tables: list[Table], legend_text: str) -> None:
    console.print(textwrap.fill(title, WIDTH), highlight=False, markup=False)
    for i, t in enumerate(tables):
        if i:
            console.print()  # a blank line between the blocks of a wrapped table
        console.print(t)
    console.print(textwrap.fill(legend_text, WIDTH), highlight=False, markup=False)


def delta(name: str, value: object, reference: object) -> str:
    """``value - reference`` as tables show the metric (its scale and digits, with a sign);
    "-" when either is not a finite number."""
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
               for v in (value, reference)):
        return "-"
    spec = specs.get(name)
    return f"{(float(value) - float(reference)) * spec.scale:+.{spec.digits}f}"  # type: ignore


def terminal_rows(result: dict[str, Any]) -> tuple[list[str], list[list[str]], int]:
    """Compact rows of one result: clips, the two means, then (when the result holds a
    bicubic reference) the bicubic mean and the difference to it. Returns (metrics, rows,
    index of the first summary row)."""
    metrics = list(result["metrics"])
    rows = [[name, str(c["scored_frames"])] + [specs.format_value(m, c[m]) for m in metrics]
            for name, c in result["clips"].items()]
    first = len(rows)
    total = str(sum(c["scored_frames"] for c in result["clips"].values()))
    for key, label in MEAN_LABELS.items():
        rows.append([label, total] + [specs.format_value(m, result[key][m]) for m in metrics])
    ref = result.get("bicubic_reference")
    if ref:
        means = ref["mean_over_clips"]
        rows.append(["bicubic(clips)", total]
                    + [specs.format_value(m, means.get(m)) for m in metrics])
        rows.append(["\u0394 vs bicubic", ""]
                    + [delta(m, result["mean_over_clips"][m], means.get(m)) for m in metrics])
    return metrics, rows, first


def print_table(result: dict[str, Any], console: Console | None = None) -> None:
    """One result as tables at most WIDTH columns wide, with a legend line."""
    metrics, rows, first = terminal_rows(result)
    tables = blocks(["clip", "frames"], [short_header(m) for m in metrics], rows, first)
    extra = ("; \u0394 = model - bicubic, mean over clips" if result.get("bicubic_reference")
             else "")
    _print(console or _console(), f"{result['method']} - protocol {result['protocol']}",
           tables, legend(metrics) + extra)


def print_compare(paths: list[Path], console: Console | None = None) -> None:
    """Methods side by side (mean over clips), '*' = best per column, WIDTH columns wide."""
    results = load_results(paths)
    header, rows = compare_rows(results)
    metrics = [m for m in results[0]["metrics"] if all(m in r["metrics"] for r in results)]
    tables = blocks(["method"], [short_header(m) for m in metrics], rows, len(rows))
    _print(console or _console(), f"protocol {results[0]['protocol']}: mean over clips "
           "(mean_over_clips), * = best per column", tables, legend(metrics, means=False))
    from frvsr.report.recurrence import recurrence_lines  # matplotlib only when needed

    for r in results:
        for line in recurrence_lines(r, prefix=f"{r['method']}: "):
            (console or _console()).print(line, highlight=False)


@contextmanager
def progress_bar(enabled: bool = True) -> Iterator[Progress]:
    with Progress(disable=not enabled, transient=True) as bar:
        yield bar
