"""One ``frvsr.evaluate`` run from its parsed options: generate SR frames (bicubic or a
checkpoint) when asked, score them against GT, write JSON/CSV/HTML, or compare results."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from frvsr.errors import EvalError
from frvsr.evaluation.clips import match_clips
from frvsr.evaluation.folders import check_replaceable
from frvsr.evaluation.generate import BASELINE_UPSCALE, generate_frames
from frvsr.evaluation.protocols import Protocol
from frvsr.evaluation.scoring import Scorer, aggregate
from frvsr.inference.upscaler import bicubic_upscaler, model_upscaler
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
                        "tlp_scale": 100},
        "sources": {"sr": str(sr), "gt": str(gt)},
        "clips": clips, "mean_over_clips": over_clips, "mean_over_frames": over_frames,
    }


def _sr_out(cfg: dict[str, Any], out: Path) -> Path:
    return Path(cfg["sr_out"] or out.with_name(f"{out.stem}_frames"))


def generate_from_config(cfg: dict[str, Any], gt: Path, out: Path) -> tuple[Path, str, dict]:
    """Run ``baseline=bicubic``, ``baseline=sisr ckpt=...`` or ``ckpt=...`` over GT clips."""
    extra: dict[str, Any] = {}
    sr_out = _sr_out(cfg, out)
    check_replaceable(sr_out, "sr_out")  # before the model runs, not after
    if cfg["baseline"] == "bicubic":
        if cfg["ckpt"]:
            raise EvalError("baseline=bicubic takes no ckpt=")
        if cfg["degradation"] is None:
            raise EvalError("baseline=bicubic needs degradation=bi|bd_tecogan|bd_duf (and scale=)")
        scale, degradation = int(cfg["scale"] or 4), str(cfg["degradation"])
        make, method = bicubic_upscaler(scale, degradation), f"bicubic-{degradation}"
        extra["baseline"] = {"kind": "bicubic",
                             "upscale": BASELINE_UPSCALE["bi" if degradation == "bi" else "bd"]}
    else:
        if not cfg["ckpt"]:
            raise EvalError("give sr=<dir>, ckpt=<path> or baseline=bicubic")
        from frvsr.checkpoint import load_generator

        loaded = load_generator(cfg["ckpt"], ema=bool(cfg["ema"]))
        if cfg["baseline"] == "sisr" and loaded.recurrent:
            raise EvalError(
                f"baseline=sisr needs a single-frame checkpoint; {cfg['ckpt']} is recurrent")
        scale = loaded.scale
        if cfg["scale"] is not None and int(cfg["scale"]) != scale:
            raise EvalError(f"scale={cfg['scale']} but checkpoint {cfg['ckpt']} is x{scale}; "
                            f"drop scale= or pass scale={scale}")
        degradation = str(cfg["degradation"] or loaded.degradation)
        # Name the method after the training task (`last.ckpt` says nothing on its own).
        task, stem = loaded.config.get("task_name"), Path(cfg["ckpt"]).stem
        method = f"{task}:{stem}" if task and stem != "last" else str(task or stem)
        make = model_upscaler(loaded)
        extra["checkpoint"] = {"path": str(cfg["ckpt"]), "recurrent": loaded.recurrent,
                               "trained_degradation": loaded.degradation, "ema": loaded.ema,
                               "ema_requested": bool(cfg["ema"])}
        if cfg["baseline"] == "sisr":
            extra["baseline"] = {"kind": "sisr", "upscale": "single-frame model per frame"}
    lr = Path(cfg["lr"]) if cfg["lr"] else None
    generate_frames(gt, lr, sr_out, make, scale, degradation)
    extra.update({"scale": scale, "degradation": degradation, "sr_frames": str(sr_out),
                  "lr_source": str(lr) if lr else f"GT degraded with {degradation} x{scale}, "
                  "rounded to uint8"})
    return sr_out, str(cfg["name"] or method), extra


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
        check_replaceable(_sr_out(cfg, out), "sr_out")  # before data= writes its clips
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
