"""Bjøntegaard deltas between rate-quality curves, through the ``bjontegaard`` package.

Curves are (kbit/s, VMAF 0-100) points; rates are each encode's measured rate (plus any
weight overhead). Interpolation: ``pchip`` (piecewise cubic Hermite, monotone: no
overshoot between rungs, unlike the original VCEG-M33 cubic polynomial fit), of log10
rate against VMAF for BD-rate and of VMAF against log10 rate for BD-VMAF, integrated over
the overlap of the two curves only; that overlap is reported with every number.

- BD-rate (%): mean rate difference of ``test`` against ``anchor`` at equal VMAF;
  negative = ``test`` needs fewer bits (saves bandwidth).
- BD-VMAF (VMAF points): mean VMAF difference at equal rate; positive = ``test`` better.

Interpolation needs strictly increasing points, so each curve is sorted by rate and a
point whose VMAF does not exceed the previous kept one's is dropped (a saturated rung
that bought nothing); the dropped rungs are listed. Fewer than 2 points left, or curves
that do not overlap, give ``None`` with the reason.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

INTERPOLATION = "pchip"


@dataclass(frozen=True)
class Curve:
    """A method's rate-quality points: ``kbps`` (kbit/s) and ``vmaf`` (0-100)."""

    name: str
    kbps: tuple[float, ...]
    vmaf: tuple[float, ...]


@dataclass(frozen=True)
class Delta:
    """BD-rate (%) and BD-VMAF (points) of ``test`` against ``anchor``, ``None`` with a
    ``note`` where undefined; ``vmaf_overlap`` / ``kbps_overlap`` are the integration
    intervals (VMAF 0-100, kbit/s)."""

    test: str
    anchor: str
    bd_rate: float | None
    bd_vmaf: float | None
    vmaf_overlap: tuple[float, float] | None = None
    kbps_overlap: tuple[float, float] | None = None
    dropped: dict[str, list[float]] = field(default_factory=dict)
    note: str = ""


def monotone(curve: Curve) -> tuple[Curve, list[float]]:
    """``curve`` sorted by rate with non-improving points dropped; (kept, dropped kbit/s)."""
    kept_r: list[float] = []
    kept_q: list[float] = []
    dropped: list[float] = []
    for r, q in sorted(zip(curve.kbps, curve.vmaf, strict=True)):
        if kept_r and (q <= kept_q[-1] or r <= kept_r[-1]):
            dropped.append(r)
            continue
        kept_r.append(r)
        kept_q.append(q)
    return Curve(curve.name, tuple(kept_r), tuple(kept_q)), dropped


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> tuple[float, float] | None:
    lo, hi = max(min(a), min(b)), min(max(a), max(b))
    return (lo, hi) if hi > lo else None


def delta(anchor: Curve, test: Curve) -> Delta:
    """BD-rate and BD-VMAF of ``test`` against ``anchor`` (``bjontegaard``, pchip)."""
    import bjontegaard as bd

    a, dropped_a = monotone(anchor)
    t, dropped_t = monotone(test)
    dropped = {k: v for k, v in ((anchor.name, dropped_a), (test.name, dropped_t)) if v}
    if len(a.kbps) < 2 or len(t.kbps) < 2:
        return Delta(test.name, anchor.name, None, None, dropped=dropped,
                     note="fewer than 2 increasing points")
    q_overlap, r_overlap = _overlap(a.vmaf, t.vmaf), _overlap(a.kbps, t.kbps)
    args = dict(method=INTERPOLATION, require_matching_points=False, min_overlap=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rate = bd.bd_rate(a.kbps, a.vmaf, t.kbps, t.vmaf, **args) if q_overlap else None
        qual = bd.bd_psnr(a.kbps, a.vmaf, t.kbps, t.vmaf, **args) if r_overlap else None
    notes = []
    if q_overlap is None:
        notes.append(f"no VMAF overlap: test {min(t.vmaf):.1f}-{max(t.vmaf):.1f}, "
                     f"anchor {min(a.vmaf):.1f}-{max(a.vmaf):.1f}")
    if r_overlap is None:
        notes.append("no rate overlap")
    return Delta(test.name, anchor.name, _finite(rate), _finite(qual), q_overlap, r_overlap,
                 dropped, "; ".join(notes))


def _finite(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def crossovers(anchor: Curve, test: Curve, points: int = 400) -> list[dict[str, float | str]]:
    """Rates (kbit/s) inside the curves' common rate range where ``test`` and ``anchor``
    swap places in VMAF, each with ``below``: the method that wins just below it.
    Both curves interpolated (pchip, VMAF against log10 rate) on a log-spaced grid."""
    from scipy.interpolate import PchipInterpolator

    a, _ = monotone(anchor)
    t, _ = monotone(test)
    if len(a.kbps) < 2 or len(t.kbps) < 2:
        return []
    span = _overlap(a.kbps, t.kbps)
    if span is None:
        return []
    x = np.linspace(math.log10(span[0]), math.log10(span[1]), points)
    fa = PchipInterpolator(np.log10(a.kbps), a.vmaf)(x)
    ft = PchipInterpolator(np.log10(t.kbps), t.vmaf)(x)
    diff = ft - fa
    out: list[dict[str, float | str]] = []
    for i in range(1, len(x)):
        if diff[i - 1] == 0 or np.sign(diff[i - 1]) == np.sign(diff[i]):
            continue
        frac = diff[i - 1] / (diff[i - 1] - diff[i])
        at = 10 ** (x[i - 1] + frac * (x[i] - x[i - 1]))
        out.append({"kbps": float(at), "below": test.name if diff[i - 1] > 0 else anchor.name})
    return out


def winner_everywhere(anchor: Curve, test: Curve, points: int = 400) -> str | None:
    """The method with the higher interpolated VMAF over the whole common rate range, or
    None when they cross (or share no range)."""
    from scipy.interpolate import PchipInterpolator

    a, _ = monotone(anchor)
    t, _ = monotone(test)
    span = _overlap(a.kbps, t.kbps) if len(a.kbps) > 1 and len(t.kbps) > 1 else None
    if span is None:
        return None
    x = np.linspace(math.log10(span[0]), math.log10(span[1]), points)
    diff = PchipInterpolator(np.log10(t.kbps), t.vmaf)(x) - \
        PchipInterpolator(np.log10(a.kbps), a.vmaf)(x)
    if np.all(diff > 0):
        return test.name
    if np.all(diff < 0):
        return anchor.name
    return None
