"""One ``frvsr.evaluate`` run from its parsed options: generate SR frames (bicubic, a
checkpoint or published weights; :mod:`frvsr.evaluation.method`) when asked, score them
against GT, write JSON/CSV/HTML, or compare results."""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import torch

from frvsr.errors import EvalError
from frvsr.evaluation.clips import match_clips
from frvsr.evaluation.folders import check_replaceable
from frvsr.evaluation.method import generate_from_config, sr_out_folder
from frvsr.evaluation.protocols import Protocol
from frvsr.evaluation.scoring import Scorer, aggregate
from frvsr.metrics.temporal import TLP_SCALE
from frvsr.report.recurrence import recurrence_lines
from frvsr.report.results import (
    check_comparable,
    load_result,
    load_results,
    write_compare_csv,
    write_csv,
    write_json,
)
from frvsr.report.tables import print_compare, print_table, progress_bar
from frvsr.report.wandb_log import log_to_wandb


def evaluate_folders(sr: Path, gt: Path, protocol: Protocol, metrics: list[str],
                     method: str, progress: bool = True) -> dict[str, Any]:
    """Score every clip of ``sr`` against ``gt``; returns the result dict (inf as float)."""
    pairs = match_clips(sr, gt)
    scorer = Scorer(protocol, metrics)
    clips = {}
    with progress_bar(enabled=progress) as bar:
        for pair in pairs:
            task = bar.add_task(pair.name, total=len(pair.gt))
            clips[pair.name] = scorer.score(pair, lambda i, n, t=task: bar.update(t, completed=i))
    over_clips, over_frames = aggregate(clips, scorer.metrics)
    return {
        "method": method, "protocol": protocol.name, "metrics": scorer.metrics,
        "conventions": {**protocol.conventions(), "crop_border": protocol.crop_border,
                        "tlp_scale": TLP_SCALE},
        "sources": {"sr": str(sr), "gt": str(gt)},
        "clips": clips, "mean_over_clips": over_clips, "mean_over_frames": over_frames,
    }


GENERIC_GT_NAMES = {"gt", "hr", "gt_frames", "ground_truth", "groundtruth", "test", "val"}
DEFAULT_DIR = Path("eval")  # default outputs: eval/<method>-<data>/results.json
COMPARE_NAME_MAX = 120


def safe_name(text: str) -> str:
    """``text`` as one file-name component: runs of other characters become ``_``."""
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", text).strip("._") or "x"


def data_label(cfg: dict[str, Any]) -> str:
    """What was evaluated, for the default output folder: the ``data=`` option, else the
    GT folder's name (with its parent's when it is generic, e.g. ``vid4_GT``)."""
    if cfg["data"] is not None:
        return str(cfg["data"])
    if cfg["gt"] is None:
        return "gt"
    gt = Path(str(cfg["gt"]))
    name = gt.name or gt.resolve().name
    if name.lower() in GENERIC_GT_NAMES:
        parent = gt.parent.name or gt.resolve().parent.name
        return f"{parent}_{name}" if parent else name
    return name


def default_out(cfg: dict[str, Any]) -> Path:
    """``eval/<method>-<data>/results.json``: runs of different methods or data never share
    a file, and the CSV, report, frames and plots sit in that run's own folder."""
    from frvsr.evaluation.method import method_label

    return DEFAULT_DIR / f"{safe_name(method_label(cfg))}-{safe_name(data_label(cfg))}" \
        / "results.json"


def default_compare_out(paths: list[Path]) -> Path:
    """Next to the inputs (their common folder): ``compare_<a>_vs_<b>...<-data>.json``,
    each input named by its stem (its folder's name for ``results.json``); a suffix that
    all share (``-sample``) is written once."""
    labels = [p.parent.name if p.stem == "results" and p.parent.name else p.stem
              for p in paths]
    suffix = ""
    tails = {label.rsplit("-", 1)[1] for label in labels if "-" in label}
    if len(tails) == 1 and all("-" in label for label in labels):
        suffix = "-" + tails.pop()
        labels = [label[:-len(suffix)] for label in labels]
    name = "compare_" + "_vs_".join(safe_name(label) for label in labels) + suffix
    if len(name) > COMPARE_NAME_MAX:
        digest = hashlib.sha1("\n".join(str(p) for p in paths).encode()).hexdigest()[:8]
        name = f"compare_{len(paths)}_results_{digest}"
    parents = [p.parent for p in paths]
    try:
        folder = Path(os.path.commonpath([str(p) for p in parents]))
    except ValueError:  # relative and absolute mixed
        folder = Path(os.path.commonpath([str(p.resolve()) for p in parents]))
    return folder / f"{name}.json"


def refuse_overwrite(files: list[Path], overwrite: bool) -> None:
    """One line naming the first existing file and the fix, unless ``overwrite``."""
    if overwrite:
        return
    for f in files:
        if f.exists():
            raise EvalError(f"{f} exists (an earlier result); pass overwrite=true to replace "
                            "it, or out=<another .json>")


def compare(cfg: dict[str, Any], out: Path) -> None:
    """Methods side by side: the terminal table, ``<out>.csv`` (the means over clips of
    every method) and, unless ``report=false``, ``<out>.html``."""
    paths = [Path(p) for p in cfg["compare"]]
    print_compare(paths)
    write_compare_csv(out.with_suffix(".csv"), load_results(paths))
    print(f"comparison: {out.with_suffix('.csv')}")
    if cfg["report"]:
        from frvsr.report.html import write_compare_report

        write_compare_report(paths, out.with_suffix(".html"))
        print(f"report: {out.with_suffix('.html')}")


def _output_files(out: Path, report: bool, compare_run: bool) -> list[Path]:
    files = [out.with_suffix(".csv")] if compare_run else [out, out.with_suffix(".csv")]
    return files + ([out.with_suffix(".html")] if report else [])


def bicubic_reference(cfg: dict[str, Any], gt: Path, lr: Path | None, protocol: Protocol,
                      out: Path, result: dict[str, Any]) -> tuple[dict[str, Any] | None,
                                                                  Path | None]:
    """The bicubic row of the report: ``bicubic=<result.json>`` (its means; its frames for
    the figures), ``bicubic=<frames>`` scored here, or bicubic frames made here from the
    same LR as the model (``<out stem>_bicubic/``) when scale and degradation are known.
    Returns (the result's ``bicubic_reference`` entry or None, the bicubic frames or None)."""
    given = cfg["bicubic"]
    if given and str(given).endswith(".json"):
        ref = load_result(Path(given))
        check_comparable([ref, result], [Path(given), out])
        for key in ("scale", "degradation"):
            if key in ref and key in result and ref[key] != result[key]:
                raise EvalError(f"bicubic={given} was made with {key}={ref[key]}, this run "
                                f"has {key}={result[key]}; pass a matching bicubic result")
        frames = Path(ref["sr_frames"]) if ref.get("sr_frames") else None
        return _reference_entry(ref, str(given)), frames if frames and frames.is_dir() \
            else None
    if given:
        frames = Path(given)
    elif cfg["baseline"] == "bicubic" or not (cfg["degradation"] and cfg["scale"]):
        return None, None
    else:
        from frvsr.evaluation.generate import generate_frames
        from frvsr.inference.upscaler import bicubic_upscaler

        frames = out.with_name(f"{out.stem}_bicubic")
        scale, degradation = int(cfg["scale"]), str(cfg["degradation"])
        print(f"bicubic reference: {frames}")
        generate_frames(gt, lr, frames, bicubic_upscaler(scale, degradation), scale,
                        degradation)
    ref = evaluate_folders(frames, gt, protocol, result["metrics"], "bicubic")
    return _reference_entry(ref, str(frames)), frames


def _reference_entry(ref: dict[str, Any], source: str) -> dict[str, Any]:
    clips = {name: {m: c[m] for m in ref["metrics"] if m in c}
             for name, c in ref["clips"].items()}
    return {"method": ref["method"], "source": source, "metrics": list(ref["metrics"]),
            "mean_over_clips": ref["mean_over_clips"],
            "mean_over_frames": ref["mean_over_frames"], "clips": clips}


def run(cfg: dict[str, Any]) -> dict[str, Any] | None:
    """One CLI invocation; returns the result dict (None for ``compare``)."""
    if cfg["threads"]:
        torch.set_num_threads(int(cfg["threads"]))  # e.g. threads=1 on a busy machine
    if cfg["compare"]:
        paths = [Path(p) for p in cfg["compare"]]
        out = Path(cfg["out"]) if cfg["out"] else default_compare_out(paths)
        refuse_overwrite(_output_files(out, bool(cfg["report"]), True), bool(cfg["overwrite"]))
        compare(cfg, out)
        return None
    from frvsr.report.html import check_report_options, write_report  # matplotlib

    out = Path(cfg["out"]) if cfg["out"] else default_out(cfg)
    refuse_overwrite(_output_files(out, bool(cfg["report"]), False), bool(cfg["overwrite"]))
    extra: dict[str, Any] = {}
    if cfg["sr"] is None and (cfg["ckpt"] or cfg["baseline"]):
        check_replaceable(sr_out_folder(cfg, out), "sr_out")  # before data= writes its clips
    if cfg["data"] is not None:
        from frvsr.evaluation.data_option import prepare_data_option

        cfg, extra["data"] = prepare_data_option(cfg, out)
    if cfg["gt"] is None:
        raise EvalError("gt=<dir of GT clips> is required (or compare=[a.json,b.json])")
    protocol, gt = Protocol(cfg["protocol"], int(cfg["crop_border"])), Path(cfg["gt"])
    bicubic_json = bool(cfg["bicubic"]) and str(cfg["bicubic"]).endswith(".json")
    bicubic = Path(cfg["bicubic"]) if cfg["bicubic"] and not bicubic_json else None
    if bicubic_json:
        ref_frames = load_result(Path(cfg["bicubic"])).get("sr_frames")
        bicubic = Path(ref_frames) if ref_frames and Path(ref_frames).is_dir() else None
    report_opts = {"clip": cfg["report_clip"], "row": cfg["profile_row"], "bicubic": bicubic}
    if cfg["report"]:  # bad report options fail now, not after every clip is scored
        check_report_options(gt, None, **report_opts)
        if not cfg["bicubic"] and cfg["baseline"] != "bicubic":
            check_replaceable(out.with_name(f"{out.stem}_bicubic"), "bicubic")
    if cfg["sr"] is not None:
        if cfg["ckpt"] or cfg["baseline"]:
            raise EvalError("give either sr=<dir> or ckpt=/baseline=, not both")
        sr, method = Path(cfg["sr"]), str(cfg["name"] or Path(cfg["sr"]).name)
    else:
        sr, method, generated = generate_from_config(cfg, gt, out)
        extra.update(generated)
    if cfg["report"]:
        check_report_options(gt, sr, **report_opts)
    result = evaluate_folders(sr, gt, protocol, cfg["metrics"], method)
    for name, frames in extra.pop("cut_resets", {}).items():
        result["clips"][name]["cut_resets"] = frames  # frames where the state was reset
    result.update(extra)
    if cfg["report"]:  # the report's bicubic row and deltas
        lr = Path(cfg["lr"]) if cfg["lr"] else None
        ref_cfg = {**cfg, "degradation": cfg["degradation"] or extra.get("degradation"),
                   "scale": cfg["scale"] or extra.get("scale")}
        reference, ref_frames = bicubic_reference(ref_cfg, gt, lr, protocol, out, result)
        if reference is not None:
            result["bicubic_reference"] = reference
        bicubic = ref_frames or bicubic
    write_json(out, result)
    write_csv(out.with_suffix(".csv"), result)
    print_table(result)
    for line in recurrence_lines(result):
        print(line)
    print(f"results: {out}, {out.with_suffix('.csv')}")
    html = None
    if cfg["report"]:
        html = out.with_suffix(".html")
        write_report(
            result, html, sr=sr, gt=gt, bicubic=bicubic,
            degradation=cfg["degradation"] or extra.get("degradation"),
            scale=cfg["scale"] or extra.get("scale"), clip=cfg["report_clip"],
            row=cfg["profile_row"])
        print(f"report: {html}")
    if cfg["wandb_run"]:  # the means are logged with or without the HTML report
        log_to_wandb(html, result, str(cfg["wandb_run"]), str(cfg["wandb_project"]),
                            Path(cfg["wandb_dir"]) if cfg["wandb_dir"] else None)
    return result
