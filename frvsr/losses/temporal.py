"""Temporal losses on clips `B,T,C,H,W`: the LR flow-warp loss (FRVSR) and the ping-pong
loss (TecoGAN)."""
from __future__ import annotations

import torch
from torch import Tensor

from frvsr.errors import ConfigError
from frvsr.losses.base import WeightedLoss
from frvsr.losses.pixel import CRITERIA, elementwise_distance


class FlowWarpLoss(WeightedLoss):
    """Distance between LR frame t-1 warped to t and LR frame t (t = 1..T-1).

    Shapes: `lr_warped: B,T-1,C,h,w` (`FRVSROutput.lr_warped`, frame t-1 warped onto
    frame t with the flow net's backward flow), `lr: B,T,C,h,w` the LR input clip; clips
    only (no frame form). Values: float, [0,1] for the input frames. Training the flow net
    through this term is what makes it estimate motion (FRVSR, Sajjadi et al. 2018: L2,
    weight 1).

    `criterion` l2 (default), l1 or charbonnier (as `PixelLoss`). Reduction `mean`
    (default) or `sum` gives a scalar >= 0, `none` the `B,T-1,C,h,w` map; times the
    weight. A one-frame clip (`T = 1`, nothing to align) gives 0, connected to the graph.

    Raises:
        frvsr.errors.ConfigError (a ValueError): an unknown `criterion` or `reduction`,
            a negative `weight`.
        ValueError: `lr_warped` is not of shape `B,T-1,C,h,w` for `lr`.
    """

    def __init__(
        self, criterion: str = "l2", weight: float = 1.0, reduction: str = "mean",
        eps: float = 1e-3,
    ) -> None:
        super().__init__(weight=weight, reduction=reduction)
        if criterion not in CRITERIA:
            raise ConfigError(f"FlowWarpLoss: criterion={criterion!r} is not one of {CRITERIA}")
        self.criterion = criterion
        self.eps = eps

    def forward(self, lr_warped: Tensor, lr: Tensor) -> Tensor:
        if lr.shape[1] < 2:  # no frame pair: nothing to align (a mean over nothing is NaN)
            return lr_warped.sum() * 0.0
        if lr_warped.shape != lr[:, 1:].shape:
            raise ValueError(
                f"FlowWarpLoss: lr_warped has shape {tuple(lr_warped.shape)}, expected "
                f"{tuple(lr[:, 1:].shape)} (B,T-1,C,h,w for lr {tuple(lr.shape)})"
            )
        return self.reduce(elementwise_distance(lr_warped, lr[:, 1:], self.criterion, self.eps))


def pingpong_sequence(lr: Tensor) -> Tensor:
    """Extend a clip `B,T,...` (e.g. `B,T,C,h,w`) to the 2T-1 frames
    t_0..t_{T-1}..t_0 (TecoGAN's ping-pong input); `T = 1` stays one frame."""
    return torch.cat([lr, lr[:, :-1].flip(1)], dim=1)


class PingPongLoss(WeightedLoss):
    """L1 (by default) between the forward pass and the reversed pass of a ping-pong clip.

    Shapes: `sr: B,2T-1,C,H,W`, the generator output on `pingpong_sequence(lr)`; clips
    only. Values: float, nominally [0,1] (raw output). Frame t < T-1 of the forward half
    is compared with the same frame produced on the way back (frame 2T-2-t), which
    penalises drifting artefacts that a recurrent generator accumulates over time
    (TecoGAN, Chu et al. 2020: L1, weight 0.5).

    `criterion` l1 (default), l2 or charbonnier (as `PixelLoss`). Reduction `mean`
    (default) or `sum` gives a scalar >= 0, `none` the `B,T-1,C,H,W` map; times the
    weight. A one-frame clip gives 0, connected to the graph.

    Raises:
        frvsr.errors.ConfigError (a ValueError): an unknown `criterion` or `reduction`,
            a negative `weight`.
        ValueError: an even number of frames (not built with `pingpong_sequence`).
    """

    def __init__(
        self, criterion: str = "l1", weight: float = 0.5, reduction: str = "mean",
        eps: float = 1e-3,
    ) -> None:
        super().__init__(weight=weight, reduction=reduction)
        if criterion not in CRITERIA:
            raise ConfigError(f"PingPongLoss: criterion={criterion!r} is not one of {CRITERIA}")
        self.criterion = criterion
        self.eps = eps

    def forward(self, sr: Tensor) -> Tensor:
        length = sr.shape[1]
        if length == 1:  # a one-frame clip has no way back: nothing to compare
            return sr.sum() * 0.0
        if length % 2 == 0:
            raise ValueError(
                f"PingPongLoss: got {length} frames; expected an odd 2T-1 "
                "(build the input with pingpong_sequence)"
            )
        t = (length + 1) // 2
        forward = sr[:, : t - 1]
        backward = sr[:, t:].flip(1)
        return self.reduce(elementwise_distance(forward, backward, self.criterion, self.eps))
