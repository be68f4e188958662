"""Evaluation outputs: JSON / CSV (atomic), rich terminal tables, method comparison and one
self-contained HTML report (PNG figures embedded as base64, also written next to it)."""
from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from frvsr.atomic import atomic_write_bytes
from frvsr.metrics.clips import EvalError

HIGHER_BETTER = {"psnr_y", "ssim_y", "psnr_rgb", "ssim_rgb", "vmaf"}
LOWER_BETTER = {"lpips_alex", "lpips_vgg", "tof", "tlp", "ewarp", "tflicker"}
UNITS = {"tlp": "tLP x100", "psnr_y": "dB", "psnr_rgb": "dB", "ewarp": "x1e-3"}


def jsonable(obj: Any) -> Any:
    """inf -> "inf" (JSON has no infinity); NaN is a bug, never written."""
    if isinstance(obj, float):
        if math.isnan(obj):
            raise ValueError("refusing to write NaN into a result file")
        return "inf" if math.isinf(obj) else obj
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    return obj


def write_json(path: Path, result: dict[str, Any]) -> None:
    atomic_write_bytes(path, (json.dumps(jsonable(result), indent=1) + "\n").encode())


def load_result(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise EvalError(f"cannot read result file {path}: {err}") from None
    if not isinstance(data, dict) or "mean_over_clips" not in data or "clips" not in data:
        raise EvalError(f"{path} is not an frvsr.evaluate result file (no mean_over_clips/clips)")
    return data


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


def write_csv(path: Path, result: dict[str, Any]) -> None:
    """Unformatted numbers (inf as "inf"); one row per clip plus the two means."""
    metrics = result["metrics"]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["clip", "scored_frames"] + metrics)
    for name, c in result["clips"].items():
        w.writerow([name, c["scored_frames"]] + [jsonable(c[m]) for m in metrics])
    for key in ("mean_over_clips", "mean_over_frames"):
        w.writerow([key, ""] + [jsonable(result[key][m]) for m in metrics])
    atomic_write_bytes(path, buf.getvalue().encode())


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


def _labels(paths: list[Path]) -> list[str]:
    """Shortest path tails (file stem, then parent folders) that tell the files apart."""
    parts = [list(p.with_suffix("").parts) for p in paths]
    for depth in range(1, max(len(x) for x in parts) + 1):
        labels = ["/".join(x[-depth:]) for x in parts]
        if len(set(labels)) == len(labels):
            return labels
    return [str(p) for p in paths]


def check_comparable(results: list[dict[str, Any]], paths: list[Path]) -> None:
    """Refuse to rank numbers measured differently: protocol, conventions (crop_border,
    tLP scale, ...), clip sets or frame counts. One line naming both files."""
    ref, ref_path = results[0], paths[0]
    for r, p in zip(results[1:], paths[1:], strict=True):
        pair = f"{ref_path} and {p}"
        if r["protocol"] != ref["protocol"]:
            raise EvalError(f"compare needs results of one protocol; {pair} differ: "
                            f"{ref['protocol']} vs {r['protocol']}")
        a, b = ref.get("conventions", {}), r.get("conventions", {})
        diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        if diff:
            k = diff[0]
            raise EvalError(f"{pair} were scored with different conventions: {k}="
                            f"{a.get(k)!r} vs {b.get(k)!r}; re-run one of them to match")
        only_a, only_b = set(ref["clips"]) - set(r["clips"]), set(r["clips"]) - set(ref["clips"])
        if only_a or only_b:
            side, clip = (ref_path, min(only_a)) if only_a else (p, min(only_b))
            raise EvalError(f"{pair} cover different clips: '{clip}' is only in {side}; "
                            "compare results on the same GT clips")
        for clip, c in ref["clips"].items():
            if c.get("frames") != r["clips"][clip].get("frames"):
                raise EvalError(f"{pair} differ on clip '{clip}': {c.get('frames')} vs "
                                f"{r['clips'][clip].get('frames')} frames")


def load_results(paths: list[Path]) -> list[dict[str, Any]]:
    """Result files for ``compare``, checked to be comparable; equal method names get the
    file's stem (and parent folders when stems collide) appended."""
    if len({p.resolve() for p in paths}) < len(paths):
        dup = next(p for i, p in enumerate(paths) if p.resolve() in
                   {q.resolve() for q in paths[:i]})
        raise EvalError(f"compare lists {dup} twice; give each result file once")
    results = [load_result(p) for p in paths]
    check_comparable(results, paths)
    names = [r["method"] for r in results]
    for r, label in zip(results, _labels(paths), strict=True):
        if names.count(r["method"]) > 1:
            r["method"] = f"{r['method']} ({label})"
    return results


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


def html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def img_tag(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


CSS = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
       "table{border-collapse:collapse;font-size:13px;margin:1em 0}"
       "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
       "td:first-child,th:first-child{text-align:left}img{max-width:100%}"
       "pre{background:#f4f4f4;padding:8px;font-size:12px;white-space:pre-wrap}")


def html_page(title: str, sections: list[tuple[str, str]]) -> str:
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
             f"</title><style>{CSS}</style></head><body><h1>{html.escape(title)}</h1>"]
    parts += [f"<h2>{html.escape(h)}</h2>{body}" for h, body in sections]
    return "".join(parts) + "</body></html>\n"


def write_report(result: dict[str, Any], path: Path, **sources: Any) -> None:
    from frvsr.report_html import build_report

    build_report(result, path, **sources)


def write_compare_report(paths: list[Path], path: Path) -> None:
    from frvsr.report_html import build_compare_report

    build_compare_report(load_results(paths), path)


def log_to_wandb(path: Path | None, result: dict[str, Any], run_id: str, project: str,
                 wandb_dir: Path | None = None) -> None:
    """Attach the means (and the report when ``path`` is given) to an existing wandb run
    (offline unless a key is set).

    `dir` is passed explicitly: wandb keeps the settings of the first run in a process, so
    an environment variable set later would be ignored."""
    import wandb
    from frvsr.lit.wandb_setup import wandb_key_configured

    mode = os.environ.get("WANDB_MODE") or ("online" if wandb_key_configured() else "offline")
    target = Path(wandb_dir or os.environ.get("WANDB_DIR") or ".")
    target.mkdir(parents=True, exist_ok=True)
    run = wandb.init(project=project, id=run_id, resume="allow", mode=mode, dir=str(target))
    logged: dict[str, Any] = {f"eval/{k}": v for k, v in result["mean_over_clips"].items()
                              if isinstance(v, (int, float)) and math.isfinite(v)}
    if path is not None:
        logged["eval/report"] = wandb.Html(path.read_text())
    run.log(logged)
    if mode == "offline":
        print(f"wandb: logged offline under {target / 'wandb'}; upload with `wandb sync`")
    run.finish()
