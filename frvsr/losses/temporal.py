"""Temporal losses: the LR flow-warp loss (FRVSR) and the ping-pong loss (TecoGAN)."""
from __future__ import annotations

import torch
from torch import Tensor

from frvsr.errors import ConfigError
from frvsr.losses.base import WeightedLoss
from frvsr.losses.pixel import CRITERIA, elementwise_distance


class FlowWarpLoss(WeightedLoss):
    """Distance between LR frame t-1 warped to t and LR frame t.

    `lr_warped: B,T-1,C,h,w` comes from the flow net; `lr: B,T,C,h,w` is the input clip.
    Training the flow net through this term is what makes it estimate motion (FRVSR).
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
        return self.reduce(elementwise_distance(lr_warped, lr[:, 1:], self.criterion, self.eps))


def pingpong_sequence(lr: Tensor) -> Tensor:
    """Extend `B,T,...` to the 2T-1 frames t_0..t_{T-1}..t_0 (TecoGAN's ping-pong input)."""
    return torch.cat([lr, lr[:, :-1].flip(1)], dim=1)


class PingPongLoss(WeightedLoss):
    """L1 (by default) between the forward pass and the reversed pass of a ping-pong clip.

    `sr: B,2T-1,C,H,W` is the output on `pingpong_sequence(lr)`; frame t of the forward
    half is compared with the same frame produced on the way back, which penalises
    drifting artefacts that a recurrent generator accumulates over time.
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
