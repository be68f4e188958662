"""A sweep's summary as files and on the console: `summary.csv` (every value, absolute
paths), `summary.md`, `summary.html` (with the plot embedded), `summary.png` (when a swept
key is numeric) and a rich table.

Metric columns follow the console's view of training (PSNR-Y, SSIM-Y, tOF, tFlicker,
LPIPS-alex when computed), formatted by the metric table (`frvsr.metrics.specs`).
"""
from __future__ import annotations

import csv
import io
import math
from pathlib import Path

from frvsr.io.atomic import atomic_write_bytes, atomic_write_text
from frvsr.sweep.summary import Sweep

ORDER = ("psnr_y", "ssim_y", "tof", "tflicker", "lpips_alex")
NAMES = {"psnr_y": "PSNR-Y", "ssim_y": "SSIM-Y", "tof": "tOF", "tflicker": "tFlicker",
         "lpips_alex": "LPIPS-alex"}
REFERENCE = "psnr_y"  # the bicubic column of the tables (the CSV has all of them)


def metric_names(sweep: Sweep) -> list[str]:
    """The metrics any row has, in the console's order, then any others."""
    seen: dict[str, None] = {}
    for r in sweep.rows:
        seen.update(dict.fromkeys(r.metrics))
    return [m for m in ORDER if m in seen] + sorted(m for m in seen if m not in ORDER)


def duration(seconds: float | None) -> str:
    """`42s`, `3m05s`, `2h07m` (as the training console says it)."""
    if seconds is None or not math.isfinite(seconds):
        return "-"
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


def _fmt(name: str, value: float | None) -> str:
    from frvsr.metrics import specs

    if value is None:
        return "-"
    return specs.format_value(name, value) if name in specs.names() else f"{value:.4g}"


def _value(text: str) -> str:
    """A swept value for display: long floats (Optuna's samples) with 4 significant
    digits; anything else as given."""
    try:
        number = float(text)
    except ValueError:
        return text
    return f"{number:.4g}" if len(text) > 8 and math.isfinite(number) else text


def _rel(path: str | Path | None, base: Path) -> str:
    if not path:
        return "-"
    try:
        return str(Path(path).resolve().relative_to(base))
    except ValueError:
        return str(path)


def table(sweep: Sweep) -> tuple[list[str], list[list[str]]]:
    """Header and display rows (paths relative to the sweep folder)."""
    metrics = metric_names(sweep)
    has_ref = any(REFERENCE in r.bicubic for r in sweep.rows)
    header = ["best", "job", "status", *sweep.swept, "steps", "wall"]
    header += [NAMES.get(m, m) + (" (dB)" if m == "psnr_y" else "") for m in metrics]
    header += ["bicubic PSNR-Y (dB)"] if has_ref else []
    header += ["run folder", "checkpoint", "note"]
    rows = []
    for r in sweep.rows:
        steps = "-" if r.steps is None else (
            f"{r.steps}/{r.total_steps}" if r.total_steps and r.steps != r.total_steps
            else str(r.steps))
        row = ["*" if r.best else "", "-" if r.num is None else str(r.num), r.status,
               *[_value(r.overrides.get(k, "")) for k in sweep.swept], steps, duration(r.seconds)]
        row += [_fmt(m, r.metrics.get(m)) for m in metrics]
        row += [_fmt(REFERENCE, r.bicubic.get(REFERENCE))] if has_ref else []
        row += [_rel(r.folder, sweep.dir), _rel(r.checkpoint, sweep.dir), r.note]
        rows.append(row)
    return header, rows


def title(sweep: Sweep) -> str:
    better = "higher" if sweep.direction == "maximize" else "lower"
    return (f"sweep {sweep.id}: {sweep.counts()}; sorted by {sweep.metric} ({better} is "
            "better), * = best")


def to_csv(sweep: Sweep) -> str:
    """Every value of every row (raw numbers, absolute paths)."""
    metrics = metric_names(sweep)
    bicubic = sorted({k for r in sweep.rows for k in r.bicubic},
                     key=lambda m: (ORDER.index(m) if m in ORDER else len(ORDER), m))
    fields = ["best", "job", "status", *sweep.swept, "steps", "total_steps", "wall_s",
              "val_step", "objective", *metrics, *[f"bicubic_{m}" for m in bicubic],
              "run_folder", "checkpoint", "error", "overrides"]
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for r in sweep.rows:
        row: dict[str, object] = {
            "best": int(r.best), "job": r.num, "status": r.status, "steps": r.steps,
            "total_steps": r.total_steps, "wall_s": None if r.seconds is None
            else round(r.seconds, 1), "val_step": r.val_step, "objective": r.objective,
            "run_folder": str(r.folder), "checkpoint": r.checkpoint or "",
            "error": r.error or "", "overrides": " ".join(f"{k}={v}"
                                                          for k, v in r.overrides.items()),
        }
        row.update({k: r.overrides.get(k, "") for k in sweep.swept})
        row.update({m: r.metrics.get(m) for m in metrics})
        row.update({f"bicubic_{m}": r.bicubic.get(m) for m in bicubic})
        writer.writerow(row)
    return buf.getvalue()


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|") or " "


def to_markdown(sweep: Sweep) -> str:
    header, rows = table(sweep)
    lines = [f"# {title(sweep)}", ""]
    if sweep.command:
        lines += ["Overrides: `" + " ".join(sweep.command) + "`", ""]
    lines += ["| " + " | ".join(_md_cell(h) for h in header) + " |",
              "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    lines += ["", f"Folders are relative to `{sweep.dir}`; the bicubic column is the "
              "phase-aligned bicubic upscale scored on the same validation frames."]
    return "\n".join(lines) + "\n"


def plot_png(sweep: Sweep) -> bytes | None:
    """The optimised metric against the first numeric swept key, one line per value of the
    other swept keys (and bicubic's value, dashed, when all jobs share it); None when no
    swept key is numeric (or nothing has a value)."""
    done = [r for r in sweep.rows if r.objective is not None]

    def number(text: str) -> float | None:
        try:
            value = float(text)
        except ValueError:
            return None
        return value if math.isfinite(value) else None

    numeric = [k for k in sweep.swept if done and all(number(r.overrides.get(k, "")) is not None
                                                        for r in done)]
    if not numeric:
        return None
    x_key = numeric[0]
    others = [k for k in sweep.swept if k != x_key]
    lines: dict[str, list[tuple[float, float]]] = {}
    for r in done:
        label = ", ".join(f"{k}={r.overrides.get(k, '')}" for k in others) or sweep.metric
        lines.setdefault(label, []).append((number(r.overrides[x_key]) or 0.0,
                                            float(r.objective)))  # type: ignore[arg-type]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.8))
    for label, points in lines.items():
        xs, ys = zip(*sorted(points), strict=True)
        ax.plot(xs, ys, marker="o", lw=1.6, label=label)
    name = sweep.metric[4:] if sweep.metric.startswith("val/") else ""
    references = {round(r.bicubic[name], 6) for r in done if name in r.bicubic}
    if len(references) == 1:  # the same frames in every job: one bicubic reference
        ax.axhline(references.pop(), color="#888888", ls="--", lw=1.2, label="bicubic")
    xs_all = [p[0] for pts in lines.values() for p in pts]
    if min(xs_all) > 0 and max(xs_all) / min(xs_all) >= 20:
        ax.set_xscale("log")
    ax.set_xlabel(x_key)
    ax.set_ylabel(sweep.metric)
    ax.set_title(f"sweep {sweep.id}", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def to_html(sweep: Sweep, png: bytes | None) -> str:
    from frvsr.report.page import html_page, html_table, img_tag

    header, rows = table(sweep)
    body = html_table(header, rows)
    if sweep.command:
        body = f"<p><code>{' '.join(sweep.command)}</code></p>" + body
    sections = [("Jobs", body)]
    if png is not None:
        sections.append(("Plot", img_tag(png, f"{sweep.metric} per swept value")))
    return html_page(title(sweep), sections)


def write(sweep: Sweep) -> list[Path]:
    """Write the summary files into the sweep folder (atomically); returns their paths."""
    png = plot_png(sweep)
    written = [sweep.dir / "summary.csv", sweep.dir / "summary.md", sweep.dir / "summary.html"]
    atomic_write_text(written[0], to_csv(sweep))
    atomic_write_text(written[1], to_markdown(sweep))
    atomic_write_text(written[2], to_html(sweep, png))
    if png is not None:
        atomic_write_bytes(sweep.dir / "summary.png", png)
        written.append(sweep.dir / "summary.png")
    return written


def print_table(sweep: Sweep) -> None:
    """The summary table on stdout (rich; 200 columns wide off a terminal)."""
    from rich.console import Console
    from rich.table import Table

    header, rows = table(sweep)
    out = Console()
    out = out if out.is_terminal else Console(width=240)
    t = Table(title=title(sweep), title_justify="left")
    for h in header:
        t.add_column(h, justify="left" if h in ("status", "run folder", "checkpoint", "note")
                     else "right", no_wrap=h in ("run folder", "checkpoint"))
    for r, cells in zip(sweep.rows, rows, strict=True):
        t.add_row(*cells, style="bold" if r.best else ("red" if r.status == "failed" else None))
    out.print(t)


def best_line(sweep: Sweep) -> str:
    """`best: job 1 (model.optimizer.lr=1e-3), val/psnr_y 29.80, <checkpoint>` or why none."""
    best = next((r for r in sweep.rows if r.best), None)
    if best is None:
        return "best: none (no job completed with a value of " + sweep.metric + ")"
    swept = ", ".join(f"{k}={_value(best.overrides.get(k, ''))}" for k in sweep.swept)
    return (f"best: job {best.num}" + (f" ({swept})" if swept else "") +
            f", {sweep.metric} {best.objective:.4g}, checkpoint {best.checkpoint or '-'}")


