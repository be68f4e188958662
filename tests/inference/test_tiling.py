"""The tiling overlap rule: the counted receptive radius bounds the measured one, so
`overlap >= receptive_radius` makes tiled output equal untiled output."""
from __future__ import annotations

import pytest
import torch

from frvsr.inference.tiling import TiledBackbone, measured_radius, receptive_radius, tile_model
from frvsr.models import ESPCN, FRVSRNet, RRDBNet, SRResNet

BACKBONES = [(SRResNet, {}), (FRVSRNet, {}), (ESPCN, {}), (RRDBNet, {"num_grow_ch": 4})]


@pytest.mark.parametrize("cls,extra", BACKBONES, ids=[b[0].__name__ for b in BACKBONES])
@pytest.mark.parametrize("skip", ["bicubic_phase0", "bilinear"])
def test_counted_radius_bounds_the_measured_one(cls, extra, skip: str) -> None:
    torch.manual_seed(0)
    net = cls(in_channels=3, out_channels=3, num_feat=8, num_block=1, scale=4, skip=skip,
              **extra).eval()
    assert measured_radius(net, 3, 64) <= receptive_radius(net) < 32


def test_tile_model_wraps_single_frame_and_replaces_the_recurrent_backbone() -> None:
    net = SRResNet(in_channels=3, out_channels=3, num_feat=8, num_block=1, scale=4).eval()
    wrapped = tile_model(net, False, 4, 16)
    assert isinstance(wrapped, TiledBackbone) and wrapped.overlap == receptive_radius(net)
    x = torch.rand(1, 3, 37, 41)
    with torch.no_grad():
        assert torch.allclose(wrapped(x), net(x), atol=1e-6)
    with pytest.raises(ValueError):
        TiledBackbone(net, 4, 0, 1)
