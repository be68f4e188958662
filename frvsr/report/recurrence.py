"""The recurrence diagnostics of a result (its ``recurrence`` entry, written by
``frvsr.evaluation.recurrence`` for recurrent checkpoints) in the terminal and in the HTML
reports: the recurrence gain (dB), its curve over the frame index within a shot, and the
LR warping error of the model's flow against zero flow and OpenCV's flows. Loads no
matplotlib (the terminal lines are printed by every evaluation)."""
from __future__ import annotations

import textwrap
from typing import Any

from frvsr.report.page import html_table, img_tag

FLOW_LABELS = {"model": "model's flow", "zero": "zero flow", "dis": "OpenCV DIS",
               "farneback": "OpenCV Farneback"}
WIDTH = 80


def _flows(rec: dict[str, Any]) -> str:
    errors = rec.get("lr_warping_error") or {}
    return ", ".join(f"{FLOW_LABELS[k]} {v * 1e3:.3f}" for k, v in errors.items()
                     if v is not None and k in FLOW_LABELS)


def _motion(rec: dict[str, Any]) -> str:
    """'LR motion (DIS): median ... px per frame ...' or '' when the result has none."""
    m = rec.get("lr_motion")
    if not m:
        return ""
    return (f" LR motion (DIS): median {m['median_px']:.2f}, 90th percentile "
            f"{m['p90_px']:.2f} LR px per frame; {100 * m['still_share']:.0f}% of pixels "
            "still (a memory adds detail where content moves by sub-pixel steps).")


def verdict(rec: dict[str, Any]) -> str:
    """One phrase: whether the memory pays and whether the flow aligns better than none."""
    gain = float(rec["gain_db"])
    errors = rec.get("lr_warping_error") or {}
    uses = "uses its memory" if gain > 0.005 else "does not gain from its memory"
    model, zero = errors.get("model"), errors.get("zero")
    if model is None or zero is None:
        return uses
    aligns = "its flow aligns frames" if model < zero else "its flow aligns worse than none"
    return f"{uses}; {aligns}"


def recurrence_lines(result: dict[str, Any], prefix: str = "") -> list[str]:
    """Terminal lines (at most 80 columns, starting with ``prefix``) for a result with a
    ``recurrence`` entry; [] otherwise."""
    rec = result.get("recurrence")
    if not rec:
        return []
    curve = rec.get("gain_by_frame_index") or []
    shown = ", ".join(f"{g:+.2f}" for g in curve[:6]) + (", ..." if len(curve) > 6 else "")
    alone = rec.get("psnr_y_no_memory")
    without = f", {alone:.2f} dB without" if alone is not None else ""
    text = (f"{prefix}recurrence gain {rec['gain_db']:+.3f} dB (PSNR-Y with the previous estimate "
            f"minus with it zeroed{without}; by frame index in a shot: {shown}). LR warping error "
            f"x1e-3: {_flows(rec)}. The model {verdict(rec)}.{_motion(rec)}")
    return textwrap.wrap(text, WIDTH)


def _flow_table(results: list[dict[str, Any]]) -> str:
    header = ["method", "recurrence gain (dB) \u2191", "PSNR-Y without memory (dB) \u2191"] + [
        f"{FLOW_LABELS[k]} (x1e-3) \u2193" for k in FLOW_LABELS] + [
        "LR motion median / p90 (px per frame)", "still pixels"]
    rows = []
    for r in results:
        rec = r["recurrence"]
        errors = rec.get("lr_warping_error") or {}
        m = rec.get("lr_motion")
        motion = ([f"{m['median_px']:.2f} / {m['p90_px']:.2f}", f"{100 * m['still_share']:.0f}%"]
                  if m else ["-", "-"])
        alone = rec.get("psnr_y_no_memory")
        rows.append([r["method"], f"{rec['gain_db']:+.3f}",
                     "-" if alone is None else f"{alone:.2f}"] + [
            "-" if errors.get(k) is None else f"{errors[k] * 1e3:.3f}" for k in FLOW_LABELS]
            + motion)
    return html_table(header, rows)


EXPLAIN = ("<p class='note'>Recurrence gain: PSNR-Y of the model as run (the warped previous "
           "estimate fed to every step) minus PSNR-Y of the same weights with the previous "
           "estimate zeroed at every frame; frame 0 of a shot gains 0 by construction. PSNR-Y "
           "without memory: those same weights' PSNR-Y with the estimate zeroed; against a "
           "frame-by-frame model of the same backbone, FRVSR minus frame by frame = (without "
           "memory minus frame by frame) + the gain: a small lead can be a memory that adds "
           "little or a single-frame path that gave up capacity to read its memory. LR "
           "warping error: MSE (RGB in [0,1], shown x1e-3) between LR frame t and frame t-1 "
           "warped onto it; a flow net that learned motion lands well below zero flow, near "
           "the classical flows. LR motion: median and 90th percentile of the DIS flow "
           "magnitude (LR px per frame) and the share of pixels moving under 0.1 px, per "
           "frame pair, averaged: a memory adds detail where content moves by sub-pixel "
           "steps that the flow follows; a still shot gives it nothing new to add.</p>")


def recurrence_section(results: list[dict[str, Any]]) -> tuple[str, str] | None:
    """The HTML section "Does the model use its memory?" for the results that have a
    ``recurrence`` entry (None when none has)."""
    found = [r for r in results if r.get("recurrence")]
    if not found:
        return None
    curves = {r["method"]: r["recurrence"].get("gain_by_frame_index") or [] for r in found}
    body = EXPLAIN + _flow_table(found)
    body += "".join(f"<p>{r['method']}: the model {verdict(r['recurrence'])}.</p>"
                    for r in found)
    if any(curves.values()):
        from frvsr.report.plots import gain_curve  # matplotlib: only for HTML reports

        body += img_tag(gain_curve(curves), "recurrence gain by frame index")
    return ("Does the model use its memory?", body)
