"""One ``frvsr.evaluate`` run from its parsed options: generate SR frames (bicubic, a
checkpoint or published weights; :mod:`frvsr.evaluation.method`) when asked, score them
against GT, write JSON/CSV/HTML, or compare results."""
from __future__ import annotations

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
from frvsr.report.results import write_csv, write_json
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


def compare(cfg: dict[str, Any], out: Path) -> None:
    paths = [Path(p) for p in cfg["compare"]]
    print_compare(paths)
    if cfg["report"]:
        from frvsr.report.html import write_compare_report

        write_compare_report(paths, out.with_suffix(".html"))
        print(f"report: {out.with_suffix('.html')}")


def run(cfg: dict[str, Any]) -> dict[str, Any] | None:
    """One CLI invocation; returns the result dict (None for ``compare``)."""
    out = Path(cfg["out"])
    if cfg["threads"]:
        torch.set_num_threads(int(cfg["threads"]))  # e.g. threads=1 on a busy machine
    if cfg["compare"]:
        compare(cfg, out)
        return None
    from frvsr.report.html import check_report_options, write_report  # matplotlib

    extra: dict[str, Any] = {}
    if cfg["sr"] is None and (cfg["ckpt"] or cfg["baseline"]):
        check_replaceable(sr_out_folder(cfg, out), "sr_out")  # before data= writes its clips
    if cfg["data"] is not None:
        from frvsr.evaluation.data_option import prepare_data_option

        cfg, extra["data"] = prepare_data_option(cfg, out)
    if cfg["gt"] is None:
        raise EvalError("gt=<dir of GT clips> is required (or compare=[a.json,b.json])")
    protocol, gt = Protocol(cfg["protocol"], int(cfg["crop_border"])), Path(cfg["gt"])
    bicubic = Path(cfg["bicubic"]) if cfg["bicubic"] else None
    report_opts = {"clip": cfg["report_clip"], "row": cfg["profile_row"], "bicubic": bicubic}
    if cfg["report"]:  # bad report options fail now, not after every clip is scored
        check_report_options(gt, None, **report_opts)
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
    write_json(out, result)
    write_csv(out.with_suffix(".csv"), result)
    print_table(result)
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
