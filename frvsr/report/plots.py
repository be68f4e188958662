"""Figures for the evaluation report, returned as PNG bytes (matplotlib, Agg backend).

- per-frame PSNR curves of several methods;
- temporal profiles: one pixel row of every frame stacked top-to-bottom over time, the
  methods side by side (a temporally stable method gives smooth vertical streaks, flicker
  shows as jagged, noisy streaks);
- a crop grid: the same crop of one frame for every method, enlarged with nearest
  neighbours so single pixels stay visible.
"""
from __future__ import annotations

import io
import math
from collections.abc import Collection, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from frvsr.metrics import specs  # noqa: E402

COLORS = ["#222222", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def psnr_curves(curves: Mapping[str, tuple[Sequence[int], Sequence[float]]],
                title: str) -> bytes:
    """``{method: (frame indices, PSNR values)}``; inf values are left out of the plot."""
    fig, ax = plt.subplots(figsize=(8, 3.4))
    for i, (name, (idx, vals)) in enumerate(curves.items()):
        pairs = zip(idx, vals, strict=True)
        pts = [(t, v) for t, v in pairs if v is not None and math.isfinite(v)]
        if not pts:
            continue
        t, v = zip(*pts, strict=True)
        ax.plot(t, v, color=COLORS[i % len(COLORS)], lw=1.6, marker="o" if len(t) < 40 else None,
                ms=3, label=f"{name} (mean {np.mean(v):.2f} dB)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("frame")
    ax.set_ylabel("PSNR-Y (dB)")
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="best", framealpha=0.9)
    return _png(fig)


def temporal_profiles(profiles: Mapping[str, np.ndarray], row: int, title: str) -> bytes:
    """``{method: T,W,3 uint8}`` (one image row per frame) shown side by side."""
    n = len(profiles)
    first = next(iter(profiles.values()))
    t, w = first.shape[:2]
    # Keep pixels square-ish and each panel readable whatever the clip length.
    panel_w = min(4.0, max(2.2, 4.0 * w / max(t, w)))
    panel_h = min(7.0, max(2.5, panel_w * t / w))
    fig, axes = plt.subplots(1, n, figsize=(panel_w * n + 0.6, panel_h + 0.8), squeeze=False)
    for ax, (name, img) in zip(axes[0], profiles.items(), strict=True):
        ax.imshow(img, interpolation="nearest", aspect="auto")
        ax.set_title(name, fontsize=11)
        ax.set_xlabel("x (pixels)")
        ax.set_ylabel("frame (time)")
    fig.suptitle(f"{title}: row y={row} of every frame stacked over time", fontsize=11)
    fig.tight_layout()
    return _png(fig)


def crop_grid(crops: Mapping[str, np.ndarray], title: str, zoom: int = 3) -> bytes:
    """``{method: h,w,3 uint8}`` crops, enlarged ``zoom`` times with nearest neighbours."""
    n = len(crops)
    cols = min(n, 4)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 3.4 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (name, img) in zip(axes.flat, crops.items(), strict=False):
        ax.imshow(np.repeat(np.repeat(img, zoom, axis=0), zoom, axis=1), interpolation="nearest")
        ax.set_title(name, fontsize=11)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return _png(fig)


def zoomed_limits(values: Sequence[float]) -> tuple[float, float]:
    """Y limits that show the differences between bars: the value range padded by 35% of
    it (2% of the value when all are equal), not from 0; non-negative values never get a
    negative axis."""
    lo, hi = min(values), max(values)
    span = hi - lo
    pad = 0.35 * span if span > 0 else max(abs(hi) * 0.02, 1e-9)
    bottom = lo - pad
    if lo >= 0 > bottom:
        bottom = 0.0
    return bottom, hi + pad


def metric_bars(values: Mapping[str, Mapping[str, float]],
                lower_better: Collection[str] | None = None) -> bytes:
    """:func:`metric_bars_figure` as PNG bytes."""
    return _png(metric_bars_figure(values, lower_better))


def metric_bars_figure(values: Mapping[str, Mapping[str, float]],
                       lower_better: Collection[str] | None = None) -> plt.Figure:
    """One small bar chart per metric: ``{metric: {method: stored value}}``, shown in the
    tables' units (``scale``: ewarp x1e-3), titled with the readable heading and which way
    is better (``lower_better`` names the lower-is-better metrics; default: the metric
    table's directions, ``frvsr.metrics.specs``). The value axis is zoomed to the values
    (it does not start at 0) and every bar carries its value."""
    if lower_better is None:
        lower_better = specs.lower_better(values)
    metrics = list(values)
    names0 = list(values[metrics[0]]) if metrics else []
    cols = min(len(metrics), 4)
    rows = math.ceil(len(metrics) / cols)
    width = max(2.4, 0.55 * len(names0) + 1.2)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, 2.9 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, metric in zip(axes.flat, metrics, strict=False):
        ax.axis("on")
        spec = specs.get(metric)
        names = list(values[metric])
        vals = [float(values[metric][m]) * spec.scale for m in names]
        colors = [COLORS[(i + 1) % len(COLORS)] for i in range(len(names))]
        finite = [v for v in vals if math.isfinite(v)]
        bottom, top = zoomed_limits(finite) if finite else (0.0, 1.0)
        bars = ax.bar(range(len(names)), [v if math.isfinite(v) else top for v in vals],
                      color=colors, bottom=0)
        ax.set_ylim(bottom, top)
        labels = [f"{v:.{spec.digits}f}" if math.isfinite(v) else "inf" for v in vals]
        ax.bar_label(bars, labels, fontsize=7, padding=2)
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right",
                      rotation_mode="anchor", fontsize=8)
        arrow = "lower is better" if metric in lower_better else "higher is better"
        mark = "\u2193" if metric in lower_better else "\u2191"
        ax.set_title(f"{spec.title} {mark}\n{arrow}", fontsize=9)
        ax.tick_params(axis="y", labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def gain_curve(curves: dict[str, list[float]]) -> bytes:
    """Recurrence gain (dB) against the frame index within a shot, one line per method."""
    fig, ax = plt.subplots(figsize=(8, 3.0))
    for i, (name, gains) in enumerate(curves.items()):
        ax.plot(range(len(gains)), gains, color=COLORS[(i + 1) % len(COLORS)], lw=1.6,
                marker="o" if len(gains) < 40 else None, ms=3, label=name)
    ax.axhline(0.0, color="gray", lw=1, ls="--")
    ax.set_xlabel("frame index within the shot (0 = first frame: no memory)")
    ax.set_ylabel("gain (dB)")
    ax.set_title("recurrence gain: PSNR-Y with memory minus without", fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    return _png(fig)
