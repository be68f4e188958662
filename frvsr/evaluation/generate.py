"""Frames that ``frvsr.evaluate`` generates before scoring: the bicubic baseline or a
checkpoint's generator run over every clip (streaming, whole frames)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from frvsr.errors import EvalError
from frvsr.evaluation.clips import list_clips, read_frame, to_tensor
from frvsr.evaluation.folders import fresh_folder
from frvsr.inference.upscaler import FrameUpscaler
from frvsr.io.images import to_uint8, write_png

BASELINE_UPSCALE = {"bi": "MATLAB-style antialiased bicubic imresize (inverts BI)",
                    "bd": "phase-0-aligned bicubic, LR pixel i on HR pixel s*i (inverts BD)"}


def generate_frames(gt: Path, lr: Path | None, sr_out: Path, make: Callable[[], FrameUpscaler],
                    scale: int, degradation: str) -> None:
    """Upscale every clip (streaming, whole frames) into ``sr_out/<clip>/<frame>.png``.

    Written into a temp folder that replaces ``sr_out`` only when complete (see
    ``frvsr.evaluation.folders``), so frames of an earlier run never mix with these. Without
    ``lr``, LR frames are made from GT with the degradation and rounded to uint8, as stored
    LR test sets are. Frames are read and written by :mod:`frvsr.io.images` (16-bit input
    at full precision; SR frames written as 8-bit PNG).
    """
    from frvsr.data.degradations import degrade

    gt_clips = list_clips(gt, "gt")
    lr_clips = list_clips(lr, "lr") if lr is not None else None
    if lr_clips is not None and len(lr_clips) == 1 and len(gt_clips) == 1:
        lr_clips = {next(iter(gt_clips)): next(iter(lr_clips.values()))}
    with fresh_folder(sr_out, "sr_out") as tmp:
        for name, gt_paths in gt_clips.items():
            if lr_clips is not None:
                if name not in lr_clips:
                    raise EvalError(f"clip '{name}' is in gt={gt} but missing in lr={lr}")
                if len(lr_clips[name]) != len(gt_paths):
                    raise EvalError(f"clip '{name}': lr has {len(lr_clips[name])} frames, gt "
                                    f"has {len(gt_paths)}")
            up = make()
            for t, gt_path in enumerate(gt_paths):
                if lr_clips is not None:
                    lr_t = to_tensor(read_frame(lr_clips[name][t], name, t))
                else:
                    hr = to_tensor(read_frame(gt_path, name, t))
                    lr_t = to_tensor(to_uint8(degrade(hr, scale, degradation)))
                sr = up(lr_t[None])[0]
                write_png(tmp / name / f"{gt_path.stem}.png", to_uint8(sr))
