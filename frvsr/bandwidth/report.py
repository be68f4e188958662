"""The rate-quality plot (PNG) and the self-contained HTML report, in frvsr's report style
(``frvsr.report.page``: one page, tables, embedded PNGs)."""
from __future__ import annotations

import html
import io
import json
from pathlib import Path
from typing import Any

from frvsr.io.atomic import atomic_write_bytes, atomic_write_text
from frvsr.report.page import html_page, html_table, img_tag
from frvsr.report.plots import COLORS
from frvsr.report.results import jsonable

from .results import bd_lines, table_rows

MARKERS = {"full": "o", "sr": "s", "sr_adapted": "D", "bicubic": "^", "lanczos": "v"}


def rate_quality_png(result: dict[str, Any], metric: str = "vmaf") -> bytes:
    """VMAF (or another row metric) against kbit/s (log axis), one curve per method;
    saturated rungs drawn hollow."""
    import matplotlib.pyplot as plt  # Agg: frvsr.report.plots (imported above) selects it

    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    for i, method in enumerate(result["methods"]):
        rows = sorted((r for r in result["rows"] if r["method"] == method),
                      key=lambda r: r["kbps"])
        if not rows:
            continue
        color = COLORS[i % len(COLORS)]
        x, y = [r["kbps"] for r in rows], [r[metric] for r in rows]
        ax.plot(x, y, color=color, lw=1.6, label=rows[0]["label"])
        for r in rows:
            ax.plot(r["kbps"], r[metric], MARKERS.get(method, "o"), color=color, ms=6,
                    mfc="none" if r["flag"] else color)
    ax.set_xscale("log")
    from matplotlib.ticker import FuncFormatter, LogLocator

    plain = FuncFormatter(lambda v, _pos: f"{v:g}")
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0)))
    ax.xaxis.set_minor_formatter(plain)
    ax.tick_params(axis="x", which="minor", labelsize=8)
    ax.set_xlabel("bitrate (kbit/s, measured; adapted: + weights)")
    ax.set_ylabel({"vmaf": "VMAF (0-100)", "psnr_y": "PSNR-Y (dB)"}.get(metric, metric))
    ref = result["reference"]
    ax.set_title(f"{Path(result['input']).name}: {ref['width']}x{ref['height']}, "
                 f"{ref['frames']} frames (hollow = saturated rung)", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9, loc="best", framealpha=0.9)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _adaptation_rows(a: dict[str, Any]) -> list[list[str]]:
    be = a.get("break_even_s") or {}
    return [["steps", str(a["steps"])], ["fine-tuning time (s)", f"{a['seconds']:.0f}"],
            ["changed tensors / values", f"{len(a['tensors'])} / {a['params']} of "
                                         f"{a['total_params']}"],
            ["payload (fp16 delta, " + a["codec"] + ")", f"{a['bytes']} bytes"],
            ["added to every rung", f"{a['overhead_kbps']:.1f} kbit/s over "
                                    f"{a['duration_s']:.2f} s"],
            ["break-even duration", "; ".join(f"{k}: {v:.0f} s" if v is not None else
                                              f"{k}: never" for k, v in be.items()) or "-"]]


def write_report(out: Path, result: dict[str, Any]) -> dict[str, Path]:
    """``rate_quality.png``, ``rate_psnr.png`` and ``report.html`` in ``out``."""
    vmaf_png, psnr_png = rate_quality_png(result), rate_quality_png(result, "psnr_y")
    paths = {"plot": out / "rate_quality.png", "plot_psnr": out / "rate_psnr.png",
             "html": out / "report.html"}
    atomic_write_bytes(paths["plot"], vmaf_png)
    atomic_write_bytes(paths["plot_psnr"], psnr_png)
    header, rows = table_rows(result)
    ref = result["reference"]
    notes = (f"Reference: {html.escape(result['input'])}, frames {ref['start']}-"
             f"{ref['start'] + ref['frames'] - 1} ({ref['width']}x{ref['height']}, "
             f"{ref['fps']} fps, {ref['duration_s']:.2f} s). LR: {ref['lr_width']}x"
             f"{ref['lr_height']} by {ref['degradation']} (x{ref['scale']}). Encoder: "
             f"{html.escape(result['encoder']['description'])}. VMAF model "
             f"{result['vmaf_model']}. Lanczos: {html.escape(result['lanczos'])}.")
    summary = "".join(f"<p>{html.escape(s)}</p>" for s in result["summary"])
    sections = [("Verdict", summary + f"<p>{notes}</p>"),
                ("Rate-quality", img_tag(vmaf_png, "VMAF vs kbit/s") +
                 img_tag(psnr_png, "PSNR-Y vs kbit/s")),
                ("Per rung", html_table(header, rows)),
                ("Bjøntegaard deltas", "<pre>" + html.escape("\n".join(bd_lines(result)))
                 + "</pre>"),
                ("Rungs (measured)", html_table(
                    ["rung", "target", "full-res kbit/s", "flag", "LR kbit/s", "flag"],
                    [[str(r["rung"]), str(r.get("target_kbps") or f"crf {r.get('crf')}"),
                      f"{r['full_kbps']:.1f}", r["full_flag"], f"{r['lr_kbps']:.1f}",
                      r["lr_flag"]] for r in result["rungs"]]))]
    if result.get("adaptation"):
        sections.append(("Content-adaptive model", html_table(
            ["", "value"], _adaptation_rows(result["adaptation"]))))
    sections.append(("Result file", "<pre>" + html.escape(
        json.dumps(jsonable({k: v for k, v in result.items() if k != "rows"}), indent=1))
        + "</pre>"))
    atomic_write_text(paths["html"], html_page("Does SR save bandwidth?", sections))
    return paths
