"""``python -m frvsr.evaluate key=value ...``: score SR clips against GT, run a baseline or a
checkpoint first, write JSON + CSV + an HTML report, or compare result files.

  python -m frvsr.evaluate sr=results/frvsr gt=data/vid4/GT out=eval/frvsr.json
  python -m frvsr.evaluate baseline=bicubic gt=data/vid4/GT degradation=bd_tecogan scale=4
  python -m frvsr.evaluate ckpt=runs/x/last.ckpt gt=data/vid4/GT protocol=tecogan
  python -m frvsr.evaluate ckpt=runs/x/last.ckpt data=folder data.train.root=data/vid4/GT
  python -m frvsr.evaluate compare=eval/bicubic.json,eval/frvsr.json

Arguments are Hydra-style ``key=value`` pairs parsed with OmegaConf.from_dotlist, so no
Hydra run folder is written. See docs/evaluation.md for the output schema.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import torch
from omegaconf import OmegaConf

from frvsr import report
from frvsr.evaluate_generate import (
    BASELINE_UPSCALE,
    bicubic_upscaler,
    generate_frames,
    model_upscaler,
)
from frvsr.metrics.clips import (
    EvalError,
    match_clips,
)
from frvsr.metrics.folders import check_replaceable
from frvsr.metrics.protocols import PROTOCOLS, Protocol
from frvsr.metrics.scoring import DEFAULT_METRICS, Scorer, aggregate, check_metrics

DATA_PREFIXES = ("data.", "+data.", "++data.")  # Hydra overrides of the data= option

DEFAULTS: dict[str, Any] = {
    "sr": None, "gt": None, "lr": None, "ckpt": None, "data": None, "baseline": None,
    "degradation": None, "scale": None, "out": "eval/results.json", "name": None,
    "protocol": "basicsr", "crop_border": 0, "metrics": list(DEFAULT_METRICS),
    "compare": None, "sr_out": None, "report": True, "bicubic": None, "report_clip": None,
    "profile_row": None, "ema": True, "wandb_run": None, "wandb_project": "frvsr",
    "wandb_dir": None, "threads": None,
}


# Values kept as typed: OmegaConf would read report_clip=000 as 0 and 011 as octal 9.
STR_KEYS = ("sr", "gt", "lr", "ckpt", "data", "baseline", "degradation", "out", "name", "protocol",
            "sr_out", "bicubic", "report_clip", "wandb_run", "wandb_project", "wandb_dir")


def _raw(value: str) -> str | None:
    if value == "null":
        return None
    quoted = len(value) >= 2 and value[0] == value[-1] and value[0] in "'\""
    return value[1:-1] if quoted else value


def _compare_paths(value: Any) -> list[str]:
    """compare=a.json, compare=a.json,b.json or compare=[a.json,b.json]."""
    items = value.split(",") if isinstance(value, str) else list(value)
    paths = [str(p).strip() for p in items if str(p).strip()]
    if not paths:
        raise EvalError("compare= needs result files: compare=a.json,b.json")
    return paths


def parse_args(argv: list[str]) -> dict[str, Any]:
    """``key=value`` pairs -> a plain dict over DEFAULTS; unknown keys are one-line errors.

    ``data.<key>=<value>`` pairs are kept apart as Hydra overrides of the ``data=`` option."""
    bad = [a for a in argv if "=" not in a]
    if bad:
        raise EvalError(f"argument {bad[0]!r} is not key=value; valid keys: {', '.join(DEFAULTS)}")
    data_overrides = [a for a in argv if a.startswith(DATA_PREFIXES)]
    argv = [a for a in argv if not a.startswith(DATA_PREFIXES)]
    given = OmegaConf.to_container(OmegaConf.from_dotlist(argv), resolve=True)
    unknown = [k for k in given if k not in DEFAULTS]  # type: ignore[union-attr]
    if unknown:
        raise EvalError(f"unknown argument {unknown[0]!r}; valid keys: {', '.join(DEFAULTS)} "
                        "(and data.<key>=<value> with data=)")
    cfg = {**DEFAULTS, **given}  # type: ignore[dict-item]
    for arg in argv:
        key, value = arg.split("=", 1)
        if key in STR_KEYS:
            cfg[key] = _raw(value)
    cfg["data_overrides"] = data_overrides
    if data_overrides and cfg["data"] is None:
        raise EvalError(f"{data_overrides[0]} needs data=<conf/data option>, e.g. data=folder")
    if isinstance(cfg["metrics"], str):
        cfg["metrics"] = [cfg["metrics"]]
    cfg["metrics"] = check_metrics(list(cfg["metrics"]))
    if cfg["protocol"] not in PROTOCOLS:
        raise EvalError(f"protocol={cfg['protocol']} must be one of {', '.join(PROTOCOLS)}")
    if cfg["baseline"] not in (None, "bicubic", "sisr"):
        raise EvalError(f"baseline={cfg['baseline']} must be bicubic or sisr")
    if cfg["compare"] is not None:
        cfg["compare"] = _compare_paths(cfg["compare"])
    row = cfg["profile_row"]
    if row is not None and (not isinstance(row, int) or isinstance(row, bool) or row < 0):
        raise EvalError(f"profile_row={row} must be a pixel row index >= 0")
    report_only = [k for k in ("report_clip", "profile_row", "bicubic") if cfg[k] is not None]
    if report_only and not cfg["report"]:
        raise EvalError(f"{report_only[0]}= only affects the HTML report, which report=false "
                        "turns off; drop one of them")
    return cfg


def evaluate_folders(sr: Path, gt: Path, protocol: Protocol, metrics: list[str],
                     method: str, progress: bool = True) -> dict[str, Any]:
    """Score every clip of ``sr`` against ``gt``; returns the result dict (inf as float)."""
    pairs = match_clips(sr, gt)
    scorer = Scorer(protocol, metrics)
    clips = {}
    with report.progress_bar(enabled=progress) as bar:
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
    report.print_compare(paths)
    if cfg["report"]:
        report.write_compare_report(paths, out.with_suffix(".html"))
        print(f"report: {out.with_suffix('.html')}")


def run(cfg: dict[str, Any]) -> dict[str, Any] | None:
    """One CLI invocation; returns the result dict (None for ``compare``)."""
    out = Path(cfg["out"])
    if cfg["threads"]:
        torch.set_num_threads(int(cfg["threads"]))  # e.g. threads=1 on a busy machine
    if cfg["compare"]:
        compare(cfg, out)
        return None
    from frvsr.report_html import check_report_options  # matplotlib: only when scoring

    extra: dict[str, Any] = {}
    if cfg["sr"] is None and (cfg["ckpt"] or cfg["baseline"]):
        check_replaceable(_sr_out(cfg, out), "sr_out")  # before data= writes its clips
    if cfg["data"] is not None:
        from frvsr.evaluate_data import prepare_data_option

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
    report.write_json(out, result)
    report.write_csv(out.with_suffix(".csv"), result)
    report.print_table(result)
    print(f"results: {out}, {out.with_suffix('.csv')}")
    html = None
    if cfg["report"]:
        html = out.with_suffix(".html")
        report.write_report(
            result, html, sr=sr, gt=gt, bicubic=bicubic,
            degradation=cfg["degradation"] or extra.get("degradation"),
            scale=cfg["scale"] or extra.get("scale"), clip=cfg["report_clip"],
            row=cfg["profile_row"])
        print(f"report: {html}")
    if cfg["wandb_run"]:  # the means are logged with or without the HTML report
        report.log_to_wandb(html, result, str(cfg["wandb_run"]), str(cfg["wandb_project"]),
                            Path(cfg["wandb_dir"]) if cfg["wandb_dir"] else None)
    return result


def main(argv: list[str] | None = None) -> int:
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from frvsr.checkpoint import CheckpointError

    args = sys.argv[1:] if argv is None else argv
    if any(a in ("-h", "--help", "help") for a in args):
        print(__doc__)
        print("keys (defaults): " + ", ".join(f"{k}={v}" for k, v in DEFAULTS.items()))
        return 0
    try:
        run(parse_args(args))
    except (EvalError, CheckpointError, FileNotFoundError, ValueError, HydraException,
            OmegaConfBaseException) as err:
        # Bad input is one line naming the clip/frame/file, not a traceback.
        print(f"error: {str(err).splitlines()[0] if str(err) else type(err).__name__}",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
