"""The recurrence diagnostics of ``frvsr.evaluate`` for a recurrent checkpoint: does the
model use its memory, and did its flow net learn motion? (``frvsr.metrics.recurrence``).

Streamed over every clip like the SR frames themselves (one LR and GT frame at a time),
with the same scene-cut resets: the frame index restarts at every shot. Both SR frames of
a step (with the warped previous estimate, and with it zeroed) are rounded to 8 bits
before PSNR-Y, as the scored SR frames are. The result file's ``recurrence`` entry:

- ``gain_db``: mean over clips of the per-clip mean gain (dB);
- ``psnr_y_no_memory``: mean over clips of the per-clip mean PSNR-Y (dB) of the same
  weights with the previous estimate zeroed at every frame (frames of infinite PSNR-Y
  left out): set against a frame-by-frame model of the same backbone, FRVSR minus frame
  by frame = (this minus frame by frame) + the gain, so a user sees whether a small lead
  is a memory that adds little or a single-frame path that gave up capacity to read it;
- ``gain_by_frame_index``: mean gain at frame index i within a shot, over all shots;
- ``lr_warping_error``: mean over clips of the per-clip mean over frame pairs within shots
  of the LR warping error (MSE, RGB in [0,1]) with the model's flow, zero flow, OpenCV DIS
  and Farneback (null for DIS on LR frames under 12 px, which it refuses);
- ``lr_motion``: mean over clips of the per-clip mean over frame pairs of the median and
  90th percentile DIS flow magnitude (LR px per frame) and of the share of pixels moving
  under ``STILL_PX`` = 0.1 LR px (``frvsr.metrics.recurrence.motion_statistics``; null
  without DIS);
- ``clips``: the same per clip (``gain_per_frame`` in frame order).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from frvsr.evaluation.clips import keyed_like, list_clips, read_frame, to_tensor
from frvsr.evaluation.generate import CutResets, _lr_frames, _ShotTracker
from frvsr.metrics.fidelity import psnr_y
from frvsr.metrics.recurrence import (
    STILL_PX,
    classical_flows,
    lr_warping_error,
    motion_statistics,
)

FLOWS = ("model", "zero", "dis", "farneback")
MOTION = ("median_px", "p90_px", "still_share")
CONVENTION = (
    "recurrence gain: PSNR-Y (8-bit SR) with the warped previous estimate minus with it "
    "zeroed at every frame, same weights; frame index restarts at each shot. LR warping "
    "error: MSE (RGB in [0,1]) between LR frame t and frame t-1 warped onto it (bilinear, "
    "border padding) with the model's flow, zero flow, OpenCV DIS (medium) and Farneback. "
    "LR motion: median and 90th percentile of the DIS flow magnitude (LR px per frame) and "
    f"the share of pixels under {STILL_PX} px, per frame pair, averaged over pairs and clips"
)


def _quantise(x: torch.Tensor) -> torch.Tensor:
    return (x.clamp(0.0, 1.0) * 255.0).round() / 255.0


def _pair_diagnostics(model: torch.nn.Module, lr_t: torch.Tensor, lr_prev: torch.Tensor
                      ) -> tuple[dict[str, float], dict[str, float] | None]:
    """LR warping error of one pair (``1,3,h,w`` each) with the four flows, and the pair's
    motion statistics from the DIS flow (None where DIS refuses the frames)."""
    pair = torch.cat([lr_prev, lr_t]).cpu().float()
    flows = {"model": model.flow_net(lr_t, lr_prev).cpu(),
             "zero": torch.zeros(1, 2, *lr_t.shape[-2:]),
             **classical_flows(lr_t, lr_prev)}
    motion = motion_statistics(flows["dis"]) if "dis" in flows else None
    return {name: lr_warping_error(pair, flow) for name, flow in flows.items()}, motion


def _mean_or_none(values: Sequence[float | None]) -> float | None:
    """Mean of the values that are not None; None when none is."""
    found = [v for v in values if v is not None]
    return float(np.mean(found)) if found else None


def _means(values: dict[str, list[float]], keys: tuple[str, ...]) -> dict[str, float | None]:
    return {k: _mean_or_none(values.get(k, [])) for k in keys}


@torch.no_grad()
def clip_diagnostics(model: torch.nn.Module, frames: Any, gt_paths: list[Path], name: str,
                     shots: _ShotTracker | None, crop_border: int, device: torch.device
                     ) -> dict[str, Any]:
    """Gain per frame and mean LR warping errors of one clip (``frames`` yields ``1,3,h,w``
    LR frames in [0,1], after showing each to ``shots``)."""
    gains: list[float] = []
    alone_db: list[float] = []
    index: list[int] = []
    errors: dict[str, list[float]] = defaultdict(list)
    motion: dict[str, list[float]] = defaultdict(list)
    state, lr_prev, i = None, None, 0
    for t, (gt_path, lr_t) in enumerate(zip(gt_paths, frames, strict=True)):
        lr_t = lr_t.to(device)
        if t == 0 or (shots is not None and shots.current):
            state, lr_prev, i = None, None, 0
        sr_mem, new_state = model.step(lr_t, state)
        sr_alone, _ = model.step(lr_t, None)
        gt = to_tensor(read_frame(gt_path, name, t))
        with_mem = psnr_y(_quantise(sr_mem[0].cpu().float()), gt, crop_border)
        alone = psnr_y(_quantise(sr_alone[0].cpu().float()), gt, crop_border)
        gains.append(with_mem - alone if np.isfinite(with_mem) and np.isfinite(alone) else 0.0)
        if np.isfinite(alone):
            alone_db.append(alone)
        index.append(i)
        if lr_prev is not None:
            pair_errors, pair_motion = _pair_diagnostics(model, lr_t, lr_prev)
            for key, value in pair_errors.items():
                errors[key].append(value)
            for key, value in (pair_motion or {}).items():
                motion[key].append(value)
        state, lr_prev, i = new_state, lr_t, i + 1
    return {"gain_db": float(np.mean(gains)),
            "psnr_y_no_memory": _mean_or_none(alone_db),
            "gain_per_frame": gains, "frame_index": index,
            "lr_warping_error": _means(errors, FLOWS),
            "lr_motion": _means(motion, MOTION) if motion else None}


def recurrence_diagnostics(model: torch.nn.Module, gt: Path, lr: Path | None, scale: int,
                           degradation: str, cuts: CutResets | None, crop_border: int = 0,
                           device: torch.device | str = "cpu") -> dict[str, Any]:
    """The result file's ``recurrence`` entry for a recurrent ``model`` (``step``,
    ``flow_net``) over the clips of ``gt`` (LR from ``lr`` or made with ``degradation``).

    Raises:
        TypeError: ``model`` is not frame-recurrent.
        EvalError: unreadable frames or mismatched clips (as frame generation does).
    """
    if not (callable(getattr(model, "step", None)) and hasattr(model, "flow_net")):
        raise TypeError(f"{type(model).__name__} is not frame-recurrent")
    device = torch.device(device)
    gt_clips = list_clips(gt, "gt")
    lr_clips = keyed_like(gt_clips, gt, list_clips(lr, "lr"), lr, "lr") if lr is not None \
        else None
    clips: dict[str, Any] = {}
    by_index: dict[int, list[float]] = defaultdict(list)
    for name, gt_paths in gt_clips.items():
        shots = _ShotTracker(cuts.threshold) if cuts is not None and cuts.enabled else None
        lr_paths = lr_clips[name] if lr_clips is not None else None
        frames = _lr_frames(name, gt_paths, lr_paths, scale, degradation, shots)
        found = clip_diagnostics(model, frames, gt_paths, name, shots, crop_border, device)
        for i, gain in zip(found.pop("frame_index"), found["gain_per_frame"], strict=True):
            by_index[i].append(gain)
        clips[name] = found
    pairs = {k: [c["lr_warping_error"][k] for c in clips.values()
                 if c["lr_warping_error"][k] is not None] for k in FLOWS}
    moved = {k: [c["lr_motion"][k] for c in clips.values() if c["lr_motion"]] for k in MOTION}
    return {
        "gain_db": float(np.mean([c["gain_db"] for c in clips.values()])),
        "psnr_y_no_memory": _mean_or_none([c["psnr_y_no_memory"] for c in clips.values()]),
        "gain_by_frame_index": [float(np.mean(by_index[i])) for i in sorted(by_index)],
        "lr_warping_error": _means(pairs, FLOWS),
        "lr_motion": _means(moved, MOTION) if moved["median_px"] else None,
        "clips": clips,
        "convention": CONVENTION,
    }
