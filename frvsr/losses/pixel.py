"""Pixel losses on SR frames: L1, L2 (MSE) or Charbonnier, chosen by `criterion`
(BasicSR's `L1Loss`/`MSELoss`/`CharbonnierLoss` with a `weight` and a `reduction`)."""
from __future__ import annotations

import torch
from torch import Tensor

from frvsr.errors import ConfigError
from frvsr.losses.base import WeightedLoss

CRITERIA = ("l1", "l2", "charbonnier")


def elementwise_distance(pred: Tensor, target: Tensor, criterion: str, eps: float) -> Tensor:
    """Per-element distance of two equally shaped (or broadcastable) tensors, unreduced
    and unweighted; shared by the pixel, flow-warp and ping-pong losses.

    Raises `frvsr.errors.ConfigError` for a `criterion` other than l1, l2, charbonnier.
    """
    diff = pred - target
    if criterion == "l1":
        return diff.abs()
    if criterion == "l2":
        return diff.square()
    if criterion == "charbonnier":
        return torch.sqrt(diff.square() + eps * eps)
    raise ConfigError(f"criterion={criterion!r} is not one of {CRITERIA}; fix loss.*.criterion")


class PixelLoss(WeightedLoss):
    """Per-pixel distance between an SR prediction and its ground truth.

    Shapes: `pred` and `target` of the same shape, any rank: frames `B,C,H,W`, clips
    `B,T,C,H,W`. Values: float, nominally [0,1] (the raw, unclamped generator output).

    `criterion`: `l2` (squared error, FRVSR/TecoGAN's content loss), `l1` (ESRGAN/BasicSR
    `L1Loss`) or `charbonnier` (`sqrt(d**2 + eps**2)`, BasicSR `CharbonnierLoss`; never
    below `eps`). Reduction `mean` (default) or `sum` over all elements gives a scalar,
    `none` the elementwise map (shape of `pred`); the weight multiplies the result, which
    is >= 0.

    Raises:
        frvsr.errors.ConfigError (a ValueError): an unknown `criterion` or `reduction`, a
            negative `weight` (at construction); `pred` and `target` shapes differ (at the
            call: usually a generator scale that does not match `data.scale`).
    """

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
