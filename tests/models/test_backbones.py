"""SR backbones: shapes at every supported scale, parameter counts, skips, channels_last."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from frvsr.models import ESPCN, FRVSRNet, RRDBNet, SRResNet
from frvsr.models.blocks import upsample_bicubic_tecogan, upsample_skip
from frvsr.ops import upsample_bicubic_phase0

TINY = {
    "FRVSRNet": lambda **kw: FRVSRNet(num_feat=8, num_block=2, **kw),
    "SRResNet": lambda **kw: SRResNet(num_feat=8, num_block=2, **kw),
    "RRDBNet": lambda **kw: RRDBNet(num_feat=8, num_block=1, num_grow_ch=4, **kw),
    "ESPCN": lambda **kw: ESPCN(num_feat=8, **kw),
}
LAST_CONV = {"FRVSRNet": "conv_out", "SRResNet": "conv_last", "RRDBNet": "conv_last"}


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("name", sorted(TINY))
@pytest.mark.parametrize("scale", [2, 3, 4])
@pytest.mark.parametrize("in_channels", [3, 0])  # 0: FRVSR's 3 + 3*scale**2
def test_output_shape_odd_sizes(name: str, scale: int, in_channels: int) -> None:
    cin = in_channels or 3 + 3 * scale**2
    net = TINY[name](in_channels=cin, scale=scale)
    out = net(torch.rand(2, cin, 7, 5))
    assert out.shape == (2, 3, 7 * scale, 5 * scale)
    assert torch.isfinite(out).all()


def test_published_parameter_counts() -> None:
    with torch.device("meta"):
        assert _count(SRResNet(num_feat=64, num_block=16, scale=4)) == 1_517_571
        assert _count(RRDBNet(num_feat=64, num_block=23, num_grow_ch=32, scale=4)) == 16_697_987


@pytest.mark.parametrize("name", sorted(LAST_CONV))
@pytest.mark.parametrize("scale", [2, 3, 4])
def test_zero_last_conv_leaves_documented_skip(name: str, scale: int) -> None:
    cin = 3 + 3 * scale**2
    net = TINY[name](in_channels=cin, scale=scale)
    last = getattr(net, LAST_CONV[name])
    torch.nn.init.zeros_(last.weight)
    torch.nn.init.zeros_(last.bias)
    x = torch.rand(1, cin, 6, 5)
    lr = x[:, :3]
    expected = {
        "FRVSRNet": F.interpolate(lr, scale_factor=scale, mode="bilinear", align_corners=False),
        "SRResNet": F.interpolate(lr, scale_factor=scale, mode="bilinear", align_corners=False),
        "RRDBNet": torch.zeros(1, 3, 6 * scale, 5 * scale),  # ESRGAN has no image skip
    }[name]
    assert torch.equal(net(x), expected)


@pytest.mark.parametrize("name", ["FRVSRNet", "SRResNet"])
@pytest.mark.parametrize("skip", ["bicubic_phase0", "bicubic_tecogan", "bilinear"])
def test_skip_modes(name: str, skip: str) -> None:
    net = TINY[name](scale=4, skip=skip)
    last = getattr(net, LAST_CONV[name])
    torch.nn.init.zeros_(last.weight)
    torch.nn.init.zeros_(last.bias)
    lr = torch.rand(1, 3, 5, 6)
    expected = {
        "bicubic_phase0": upsample_bicubic_phase0(lr, 4),
        "bicubic_tecogan": upsample_bicubic_tecogan(lr, 4),
        "bilinear": F.interpolate(lr, scale_factor=4, mode="bilinear", align_corners=False),
    }[skip]
    assert torch.equal(net(lr), expected)


def test_rrdbnet_optional_skip() -> None:
    net = RRDBNet(in_channels=3, num_feat=8, num_block=1, num_grow_ch=4, scale=2, skip="bilinear")
    torch.nn.init.zeros_(net.conv_last.weight)
    torch.nn.init.zeros_(net.conv_last.bias)
    lr = torch.rand(1, 3, 5, 7)  # odd: padded to even for the unshuffle, cropped back
    assert torch.equal(net(lr), upsample_skip(lr, 2, "bilinear"))


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_tecogan_bicubic_is_phase0_interpolation(scale: int) -> None:
    lr = torch.rand(1, 2, 9, 10)
    up = upsample_bicubic_tecogan(lr, scale)
    assert up.shape == (1, 2, 9 * scale, 10 * scale)
    torch.testing.assert_close(up[..., ::scale, ::scale], lr, rtol=0, atol=1e-6)
    flat = upsample_bicubic_tecogan(torch.full((1, 1, 4, 5), 0.3), scale)
    torch.testing.assert_close(flat, torch.full_like(flat, 0.3), rtol=0, atol=1e-6)
    # With MATLAB's a=-0.5 it is the same phase-0 bicubic as frvsr.ops.resize, away from
    # the border (TecoGAN replicates edges, MATLAB mirrors them).
    ours = upsample_bicubic_tecogan(lr, scale, a=-0.5)
    ref = upsample_bicubic_phase0(lr, scale)
    inner = (..., slice(scale, 7 * scale + 1), slice(scale, 8 * scale + 1))
    torch.testing.assert_close(ours[inner], ref[inner], rtol=0, atol=1e-5)
    assert (upsample_bicubic_tecogan(lr, scale) - ours).abs().max() > 1e-3  # a matters


@pytest.mark.parametrize("name", sorted(TINY))
def test_channels_last_input(name: str) -> None:
    net = TINY[name](in_channels=3, scale=4)
    x = torch.rand(2, 3, 6, 7)
    with torch.no_grad():
        ref = net(x)
        net = net.to(memory_format=torch.channels_last)
        out = net(x.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-5)


def test_backbone_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="scale"):
        SRResNet(scale=8)
    with pytest.raises(ValueError, match="skip mode"):
        FRVSRNet(skip="nearest")
    with pytest.raises(ValueError, match="in_channels"):
        ESPCN(in_channels=1, out_channels=3)
