"""Shared interface of every loss: a module with a `weight` and a `reduction`.

Each loss returns the already-weighted value, so a training step sums the terms it
gets and logs each one under its own name (`train/<name>`).
"""
from __future__ import annotations

from torch import Tensor, nn

from frvsr.errors import ConfigError

REDUCTIONS = ("mean", "sum", "none")


class WeightedLoss(nn.Module):
    """Base class: validates `weight` and `reduction` and applies them (BasicSR's
    `loss_weight` / `reduction` convention).

    `reduction`: `mean`, `sum` (scalars) or `none` (the elementwise map; some losses
    refuse it). `weight` >= 0 multiplies the reduced value; 0 turns the term off
    (`active` is False and the training modules skip it).

    Raises:
        frvsr.errors.ConfigError (a ValueError): an unknown `reduction`, a negative `weight`.
    """

    def __init__(self, weight: float = 1.0, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ConfigError(
                f"{type(self).__name__}: reduction={reduction!r} is not one of {REDUCTIONS}; "
                "set loss.<name>.reduction accordingly"
            )
        if weight < 0:
            raise ConfigError(
                f"{type(self).__name__}: weight={weight} is negative; use a weight >= 0"
            )
        self.weight = float(weight)
        self.reduction = reduction

    @property
    def active(self) -> bool:
        """False when the weight is 0: callers skip the (possibly costly) computation."""
        return self.weight > 0

    def reduce(self, elementwise: Tensor) -> Tensor:
        """Apply the reduction, then the weight."""
        if self.reduction == "mean":
            out = elementwise.mean()
        elif self.reduction == "sum":
            out = elementwise.sum()
        else:
            out = elementwise
        return out * self.weight

    def extra_repr(self) -> str:
        return f"weight={self.weight}, reduction={self.reduction!r}"
