"""FRVSRNet: the original FRVSR super-resolution network (SRNet of Sajjadi et al. 2018)."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from frvsr.errors import ConfigError
from frvsr.models.blocks import (
    ResidualBlockNoBN,
    SkipMode,
    check_scale,
    check_skip_mode,
    upsample_skip,
)


def _up_stages(num_feat: int, scale: int) -> list[nn.Module]:
    """x2 per stride-2 transposed conv (x4: two stages); x3: one stride-3 stage."""
    if scale == 3:
        return [nn.ConvTranspose2d(num_feat, num_feat, 3, 3, 0)]
    n = {2: 1, 4: 2}[scale]
    # kernel 3, stride 2, padding 1, output_padding 1: exactly 2h, as in TecoGAN's SRNet.
    return [nn.ConvTranspose2d(num_feat, num_feat, 3, 2, 1, output_padding=1) for _ in range(n)]


class FRVSRNet(nn.Module):
    """conv + ReLU, ``num_block`` residual blocks (no batch norm), transposed-conv
    upsampling with ReLU, conv to RGB, plus an upsampled skip of the LR frame.

    Input ``B,in_channels,h,w`` (alone: the LR frame; inside FRVSR: the LR frame followed by
    the space-to-depth of the warped previous estimate), output ``B,out_channels,s*h,s*w``.
    The skip upsamples the first ``out_channels`` input channels; choose it to match the
    degradation the model is trained on (see ``frvsr.models.blocks.upsample_skip``):
    ``"bilinear"`` for BI data (TecoGAN-PyTorch's BI models), ``"bicubic_phase0"`` for BD
    (Gaussian blur + stride-s sampling from pixel 0), ``"bicubic_tecogan"`` to reproduce
    TecoGAN-PyTorch's BD checkpoints exactly.

    FRVSR 10-128 is ``num_block=10, num_feat=128``; TecoGAN's generators are 10-64 / 16-64.
    Parameter layout: ``conv_in``, ``body.<i>.conv1/conv2``, ``upsample.<j>``, ``conv_out``
    (``frvsr.models.pretrained`` maps TecoGAN-PyTorch's ``srnet.*`` keys onto them).
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        num_feat: int = 64,
        num_block: int = 10,
        scale: int = 4,
        skip: SkipMode = "bilinear",
    ) -> None:
        super().__init__()
        check_scale("FRVSRNet", scale, (2, 3, 4))
        check_skip_mode(skip)
        if in_channels < out_channels:
            raise ConfigError(f"in_channels ({in_channels}) < out_channels ({out_channels})")
        self.scale = scale
        self.out_channels = out_channels
        self.skip = skip
        self.conv_in = nn.Conv2d(in_channels, num_feat, 3, 1, 1)
        self.body = nn.Sequential(*[ResidualBlockNoBN(num_feat) for _ in range(num_block)])
        self.upsample = nn.ModuleList(_up_stages(num_feat, scale))
        self.conv_out = nn.Conv2d(num_feat, out_channels, 3, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        out = self.body(F.relu(self.conv_in(x)))
        for up in self.upsample:
            out = F.relu(up(out))
        return self.conv_out(out) + upsample_skip(x[:, : self.out_channels], self.scale, self.skip)
