"""``python -m frvsr.ladder input=<video> ckpt=<checkpoint>``: does SR save bandwidth?

  python -m frvsr.ladder input=clip.mp4 ckpt=runs/pretrain/checkpoints/last.ckpt
  python -m frvsr.ladder input=clip.mp4 ckpt=last.ckpt "rungs=[100,200,400,800]" frames=120
  python -m frvsr.ladder input=clip.mp4 ckpt=last.ckpt "crf=[23,28,33,38]"
  python -m frvsr.ladder input=clip.mp4 ckpt=last.ckpt adapt=true steps=200 keep=true

For every rung of an encoding ladder the reference (the input's frames ``start`` ..
``start+frames-1``, optionally resized to ``height`` rows) is encoded at full resolution
(libx264, 2-pass ABR at the rung's kbit/s, or ``crf=`` levels instead) and, downscaled by
the model's scale with its own degradation (``degradation=bi`` for MATLAB-style bicubic),
at the same bitrate; the LR encodes are decoded and upscaled by the model (frvsr's
streaming upscaler), by bicubic and by Lanczos; everything is scored against the
reference (VMAF 0-100, PSNR-Y dB, tOF, tFlicker) at each encode's measured kbit/s, and
BD-rates (``bjontegaard``, pchip) compare LR+SR with full-resolution encoding and with the
filters. ``adapt=true steps=N`` also fine-tunes the checkpoint on the clip and charges its
weights (fp16 delta, compressed) to every rung as kbit/s. Default rungs: 0.005-0.08 bits
per full-resolution pixel, a factor 2 apart. Outputs in ``out=`` (default
``ladder_<input name>``): results.json, results.csv, rate_quality.png, rate_psnr.png,
report.html; the table and BD-rates are printed. Work files go to a temp folder inside
``out`` that is removed at the end unless ``keep=true``. See docs/ladder.md.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from frvsr.cli.args import parse_key_values
from frvsr.cli.errors import run_cli, strip_debug
from frvsr.errors import ConfigError

DEFAULTS: dict[str, Any] = {
    "input": None, "ckpt": None, "out": None, "rungs": None, "crf": None, "start": 0,
    "frames": None, "height": None, "preset": "medium", "degradation": None,
    "adapt": False, "steps": 200, "adapt_lr": 1e-4, "keep": False, "progress": True,
    "threads": None,
}
STR_KEYS = ("input", "ckpt", "out", "preset", "degradation")
PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow",
           "slower", "veryslow", "placebo")


def _numbers(name: str, value: Any) -> list[float] | None:
    if value is None:
        return None
    values = value if isinstance(value, list | tuple) else [value]
    try:
        out = [float(v) for v in values]
    except (TypeError, ValueError):
        raise ConfigError(f"{name}={value} must be a number or a list like "
                          f"{name}=[100,200,400]") from None
    if len(out) < 2:
        raise ConfigError(f"{name}={value}: give at least 2 levels (a curve needs 2 points)")
    return out


def _int_or_none(cfg: dict[str, Any], key: str, low: int) -> int | None:
    value = cfg[key]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{key}={value} must be an integer >= {low}")
    return value


def settings(cfg: dict[str, Any]) -> Any:
    """Checked :class:`frvsr.bandwidth.study.Settings` from parsed ``key=value`` options;
    every problem is one ``ConfigError`` line."""
    from frvsr.bandwidth.study import Settings

    if not cfg["input"] or not cfg["ckpt"]:
        raise ConfigError("give input=<video> and ckpt=<checkpoint> (python -m frvsr.ladder "
                          "help lists the keys)")
    src, ckpt = Path(cfg["input"]), Path(cfg["ckpt"])
    for key, path in (("input", src), ("ckpt", ckpt)):
        if not path.is_file():
            raise ConfigError(f"{key}={path} is not a file")
    rungs, crf = _numbers("rungs", cfg["rungs"]), _numbers("crf", cfg["crf"])
    if rungs is not None and crf is not None:
        raise ConfigError("give rungs=[kbit/s, ...] or crf=[...], not both")
    if rungs is not None and min(rungs) <= 0:
        raise ConfigError(f"rungs={cfg['rungs']} must be positive kbit/s")
    if crf is not None and any(c != int(c) or not 0 <= c <= 51 for c in crf):
        raise ConfigError(f"crf={cfg['crf']} must be integers in 0-51")
    if cfg["preset"] not in PRESETS:
        raise ConfigError(f"preset={cfg['preset']} must be one of {', '.join(PRESETS)}")
    if cfg["degradation"] not in (None, "bi", "bd_tecogan", "bd_duf"):
        raise ConfigError(f"degradation={cfg['degradation']} must be bi, bd_tecogan or "
                          "bd_duf (default: the checkpoint's)")
    try:
        adapt_lr = float(cfg["adapt_lr"])  # YAML reads 1e-4 (no dot) as a string
    except (TypeError, ValueError):
        adapt_lr = -1.0
    if isinstance(cfg["adapt_lr"], bool) or not adapt_lr > 0:
        raise ConfigError(f"adapt_lr={cfg['adapt_lr']} must be a positive number")
    for key in ("adapt", "keep", "progress"):
        if not isinstance(cfg[key], bool):
            raise ConfigError(f"{key}={cfg[key]} must be true or false")
    out = Path(cfg["out"]) if cfg["out"] else Path(f"ladder_{src.stem}")
    return Settings(
        input=src, ckpt=ckpt, out=out, rungs=sorted(rungs) if rungs else None,
        crf=sorted((int(c) for c in crf), reverse=True) if crf else None,
        start=_int_or_none(cfg, "start", 0) or 0, frames=_int_or_none(cfg, "frames", 2),
        height=_int_or_none(cfg, "height", 8), preset=str(cfg["preset"]),
        degradation=cfg["degradation"], adapt=cfg["adapt"],
        steps=_int_or_none(cfg, "steps", 1) or 200, adapt_lr=adapt_lr,
        keep=cfg["keep"], progress=cfg["progress"])


def parse_args(argv: list[str]) -> dict[str, Any]:
    """``key=value`` pairs over DEFAULTS (one-line ``ConfigError`` for unknown keys)."""
    return parse_key_values(strip_debug(argv), DEFAULTS, STR_KEYS)[0]


def _run(argv: list[str]) -> None:
    cfg = parse_args(argv)
    s = settings(cfg)
    threads = _int_or_none(cfg, "threads", 1)
    if threads:
        import torch

        torch.set_num_threads(threads)
    from frvsr.bandwidth.study import run

    result = run(s)
    print(f"report: {result['outputs']['html']}")


def main(argv: list[str] | None = None) -> int:
    """Console entry point: 0 on success, 2 after a one-line user error."""
    args = sys.argv[1:] if argv is None else argv
    if any(a in ("-h", "--help", "help") for a in args):
        print(__doc__)
        print("keys (defaults): " + ", ".join(f"{k}={v}" for k, v in DEFAULTS.items()))
        return 0
    return run_cli(lambda: _run(args), args)


if __name__ == "__main__":
    raise SystemExit(main())
