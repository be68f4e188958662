"""From scored rows to Bjøntegaard deltas, crossovers and the verdict in plain words."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .adapt import break_even_s
from .bdrate import Curve, crossovers, delta, winner_everywhere
from .methods import LABELS

# (test, anchor): LR+SR against full resolution and against the client-side filters, the
# filters against full resolution for context, the adapted model against both.
COMPARISONS = (("sr", "full"), ("sr", "bicubic"), ("sr", "lanczos"), ("bicubic", "full"),
               ("lanczos", "full"), ("sr_adapted", "full"), ("sr_adapted", "sr"),
               ("sr_adapted_free", "sr"))
LABELS_ALL = {**LABELS, "sr_adapted_free": "LR+SR adapted (weights not counted)"}


def curves(rows: list[dict[str, Any]]) -> dict[str, Curve]:
    """One curve per method; ``sr_adapted_free`` = the adapted rows without the weights."""
    out: dict[str, Curve] = {}
    for method in dict.fromkeys(r["method"] for r in rows):
        mine = [r for r in rows if r["method"] == method]
        out[method] = Curve(method, tuple(r["kbps"] for r in mine),
                            tuple(r["vmaf"] for r in mine))
        if method == "sr_adapted":
            out["sr_adapted_free"] = Curve("sr_adapted_free",
                                           tuple(r["encode_kbps"] for r in mine),
                                           tuple(r["vmaf"] for r in mine))
    return out


def deltas(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The BD comparisons of :data:`COMPARISONS` whose methods were run, as dicts."""
    found = curves(rows)
    out = []
    for test, anchor in COMPARISONS:
        if test in found and anchor in found:
            d = asdict(delta(found[anchor], found[test]))
            d.update(test_label=LABELS_ALL[test], anchor_label=LABELS_ALL[anchor])
            out.append(d)
    return out


def crossings(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Where LR+SR (and the adapted model) cross the full-resolution curve (kbit/s)."""
    found = curves(rows)
    return {f"{t} vs full": crossovers(found["full"], found[t])
            for t in ("sr", "sr_adapted") if t in found and "full" in found}


def _find(bd: list[dict[str, Any]], test: str, anchor: str) -> dict[str, Any] | None:
    return next((d for d in bd if d["test"] == test and d["anchor"] == anchor), None)


def verdict(rows: list[dict[str, Any]], bd: list[dict[str, Any]],
            cross: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Plain sentences: does LR+SR beat full resolution, where, and by how much."""
    found, lines = curves(rows), []
    rungs = sorted({r["rung"] for r in rows})
    wins = sum(1 for k in rungs if max((r for r in rows if r["rung"] == k and
                                         not r.get("overhead_kbps")),
                                        key=lambda r: r["vmaf"])["method"] == "sr")
    lo, hi = min(found["full"].kbps), max(found["full"].kbps)
    main = _find(bd, "sr", "full")
    everywhere = winner_everywhere(found["full"], found["sr"])
    if everywhere == "full":
        lines.append(f"Full-resolution encoding beats LR+SR at every bitrate both curves "
                     f"span: SR does not save bandwidth on this clip at these sizes "
                     f"(full-res rungs {lo:.0f}-{hi:.0f} kbit/s).")
    elif everywhere == "sr":
        lines.append("LR+SR beats full-resolution encoding at every bitrate both curves span.")
    for c in cross.get("sr vs full", []):
        winner = LABELS[str(c["below"])]
        lines.append(f"Crossover at {c['kbps']:.0f} kbit/s: {winner} wins below it.")
    if main is not None:
        rate = main["bd_rate"]
        lines.append(
            "BD-rate of LR+SR against full-res: "
            + (f"{rate:+.1f} % ({'saves' if rate < 0 else 'costs'} bits at equal VMAF)"
               if rate is not None else f"undefined ({main['note']})")
            + (f"; BD-VMAF {main['bd_vmaf']:+.2f}" if main["bd_vmaf"] is not None else "")
            + ".")
    lines.append(f"LR+SR has the best VMAF at {wins} of {len(rungs)} rungs (same bits: "
                 "full-res, LR+SR, LR+bicubic, LR+Lanczos).")
    for anchor in ("bicubic", "lanczos"):
        d = _find(bd, "sr", anchor)
        if d is not None and d["bd_rate"] is not None:
            lines.append(f"Against LR+{anchor.capitalize()} (same LR streams) LR+SR's BD-rate "
                         f"is {d['bd_rate']:+.1f} %.")
    return lines


def adaptation_summary(rows: list[dict[str, Any]], bd: list[dict[str, Any]],
                       payload_bytes: int, overhead: float) -> tuple[dict[str, Any], list[str]]:
    """Break-even durations (s) per rung and the adaptation sentences."""
    free, paid = _find(bd, "sr_adapted_free", "sr"), _find(bd, "sr_adapted", "sr")
    sr_rows = sorted((r for r in rows if r["method"] == "sr"), key=lambda r: r["kbps"])
    break_even: dict[str, float | None] = {}
    frac = -free["bd_rate"] / 100 if free and free["bd_rate"] is not None else 0.0
    for r in (sr_rows[0], sr_rows[-1]) if sr_rows else ():
        break_even[f"{r['kbps']:.0f} kbit/s"] = break_even_s(payload_bytes, frac * r["kbps"])
    lines = [f"Adapted weights: {payload_bytes} bytes, {overhead:.1f} kbit/s over this clip, "
             "added to every rung."]
    if free and free["bd_rate"] is not None:
        lines.append(f"Before counting the weights, adaptation's BD-rate against the base "
                     f"model is {free['bd_rate']:+.1f} % (BD-VMAF "
                     f"{(free['bd_vmaf'] or 0):+.2f}).")
    if paid and paid["bd_vmaf"] is not None:
        lines.append(f"At equal bits (weights counted) the adapted model's BD-VMAF against "
                     f"the base model is {paid['bd_vmaf']:+.2f} "
                     f"({'a gain' if paid['bd_vmaf'] > 0 else 'no gain'}).")
    elif paid:
        span = f"{sr_rows[0]['kbps']:.0f}-{sr_rows[-1]['kbps']:.0f}" if sr_rows else "-"
        lines.append(f"At equal bits adaptation loses outright: its weights add "
                     f"{overhead:.1f} kbit/s over this clip, pushing its curve past the whole "
                     f"ladder ({span} kbit/s); the curves share no bitrate.")
    if any(v is not None for v in break_even.values()):
        lines.append("Break-even duration (the weights pay for themselves after): " + ", ".join(
            f"{v:.0f} s at {k}" for k, v in break_even.items() if v is not None) + ".")
    else:
        lines.append("Adaptation saves no bits at equal quality here: it never breaks even.")
    return {"break_even_s": break_even, "bd_free": free, "bd_paid": paid}, lines
