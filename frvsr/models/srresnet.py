"""SRResNet with BasicSR's MSRResNet design (modified SRResNet: no batch norm)."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from frvsr.errors import ConfigError
from frvsr.models.blocks import (
    ResidualBlockNoBN,
    SkipMode,
    check_scale,
    check_skip_mode,
    scaled_kaiming_init,
    upsample_skip,
)


class SRResNet(nn.Module):
    """MSRResNet (BasicSR's modified SRResNet, as in ESRGAN's PSNR baseline: no batch norm).

    Layout: ``conv_first`` + LeakyReLU(0.1), ``num_block`` residual blocks (no BN),
    pixel-shuffle upsampling (x4: ``upconv1``, ``upconv2`` at x2 each; x2/x3: ``upconv1``),
    each followed by LeakyReLU(0.1), ``conv_hr`` + LeakyReLU(0.1), ``conv_last``, plus an
    upsampled skip of the first ``out_channels`` input channels.

    Shapes: ``forward(x: B,in_channels,h,w) -> B,out_channels,s*h,s*w`` for any ``h, w``
    (``s = scale``); ``in_channels >= out_channels``. With ``in_channels=(s**2 + 1) * 3``
    it is FRVSR's backbone (LR frame first, then the space-to-depth of the warped previous
    estimate; only ``conv_first`` widens).
    Values: float RGB in [0,1] in; the output is not clamped (may leave [0,1] slightly).
    Scales: 2, 3, 4.
    Skip (``skip``): ``bilinear`` (default, MSRResNet's own; needed to reproduce published
    weights and matching BI data), ``bicubic_phase0`` (BD data, phase-0 sampling: a
    bilinear, centre-aligned skip starts 2-3 dB below the aligned bicubic upscale there),
    ``bicubic_tecogan``, ``none`` (see ``frvsr.models.blocks.upsample_skip``).
    Parameters (64 features, 16 blocks, RGB): x4 1,517,571 (BasicSR's figure), x3
    1,554,499, x2 1,369,859; as FRVSR's x4 backbone (51 input channels) 1,545,219.

    Source: BasicSR ``MSRResNet`` (``msrresnet_arch.py``), after SRResNet (Ledig et al.
    2017). Parameter names and shapes equal BasicSR's (``conv_first``,
    ``body.<i>.conv1/conv2``, ``upconv1``, ``upconv2``, ``conv_hr``, ``conv_last``), so its
    published checkpoints load with ``strict=True`` and give the same output.

    Raises:
        frvsr.errors.ConfigError: unsupported ``scale`` or ``skip``, or
            ``in_channels < out_channels``.
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        num_feat: int = 64,
        num_block: int = 16,
        scale: int = 4,
        skip: SkipMode = "bilinear",
    ) -> None:
        super().__init__()
        check_scale("SRResNet", scale, (2, 3, 4))
        check_skip_mode(skip)
        self.skip = skip
        if in_channels < out_channels:
            raise ConfigError(f"in_channels ({in_channels}) < out_channels ({out_channels})")
        self.scale = scale
        self.out_channels = out_channels
        self.conv_first = nn.Conv2d(in_channels, num_feat, 3, 1, 1)
        self.body = nn.Sequential(*[ResidualBlockNoBN(num_feat) for _ in range(num_block)])
        # x4 is two x2 pixel shuffles; x2/x3 a single one.
        self.shuffle = 2 if scale == 4 else scale
        self.upconv1 = nn.Conv2d(num_feat, num_feat * self.shuffle**2, 3, 1, 1)
        self.upconv2 = nn.Conv2d(num_feat, num_feat * 4, 3, 1, 1) if scale == 4 else None
        self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_last = nn.Conv2d(num_feat, out_channels, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.1, inplace=True)
        # BasicSR's init: residual branches start small so the net starts near its skip.
        scaled_kaiming_init([self.conv_first, self.upconv1, self.conv_hr, self.conv_last], 0.1)
        scaled_kaiming_init([self.body], 0.1)
        if self.upconv2 is not None:
            scaled_kaiming_init([self.upconv2], 0.1)

    def forward(self, x: Tensor) -> Tensor:
        out = self.body(self.lrelu(self.conv_first(x)))
        out = self.lrelu(F.pixel_shuffle(self.upconv1(out), self.shuffle))
        if self.upconv2 is not None:
            out = self.lrelu(F.pixel_shuffle(self.upconv2(out), 2))
        out = self.conv_last(self.lrelu(self.conv_hr(out)))
        return out + upsample_skip(x[:, : self.out_channels], self.scale, self.skip)
