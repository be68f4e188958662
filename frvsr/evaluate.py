"""``python -m frvsr.evaluate key=value ...``: score SR clips against GT, run a baseline or a
checkpoint first, write JSON + CSV + an HTML report, or compare result files.

  python -m frvsr.evaluate baseline=bicubic data=sample    # -> eval/bicubic-sample/
  python -m frvsr.evaluate ckpt=outputs/pretrain/runs/<time>/checkpoints/last.ckpt
      data=sample bicubic=eval/bicubic-sample/results.json  # -> eval/pretrain-sample/
  python -m frvsr.evaluate sr=results/frvsr gt=data/vid4/GT out=eval/frvsr.json
  python -m frvsr.evaluate baseline=bicubic gt=data/vid4/GT degradation=bd_tecogan scale=4
  python -m frvsr.evaluate ckpt=runs/x/last.ckpt gt=data/vid4/GT protocol=tecogan
  python -m frvsr.evaluate ckpt=runs/x/last.ckpt data=folder data.train.root=data/vid4/GT
  python -m frvsr.evaluate baseline=sisr ckpt=MSRResNet_x4.pth model/generator=srresnet
      scale=4 gt=data/Set5 degradation=bi crop_border=4 "metrics=[psnr_y,ssim_y]"
  python -m frvsr.evaluate compare=eval/bicubic-sample/results.json,eval/x/results.json

Outputs: out= (default eval/<method>-<data>/results.json) plus its .csv, .html and
<stem>_plots/, _frames/, _data/, _bicubic/ next to it; an existing result is never
replaced unless overwrite=true. compare= writes compare_<a>_vs_<b>.csv/.html next to its
inputs (or out=).
Arguments are Hydra-style ``key=value`` pairs parsed with OmegaConf.from_dotlist, so no
Hydra run folder is written. See docs/evaluation.md for the output schema.
"""
from __future__ import annotations

from typing import Any

from frvsr.cli.args import parse_key_values
from frvsr.cli.errors import key_value_main, strip_debug
from frvsr.errors import EvalError
from frvsr.evaluation.protocols import PROTOCOLS
from frvsr.metrics.specs import check_names, default_metrics

DATA_PREFIXES = ("data.", "+data.", "++data.")  # Hydra overrides of the data= option
# Hydra overrides of model/generator= (published weights in ckpt=)
MODEL_PREFIXES = ("model.generator.", "+model.generator.", "++model.generator.")

DEFAULTS: dict[str, Any] = {
    "sr": None, "gt": None, "lr": None, "ckpt": None, "data": None, "baseline": None,
    "degradation": None, "scale": None, "out": None, "overwrite": False, "name": None,
    "protocol": "basicsr", "crop_border": 0, "metrics": list(default_metrics()),
    "compare": None, "sr_out": None, "report": True, "bicubic": None, "report_clip": None,
    "profile_row": None, "ema": True, "wandb_run": None, "wandb_project": "frvsr",
    "wandb_dir": None, "threads": None, "recurrence": True, "reset_on_cut": True,
    "scene_threshold": None,
    "model/generator": None,
}


# Values kept as typed: OmegaConf would read report_clip=000 as 0 and 011 as octal 9.
STR_KEYS = ("sr", "gt", "lr", "ckpt", "data", "baseline", "degradation", "out", "name", "protocol",
            "sr_out", "bicubic", "report_clip", "wandb_run", "wandb_project", "wandb_dir",
            "model/generator")


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
    cfg, overrides = parse_key_values(
        strip_debug(argv), DEFAULTS, STR_KEYS, DATA_PREFIXES + MODEL_PREFIXES,
        hint=" (and data.<key>=<value> with data=, model.generator.<key>=<value> with "
             "model/generator=)")
    cfg["data_overrides"] = [o for o in overrides if o.startswith(DATA_PREFIXES)]
    cfg["model_overrides"] = [o for o in overrides if o.startswith(MODEL_PREFIXES)]
    if cfg["data_overrides"] and cfg["data"] is None:
        raise EvalError(f"{cfg['data_overrides'][0]} needs data=<conf/data option>, e.g. "
                        "data=folder")
    _check_model_keys(cfg)
    if isinstance(cfg["metrics"], str):
        cfg["metrics"] = [cfg["metrics"]]
    cfg["metrics"] = check_names(list(cfg["metrics"]))
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


def _check_model_keys(cfg: dict[str, Any]) -> None:
    """model/generator= (published weights), reset_on_cut=, scene_threshold=: one line each."""
    if cfg["model_overrides"] and not cfg["model/generator"]:
        raise EvalError(f"{cfg['model_overrides'][0]} needs model/generator=<name> (published "
                        "weights in ckpt=)")
    if cfg["model/generator"] and (not cfg["ckpt"] or cfg["baseline"] == "bicubic"):
        raise EvalError("model/generator= builds the model for published weights: give them "
                        "as ckpt=<file.pth> (not with baseline=bicubic)")
    if not isinstance(cfg["overwrite"], bool):
        raise EvalError(f"overwrite={cfg['overwrite']} must be true or false")
    if not isinstance(cfg["reset_on_cut"], bool):
        raise EvalError(f"reset_on_cut={cfg['reset_on_cut']} must be true or false")
    thr = cfg["scene_threshold"]
    if thr is not None and (isinstance(thr, bool) or not isinstance(thr, (int, float))
                            or not 0 < thr <= 1):
        raise EvalError(f"scene_threshold={thr} must be a number in (0, 1] (the mean absolute "
                        "thumbnail difference that starts a new shot; default 0.12)")
    if cfg["sr"] is not None and (thr is not None or not cfg["reset_on_cut"]):
        raise EvalError("reset_on_cut=/scene_threshold= apply to frames generated from a "
                        "recurrent ckpt=, not to sr= frames")


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code (2 after a one-line user error)."""
    return key_value_main(argv, __doc__, DEFAULTS, lambda args: run(parse_args(args)))


def run(cfg: dict[str, Any]) -> dict[str, Any] | None:
    """One evaluation from parsed options (`frvsr.evaluation.run.run`, imported lazily so
    that `--help` and argument errors stay fast)."""
    from frvsr.evaluation.run import run as run_evaluation

    return run_evaluation(cfg)


if __name__ == "__main__":
    raise SystemExit(main())
