"""Terminal output of evaluation: one result's table, a comparison of several, progress."""
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
from frvsr.report.results import load_results

HIGHER_BETTER = {"psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "vmaf"}


LOWER_BETTER = {"lpips_alex", "lpips_vgg", "tof", "tlp", "ewarp", "tflicker"}


UNITS = {"tlp": "tLP x100", "psnr_y": "dB", "psnr_rgb": "dB", "ewarp": "x1e-3"}


def _fmt(metric: str, value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return "n/a" if value.startswith("unavailable") else value
    if metric == "ewarp":
        return f"{value * 1e3:.3f}"
    if metric.startswith("ssim") or metric.startswith("lpips"):
        return f"{value:.4f}"
    return f"{value:.3f}" if metric in ("tof", "tlp", "tflicker") else f"{value:.2f}"


def _header(metric: str) -> str:
    return f"{metric} ({UNITS[metric]})" if metric in UNITS else metric


def table_rows(result: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows (clips, then the two means) of one result, formatted for display."""
    metrics = [m for m in result["metrics"]]
    header = ["clip", "frames"] + [_header(m) for m in metrics]
    rows = [[name, str(c["scored_frames"])] + [_fmt(m, c[m]) for m in metrics]
            for name, c in result["clips"].items()]
    total = str(sum(c["scored_frames"] for c in result["clips"].values()))
    for key in ("mean_over_clips", "mean_over_frames"):
        rows.append([key, total] + [_fmt(m, result[key][m]) for m in metrics])
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
            best[m] = max(nums) if m in HIGHER_BETTER else min(nums)
    rows = []
    for r in results:
        row = [r["method"]]
        for m in metrics:
            v = r["mean_over_clips"][m]
            num = math.inf if v == "inf" else v
            mark = "*" if m in best and isinstance(num, (int, float)) and num == best[m] else ""
            row.append(_fmt(m, v) + mark)
        rows.append(row)
    return ["method"] + [_header(m) for m in metrics], rows


def _console() -> Console:
    # Off a terminal (CI logs, pipes) rich would wrap at 80 columns and truncate headers.
    c = Console()
    return c if c.is_terminal else Console(width=200)


def print_table(result: dict[str, Any], console: Console | None = None) -> None:
    header, rows = table_rows(result)
    table = Table(title=f"{result['method']} - protocol {result['protocol']} "
                        "(ewarp shown x1e-3, tLP x100)")
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
