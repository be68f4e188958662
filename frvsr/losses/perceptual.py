"""Perceptual losses on frames: VGG feature distances and LPIPS-VGG.

The feature network is built only when the weight is above 0, so a run that does not
use the term never needs its weight file. A missing weight file raises the feature
net's `WeightsNotFoundError` (a `FileNotFoundError` with a one-line message naming the
file), which `frvsr.train` prints and exits on.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch.nn.functional as F
from torch import Tensor, nn

from frvsr.errors import ConfigError
from frvsr.losses.base import WeightedLoss

CRITERIA = ("l1", "l2", "cosine")


def _frames(x: Tensor) -> Tensor:
    """`B,T,C,H,W` or `B,C,H,W` to `N,C,H,W`."""
    return x.flatten(0, 1) if x.dim() == 5 else x


class PerceptualLoss(WeightedLoss):
    """Distance between VGG features of SR and GT frames, averaged over `layers`.

    `criterion="cosine"` is TecoGAN's 1 - cosine similarity of channel-normalised
    features; `l1`/`l2` are ESRGAN-style feature distances.
    """

    def __init__(
        self,
        arch: str = "vgg16",
        layers: Sequence[str] = ("relu2_2", "relu3_3", "relu4_3", "relu5_3"),
        criterion: str = "cosine",
        weight: float = 0.2,
        reduction: str = "mean",
        source: str = "auto",
    ) -> None:
        super().__init__(weight=weight, reduction=reduction)
        if criterion not in CRITERIA:
            raise ConfigError(
                f"PerceptualLoss: criterion={criterion!r} is not one of {CRITERIA}; "
                "fix loss.perceptual_loss.criterion"
            )
        self.criterion = criterion
        self.layers = list(layers)
        self.features: nn.Module | None = None
        if self.active:
            from frvsr.models.feature_nets import VGGFeatures

            self.features = VGGFeatures(arch=arch, layers=self.layers, source=source)
            self.features.requires_grad_(False).eval()

    def train(self, mode: bool = True) -> PerceptualLoss:
        super().train(mode)
        if self.features is not None:
            self.features.eval()  # a frozen metric network, never in train mode
        return self

    def _distance(self, a: Tensor, b: Tensor) -> Tensor:
        if self.criterion == "cosine":
            return 1.0 - F.cosine_similarity(a, b, dim=1, eps=1e-8)
        if self.criterion == "l1":
            return (a - b).abs()
        return (a - b).square()

    def forward(self, sr: Tensor, gt: Tensor) -> Tensor:
        if self.features is None:
            return sr.new_zeros(())
        fs, fg = self.features(_frames(sr)), self.features(_frames(gt))
        terms = [self.reduce(self._distance(fs[k], fg[k].detach())) for k in self.layers]
        return sum(terms[1:], terms[0]) / len(terms)


class LPIPSLoss(WeightedLoss):
    """LPIPS (v0.1 heads) as a loss, from `frvsr.metrics.perceptual.LPIPS`."""

    def __init__(self, net: str = "vgg", weight: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(weight=weight, reduction=reduction)
        self.lpips: nn.Module | None = None
        if self.active:
            from frvsr.metrics.perceptual import LPIPS

            self.lpips = LPIPS(net=net)
            self.lpips.requires_grad_(False).eval()

    def train(self, mode: bool = True) -> LPIPSLoss:
        super().train(mode)
        if self.lpips is not None:
            self.lpips.eval()
        return self

    def forward(self, sr: Tensor, gt: Tensor) -> Tensor:
        if self.lpips is None:
            return sr.new_zeros(())
        return self.reduce(self.lpips(_frames(sr), _frames(gt)))
