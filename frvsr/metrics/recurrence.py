"""Does a frame-recurrent model use its memory? Two diagnostics for FRVSR-style models.

*Recurrence gain* (per frame index within a shot): PSNR-Y of the model run as trained
(the previous SR estimate warped into each step) minus PSNR-Y of the same weights with the
previous estimate zeroed at every frame ("no memory", what the model sees on a shot's
first frame). Frame 0 gains 0 by construction; a working FRVSR gains over its first
frames and keeps the gain. A model that ignores the previous estimate gains exactly 0.

*LR flow quality*: the mean squared error (RGB in [0,1], mean over channels and pixels)
between LR frame t and LR frame t-1 warped onto it (``frvsr.ops.warp.flow_warp``,
bilinear, border padding) with the model's flow, with zero flow and with OpenCV's DIS and
Farneback flows on the same frames. A flow net that learned motion lands between zero
flow (no alignment) and the classical flows (or below them). This is the LR warping error
that FRVSR's flow loss minimises (Sajjadi et al. 2018, eq. 3), not the HR E_warp of
``frvsr.metrics.temporal`` (Lai et al. 2018).

*LR motion* (``motion_statistics``): how far the content moves between LR frames (OpenCV
DIS flow magnitude in LR px per frame). A memory can only add detail where frames sample
the scene at other sub-pixel positions and the flow follows the motion: on a still shot it
holds nothing new, on large motions alignment fails. It puts a recurrence gain in context.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from frvsr.metrics.fidelity import psnr_y
from frvsr.metrics.temporal import farneback, to_gray_u8
from frvsr.models.classical_flow import DISFlow
from frvsr.ops.warp import flow_warp


@dataclass
class RecurrenceGain:
    """PSNR-Y (dB) of the model with and without its memory, per frame of one shot."""

    with_memory: list[float]
    without_memory: list[float]

    @property
    def per_frame(self) -> list[float]:
        """Gain in dB at each frame index (0 at frame 0)."""
        return [a - b for a, b in zip(self.with_memory, self.without_memory, strict=True)]

    @property
    def mean(self) -> float:
        """Mean gain in dB over the shot's frames (frame 0 included, as in the PSNR mean)."""
        gains = self.per_frame
        return float(sum(gains) / len(gains))


def _is_recurrent(model: torch.nn.Module) -> bool:
    return callable(getattr(model, "step", None)) and hasattr(model, "flow_net")


@torch.no_grad()
def sr_without_memory(model: torch.nn.Module, lr: Tensor) -> Tensor:
    """SR of every frame of ``lr: T,C,h,w`` with a zeroed previous estimate (``T,C,H,W``).

    Raises:
        TypeError: ``model`` is not frame-recurrent (no ``step`` / ``flow_net``).
    """
    if not _is_recurrent(model):
        raise TypeError(f"{type(model).__name__} is not frame-recurrent: no memory to remove")
    return torch.cat([model.step(lr[t:t + 1], None)[0] for t in range(lr.shape[0])])


@torch.no_grad()
def recurrence_gain(model: torch.nn.Module, lr: Tensor, hr: Tensor, sr: Tensor | None = None,
                    crop_border: int = 0) -> RecurrenceGain:
    """Recurrence gain of ``model`` on one shot.

    Args:
        model: a frame-recurrent generator (``FRVSR``: ``step(lr_t, state)``).
        lr: ``T,C,h,w`` LR frames of one shot in [0,1].
        hr: ``T,C,H,W`` GT frames in [0,1].
        sr: the model's own output with memory (``T,C,H,W``); computed when None.
        crop_border: pixels cropped from every edge before PSNR-Y (BasicSR convention).
    """
    if sr is None:
        state, frames = None, []
        for t in range(lr.shape[0]):
            out, state = model.step(lr[t:t + 1], state)
            frames.append(out)
        sr = torch.cat(frames)
    alone = sr_without_memory(model, lr)
    with_mem = [psnr_y(sr[t].clamp(0, 1).float(), hr[t].float(), crop_border)
                for t in range(lr.shape[0])]
    without = [psnr_y(alone[t].clamp(0, 1).float(), hr[t].float(), crop_border)
               for t in range(lr.shape[0])]
    return RecurrenceGain(with_memory=with_mem, without_memory=without)


def lr_warping_error(lr: Tensor, flows: Tensor) -> float:
    """Mean squared error between LR frames t and t-1 warped onto t with backward ``flows``.

    ``lr: T,C,h,w`` in [0,1]; ``flows: T-1,2,h,w`` in LR pixels (pixel p of frame t is
    found at p + flow(p) in frame t-1; channel 0 = x). Returns the MSE in [0,1]^2 units.
    """
    if lr.shape[0] < 2:
        raise ValueError("LR warping error needs at least 2 frames")
    warped = flow_warp(lr[:-1].float(), flows.float())
    return float(((warped - lr[1:].float()) ** 2).mean())


STILL_PX = 0.1  # LR px per frame: below this a pixel counts as still


def motion_statistics(flow: Tensor) -> dict[str, float]:
    """Median and 90th percentile of the per-pixel magnitude of backward flows ``N,2,h,w``
    (LR px per frame, over all pixels of all N pairs) and the share of pixels moving less
    than ``STILL_PX``: ``{"median_px", "p90_px", "still_share"}``.

    Raises:
        ValueError: ``flow`` is not ``N,2,h,w`` with N >= 1.
    """
    if flow.dim() != 4 or flow.shape[1] != 2 or flow.shape[0] == 0:
        raise ValueError(f"motion_statistics expects N,2,h,w flows, got {tuple(flow.shape)}")
    magnitude = flow.float().norm(dim=1).flatten()
    return {"median_px": float(magnitude.median()),
            "p90_px": float(torch.quantile(magnitude, 0.9)),
            "still_share": float((magnitude < STILL_PX).float().mean())}


_REFERENCE_DIS = DISFlow()  # one OpenCV object for every pair (built on first use)


def classical_flows(curr: Tensor, prev: Tensor) -> dict[str, Tensor]:
    """Backward flows ``N,2,h,w`` (LR pixels, FNet's convention) of frame pairs ``N,3,h,w``
    in [0,1] from OpenCV: ``dis`` (``frvsr.models.DISFlow``, the same flow a
    ``model/flow_net=dis`` FRVSR uses; missing for frames under 12 px, which DIS refuses)
    and ``farneback`` (the tOF convention's Farneback on 8-bit grey frames)."""
    curr, prev = curr.cpu().float(), prev.cpu().float()
    flows: dict[str, Tensor] = {}
    with contextlib.suppress(ValueError):  # DIS on frames under 12 px: no value
        flows["dis"] = _REFERENCE_DIS(curr, prev)
    pairs = [farneback(to_gray_u8(c), to_gray_u8(p)) for c, p in zip(curr, prev, strict=True)]
    flows["farneback"] = torch.from_numpy(np.stack(pairs)).permute(0, 3, 1, 2).float()
    return flows


@torch.no_grad()
def flow_quality(model: torch.nn.Module, lr: Tensor) -> dict[str, float]:
    """LR warping error (MSE, [0,1]^2) of frame t-1 onto t over one shot ``lr: T,C,h,w``
    with the model's flow net (``model``), zero flow, OpenCV DIS and Farneback.

    ``dis`` is left out for frames under 12 px (DIS refuses them).

    Raises:
        TypeError: ``model`` has no ``flow_net``.
        ValueError: fewer than 2 frames.
    """
    if not _is_recurrent(model):
        raise TypeError(f"{type(model).__name__} has no flow net")
    if lr.shape[0] < 2:
        raise ValueError("flow quality needs at least 2 frames")
    curr, prev = lr[1:], lr[:-1]
    flows = torch.cat([model.flow_net(curr[i:i + 1], prev[i:i + 1]).cpu()
                       for i in range(len(curr))])
    lr = lr.cpu()
    zero = torch.zeros(len(curr), 2, *lr.shape[-2:])
    errors = {"model": lr_warping_error(lr, flows), "zero": lr_warping_error(lr, zero)}
    errors.update({name: lr_warping_error(lr, flow)
                   for name, flow in classical_flows(curr, prev).items()})
    return errors
