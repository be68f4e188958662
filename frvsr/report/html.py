"""Assemble the self-contained HTML report of one evaluation, or of a comparison.

Figures come from ``frvsr.report.plots``; each is embedded (base64) and also written as a
PNG into ``<report>_plots/``. A bicubic column is shown when a folder of bicubic frames is
given, or made on the fly from GT when the degradation and scale are known.
"""
from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from frvsr.errors import EvalError
from frvsr.evaluation.clips import (
    common_size,
    keyed_like,
    list_clips,
    read_frame,
    read_frame_u8,
    to_tensor,
)
from frvsr.evaluation.protocols import Protocol
from frvsr.io.atomic import atomic_write_bytes
from frvsr.io.images import as_uint8, to_uint8
from frvsr.metrics import specs
from frvsr.metrics.fidelity import psnr_y
from frvsr.report import plots
from frvsr.report.page import html_page, html_table, img_tag
from frvsr.report.results import jsonable, load_results
from frvsr.report.tables import compare_rows, table_rows


def _bicubic_frames(gt_paths: list[Path], clip: str, degradation: str, scale: int):
    """Yield the bicubic baseline (data engineer's degrade + bicubic_baseline) per GT frame."""
    from frvsr.data.degradations import bicubic_baseline, degrade

    for t, p in enumerate(gt_paths):
        lr = to_uint8(degrade(to_tensor(read_frame(p, clip, t)), scale, degradation))
        yield to_uint8(bicubic_baseline(to_tensor(lr), scale, degradation))


def _bicubic_clip(bic: dict[str, list[Path]], name: str, bicubic: Path) -> list[Path]:
    """The bicubic frames of clip ``name``; a folder holding a single clip serves any name
    (another clip's frames never stand in for it)."""
    if name in bic:
        return bic[name]
    if len(bic) == 1 and bicubic.name in bic:
        return next(iter(bic.values()))
    raise EvalError(f"bicubic={bicubic} has no clip '{name}'; pass the bicubic frames of the "
                    "same clips (e.g. a baseline=bicubic run's <out>_frames)")


def check_report_options(gt: Path, sr: Path | None, clip: str | None, row: int | None,
                         bicubic: Path | None) -> None:
    """Fail before scoring on report_clip=, profile_row= or bicubic= that cannot work.

    With ``sr`` None (frames not generated yet) the row is checked against GT's height;
    SR frames may be up to MAX_SCALE-1 px smaller or larger, so it is checked again on the
    scored height (the smaller of SR's and GT's)."""
    gt_clips = list_clips(gt, "gt")
    if clip is not None and clip not in gt_clips:
        raise EvalError(f"report_clip={clip} is not a clip of gt={gt}; clips: "
                        + ", ".join(list(gt_clips)[:10]))
    names = [clip] if clip else list(gt_clips)[:MAX_REPORT_CLIPS]
    frames = gt_clips
    if sr is not None:
        frames = keyed_like(gt_clips, gt, list_clips(sr, "sr"), sr, "sr")
    for name in names:
        if row is not None and name in frames:
            h = read_frame_u8(frames[name][0], name, 0).shape[0]
            if sr is not None:
                h = min(h, read_frame_u8(gt_clips[name][0], name, 0).shape[0])
            if row >= h:
                raise EvalError(f"profile_row={row} is outside clip '{name}' frame 0 "
                                f"({h} pixel rows); pick a row below {h}")
        if bicubic is not None:
            paths = _bicubic_clip(list_clips(bicubic, "bicubic"), name, bicubic)
            if len(paths) != len(gt_clips[name]):
                raise EvalError(f"clip '{name}': bicubic={bicubic} has {len(paths)} frames, "
                                f"gt has {len(gt_clips[name])}")


def _gather(result: dict, sr: Path, gt: Path, bicubic: Path | None, degradation: str | None,
            scale: int | None, clip: str | None, row: int | None) -> dict[str, Any]:
    """Read one clip of every method: profile rows, a crop of the middle frame, bicubic PSNR."""
    gt_clips = list_clips(gt, "gt")
    sr_clips = keyed_like(gt_clips, gt, list_clips(sr, "sr"), sr, "sr")
    name = clip or next(iter(result["clips"]))
    if name not in gt_clips or name not in sr_clips:
        raise EvalError(f"report_clip={name} is not a clip of this evaluation")
    sources: dict[str, Any] = {"GT": iter(read_frame(p, name, t)  # 16-bit kept for PSNR
                                          for t, p in enumerate(gt_clips[name])),
                               result["method"]: iter(read_frame(p, name, t)
                                                      for t, p in enumerate(sr_clips[name]))}
    if bicubic is not None:
        paths = _bicubic_clip(list_clips(bicubic, "bicubic"), name, bicubic)
        sources["bicubic"] = iter(read_frame(p, name, t) for t, p in enumerate(paths))
    elif degradation and scale and result.get("baseline", {}).get("kind") != "bicubic":
        sources["bicubic"] = _bicubic_frames(gt_clips[name], name, degradation, int(scale))
    order = list(dict.fromkeys(["GT", *(["bicubic"] if "bicubic" in sources else []),
                                result["method"]]))
    n = len(gt_clips[name])
    h, w = result["clips"][name]["size"]
    y = h // 2 if row is None else int(row)
    if not 0 <= y < h:
        raise EvalError(f"profile_row={row} is outside the {h}-pixel-high frames")
    x0 = max(0, w // 2 - 160)  # profiles show at most 320 columns, centred
    cs = min(96, h, w)
    cy, cx = (h - cs) // 2, (w - cs) // 2
    proto = Protocol(result["protocol"], int(result["conventions"].get("crop_border", 0)))
    region = proto.region(h, w)
    profiles = {k: [] for k in order}
    crops: dict[str, np.ndarray] = {}
    bic_psnr: list[float] = []
    frames = set(proto.frames(n))
    for t in range(n):
        imgs = {k: next(sources[k]) for k in order}
        # Every source within the size rule of GT; all cut to the scored size, or to a
        # bicubic made from GT when that is smaller (SR larger than GT: at most 3 px).
        for k in order:
            common_size(imgs[k].shape, imgs["GT"].shape, name, t)
        hh = min([h, *(v.shape[0] for v in imgs.values())])
        ww = min([w, *(v.shape[1] for v in imgs.values())])
        imgs = {k: v[:hh, :ww] for k, v in imgs.items()}
        for k in order:
            row_t = min(y, hh - 1)
            profiles[k].append(as_uint8(imgs[k][row_t:row_t + 1, x0:x0 + 320])[0])  # 8-bit
        if t == n // 2:
            crops = {k: as_uint8(imgs[k][cy:cy + cs, cx:cx + cs]) for k in order}
        if "bicubic" in imgs and t in frames:
            ys, xs = region.slices()
            bic_psnr.append(psnr_y(to_tensor(imgs["bicubic"][ys, xs]),
                                   to_tensor(imgs["GT"][ys, xs])))
    return {"clip": name, "row": y, "x0": x0, "crop": (cy, cx, cs), "order": order,
            "profiles": {k: np.stack(v) for k, v in profiles.items()}, "crops": crops,
            "bicubic_psnr": bic_psnr, "frames": sorted(frames)}


def _write_figures(path: Path, figs: dict[str, bytes]) -> None:
    folder = path.with_name(f"{path.stem}_plots")
    for name, png in figs.items():
        atomic_write_bytes(folder / f"{name}.png", png)


MAX_REPORT_CLIPS = 4  # each clip adds three figures; more make the page heavy


def _clip_figures(result: dict, g: dict) -> dict[str, bytes]:
    name, c = g["clip"], result["clips"][g["clip"]]
    curves = {result["method"]: (g["frames"], c["per_frame"].get("psnr_y", []))}
    if g["bicubic_psnr"]:
        curves = {"bicubic": (g["frames"], g["bicubic_psnr"]), **curves}
    figs = {}
    if any(math.isfinite(v) for _, vals in curves.values() for v in vals if v is not None):
        figs["psnr_curve"] = plots.psnr_curves(curves, f"per-frame PSNR-Y, clip '{name}'")
    figs["temporal_profile"] = plots.temporal_profiles(
        g["profiles"], g["row"], f"clip '{name}', columns {g['x0']}+")
    figs["crop_grid"] = plots.crop_grid(
        g["crops"], f"clip '{name}', frame {c['frames'] // 2}, crop at (y={g['crop'][0]}, "
        f"x={g['crop'][1]}), {g['crop'][2]} px, shown x3")
    return figs


def build_report(result: dict, path: Path, sr: Path, gt: Path, bicubic: Path | None = None,
                 degradation: str | None = None, scale: int | None = None,
                 clip: str | None = None, row: int | None = None) -> None:
    """One page: the table, then per clip (``clip`` or the first MAX_REPORT_CLIPS) the
    PSNR curve, temporal profiles and crops, then the conventions."""
    names = [clip] if clip else list(result["clips"])[:MAX_REPORT_CLIPS]
    header, rows = table_rows(result)
    sections = [
        ("Results", f"<p>method <b>{html.escape(result['method'])}</b>, protocol <b>"
                    f"{result['protocol']}</b>; {specs.display_notes()}. Per-clip means, "
                    "then the means over clips and over all scored frames.</p>"
                    + html_table(header, rows)),
    ]
    if len(names) < len(result["clips"]):
        sections.append(("Clips shown", f"<p>Figures for {len(names)} of "
                         f"{len(result['clips'])} clips; pick one with report_clip=.</p>"))
    all_figs: dict[str, bytes] = {}
    for name in names:
        g = _gather(result, sr, gt, bicubic, degradation, scale, name, row)
        figs = _clip_figures(result, g)
        all_figs.update({f"{name}_{k}": v for k, v in figs.items()})
        body = ""
        if "psnr_curve" in figs:
            body += img_tag(figs["psnr_curve"], "per-frame PSNR")
        body += ("<p>Temporal profile: one pixel row of every frame, stacked top to bottom over "
                 "time. Smooth vertical streaks mean temporally stable output; jagged, noisy "
                 "streaks are flicker.</p>" + img_tag(figs["temporal_profile"], "profiles")
                 + img_tag(figs["crop_grid"], "crop grid"))
        sections.append((f"Clip '{name}'", body))
    _write_figures(path, all_figs)
    meta = {k: v for k, v in result.items()
            if k not in ("clips", "mean_over_clips", "mean_over_frames")}
    sections.append(("Conventions", "<pre>" + html.escape(json.dumps(jsonable(meta), indent=1))
                     + "</pre>"))
    page = html_page(f"frvsr evaluation: {result['method']}", sections)
    atomic_write_bytes(path, page.encode())


def build_compare_report(results: list[dict], path: Path) -> None:
    header, rows = compare_rows(results)
    metrics = [m for m in results[0]["metrics"] if all(m in r["metrics"] for r in results)]
    values = {m: {r["method"]: r["mean_over_clips"][m] for r in results} for m in metrics}
    values = {m: v for m, v in values.items()
              if all(isinstance(x, (int, float)) for x in v.values())}
    figs: dict[str, bytes] = {}
    if values:
        figs["metrics"] = plots.metric_bars(values, specs.lower_better(values))
    for clip in list(results[0]["clips"])[:8]:
        curves = {}
        for r in results:
            c = r["clips"].get(clip)
            if c and c["per_frame"].get("psnr_y"):
                n = c["frames"]
                idx = list(Protocol(r["protocol"], int(r["conventions"].get("crop_border", 0)))
                           .frames(n))
                vals = [float(v) for v in c["per_frame"]["psnr_y"]]
                curves[r["method"]] = (idx, vals)
        if curves:
            figs[f"psnr_{clip}"] = plots.psnr_curves(curves, f"per-frame PSNR-Y, clip '{clip}'")
    _write_figures(path, figs)
    sections = [("Mean over clips (* = best per column)", html_table(header, rows))]
    sections += [(k, img_tag(v, k)) for k, v in figs.items()]
    atomic_write_bytes(path, html_page("frvsr comparison", sections).encode())


def write_report(result: dict[str, Any], path: Path, **sources: Any) -> None:
    build_report(result, path, **sources)


def write_compare_report(paths: list[Path], path: Path) -> None:
    build_compare_report(load_results(paths), path)
