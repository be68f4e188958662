"""The demo's comparison table (80 columns): one row per method, the metrics of the metric
table (`frvsr.metrics.specs`) plus the recurrence gain, each model's steps and the
degradation stated below it."""
from __future__ import annotations

import textwrap
from dataclasses import dataclass

from frvsr.metrics import specs

COLUMNS = ("psnr_y", "ssim_y", "lpips_alex", "tof", "tlp", "tflicker")


@dataclass
class MethodRow:
    """One method's means over the held-out shot (`mean_over_clips` of its result JSON)."""

    method: str
    steps: str
    metrics: dict[str, object]
    recurrence_gain: float | None = None


def demo_table(rows: list[MethodRow], degradation: str) -> str:
    """The table as text lines of at most 80 characters, with a legend and the steps."""
    heads = [f"{specs.get(n).abbrev}{specs.get(n).arrow}" for n in COLUMNS] + ["RecGain\u2191"]
    width = max(9, *(len(h) + 1 for h in heads))
    lines = ["method  " + "".join(h.rjust(width) for h in heads)]
    for row in rows:
        cells = [specs.format_value(n, row.metrics.get(n)) for n in COLUMNS]
        gain = "-" if row.recurrence_gain is None else f"{row.recurrence_gain:+.2f}"
        lines.append(f"{row.method:<8}" + "".join(c.rjust(width) for c in cells + [gain]))
    lines.append("")
    notes = (f"Held-out shot of the embedded footage, {degradation} x4, whole frames; "
             "\u2191/\u2193: higher/lower is better. LPIPS-A: LPIPS-alex; tLP x100; RecGain: "
             "PSNR-Y (dB) with the previous estimate minus with it zeroed. Steps: "
             + "; ".join(f"{r.method} {r.steps}" for r in rows if r.steps != "-") + ".")
    lines += textwrap.wrap(notes, 80)
    return "\n".join(lines)
