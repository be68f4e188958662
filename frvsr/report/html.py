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
from frvsr.report.page import html_page, html_table, img_tag, kv_table
from frvsr.report.recurrence import recurrence_section
from frvsr.report.results import jsonable, load_results
from frvsr.report.tables import compare_rows, delta, table_rows


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
    cs = min(CROP, h, w)
    cy, cx = detail_crop(read_frame(gt_clips[name][n // 2], name, n // 2)[:h, :w], cs)
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
CROP = 96  # side of the crop grids' crops (pixels of the scored frame)


def detail_crop(frame: np.ndarray, size: int) -> tuple[int, int]:
    """(top, left) of the ``size`` x ``size`` window of ``frame`` (H,W,3) holding the most
    detail (summed gradient magnitude on a grid of 1/4-window steps): where SR differs from
    bicubic, unlike a flat centre of sky or road."""
    h, w = frame.shape[:2]
    if size >= min(h, w):
        return (h - size) // 2, (w - size) // 2
    gray = frame.astype(np.float64).mean(axis=2)
    grad = np.abs(np.diff(gray, axis=0))[:, :-1] + np.abs(np.diff(gray, axis=1))[:-1, :]
    integral = np.pad(grad.cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    step, best, where = max(1, size // 4), -1.0, ((h - size) // 2, (w - size) // 2)
    for y in range(0, h - size, step):
        for x in range(0, w - size, step):
            y1, x1 = min(y + size, grad.shape[0]), min(x + size, grad.shape[1])
            total = integral[y1, x1] - integral[y, x1] - integral[y1, x] + integral[y, x]
            if total > best:
                best, where = float(total), (y, x)
    return where


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


def metric_heading(name: str) -> str:
    """A column heading in the units tables show, with its direction: "PSNR-Y (dB) ↑"."""
    return f"{specs.title(name)} {specs.arrow(name)}"


def _delta_class(name: str, value: object, reference: object) -> str:
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
               for v in (value, reference)):
        return ""
    diff = float(value) - float(reference)  # type: ignore[arg-type]
    if diff == 0:
        return ""
    return "better" if (diff > 0) == specs.higher_is_better(name) else "worse"


def results_table(result: dict[str, Any]) -> str:
    """The single-model table: clips, the two means, the bicubic reference and the
    difference to it (green where the model is better, red where worse)."""
    metrics = list(result["metrics"])
    header = ["clip", "frames"] + [metric_heading(m) for m in metrics]
    _, rows = table_rows(result)
    n_clips = len(result["clips"])
    rows[n_clips][0], rows[n_clips + 1][0] = ("mean over clips (mean_over_clips)",
                                              "mean over frames (mean_over_frames)")
    classes = [""] * n_clips + ["summary", "summary"]
    cells: list[list[str]] = [[""] * len(header) for _ in rows]
    ref = result.get("bicubic_reference")
    if ref:
        means = ref["mean_over_clips"]
        rows.append([f"{ref['method']}, mean over clips", rows[n_clips][1]]
                    + [specs.format_value(m, means.get(m)) for m in metrics])
        rows.append(["\u0394 vs bicubic (mean over clips)", ""]
                    + [delta(m, result["mean_over_clips"][m], means.get(m)) for m in metrics])
        cells += [[""] * len(header),
                  ["", ""] + [_delta_class(m, result["mean_over_clips"][m], means.get(m))
                              for m in metrics]]
        classes += ["reference", "delta"]
    return html_table(header, rows, classes, cells)


def _fmt(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(jsonable(value))


def run_facts(result: dict[str, Any]) -> list[tuple[str, str]]:
    """What was evaluated, for the report header: method, data, checkpoint, stage, ..."""
    facts = [("method", result["method"]), ("protocol", result["protocol"])]
    data = result.get("data")
    if data:
        over = " ".join(data.get("overrides") or [])
        facts.append(("data", f"data={data['option']} {over}".strip()
                      + f" ({data.get('split', 'val')} clips)"))
    facts.append(("GT", str(result.get("sources", {}).get("gt", "-"))))
    ck = result.get("checkpoint")
    if ck:
        facts.append(("checkpoint", str(ck["path"])))
        facts.append(("stage", str(ck.get("stage", "-"))))
        facts.append(("iteration", str(ck.get("iteration", "-"))))
        facts.append(("weights", "EMA" if ck.get("ema") else "raw generator"
                      + (" (no EMA copy in this checkpoint)" if ck.get("ema_requested")
                         and not ck.get("ema") else "")))
    if "scale" in result:
        facts.append(("scale, degradation", f"x{result['scale']}, {result.get('degradation')}"))
    if result.get("baseline"):
        facts.append(("baseline", result["baseline"].get("upscale", "")))
    ref = result.get("bicubic_reference")
    if ref:
        facts.append(("bicubic reference", f"{ref['method']} from {ref['source']}"))
    facts.append(("clips", f"{len(result['clips'])}, "
                  f"{sum(c['scored_frames'] for c in result['clips'].values())} scored frames"))
    return facts


def conventions_tables(result: dict[str, Any]) -> str:
    """The conventions as two tables: the protocol's, then one row per metric computed
    (direction, stored unit, how tables show it, the exact convention)."""
    conv = result.get("conventions", {})
    metric_keys = {s.convention_key or s.name for s in specs.METRICS.values()}
    protocol_rows = [(k, _fmt(v)) for k, v in conv.items() if k not in metric_keys]
    rows = []
    for m in result["metrics"]:
        spec = specs.get(m)
        shown = f"{spec.digits} decimals" + (f", x{spec.scale:g}" if spec.scale != 1 else "")
        rows.append([m, f"{spec.arrow} {spec.direction}", spec.unit, shown,
                     _fmt(conv.get(spec.convention_key or m, spec.convention))])
    return (kv_table(protocol_rows)
            + html_table(["metric", "better", "stored value", "tables show", "convention"],
                         rows, table_class="text"))


LEGEND = ("<p class='note'>\u2191 higher is better, \u2193 lower is better. {extra}</p>")


def build_report(result: dict, path: Path, sr: Path, gt: Path, bicubic: Path | None = None,
                 degradation: str | None = None, scale: int | None = None,
                 clip: str | None = None, row: int | None = None) -> None:
    """One page: what was evaluated (checkpoint, stage, iteration), the table with the
    bicubic row and deltas, then per clip (``clip`` or the first MAX_REPORT_CLIPS) the PSNR
    curve, temporal profiles and crops, then the conventions of the metrics computed."""
    names = [clip] if clip else list(result["clips"])[:MAX_REPORT_CLIPS]
    extra = f"{specs.display_notes()}."
    if result.get("bicubic_reference"):
        extra += (" \u0394 = model \u2212 bicubic: green where the model is better, red "
                  "where it is worse.")
    elif result.get("baseline", {}).get("kind") != "bicubic":
        extra += " No bicubic row: pass degradation= and scale= (or bicubic=) to add one."
    sections = [
        ("Run", kv_table(run_facts(result))),
        ("Results", html_table_note(result) + results_table(result)
         + LEGEND.format(extra=html.escape(extra))),
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
    memory = recurrence_section([result])
    if memory is not None:
        sections.append(memory)
    sections.append(("Conventions", conventions_tables(result)))
    page = html_page(f"frvsr evaluation: {result['method']}", sections)
    atomic_write_bytes(path, page.encode())


def html_table_note(result: dict[str, Any]) -> str:
    return (f"<p>Per-clip means, then the means over clips and over all scored frames "
            f"(protocol <b>{html.escape(result['protocol'])}</b>).</p>")


def _frames_of(result: dict[str, Any]) -> Path | None:
    """The SR frames a result was scored on (generated ``sr_frames`` or ``sources.sr``)."""
    for key in (result.get("sr_frames"), result.get("sources", {}).get("sr")):
        if key and Path(key).is_dir():
            return Path(key)
    return None


def compare_crops(results: list[dict[str, Any]]) -> tuple[bytes | None, str]:
    """The same crop of the middle frame of the first clip from every method (and GT),
    side by side; (None, why) when a result's frames are no longer on disk."""
    # GT from the first result whose GT folder is still there (clips are checked equal)
    gts = [Path(g) for r in results if (g := r.get("sources", {}).get("gt"))]
    gt_dir = next((g for g in gts if g.is_dir()), Path(""))
    clip = next(iter(results[0]["clips"]))
    folders = {r["method"]: _frames_of(r) for r in results}
    missing = [m for m, f in folders.items() if f is None]
    if missing or not gt_dir.is_dir():
        return None, ("no crop grid: the frames of " + ", ".join(missing or ["GT"])
                      + " are no longer on disk")
    gt_clips = list_clips(gt_dir, "gt")
    if clip not in gt_clips:
        return None, f"no crop grid: clip '{clip}' is not in {gt_dir}"
    n = len(gt_clips[clip])
    t = n // 2
    gt = read_frame_u8(gt_clips[clip][t], clip, t)
    images = {"GT": gt}
    for method, folder in folders.items():
        assert folder is not None
        frames = keyed_like(gt_clips, gt_dir, list_clips(folder, "sr"), folder, "sr")[clip]
        images[method] = read_frame_u8(frames[t], clip, t)
    h = min(v.shape[0] for v in images.values())
    w = min(v.shape[1] for v in images.values())
    cs = min(CROP, h, w)
    cy, cx = detail_crop(gt[:h, :w], cs)
    crops = {}
    for k, v in images.items():
        label = k
        if k != "GT":
            value = next(r for r in results if r["method"] == k)["clips"][clip].get("psnr_y")
            if isinstance(value, (int, float)):
                label = f"{k}\n{specs.title('psnr_y')} {value:.2f} (clip mean)"
        crops[label] = np.ascontiguousarray(v[cy:cy + cs, cx:cx + cs])
    title = f"clip '{clip}', frame {t}, crop at (y={cy}, x={cx}), {cs} px, shown x3"
    return plots.crop_grid(crops, title), title


def _made_by(result: dict[str, Any]) -> str:
    """A result's origin for the comparison's method list: checkpoint (stage, iteration),
    baseline, or the scored SR folder."""
    ck = result.get("checkpoint")
    if ck:
        state = ", ".join(f"{k} {ck[k]}" for k in ("stage", "iteration") if k in ck)
        return f"checkpoint {ck['path']}" + (f" ({state})" if state else "")
    if result.get("baseline"):
        return str(result["baseline"].get("upscale", result["baseline"].get("kind", "")))
    return f"SR frames {result.get('sources', {}).get('sr', '-')}"


def build_compare_report(results: list[dict], path: Path,
                         paths: list[Path] | None = None) -> None:
    """The comparison page: the table (best per column bold, '*'), one bar chart per metric
    (zoomed axis, value labels, table units), per-frame PSNR-Y per clip, a crop grid of
    every method, and the conventions."""
    _, rows = compare_rows(results)
    metrics = [m for m in results[0]["metrics"] if all(m in r["metrics"] for r in results)]
    header = ["method"] + [metric_heading(m) for m in metrics]
    cells = [[""] + ["best" if c.endswith("*") else "" for c in r[1:]] for r in rows]
    values = {m: {r["method"]: r["mean_over_clips"][m] for r in results} for m in metrics}
    values = {m: v for m, v in values.items()
              if all(isinstance(x, (int, float)) for x in v.values())}
    figs: dict[str, bytes] = {}
    if values:
        figs["metrics"] = plots.metric_bars(values, specs.lower_better(values))
    curves_by_clip: dict[str, bytes] = {}
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
            curves_by_clip[clip] = plots.psnr_curves(curves, f"per-frame PSNR-Y, clip '{clip}'")
    figs.update({f"psnr_{clip}": png for clip, png in curves_by_clip.items()})
    crop_png, crop_note = compare_crops(results)
    if crop_png is not None:
        figs["crop_grid"] = crop_png
    _write_figures(path, figs)
    sources = [(r["method"], (f"{paths[i]}: " if paths else "") + _made_by(r))
               for i, r in enumerate(results)]
    sections = [
        ("Methods", kv_table(sources)),
        ("Mean over clips", html_table(header, rows, None, cells)
         + LEGEND.format(extra=html.escape(f"* and bold = best per column; "
                                           f"{specs.display_notes()}."))),
    ]
    if "metrics" in figs:
        sections.append(("Metrics at a glance", "<p class='note'>Each chart's axis is zoomed "
                         "to the values (it does not start at 0); labels give the values in "
                         "the table's units.</p>" + img_tag(figs["metrics"], "metric bars")))
    for clip, png in curves_by_clip.items():
        sections.append((f"Per-frame PSNR-Y, clip '{clip}'", img_tag(png, f"PSNR {clip}")))
    sections.append(("Crops side by side", img_tag(crop_png, "crop grid") if crop_png
                     else f"<p class='note'>{html.escape(crop_note)}</p>"))
    memory = recurrence_section(results)
    if memory is not None:
        sections.append(memory)
    sections.append(("Conventions", conventions_tables(results[0])))
    atomic_write_bytes(path, html_page(f"frvsr comparison: protocol {results[0]['protocol']}",
                                       sections).encode())


def write_report(result: dict[str, Any], path: Path, **sources: Any) -> None:
    build_report(result, path, **sources)


def write_compare_report(paths: list[Path], path: Path) -> None:
    build_compare_report(load_results(paths), path, paths)
