"""Discriminators for adversarial training: a spatial (per-frame) one and TecoGAN's
spatio-temporal one. Both return patch logits (one per receptive field, no sigmoid)."""
from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import spectral_norm

from frvsr.errors import ConfigError
from frvsr.models.blocks import SkipMode, check_skip_mode, upsample_skip
from frvsr.ops.warp import flow_warp, upsample_flow


class SpatialDiscriminator(nn.Module):
    """VGG-style patch discriminator with spectral norm on every conv.

    conv 3x3 (``num_feat``) + LeakyReLU(0.2), then ``num_block`` stride-2 conv 4x4 +
    LeakyReLU(0.2) stages with widths ``num_feat * (1, 2, 4, 8, 8, ...)``, then a conv 3x3 to
    one logit per patch. Spectral norm (instead of batch norm) bounds the Lipschitz constant,
    which keeps the GAN stable at the small batches of video training and makes the output
    independent of batch composition.

    ``forward(x: B,in_channels,H,W, return_features=False)`` -> logits
    ``B,1,H/2**num_block,W/2**num_block`` (H, W divisible by ``2**num_block``), or
    ``(logits, [features of each stage])`` for a feature-matching loss. For a conditional
    discriminator pass ``in_channels=6`` and concatenate the upsampled LR frame yourself.
    """

    def __init__(self, in_channels: int = 3, num_feat: int = 64, num_block: int = 4) -> None:
        super().__init__()
        self.conv_in = nn.Sequential(
            spectral_norm(nn.Conv2d(in_channels, num_feat, 3, 1, 1)),
            nn.LeakyReLU(0.2, inplace=True),
        )
        blocks = []
        cin = num_feat
        for i in range(num_block):
            cout = num_feat * min(2 ** (i + 1), 8)
            blocks.append(
                nn.Sequential(
                    spectral_norm(nn.Conv2d(cin, cout, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True)
                )
            )
            cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.head = spectral_norm(nn.Conv2d(cin, 1, 3, 1, 1))

    def forward(
        self, x: Tensor, return_features: bool = False
    ) -> Tensor | tuple[Tensor, list[Tensor]]:
        return _blocks_and_head(self.conv_in(x), self.blocks, self.head, return_features)


class SpatioTemporalDiscriminator(nn.Module):
    """TecoGAN's spatio-temporal discriminator (Chu et al. 2020) on frame triplets.

    Input (27 channels for RGB): the triplet of consecutive HR frames, the same frames
    warped toward the middle one with the given flows (gradient stopped, centre-cropped to
    ``crop_ratio`` of each side and zero-padded back, as TecoGAN does for stability), and
    the upsampled LR triplet (the condition). Layout: conv 3x3 ``num_feat`` + LeakyReLU(0.2),
    four conv 4x4 stride-2 + BatchNorm + LeakyReLU(0.2) blocks (64, 64, 128, 256 at
    ``num_feat=64``) and, instead of TecoGAN's dense layer tied to one crop size, a conv 3x3
    giving patch logits ``B,1,H/16,W/16`` (any H, W divisible by 16).

    ``forward(hr, flows, lr, return_features=False)``:
        hr: ``B,3,C,H,W`` frames t-1, t, t+1 (real or generated).
        flows: ``B,3,2,h',w'`` backward flows from the middle frame to each frame of the
            triplet: pixel p of frame t is found at p + flows[:, k](p) in frame k
            (k=1 is the middle frame, normally zeros). Either at HR (h',w' = H,W, HR pixels)
            or at LR (h',w' = h,w, LR pixels; upsampled with ``frvsr.ops.upsample_flow``).
            With FRVSR's output, ``flows[:, 0]`` is ``out.flow[:, t-1]`` and
            ``flows[:, 2]`` is ``flow_net(lr_t, lr_{t+1})``.
        lr: ``B,3,C,h,w`` the LR triplet, upsampled here with ``lr_upsampling``
            (``frvsr.models.blocks.upsample_skip`` modes).
        Returns logits ``B,1,H/16,W/16``, or ``(logits, [4 block features])`` for TecoGAN's
        feature-matching loss.
    """

    def __init__(
        self,
        in_channels: int = 3,
        num_feat: int = 64,
        scale: int = 4,
        crop_ratio: float = 0.75,
        lr_upsampling: SkipMode = "bilinear",
    ) -> None:
        super().__init__()
        check_skip_mode(lr_upsampling)
        if not 0.0 < crop_ratio <= 1.0:
            raise ConfigError(f"crop_ratio must be in (0, 1], got {crop_ratio}")
        self.in_channels = in_channels
        self.scale = scale
        self.crop_ratio = crop_ratio
        self.lr_upsampling = lr_upsampling
        self.conv_in = nn.Sequential(
            nn.Conv2d(in_channels * 9, num_feat, 3, 1, 1), nn.LeakyReLU(0.2, inplace=True)
        )
        widths = [num_feat, num_feat, num_feat * 2, num_feat * 4]
        blocks, cin = [], num_feat
        for cout in widths:
            blocks.append(
                nn.Sequential(
                    nn.Conv2d(cin, cout, 4, 2, 1, bias=False),
                    nn.BatchNorm2d(cout),
                    nn.LeakyReLU(0.2, inplace=True),
                )
            )
            cin = cout
        self.blocks = nn.ModuleList(blocks)
        self.head = nn.Conv2d(cin, 1, 3, 1, 1)

    def _centre_mask(self, h: int, w: int, like: Tensor) -> Tensor:
        ch, cw = int(h * self.crop_ratio), int(w * self.crop_ratio)
        top, left = (h - ch) // 2, (w - cw) // 2
        mask = like.new_zeros(1, 1, h, w)
        mask[..., top : top + ch, left : left + cw] = 1.0
        return mask

    def build_input(self, hr: Tensor, flows: Tensor, lr: Tensor) -> Tensor:
        """The 27-channel input ``B,9C,H,W``: [frames, warped frames, upsampled LR],
        each frame-major (t-1, t, t+1)."""
        b, n, c, hh, ww = hr.shape
        if n != 3 or flows.shape[:3] != (b, 3, 2) or lr.shape[:3] != (b, 3, c):
            raise ValueError(
                "SpatioTemporalDiscriminator expects hr B,3,C,H,W, flows B,3,2,h,w and "
                f"lr B,3,C,h,w; got {tuple(hr.shape)}, {tuple(flows.shape)}, {tuple(lr.shape)}"
            )
        frames = hr.reshape(b * 3, c, hh, ww)
        flow = flows.detach().reshape(b * 3, 2, *flows.shape[-2:])  # stop gradient (TecoGAN)
        if flow.shape[-2:] != (hh, ww):
            flow = upsample_flow(flow, hh // flow.shape[-2])
        warped = flow_warp(frames, flow) * self._centre_mask(hh, ww, frames)
        cond = upsample_skip(lr.reshape(b * 3, c, *lr.shape[-2:]), self.scale, self.lr_upsampling)
        if cond.shape[-2:] != (hh, ww):
            raise ValueError(f"lr x{self.scale} is {tuple(cond.shape[-2:])}, hr is {(hh, ww)}")
        parts = [t.reshape(b, 3 * c, hh, ww) for t in (frames, warped, cond)]
        return torch.cat(parts, dim=1)

    def forward(
        self, hr: Tensor, flows: Tensor, lr: Tensor, return_features: bool = False
    ) -> Tensor | tuple[Tensor, list[Tensor]]:
        out = self.conv_in(self.build_input(hr, flows, lr))
        return _blocks_and_head(out, self.blocks, self.head, return_features)


def _blocks_and_head(
    out: Tensor, blocks: nn.ModuleList, head: nn.Module, return_features: bool
) -> Tensor | tuple[Tensor, list[Tensor]]:
    """Run the stride blocks and the patch head; the block outputs feed feature matching."""
    features = []
    for block in blocks:
        out = block(out)
        features.append(out)
    logits = head(out)
    return (logits, features) if return_features else logits
