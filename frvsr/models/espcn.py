"""ESPCN: a tiny sub-pixel network (Shi et al. 2016) cheap enough for per-frame use on a
phone or in a browser."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from frvsr.errors import ConfigError
from frvsr.models.blocks import SkipMode, check_scale, check_skip_mode, upsample_skip


class ESPCN(nn.Module):
    """ESPCN, the efficient sub-pixel CNN (Shi et al., CVPR 2016).

    Layout: conv 5x5 (``num_feat``) + tanh, ``num_block`` conv 3x3 (``num_feat // 2``) +
    tanh, conv 3x3 to ``out_channels * scale**2``, pixel shuffle, plus an upsampled skip of
    the first ``out_channels`` input channels. With the defaults (64 features, one middle
    block) the convolutions are the paper's 5-64, 3-32, 3-(r^2 C) net; all run at LR
    resolution, so the cost per output pixel is tiny.

    Shapes: ``forward(x: B,in_channels,h,w) -> B,out_channels,s*h,s*w`` for any ``h, w``
    (``s = scale``); ``in_channels >= out_channels``.
    Values: float RGB in [0,1] in; the output is not clamped.
    Scales: 2, 3, 4.
    Skip (``skip``): ``bilinear`` (default: the convs learn only the residual, which trains
    faster than the paper's skip-less net), ``bicubic_phase0`` (BD data),
    ``bicubic_tecogan``, ``none`` (the paper's net; see
    ``frvsr.models.blocks.upsample_skip``).
    Parameters (64 features, one block, RGB): x4 37,200, x3 31,131, x2 26,796.

    Source: Shi et al. 2016, "Real-Time Single Image and Video Super-Resolution Using an
    Efficient Sub-Pixel Convolutional Neural Network" (there on the Y channel, without a
    skip).

    Raises:
        frvsr.errors.ConfigError: unsupported ``scale`` or ``skip``, or
            ``in_channels < out_channels``.
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        num_feat: int = 64,
        num_block: int = 1,
        scale: int = 4,
        skip: SkipMode = "bilinear",
    ) -> None:
        super().__init__()
        check_scale("ESPCN", scale, (2, 3, 4))
        check_skip_mode(skip)
        if in_channels < out_channels:
            raise ConfigError(f"in_channels ({in_channels}) < out_channels ({out_channels})")
        self.scale = scale
        self.out_channels = out_channels
        self.skip = skip
        mid = max(num_feat // 2, 1)
        layers: list[nn.Module] = [nn.Conv2d(in_channels, num_feat, 5, 1, 2), nn.Tanh()]
        cin = num_feat
        for _ in range(num_block):
            layers += [nn.Conv2d(cin, mid, 3, 1, 1), nn.Tanh()]
            cin = mid
        layers.append(nn.Conv2d(cin, out_channels * scale**2, 3, 1, 1))
        self.body = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        out = F.pixel_shuffle(self.body(x), self.scale)
        return out + upsample_skip(x[:, : self.out_channels], self.scale, self.skip)
