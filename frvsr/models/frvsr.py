"""FRVSR: the frame-recurrent video SR wrapper (Sajjadi, Vemulapalli, Brown, CVPR 2018).

Each output frame is produced by an SR backbone from the current LR frame and the previous
SR output warped onto it with the LR flow from ``flow_net`` (upsampled to HR), rearranged
by space-to-depth. The first frame of a shot uses a zero previous estimate.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from frvsr.errors import ConfigError
from frvsr.models.blocks import upsample_bicubic_tecogan
from frvsr.ops.warp import WarpMode, flow_warp, space_to_depth, upsample_flow

FlowUpsampling = Literal["bilinear", "bicubic_tecogan"]


@dataclass
class FRVSROutput:
    """What ``FRVSR.forward`` returns (one type for training and evaluation).

    sr: ``B,T,C,H,W`` SR frames. flow: ``B,T-1,2,h,w`` LR backward flow of frame t to t-1
    (t = 1..T-1). lr_warped: ``B,T-1,C,h,w`` LR frame t-1 warped onto frame t (flow loss).
    """

    sr: Tensor
    flow: Tensor
    lr_warped: Tensor


@dataclass
class FRVSRState:
    """Streaming state between ``FRVSR.step`` calls: the previous LR frame ``B,C,h,w`` and
    the previous SR output ``B,C,H,W``."""

    lr_prev: Tensor
    sr_prev: Tensor


class FRVSR(nn.Module):
    """Frame-recurrent video SR.

    Args:
        flow_net: module ``(lr_curr, lr_prev) -> B,2,h,w`` backward flow (e.g. ``FNet()``).
        sr_net: callable (a Hydra ``_partial_``, a class, a ``functools.partial``) that FRVSR
            calls as ``sr_net(in_channels=(scale**2 + 1) * C, out_channels=C, scale=scale)``;
            the backbone gets the LR frame first, then the space-to-depth of the warped
            previous estimate, and its skip upsamples the LR frame.
        scale: 2, 3 or 4.
        num_channels: colour channels C (3 for RGB).
        flow_upsampling: ``"bilinear"`` (``frvsr.ops.upsample_flow``) or
            ``"bicubic_tecogan"`` (TecoGAN-PyTorch's BD models upsample flows with their
            bicubic; needed only to reproduce those checkpoints exactly).
        memory_warp: how the previous SR estimate is resampled along the upsampled flow:
            ``"bilinear"`` (the paper's and TecoGAN's) or ``"bicubic"``, which blurs fine
            texture less under sub-pixel motion (``frvsr.ops.flow_warp``). The LR warp of
            the flow loss stays bilinear.
    """

    def __init__(
        self,
        flow_net: nn.Module,
        sr_net: Callable[..., nn.Module],
        scale: int = 4,
        num_channels: int = 3,
        flow_upsampling: FlowUpsampling = "bilinear",
        memory_warp: WarpMode = "bilinear",
    ) -> None:
        super().__init__()
        if scale not in (2, 3, 4):
            raise ConfigError(f"FRVSR supports scale 2, 3 or 4, got {scale}")
        if isinstance(sr_net, nn.Module):
            raise TypeError(
                "FRVSR(sr_net=...) takes a callable that builds the backbone (e.g. "
                "functools.partial(SRResNet, num_block=16) or a Hydra `_partial_: true` "
                "config), not a built module: FRVSR fills in in_channels/out_channels/scale"
            )
        if flow_upsampling not in ("bilinear", "bicubic_tecogan"):
            raise ConfigError(f"unknown flow_upsampling {flow_upsampling!r}")
        if memory_warp not in ("bilinear", "bicubic"):
            raise ConfigError(f"model.memory_warp={memory_warp!r}; use bilinear or bicubic")
        self.scale = scale
        self.num_channels = num_channels
        self.flow_upsampling = flow_upsampling
        self.memory_warp = memory_warp
        self.flow_net = flow_net
        self.sr_net = sr_net(
            in_channels=(scale**2 + 1) * num_channels, out_channels=num_channels, scale=scale
        )

    def upsample_flow(self, flow: Tensor) -> Tensor:
        """LR flow ``B,2,h,w`` -> HR flow ``B,2,H,W`` in HR pixels."""
        if self.flow_upsampling == "bicubic_tecogan":
            return upsample_bicubic_tecogan(flow, self.scale) * self.scale
        return upsample_flow(flow, self.scale)

    def _sr(self, lr_t: Tensor, prev_estimate: Tensor) -> Tensor:
        return self.sr_net(torch.cat([lr_t, prev_estimate], dim=1))

    def _warp_estimate(self, sr_prev: Tensor, lr_flow: Tensor) -> Tensor:
        return space_to_depth(flow_warp(sr_prev, self.upsample_flow(lr_flow), self.memory_warp),
                              self.scale)

    def _zero_estimate(self, lr_t: Tensor) -> Tensor:
        b, c, h, w = lr_t.shape
        return lr_t.new_zeros(b, c * self.scale**2, h, w)

    def forward(
        self,
        lr: Tensor,
        teacher: Tensor | None = None,
        teacher_weight: float = 0.0,
        detach_memory: bool = False,
        memory_dropout: float = 0.0,
    ) -> FRVSROutput:
        """Run a whole clip ``lr: B,T,C,h,w`` (first frame with a zero previous estimate).

        Training only, scheduled sampling (Bengio et al., NeurIPS 2015) of the memory: with
        ``teacher: B,T,C,H,W`` (the GT clip, [0,1]) and ``teacher_weight`` w in [0, 1], the
        frame warped into frame t is ``w * teacher[t-1] + (1 - w) * sr[t-1]`` instead of
        ``sr[t-1]``. w = 0 (the default, and always at inference) is plain FRVSR.
        ``detach_memory=True`` stops gradients at the previous estimate (truncated
        backpropagation through time: each frame's loss trains the nets for that frame only).
        ``memory_dropout`` p: each clip's previous estimate is zeroed at each frame with
        probability p (drawn from torch's global generator), as at a scene cut: the SR net
        keeps training its no-memory path and learns not to over-trust its memory.

        Raises:
            ValueError: ``lr`` is not ``B,T,C,h,w`` with C = ``num_channels``, or
                ``teacher`` does not have the SR clip's shape, or w is outside [0, 1].
        """
        if lr.dim() != 5 or lr.shape[2] != self.num_channels:
            raise ValueError(
                f"FRVSR.forward expects B,T,{self.num_channels},h,w, got {tuple(lr.shape)}"
            )
        b, t, c, h, w = lr.shape
        if not 0.0 <= teacher_weight <= 1.0:
            raise ValueError(f"teacher_weight={teacher_weight} must be in [0, 1]")
        if not 0.0 <= memory_dropout < 1.0:
            raise ValueError(f"memory_dropout={memory_dropout} must be in [0, 1)")
        if teacher is not None and teacher.shape != (b, t, c, h * self.scale, w * self.scale):
            raise ValueError(f"FRVSR.forward: teacher {tuple(teacher.shape)} does not match "
                             f"the SR clip {(b, t, c, h * self.scale, w * self.scale)}")
        flow, lr_warped = self.align(lr)
        sr_frames = [self._sr(lr[:, 0], self._zero_estimate(lr[:, 0]))]
        for i in range(1, t):
            previous = sr_frames[-1].detach() if detach_memory else sr_frames[-1]
            if teacher is not None and teacher_weight > 0.0:
                previous = teacher_weight * teacher[:, i - 1] + (1.0 - teacher_weight) * previous
            estimate = self._warp_estimate(previous, flow[:, i - 1])
            if memory_dropout > 0.0:
                keep = torch.rand(b, 1, 1, 1, device=lr.device) >= memory_dropout
                estimate = estimate * keep.to(estimate.dtype)
            sr_frames.append(self._sr(lr[:, i], estimate))
        return FRVSROutput(sr=torch.stack(sr_frames, dim=1), flow=flow, lr_warped=lr_warped)

    def align(self, lr: Tensor) -> tuple[Tensor, Tensor]:
        """The LR alignment of a clip ``lr: B,T,C,h,w``: backward flows ``B,T-1,2,h,w`` (LR
        pixels) and LR frame t-1 warped onto frame t, ``B,T-1,C,h,w``. What the flow loss
        trains; also run alone by the flow warm-up (``SRModule(flow_warmup_steps=)``)."""
        b, t, c, h, w = lr.shape
        if t < 2:
            return lr.new_zeros(b, 0, 2, h, w), lr.new_zeros(b, 0, c, h, w)
        curr = lr[:, 1:].reshape(b * (t - 1), c, h, w)
        prev = lr[:, :-1].reshape(b * (t - 1), c, h, w)
        # All T-1 flows in one batched call: they depend on LR frames only.
        flow = self.flow_net(curr, prev)
        lr_warped = flow_warp(prev, flow)
        return flow.reshape(b, t - 1, 2, h, w), lr_warped.reshape(b, t - 1, c, h, w)

    def load_single_frame_backbone(self, state: dict[str, Tensor]) -> None:
        """Start the SR net from the weights of the same backbone trained frame by frame.

        ``state`` is the single-frame backbone's state dict (``in_channels = C``). Every
        tensor is copied; the input convolution, which here also reads the C * scale**2
        channels of the warped previous estimate, gets the single-frame weights on its first
        C input channels and zeros on the others. The model then starts out computing
        exactly the single-frame SR and learns to use its memory from there. The flow net
        is left as it is.

        Raises:
            ConfigError: ``state`` is not of this backbone (other keys, widths or depth).
        """
        own = self.sr_net.state_dict()
        c, wide = self.num_channels, self.num_channels * (self.scale**2 + 1)
        if set(own) != set(state):
            raise ConfigError(
                f"single-frame weights do not fit this backbone ({type(self.sr_net).__name__}): "
                f"{len(set(own) ^ set(state))} keys differ; use a checkpoint of the same "
                "model/generator, num_feat and num_block"
            )
        widened = []
        for key, value in state.items():
            target = own[key]
            if target.shape == value.shape:
                own[key] = value.clone()
            elif (target.dim() == 4 and value.shape[1] == c and target.shape[1] == wide
                  and target.shape[0] == value.shape[0] and target.shape[2:] == value.shape[2:]):
                weight = torch.zeros_like(target)
                weight[:, :c] = value
                own[key], widened = weight, [*widened, key]
            else:
                raise ConfigError(
                    f"single-frame weights do not fit this backbone: {key} is "
                    f"{tuple(value.shape)}, here {tuple(target.shape)} (other widths or depth)"
                )
        if len(widened) != 1:
            raise ConfigError(f"expected one input convolution to widen, found {widened}")
        self.sr_net.load_state_dict(own)

    def reset(self) -> None:
        """The state that starts a new shot (scene cut): ``state = model.reset()``."""
        return None

    def step(self, lr_t: Tensor, state: FRVSRState | None = None) -> tuple[Tensor, FRVSRState]:
        """Stream one frame ``lr_t: B,C,h,w`` -> (``sr_t: B,C,H,W``, new state).

        ``state=None`` starts a new shot. Frame by frame this equals ``forward``.
        """
        if state is None:
            estimate = self._zero_estimate(lr_t)
        else:
            if state.lr_prev.shape != lr_t.shape:
                raise ValueError(
                    f"FRVSR.step: frame {tuple(lr_t.shape)} does not match the state's "
                    f"{tuple(state.lr_prev.shape)}; pass state=None (model.reset()) when the "
                    "resolution or batch changes"
                )
            lr_flow = self.flow_net(lr_t, state.lr_prev)
            estimate = self._warp_estimate(state.sr_prev, lr_flow)
        sr_t = self._sr(lr_t, estimate)
        return sr_t, FRVSRState(lr_prev=lr_t, sr_prev=sr_t)
