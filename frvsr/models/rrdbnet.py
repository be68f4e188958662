"""RRDBNet with the ESRGAN design (BasicSR ``rrdbnet_arch``), for ESRGAN/Real-ESRGAN weights."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from frvsr.models.blocks import (
    SkipMode,
    check_scale,
    check_skip_mode,
    scaled_kaiming_init,
    upsample_skip,
)


class ResidualDenseBlock(nn.Module):
    """Five 3x3 convs, each seeing the block input and all earlier outputs (growth
    ``num_grow_ch``), LeakyReLU(0.2); output ``x + 0.2 * conv5(...)``."""

    def __init__(self, num_feat: int = 64, num_grow_ch: int = 32) -> None:
        super().__init__()
        g = num_grow_ch
        self.conv1 = nn.Conv2d(num_feat, g, 3, 1, 1)
        self.conv2 = nn.Conv2d(num_feat + g, g, 3, 1, 1)
        self.conv3 = nn.Conv2d(num_feat + 2 * g, g, 3, 1, 1)
        self.conv4 = nn.Conv2d(num_feat + 3 * g, g, 3, 1, 1)
        self.conv5 = nn.Conv2d(num_feat + 4 * g, num_feat, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)
        scaled_kaiming_init([self], 0.1)  # ESRGAN's small init of residual branches

    def forward(self, x: Tensor) -> Tensor:
        feats = [x]
        for conv in (self.conv1, self.conv2, self.conv3, self.conv4):
            feats.append(self.lrelu(conv(torch.cat(feats, 1))))
        return x + 0.2 * self.conv5(torch.cat(feats, 1))


class RRDB(nn.Module):
    """Residual-in-residual dense block: three dense blocks, output ``x + 0.2 * rdb3(...)``."""

    def __init__(self, num_feat: int = 64, num_grow_ch: int = 32) -> None:
        super().__init__()
        self.rdb1 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb2 = ResidualDenseBlock(num_feat, num_grow_ch)
        self.rdb3 = ResidualDenseBlock(num_feat, num_grow_ch)

    def forward(self, x: Tensor) -> Tensor:
        return x + 0.2 * self.rdb3(self.rdb2(self.rdb1(x)))


class RRDBNet(nn.Module):
    """ESRGAN generator (RRDBNet, Wang et al. 2018).

    Layout: ``feat = conv_first(x)``, ``feat + conv_body(body(feat))`` with ``num_block``
    residual-in-residual dense blocks (growth ``num_grow_ch``), two nearest-x2 + conv +
    LeakyReLU(0.2) stages (``conv_up1``, ``conv_up2``), ``conv_hr`` + LeakyReLU,
    ``conv_last``.

    Shapes: ``forward(x: B,in_channels,h,w) -> B,out_channels,s*h,s*w`` for any ``h, w``
    (``s = scale``); with a skip, ``in_channels >= out_channels``.
    Values: float RGB in [0,1] in; the output is not clamped.
    Scales: x4 as published. x2 as the published x2 models (Real-ESRGAN x2plus): the input is
    pixel-unshuffled by 2 (``conv_first`` takes ``4 * in_channels``) and the x4 trunk runs at
    half resolution; odd sizes are replicate-padded to even and the output cropped back.
    x3 is a frvsr extension without published weights: one nearest-x3 stage (``conv_up1``,
    no ``conv_up2``).
    Skip (``skip``): the published models have none (``"none"``, the default); FRVSR
    recipes may add ``"bilinear"`` / ``"bicubic_phase0"`` / ``"bicubic_tecogan"`` (see
    ``frvsr.models.blocks.upsample_skip``) on the first ``out_channels`` input channels.
    Parameters (64 features, 23 blocks, growth 32, RGB): x4 16,697,987 (ESRGAN's figure),
    x2 16,703,171, x3 16,661,059.

    Source: ESRGAN / BasicSR ``RRDBNet`` (``rrdbnet_arch.py``). Parameter names equal the
    published ESRGAN / Real-ESRGAN checkpoints (``conv_first``,
    ``body.<i>.rdb<1..3>.conv<1..5>``, ``conv_body``, ``conv_up1``, ``conv_up2``,
    ``conv_hr``, ``conv_last``), so they load strictly and reproduce their outputs.

    Raises:
        frvsr.errors.ConfigError: unsupported ``scale`` or ``skip``.
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        num_feat: int = 64,
        num_block: int = 23,
        scale: int = 4,
        num_grow_ch: int = 32,
        skip: SkipMode = "none",
    ) -> None:
        super().__init__()
        check_scale("RRDBNet", scale, (2, 3, 4))
        check_skip_mode(skip)
        self.scale = scale
        self.out_channels = out_channels
        self.skip = skip
        first_in = in_channels * 4 if scale == 2 else in_channels
        self.conv_first = nn.Conv2d(first_in, num_feat, 3, 1, 1)
        self.body = nn.Sequential(*[RRDB(num_feat, num_grow_ch) for _ in range(num_block)])
        self.conv_body = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_up2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1) if scale != 3 else None
        self.conv_hr = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv_last = nn.Conv2d(num_feat, out_channels, 3, 1, 1)
        self.lrelu = nn.LeakyReLU(0.2, inplace=True)

    def _trunk(self, x: Tensor) -> Tensor:
        feat = self.conv_first(x)
        feat = feat + self.conv_body(self.body(feat))
        if self.conv_up2 is None:  # x3
            feat = self.lrelu(self.conv_up1(F.interpolate(feat, scale_factor=3, mode="nearest")))
        else:
            feat = self.lrelu(self.conv_up1(F.interpolate(feat, scale_factor=2, mode="nearest")))
            feat = self.lrelu(self.conv_up2(F.interpolate(feat, scale_factor=2, mode="nearest")))
        return self.conv_last(self.lrelu(self.conv_hr(feat)))

    def forward(self, x: Tensor) -> Tensor:
        h, w = x.shape[-2:]
        if self.scale == 2:
            # Always pad and crop by index: no branch on the frame size, so the ONNX export
            # keeps symbolic sizes (a zero-width pad is a no-op).
            xp = F.pad(x, (0, w % 2, 0, h % 2), mode="replicate")
            out = self._trunk(F.pixel_unshuffle(xp, 2))
            out = out.index_select(-2, torch.arange(2 * h, device=x.device))
            out = out.index_select(-1, torch.arange(2 * w, device=x.device))
        else:
            out = self._trunk(x)
        if self.skip == "none":
            return out
        return out + upsample_skip(x[:, : self.out_channels], self.scale, self.skip)
