"""DISFlow: OpenCV's DIS optical flow as FRVSR's flow net, for small training budgets.

FNet learns motion from the flow-warp loss only after thousands of steps; at CPU-demo
budgets (a few hundred steps) it stays at zero flow and the SR net learns to ignore its
memory (docs/demo.md has the measurements). DIS (Kroeger et al. 2016, ``cv2.DISOptical
Flow``, preset MEDIUM) aligns frames from the first step, with nothing to learn.
It is not differentiable and runs on the CPU (frames are copied there); a model with it
trains, evaluates and upscales like any FRVSR, but cannot be exported to ONNX.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

# ITU-R BT.601 luma weights for the grey frames DIS sees.
_LUMA = (0.299, 0.587, 0.114)
MIN_SIZE = 12  # OpenCV's DIS refuses frames whose width and height are both smaller


def _gray_u8(frames: Tensor) -> np.ndarray:
    """``N,3,h,w`` RGB in [0,1] -> ``N,h,w`` uint8 luma."""
    r, g, b = frames.detach().float().cpu().clamp(0.0, 1.0).unbind(1)
    y = _LUMA[0] * r + _LUMA[1] * g + _LUMA[2] * b
    return (y * 255.0).round().to(torch.uint8).numpy()


class DISFlow(nn.Module):
    """``forward(lr_curr, lr_prev) -> flow B,2,h,w``: the backward flow (pixel ``p`` of
    ``lr_curr`` is found at ``p + flow(p)`` in ``lr_prev``), in LR pixels, channel 0 = x,
    the convention of ``FNet``. No parameters, no gradient.

    Args:
        in_channels: 3 (RGB frames in [0,1]; DIS runs on their BT.601 luma, 8-bit).
        preset: ``"ultrafast"``, ``"fast"`` or ``"medium"`` (OpenCV's DIS presets).
        finest_scale: the finest pyramid level DIS searches (0 = full resolution). The
            presets stop at 1 or 2 (half or quarter resolution) and upsample, which is right
            for HD frames but not for LR frames a few hundred pixels wide. It also makes the
            flow depend on the frame size: a 24 px training crop is too small for a coarse
            level and gets full-resolution flow, the whole frame at evaluation does not. On
            the demo's tuning shot GT frame t-1 warped onto t scores 32.36 dB PSNR-Y with
            0 against 29.88 with the MEDIUM preset's 1 (docs/demo.md).
        pad: LR px of edge-replicated border added on every side before DIS runs; the flow
            is cropped back to the frame. DIS builds no coarse pyramid level on a frame
            under about 50 px (OpenCV picks the levels from the frame size and the 8 px
            patch), so on 24 px training crops it misses every motion larger than a few
            pixels, while whole frames at evaluation get two levels. Padded, crops find
            those motions: on 40 training batches of the demo's 24 px crops, GT frame t-1
            warped onto t scores 29.65 dB (pooled MSE, RGB, crop centre) with ``pad=40``
            against 27.08 without (zero flow 23.16; 48 px crops unpadded 29.73), and whole
            frames of the tuning shot gain a little too (PSNR-Y 32.36 -> 32.50 dB). Off by
            default: it costs about a third of a demo FRVSR training step (DIS then runs
            on 104 px instead of 24 px frames) and did not change what FRVSR reaches
            (docs/demo.md, third round).
        upscale: DIS runs on the luma frames enlarged this many times (bicubic, OpenCV's
            pixel-centre convention) and the flow is area-averaged back to LR and divided
            by it. DIS's 8 px patches then span 4 LR px, and on BD-degraded frames of
            smooth content it finds sub-pixel pans more precisely (a synthetic BD x4 pan of
            (0.75, 0.25) LR px: end-point error ~0.006 against ~0.023 px; on aliased fine
            texture it does worse, so this is measured, not assumed). On the embedded
            footage, GT frame t-1 warped onto t with the LR flow upsampled x4 (PSNR-Y,
            docs/demo.md sixth round): 2 gains 0.8 / 1.6 / 0.6 / 1.8 dB on its four training
            shots (32.23 -> 34.01 dB on frames 137-186) for about 1.6x DIS's time; 3 and 4
            gain less on some shots.

    Raises:
        ValueError: frames under ``MIN_SIZE`` px on both sides; other than 3 channels.
    """

    PRESETS = {"ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
               "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
               "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}

    def __init__(self, in_channels: int = 3, preset: str = "medium", finest_scale: int = 0,
                 pad: int = 0, upscale: int = 1) -> None:
        super().__init__()
        if in_channels != 3:
            raise ValueError(f"DISFlow takes RGB frames (in_channels=3), got {in_channels}")
        if preset not in self.PRESETS:
            raise ValueError(f"DISFlow preset={preset!r}; choose one of {list(self.PRESETS)}")
        if finest_scale < 0:
            raise ValueError(f"DISFlow finest_scale={finest_scale} must be >= 0")
        if pad < 0:
            raise ValueError(f"DISFlow pad={pad} must be >= 0")
        if upscale < 1:
            raise ValueError(f"DISFlow upscale={upscale} must be >= 1")
        self.preset, self.finest_scale, self.pad, self.upscale = preset, finest_scale, pad, upscale
        self._dis: cv2.DISOpticalFlow | None = None  # built on first use (not picklable)

    def forward(self, lr_curr: Tensor, lr_prev: Tensor) -> Tensor:
        if lr_curr.shape != lr_prev.shape or lr_curr.dim() != 4 or lr_curr.shape[1] != 3:
            raise ValueError(f"DISFlow expects two B,3,h,w frames, got {tuple(lr_curr.shape)} "
                             f"and {tuple(lr_prev.shape)}")
        if max(lr_curr.shape[-2:]) < MIN_SIZE:
            raise ValueError(f"DISFlow needs frames of at least {MIN_SIZE} px on one side, got "
                             f"{tuple(lr_curr.shape[-2:])}")
        if self._dis is None:
            self._dis = cv2.DISOpticalFlow.create(self.PRESETS[self.preset])
            self._dis.setFinestScale(self.finest_scale)
        curr, prev = _gray_u8(self._padded(lr_curr)), _gray_u8(self._padded(lr_prev))
        flows = np.stack([self._calc(self._dis, c, p) for c, p in zip(curr, prev, strict=True)])
        flow = torch.from_numpy(flows).permute(0, 3, 1, 2)
        h, w = lr_curr.shape[-2:]
        flow = flow[..., self.pad:self.pad + h, self.pad:self.pad + w]
        return flow.contiguous().to(lr_curr.device, lr_curr.dtype)

    def _calc(self, dis: cv2.DISOpticalFlow, curr: np.ndarray, prev: np.ndarray) -> np.ndarray:
        """One ``h,w`` uint8 pair -> its ``h,w,2`` float32 flow in (padded) LR pixels."""
        k = self.upscale
        if k == 1:
            return dis.calc(curr, prev, None)
        h, w = curr.shape
        big = [cv2.resize(f, (w * k, h * k), interpolation=cv2.INTER_CUBIC) for f in (curr, prev)]
        flow = dis.calc(big[0], big[1], None)
        return cv2.resize(flow, (w, h), interpolation=cv2.INTER_AREA) / np.float32(k)

    def _padded(self, frames: Tensor) -> Tensor:
        if self.pad == 0:
            return frames
        return F.pad(frames.detach().float().cpu(), (self.pad,) * 4, mode="replicate")

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_dis"] = None  # OpenCV objects do not pickle (DataLoader workers, deepcopy)
        return state

    def __deepcopy__(self, memo: dict) -> DISFlow:
        return DISFlow(preset=self.preset, finest_scale=self.finest_scale, pad=self.pad,
                       upscale=self.upscale)
