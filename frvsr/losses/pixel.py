"""Pixel losses on SR frames: L1, L2 (MSE) or Charbonnier, chosen by `criterion`."""
from __future__ import annotations

import torch
from torch import Tensor

from frvsr.errors import ConfigError
from frvsr.losses.base import WeightedLoss

CRITERIA = ("l1", "l2", "charbonnier")


def elementwise_distance(pred: Tensor, target: Tensor, criterion: str, eps: float) -> Tensor:
    """Per-element distance; shared by the pixel, flow-warp and ping-pong losses."""
    diff = pred - target
    if criterion == "l1":
        return diff.abs()
    if criterion == "l2":
        return diff.square()
    if criterion == "charbonnier":
        return torch.sqrt(diff.square() + eps * eps)
    raise ConfigError(f"criterion={criterion!r} is not one of {CRITERIA}; fix loss.*.criterion")


class PixelLoss(WeightedLoss):
    """Distance between prediction and target of any matching shape (frames or clips)."""

    def __init__(
        self,
        criterion: str = "l2",
        weight: float = 1.0,
        reduction: str = "mean",
        eps: float = 1e-3,
    ) -> None:
        super().__init__(weight=weight, reduction=reduction)
        if criterion not in CRITERIA:
            raise ConfigError(
                f"PixelLoss: criterion={criterion!r} is not one of {CRITERIA}; "
                "fix loss.*.criterion"
            )
        self.criterion = criterion
        self.eps = eps

    def forward(self, pred: Tensor, target: Tensor) -> Tensor:
        if pred.shape != target.shape:
            raise ConfigError(
                f"PixelLoss: prediction shape {tuple(pred.shape)} != target shape "
                f"{tuple(target.shape)}; check data.scale against the generator's scale"
            )
        return self.reduce(elementwise_distance(pred, target, self.criterion, self.eps))
