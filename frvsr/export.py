"""``python -m frvsr.export ckpt=<checkpoint> out=model.onnx``: export a trained generator to
ONNX, for onnxruntime or any other ONNX runtime, outside frvsr.

  python -m frvsr.export ckpt=runs/x/checkpoints/last.ckpt out=model.onnx
  python -m frvsr.export ckpt=runs/sisr/last.ckpt out=sisr.onnx overwrite=true opset=20

Recurrent (FRVSR) checkpoints export one step of the recurrence:
inputs ``lr`` (current LR frame), ``lr_prev`` (previous LR frame), ``sr_prev`` (previous SR
output), output ``sr``. First frame of a shot (and after a scene cut): ``sr_prev`` = zeros
and ``lr_prev`` = the current frame, which equals FRVSR's zero previous estimate exactly.
Single-frame checkpoints export ``lr -> sr``. Tensors are ``1,3,h,w`` float32 RGB in [0,1]
(SR ``1,3,s*h,s*w``, not clamped) with symbolic height and width (>= 8).

Exporter: torch.onnx.export with dynamo=True (needs onnxscript: pip install 'frvsr[export]'),
opset 18 by default (18..23; GridSample needs >= 16, torch's exporter writes 18). The file
is written atomically after onnxruntime reproduced PyTorch at two sizes, and carries its
scale, degradation, model, input/output names and the first-frame rule as metadata.
Keys: ckpt (required), out (default: the checkpoint path with .onnx), opset, overwrite
(replace an existing out), ema (EMA weights when the checkpoint has them).
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from frvsr.cli.args import parse_key_values
from frvsr.cli.errors import key_value_main, strip_debug
from frvsr.errors import ConfigError, UserPathError

DEFAULTS: dict[str, Any] = {"ckpt": None, "out": None, "opset": 18, "overwrite": False,
                            "ema": True}
STR_KEYS = ("ckpt", "out")


def parse_args(argv: list[str]) -> dict[str, Any]:
    """``key=value`` pairs -> a dict over DEFAULTS (``out`` as a Path); one-line errors."""
    from frvsr.inference.onnx_export import check_opset

    cfg, _ = parse_key_values(strip_debug(argv), DEFAULTS, STR_KEYS)
    if not cfg["ckpt"]:
        raise ConfigError("ckpt=<checkpoint> is required, e.g. "
                          "python -m frvsr.export ckpt=runs/x/last.ckpt out=model.onnx")
    for key in ("overwrite", "ema"):
        if not isinstance(cfg[key], bool):
            raise ConfigError(f"{key}={cfg[key]} must be true or false")
    cfg["opset"] = check_opset(cfg["opset"])
    cfg["out"] = Path(cfg["out"]) if cfg["out"] else Path(cfg["ckpt"]).with_suffix(".onnx")
    return cfg


def check_out(out: Path, overwrite: bool) -> None:
    """Fail early (before loading and exporting) when ``out`` cannot or must not be written."""
    if out.is_dir():
        raise UserPathError(f"out={out} is a directory; name the .onnx file to write")
    if out.exists() and not overwrite:
        raise UserPathError(f"out={out} exists; pass overwrite=true to replace it")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out.parent, prefix=".frvsr-export-probe"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UserPathError(f"cannot write out={out} ({reason}: {exc.filename or out.parent}); "
                            "choose a writable folder") from exc


def require_exporter() -> None:
    """One-line error when the ``export`` extra is missing (onnx, onnxscript, onnxruntime)."""
    import importlib.util

    missing = [m for m in ("onnx", "onnxscript", "onnxruntime") if importlib.util.find_spec(m)
               is None]
    if missing:
        raise ConfigError(f"ONNX export needs {', '.join(missing)}: pip install 'frvsr[export]'")


def describe(config: dict[str, Any], recurrent: bool) -> tuple[str, str, dict[str, str]]:
    """(model name, generator class, extra metadata) from a checkpoint's stored config."""
    model_cfg = config.get("model") or {}
    gen = dict(model_cfg.get("generator") or {})
    cls = str(gen.pop("_target_", "unknown"))
    gen.pop("_partial_", None)
    args = " ".join(f"{k}={v}" for k, v in gen.items() if not isinstance(v, (dict, list)))
    backbone = f"{cls} {args}".strip()
    extra = {k: str(gen[k]) for k in ("num_feat", "num_block", "skip") if k in gen}
    if not recurrent:
        return backbone, cls, extra
    flow = dict(model_cfg.get("flow_net") or {})
    flow_cls = str(flow.pop("_target_", "unknown"))
    flow_args = " ".join(f"{k}={v}" for k, v in flow.items() if not isinstance(v, (dict, list)))
    extra["flow_net"] = f"{flow_cls} {flow_args}".strip()
    return f"FRVSR({backbone}; flow {extra['flow_net']})", cls, extra


def run(cfg: dict[str, Any]) -> dict[str, str]:
    """Load the checkpoint, export it to ``cfg['out']``; returns the metadata written."""
    check_out(cfg["out"], cfg["overwrite"])
    require_exporter()
    from frvsr import load_generator
    from frvsr.inference.onnx_export import export_onnx

    loaded = load_generator(cfg["ckpt"], ema=cfg["ema"])
    name, cls, extra = describe(loaded.config, loaded.recurrent)
    extra.update(source=Path(cfg["ckpt"]).name, ema=str(loaded.ema).lower())
    meta = export_onnx(loaded.model, cfg["out"], scale=loaded.scale, recurrent=loaded.recurrent,
                       degradation=loaded.degradation, model_name=name, generator_class=cls,
                       opset=cfg["opset"], extra_metadata=extra)
    kind = "recurrent step" if loaded.recurrent else "single-frame model"
    print(f"wrote {cfg['out']}: {kind} {name}, x{loaded.scale}, {loaded.degradation}, opset "
          f"{meta['opset']}; inputs {meta['inputs']} -> {meta['outputs']}; onnxruntime vs "
          f"PyTorch max abs diff {meta['max_abs_diff']}")
    return meta


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code (2 after a one-line user error)."""
    return key_value_main(argv, __doc__, DEFAULTS, lambda args: run(parse_args(args)))


if __name__ == "__main__":
    raise SystemExit(main())
