"""FNet: FRVSR's flow estimator on pairs of LR frames (Sajjadi et al. 2018, TecoGAN's scaling)."""
from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from frvsr.errors import ConfigError

SizePolicy = Literal["pad", "reflect_flow"]


def _conv_pair(cin: int, cout: int) -> list[nn.Module]:
    return [
        nn.Conv2d(cin, cout, 3, 1, 1),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(cout, cout, 3, 1, 1),
        nn.LeakyReLU(0.2, inplace=True),
    ]


def _reflect_to(x: Tensor, h: int, w: int) -> Tensor:
    """Reflect-pad ``...,h',w'`` at the bottom/right to ``...,h,w`` (``h - h' < h'``): the
    result of ``F.pad(mode="reflect")``, gathered with computed indices so that torch.export
    needs no guard on the pad being smaller than the size (symbolic ONNX sizes)."""
    for dim, n in ((-2, h), (-1, w)):
        size = x.shape[dim]
        idx = torch.arange(n, device=x.device)
        x = x.index_select(dim, torch.where(idx < size, idx, 2 * (size - 1) - idx))
    return x


class FNet(nn.Module):
    """Encoder-decoder flow net: ``forward(lr_curr, lr_prev) -> flow B,2,h,w``.

    The flow is backward (pixel ``p`` of ``lr_curr`` is found at ``p + flow(p)`` in
    ``lr_prev``), in LR pixels, channel 0 = x, bounded by ``max_velocity`` through a tanh.
    The current frame comes first in the 6-channel input.

    Encoder: 3 stages (32, 64, 128) of two 3x3 conv + LeakyReLU(0.2) and a 2x2 max-pool;
    decoder: 3 stages (256, 128, 64) of two conv + LeakyReLU and 2x bilinear upsampling;
    then conv 32 + LeakyReLU, conv 2, tanh, times ``max_velocity`` (TecoGAN uses 24).
    Module names (``encoder1..3``, ``decoder1..3``, ``flow``) equal TecoGAN-PyTorch's FNet,
    so its ``fnet.*`` weights load unchanged.

    Sizes that are not a multiple of 8 (three 2x pools): ``size_policy="pad"`` (default)
    replicate-pads the frames up to a multiple of 8 and crops the flow back, so every pixel
    gets an estimate from its own neighbourhood. ``"reflect_flow"`` reproduces
    TecoGAN-PyTorch's inference exactly: run on the floor-to-8 size (max-pool drops the
    remainder) and reflect-pad the flow to full size. Both agree on multiples of 8.
    """

    def __init__(
        self,
        in_channels: int = 3,
        max_velocity: float = 24.0,
        size_policy: SizePolicy = "pad",
    ) -> None:
        super().__init__()
        if size_policy not in ("pad", "reflect_flow"):
            raise ConfigError(f"size_policy must be 'pad' or 'reflect_flow', got {size_policy!r}")
        self.max_velocity = max_velocity
        self.size_policy = size_policy
        self.encoder1 = nn.Sequential(*_conv_pair(2 * in_channels, 32), nn.MaxPool2d(2, 2))
        self.encoder2 = nn.Sequential(*_conv_pair(32, 64), nn.MaxPool2d(2, 2))
        self.encoder3 = nn.Sequential(*_conv_pair(64, 128), nn.MaxPool2d(2, 2))
        self.decoder1 = nn.Sequential(*_conv_pair(128, 256))
        self.decoder2 = nn.Sequential(*_conv_pair(256, 128))
        self.decoder3 = nn.Sequential(*_conv_pair(128, 64))
        self.flow = nn.Sequential(
            nn.Conv2d(64, 32, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(32, 2, 3, 1, 1)
        )

    def _estimate(self, x: Tensor, size: tuple[int, int]) -> Tensor:
        """Flow of the stacked frames ``x``; ``size`` = 8 * (h // 8, w // 8) of ``x``, the
        size the three 2x max-pools and 2x upsamplings return to. The last upsampling
        resizes to ``size`` by name (equal to 2x): under torch.export the size then stays
        the expression it was given, which the crop below can be checked against."""
        out = self.encoder3(self.encoder2(self.encoder1(x)))
        for decoder in (self.decoder1, self.decoder2):
            out = F.interpolate(decoder(out), scale_factor=2, mode="bilinear", align_corners=False)
        out = F.interpolate(self.decoder3(out), size=size, mode="bilinear", align_corners=False)
        return torch.tanh(self.flow(out)) * self.max_velocity

    def forward(self, lr_curr: Tensor, lr_prev: Tensor) -> Tensor:
        """``lr_curr``, ``lr_prev``: ``B,C,h,w`` -> backward flow ``B,2,h,w`` (LR pixels)."""
        if lr_curr.shape != lr_prev.shape:
            raise ValueError(
                f"FNet: frames differ in shape {tuple(lr_curr.shape)} vs {tuple(lr_prev.shape)}"
            )
        x = torch.cat([lr_curr, lr_prev], dim=1)
        h, w = x.shape[-2:]
        if self.size_policy == "reflect_flow":
            if h < 8 or w < 8:
                raise ValueError(f"FNet(size_policy='reflect_flow') needs h, w >= 8, got {h}x{w}")
            # (h//8*8, w//8*8): max-pool drops the remainder
            return _reflect_to(self._estimate(x, (h // 8 * 8, w // 8 * 8)), h, w)
        # Padded unconditionally (a zero pad is a copy): a branch on the size would pin it
        # under torch.export, and the ONNX export keeps height and width symbolic.
        pad_h, pad_w = (-h) % 8, (-w) % 8
        x = F.pad(x, (0, pad_w, 0, pad_h), mode="replicate")
        return self._estimate(x, (h + pad_h, w + pad_w))[..., :h, :w]
