"""The study's result as JSON and CSV, the printed table, and the verdict in words.

One result dict (written by :mod:`frvsr.bandwidth.study`): ``reference`` (clip, sizes,
fps, duration in s), ``encoder``, ``vmaf_model``, ``interpolation``, ``rungs`` (targets and
measured kbit/s per resolution, saturation flags), ``rows`` (one per rung and method:
``kbps`` = encode + weight overhead, kbit/s; ``vmaf`` 0-100; ``psnr_y`` dB; ``tof`` HR
pixels; ``tflicker`` Y levels), ``bd`` (BD-rate %, BD-VMAF points, overlaps),
``crossovers`` (kbit/s) and ``adaptation`` (payload bytes, kbit/s, break-even s) or null.
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from frvsr.io.atomic import atomic_write_bytes
from frvsr.report.results import write_json

CSV_FIELDS = ("rung", "target_kbps", "crf", "method", "label", "encode_kbps",
              "overhead_kbps", "kbps", "flag", "vmaf", "psnr_y", "tof", "tflicker")


def write_results(out: Path, result: dict[str, Any]) -> dict[str, Path]:
    """``results.json`` and ``results.csv`` in ``out`` (atomic); returns their paths."""
    paths = {"json": out / "results.json", "csv": out / "results.csv"}
    write_json(paths["json"], result)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in result["rows"]:
        writer.writerow({k: _csv(row.get(k)) for k in CSV_FIELDS})
    atomic_write_bytes(paths["csv"], buf.getvalue().encode())
    return paths


def _csv(v: Any) -> Any:
    if isinstance(v, float):
        return "inf" if math.isinf(v) else f"{v:.6g}"
    return "" if v is None else v


def fmt(v: float | None, digits: int = 2, signed: bool = False) -> str:
    if v is None:
        return "-"
    if math.isinf(v):
        return "inf"
    return f"{v:+.{digits}f}" if signed else f"{v:.{digits}f}"


def table_rows(result: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the per-rung table: the best VMAF of each rung among the methods
    that send only the rung's bits is marked * (the adapted model also sends weights)."""
    header = ["rung", "target kbit/s" if result["mode"] == "abr" else "crf", "method",
              "kbit/s", "saturated", "VMAF", "PSNR-Y dB", "tOF", "tFlicker"]
    best: dict[int, float] = {}
    for r in result["rows"]:
        if not r.get("overhead_kbps"):  # only methods sending just the rung's bits compete
            best[r["rung"]] = max(best.get(r["rung"], -1.0), r["vmaf"])
    rows = []
    for r in result["rows"]:
        target = fmt(r["target_kbps"], 0) if result["mode"] == "abr" else str(r["crf"])
        kbps = fmt(r["kbps"], 1) + (f" (+{r['overhead_kbps']:.1f} w)"
                                    if r.get("overhead_kbps") else "")
        mark = "*" if not r.get("overhead_kbps") and r["vmaf"] == best[r["rung"]] else ""
        rows.append([str(r["rung"]), target, r["label"], kbps, r["flag"] or "",
                     fmt(r["vmaf"]) + mark, fmt(r["psnr_y"]), fmt(r["tof"], 3),
                     fmt(r["tflicker"], 3)])
    return header, rows


def bd_lines(result: dict[str, Any]) -> list[str]:
    """One line per BD comparison: BD-rate % and BD-VMAF with their overlaps."""
    lines = []
    for d in result["bd"]:
        q, r = d.get("vmaf_overlap"), d.get("kbps_overlap")
        spans = ([f"VMAF {q[0]:.1f}-{q[1]:.1f}"] if q else []) + \
            ([f"{r[0]:.0f}-{r[1]:.0f} kbit/s"] if r else [])
        rate = f"{d['bd_rate']:+.1f} %" if d["bd_rate"] is not None else "n/a"
        qual = f"{d['bd_vmaf']:+.2f}" if d["bd_vmaf"] is not None else "n/a"
        tail = "; ".join([*spans, *([d["note"]] if d.get("note") else [])])
        lines.append(f"{d['test_label']} vs {d['anchor_label']}: BD-rate {rate}, "
                     f"BD-VMAF {qual} ({tail})")
    return lines


def print_result(result: dict[str, Any], console: Console | None = None) -> None:
    """The table, the BD lines and the verdict on the terminal."""
    c = console or Console(width=200)
    header, rows = table_rows(result)
    ref = result["reference"]
    table = Table(title=f"{Path(result['input']).name}: {ref['width']}x{ref['height']}, "
                        f"{ref['frames']} frames, {ref['duration_s']:.2f} s; LR "
                        f"{ref['lr_width']}x{ref['lr_height']} (x{ref['scale']}, "
                        f"{ref['degradation']}); * = best VMAF at the rung's bits")
    for h in header:
        table.add_column(h, justify="left" if h in ("method", "saturated") else "right")
    for row in rows:
        table.add_row(*row)
    c.print(table)
    c.print(f"BD ({result['interpolation']} interpolation, measured rates):")
    for line in bd_lines(result):
        c.print("  " + line)
    for line in result["summary"]:
        c.print(line)
