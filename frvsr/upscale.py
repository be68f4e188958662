"""``python -m frvsr.upscale input=<video|frame folder|folder of videos> out=<video|folder>``:
upscale real videos with a trained model, streaming, audio kept, constant memory.

  python -m frvsr.upscale input=clip.mp4 out=clip_x4.mp4 ckpt=runs/gan/checkpoints/last.ckpt
  python -m frvsr.upscale input=clip.mp4 out=clip_x4.mp4 baseline=bicubic scale=4
  python -m frvsr.upscale input=clip.mp4 out=clip_x4.mp4 onnx=model.onnx
  python -m frvsr.upscale input=frames/ out=frames_x4/ ckpt=last.ckpt      # PNG in, PNG out
  python -m frvsr.upscale input=videos/ out=videos_x4/ ckpt=last.ckpt      # batch, resumable
  python -m frvsr.upscale input=clip.mp4 out=x4.mp4 ckpt=last.ckpt compare=true tile=256

One model source: ``ckpt=`` (a frvsr checkpoint; its own scale), ``baseline=bicubic
scale=<s>`` or ``onnx=<model.onnx>``. Output: a video (``.mp4``, ``.mkv``, ``.mov``; H.264 by
default, ``codec=libx264|libx265|ffv1``, ``crf=``, ``preset=``) or a folder of PNG frames.
The recurrent state resets at scene cuts (``reset_on_cut=true``, ``scene_threshold=0.12``).
Frame count, frame rate, timestamps, rotation and audio are kept; colour is read with the
input's YUV matrix and written as BT.709 limited range. An existing output is refused
unless ``overwrite=true`` (in batch mode it counts as done and is skipped). See README's
"Upscale a video".
"""
from __future__ import annotations

import signal
import sys
from typing import Any

from frvsr.cli.args import parse_key_values
from frvsr.cli.errors import run_cli, strip_debug

DEFAULTS: dict[str, Any] = {
    "input": None, "out": None, "ckpt": None, "baseline": None, "onnx": None, "scale": None,
    "degradation": None, "codec": "libx264", "crf": 18, "preset": "medium", "fps": None,
    "reset_on_cut": True, "scene_threshold": None, "tile": None, "tile_overlap": None,
    "device": "cpu", "precision": "fp32", "channels_last": False, "compile": False,
    "compare": False, "overwrite": False, "ema": True, "threads": None, "progress": True,
}
STR_KEYS = ("input", "out", "ckpt", "baseline", "onnx", "degradation", "codec", "preset",
            "device", "precision", "fps")


def parse_args(argv: list[str]) -> dict[str, Any]:
    """``key=value`` pairs over DEFAULTS (one-line ``ConfigError`` for unknown keys);
    ``model/generator=<name>`` and ``model.generator.<key>=`` select a published weight
    file's architecture (with ``ckpt=<.pth>``)."""
    cfg, generator = parse_key_values(strip_debug(argv), DEFAULTS, STR_KEYS,
                                      ("model/generator=", "model.generator."))
    cfg["generator_overrides"] = generator
    return cfg


def _interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Console entry point; 0 on success, 2 after a one-line user error, 130 when
    interrupted (Ctrl-C or SIGTERM: no partial output is left)."""
    args = sys.argv[1:] if argv is None else argv
    if any(a in ("-h", "--help", "help") for a in args):
        print(__doc__)
        print("keys (defaults): " + ", ".join(f"{k}={v}" for k, v in DEFAULTS.items()))
        return 0
    from frvsr.inference.batch import run

    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return run_cli(lambda: run(parse_args(args)), args) or 0
    except KeyboardInterrupt:
        print("error: interrupted; the output being written was discarded (no partial file); "
              "rerun the same command to start again (a batch skips finished files)",
              file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    raise SystemExit(main())
