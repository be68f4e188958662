"""Run an SR backbone in tiles so frames larger than memory can be upscaled.

Only the backbone is tiled. For FRVSR the flow is still estimated on the whole LR frame
and the previous estimate warped whole (both are cheap); the backbone then sees tiles of
``cat(lr_t, space_to_depth(warped))`` with ``overlap`` LR pixels of context on each side,
and only each tile's centre is kept.

Exactness: an output pixel depends on input pixels within the backbone's receptive
radius. :func:`receptive_radius` bounds it from the module's convolutions (every conv
counted at LR resolution, which over-counts the convs after upsampling) plus the image
skip's bicubic support (2 LR pixels). With ``overlap >= receptive_radius(net)`` the tiled
output equals the untiled one up to float summation order. With a smaller overlap (RRDBNet
with 23 blocks has a radius of about 350 LR pixels, so any practical tile is smaller) the
pixels near tile seams lose the context beyond ``overlap``: differences are small but
measurable there, and larger overlaps shrink them.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

SKIP_RADIUS = 2  # bicubic image skips read 2 LR pixels on each side
DEFAULT_OVERLAP = 32  # LR pixels, when the receptive radius does not fit in the tile


def receptive_radius(net: nn.Module) -> int:
    """Upper bound on how many LR pixels of context (per side) one output pixel reads."""
    radius = SKIP_RADIUS
    for m in net.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            (kh, kw), (dh, dw) = m.kernel_size, m.dilation
            radius += max((kh - 1) // 2 * dh, (kw - 1) // 2 * dw)
    return radius


def default_overlap(net: nn.Module, tile: int) -> int:
    """The receptive radius when it is smaller than the tile (tiled == untiled), else
    :data:`DEFAULT_OVERLAP` (capped at half the tile)."""
    radius = receptive_radius(net)
    return radius if radius < tile else min(DEFAULT_OVERLAP, tile // 2)


class TiledBackbone(nn.Module):
    """Wraps a backbone ``B,C_in,h,w -> B,C_out,s*h,s*w``; runs it over ``tile x tile`` LR
    tiles with ``overlap`` LR pixels of context and stitches the centres.

    Raises ``ValueError`` for ``tile < 1`` or ``overlap < 0``.
    """

    def __init__(self, net: nn.Module, scale: int, tile: int, overlap: int) -> None:
        super().__init__()
        if tile < 1 or overlap < 0:
            raise ValueError(f"tile={tile} must be >= 1 and overlap={overlap} >= 0")
        self.net, self.scale, self.tile, self.overlap = net, int(scale), int(tile), int(overlap)

    def forward(self, x: Tensor) -> Tensor:
        h, w = x.shape[-2:]
        if h <= self.tile and w <= self.tile:
            return self.net(x)
        s, t, o = self.scale, self.tile, self.overlap
        out: Tensor | None = None
        for y0 in range(0, h, t):
            for x0 in range(0, w, t):
                y1, x1 = min(y0 + t, h), min(x0 + t, w)
                ya, xa = max(y0 - o, 0), max(x0 - o, 0)
                yb, xb = min(y1 + o, h), min(x1 + o, w)
                part = self.net(x[..., ya:yb, xa:xb])
                if out is None:
                    out = part.new_empty(*part.shape[:-2], h * s, w * s)
                out[..., y0 * s:y1 * s, x0 * s:x1 * s] = part[
                    ..., (y0 - ya) * s:(y1 - ya) * s, (x0 - xa) * s:(x1 - xa) * s]
        assert out is not None
        return out


def tile_model(model: nn.Module, recurrent: bool, scale: int, tile: int,
               overlap: int | None = None) -> nn.Module:
    """``model`` with its backbone tiled: FRVSR's ``sr_net`` is replaced in place (flow and
    warping stay whole); a single-frame model is wrapped. Returns the model to run."""
    net = model.sr_net if recurrent else model
    used = default_overlap(net, tile) if overlap is None else int(overlap)
    tiled = TiledBackbone(net, scale, tile, used)
    if not recurrent:
        return tiled
    model.sr_net = tiled
    return model


@torch.no_grad()
def measured_radius(net: nn.Module, channels: int, size: int = 96) -> int:
    """Empirical receptive radius (LR pixels) of ``net``: how far the effect of one LR
    pixel changed at the centre of a ``size x size`` input reaches. For checking
    :func:`receptive_radius`; radii of ``size // 2`` or more are reported as that."""
    g = torch.Generator().manual_seed(0)
    x = torch.rand(1, channels, size, size, generator=g)
    base = net(x)
    x2 = x.clone()
    c = size // 2
    x2[..., c, c] += 0.5
    diff = (net(x2) - base).abs().amax(dim=(0, 1)) > 0
    ys, xs = torch.nonzero(diff, as_tuple=True)
    s = base.shape[-1] // size
    reach = max(int((ys // s - c).abs().max()), int((xs // s - c).abs().max()))
    return reach
