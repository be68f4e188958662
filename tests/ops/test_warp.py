"""flow_warp / upsample_flow / space_to_depth: alignment convention and exactness."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from frvsr.ops import depth_to_space, flow_warp, space_to_depth, upsample_flow


def _const_flow(b: int, h: int, w: int, dx: float, dy: float) -> torch.Tensor:
    flow = torch.zeros(b, 2, h, w)
    flow[:, 0], flow[:, 1] = dx, dy
    return flow


def test_zero_flow_is_identity() -> None:
    # Exact up to float32 rounding of grid_sample's normalised coordinates.
    x = torch.rand(2, 3, 17, 23)
    torch.testing.assert_close(flow_warp(x, torch.zeros(2, 2, 17, 23)), x, rtol=0, atol=1e-5)


@pytest.mark.parametrize("dx,dy", [(3, -2), (-5, 4), (1, 0), (0, 7)])
def test_integer_flow_shifts_interior_exactly(dx: int, dy: int) -> None:
    x = torch.rand(1, 3, 64, 64)
    out = flow_warp(x, _const_flow(1, 64, 64, dx, dy))
    # Backward flow: out[y, x] = in[y + dy, x + dx] wherever that pixel exists.
    ys, xs = slice(max(0, -dy), 64 - max(0, dy)), slice(max(0, -dx), 64 - max(0, dx))
    ys_in, xs_in = slice(ys.start + dy, ys.stop + dy), slice(xs.start + dx, xs.stop + dx)
    assert (out[..., ys, xs] - x[..., ys_in, xs_in]).abs().max() < 1e-5


def test_half_pixel_flow_averages_neighbours() -> None:
    # Pixel centres sit on integer coordinates: +0.5 in x lands halfway between columns.
    x = torch.rand(1, 2, 9, 12)
    out = flow_warp(x, _const_flow(1, 9, 12, 0.5, 0.0))
    expected = 0.5 * (x[..., :-1] + x[..., 1:])
    torch.testing.assert_close(out[..., :-1], expected, rtol=0, atol=1e-5)


def test_border_padding_repeats_edge_pixels() -> None:
    x = torch.rand(1, 1, 6, 8)
    out = flow_warp(x, _const_flow(1, 6, 8, 100.0, 0.0))
    torch.testing.assert_close(out, x[..., -1:].expand_as(x), rtol=0, atol=1e-6)


def test_warp_is_differentiable_in_flow_and_image() -> None:
    x = torch.rand(1, 3, 10, 10, requires_grad=True)
    flow = (torch.rand(1, 2, 10, 10) - 0.5).requires_grad_()
    flow_warp(x, flow).square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert flow.grad is not None and flow.grad.abs().sum() > 0


def test_channels_last_input_gives_same_result() -> None:
    x = torch.rand(2, 3, 11, 13)
    flow = torch.randn(2, 2, 11, 13) * 2
    ref = flow_warp(x, flow)
    out = flow_warp(x.to(memory_format=torch.channels_last), flow)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-6)


def test_mismatched_sizes_raise() -> None:
    with pytest.raises(ValueError, match="upsample_flow"):
        flow_warp(torch.rand(1, 3, 8, 8), torch.zeros(1, 2, 4, 4))


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_upsample_flow_scales_size_and_magnitude(scale: int) -> None:
    flow = _const_flow(2, 5, 7, 1.5, -0.25)
    up = upsample_flow(flow, scale)
    assert up.shape == (2, 2, 5 * scale, 7 * scale)
    torch.testing.assert_close(up, _const_flow(2, 5 * scale, 7 * scale, 1.5 * scale, -0.25 * scale))


def test_upsampled_flow_warps_hr_like_lr() -> None:
    # A constant integer LR shift becomes the same shift in HR pixels, times the scale.
    hr = torch.rand(1, 3, 32, 32)
    out = flow_warp(hr, upsample_flow(_const_flow(1, 8, 8, 1.0, 0.0), 4))
    assert (out[..., :-4] - hr[..., 4:]).abs().max() < 1e-5


def test_space_to_depth_uses_tensorflow_channel_order() -> None:
    s, c = 2, 3
    x = torch.rand(1, c, 4, 6)
    y = space_to_depth(x, s)
    assert y.shape == (1, s * s * c, 2, 3)
    for dy in range(s):
        for dx in range(s):
            for ch in range(c):
                torch.testing.assert_close(y[:, (dy * s + dx) * c + ch], x[:, ch, dy::s, dx::s])


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_depth_to_space_inverts_space_to_depth(scale: int) -> None:
    x = torch.rand(2, 3, 5 * scale, 7 * scale)
    assert torch.equal(depth_to_space(space_to_depth(x, scale), scale), x)
    # Same elements as pixel_unshuffle, in a different channel order.
    assert torch.equal(
        space_to_depth(x, scale).sort(dim=1).values,
        F.pixel_unshuffle(x, scale).sort(dim=1).values,
    )


def test_space_to_depth_rejects_indivisible_size() -> None:
    with pytest.raises(ValueError, match="not divisible"):
        space_to_depth(torch.rand(1, 3, 9, 8), 4)


def test_half_precision_image_keeps_exact_coordinates() -> None:
    # bfloat16 cannot represent x = 1001 + 1 exactly; the grid is built in float32.
    x = torch.rand(1, 1, 2, 1100)
    out = flow_warp(x.to(torch.bfloat16), _const_flow(1, 2, 1100, 1.0, 0.0))
    assert out.dtype == torch.bfloat16
    torch.testing.assert_close(out[..., 1000:1099].float(), x[..., 1001:1100].bfloat16().float())


@pytest.mark.parametrize("dx,dy", [(0, 0), (3, -2)])
def test_bicubic_warp_is_exact_on_integer_flows(dx: int, dy: int) -> None:
    x = torch.rand(1, 3, 32, 32)
    out = flow_warp(x, _const_flow(1, 32, 32, dx, dy), mode="bicubic")
    ys, xs = slice(max(0, -dy) + 2, 30 - max(0, dy)), slice(max(0, -dx) + 2, 30 - max(0, dx))
    ys_in, xs_in = slice(ys.start + dy, ys.stop + dy), slice(xs.start + dx, xs.stop + dx)
    assert (out[..., ys, xs] - x[..., ys_in, xs_in]).abs().max() < 1e-5


def test_bicubic_warp_keeps_more_of_the_finest_texture() -> None:
    # Columns alternating 0/1 shifted by a quarter pixel: bilinear blends neighbours to
    # 0.75/0.25, the cubic convolution (a = -0.75) keeps 0.84375/0.15625.
    x = torch.zeros(1, 1, 8, 32)
    x[..., ::2] = 1.0
    flow = _const_flow(1, 8, 32, 0.25, 0.0)
    bilinear = flow_warp(x, flow)[0, 0, 4, 4:28]
    bicubic = flow_warp(x, flow, mode="bicubic")[0, 0, 4, 4:28]
    torch.testing.assert_close(bilinear[::2], torch.full((12,), 0.75), rtol=0, atol=1e-5)
    torch.testing.assert_close(bicubic[::2], torch.full((12,), 0.84375), rtol=0, atol=1e-5)
    torch.testing.assert_close(bicubic[1::2], torch.full((12,), 0.15625), rtol=0, atol=1e-5)


def test_unknown_warp_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode='nearest'"):
        flow_warp(torch.rand(1, 1, 4, 4), torch.zeros(1, 2, 4, 4), mode="nearest")  # type: ignore[arg-type]
