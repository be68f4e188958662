"""FNet, FRVSRNet and the FRVSR wrapper: parameter counts, shapes, step == forward, gradients."""
from __future__ import annotations

import functools

import pytest
import torch

from frvsr.errors import ConfigError
from frvsr.models import FRVSR, FNet, FRVSRNet, FRVSRState, SRResNet
from frvsr.ops import flow_warp, space_to_depth


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _tiny(scale: int, **kwargs: object) -> FRVSR:
    torch.manual_seed(0)
    sr_net = functools.partial(FRVSRNet, num_feat=8, num_block=2, **kwargs)
    return FRVSR(FNet(), sr_net, scale=scale).eval()


def test_fnet_parameter_count() -> None:
    with torch.device("meta"):
        assert _count(FNet()) == 1_745_506


@pytest.mark.parametrize(
    "num_feat,num_block,expected", [(128, 10, 5_054_693), (64, 10, 2_589_093), (64, 16, 3_032_229)]
)
def test_frvsr_parameter_counts(num_feat: int, num_block: int, expected: int) -> None:
    with torch.device("meta"):
        sr_net = functools.partial(FRVSRNet, num_feat=num_feat, num_block=num_block)
        assert _count(FRVSR(FNet(), sr_net, scale=4)) == expected


@pytest.mark.parametrize("size", [(8, 16), (13, 21), (5, 3)])
def test_fnet_any_size_and_bounded(size: tuple[int, int]) -> None:
    net = FNet(max_velocity=3.0)
    a, b = torch.rand(2, 3, *size), torch.rand(2, 3, *size)
    flow = net(a, b)
    assert flow.shape == (2, 2, *size)
    assert flow.abs().max() <= 3.0


def test_fnet_size_policies_agree_on_multiples_of_eight() -> None:
    pad = FNet()
    reflect = FNet(size_policy="reflect_flow")
    reflect.load_state_dict(pad.state_dict())
    a, b = torch.rand(1, 3, 16, 24), torch.rand(1, 3, 16, 24)
    assert torch.equal(pad(a, b), reflect(a, b))
    assert reflect(torch.rand(1, 3, 13, 19), torch.rand(1, 3, 13, 19)).shape == (1, 2, 13, 19)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_forward_shapes_odd_sizes(scale: int) -> None:
    model = _tiny(scale)
    lr = torch.rand(2, 3, 3, 7, 9)
    with torch.no_grad():
        out = model(lr)
    assert out.sr.shape == (2, 3, 3, 7 * scale, 9 * scale)
    assert out.flow.shape == (2, 2, 2, 7, 9)
    assert out.lr_warped.shape == (2, 2, 3, 7, 9)
    # lr_warped is the previous LR frame warped with the reported flow.
    torch.testing.assert_close(out.lr_warped[:, 1], flow_warp(lr[:, 1], out.flow[:, 1]))


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_step_equals_forward(scale: int) -> None:
    model = _tiny(scale)
    lr = torch.rand(2, 4, 3, 9, 11)
    with torch.no_grad():
        full = model(lr).sr
        state: FRVSRState | None = model.reset()
        frames = []
        for t in range(lr.shape[1]):
            sr_t, state = model.step(lr[:, t], state)
            frames.append(sr_t)
    assert (torch.stack(frames, 1) - full).abs().max() < 1e-5


def test_memory_warp_resamples_the_previous_estimate_as_asked() -> None:
    torch.manual_seed(0)
    sr_net = functools.partial(FRVSRNet, num_feat=8, num_block=2)
    model = FRVSR(FNet(), sr_net, scale=4, memory_warp="bicubic").eval()
    sr_prev, lr_flow = torch.rand(1, 3, 24, 24), torch.full((1, 2, 6, 6), 0.3)
    hr_flow = model.upsample_flow(lr_flow)
    with torch.no_grad():
        got = model._warp_estimate(sr_prev, lr_flow)
        bicubic = space_to_depth(flow_warp(sr_prev, hr_flow, mode="bicubic"), 4)
        assert torch.equal(got, bicubic)
        assert not torch.allclose(got, space_to_depth(flow_warp(sr_prev, hr_flow), 4))
        # Streaming equals the whole-clip forward with the bicubic warp too.
        lr = torch.rand(1, 3, 3, 8, 8)
        state: FRVSRState | None = model.reset()
        frames = []
        for t in range(3):
            sr_t, state = model.step(lr[:, t], state)
            frames.append(sr_t)
        assert (torch.stack(frames, 1) - model(lr).sr).abs().max() < 1e-5
    with pytest.raises(ConfigError, match="memory_warp='nearest'"):
        FRVSR(FNet(), sr_net, scale=4, memory_warp="nearest")  # type: ignore[arg-type]


def test_first_frame_uses_zero_previous_estimate() -> None:
    model = _tiny(4)
    lr = torch.rand(1, 2, 3, 6, 6)
    with torch.no_grad():
        first = model.sr_net(torch.cat([lr[:, 0], torch.zeros(1, 48, 6, 6)], 1))
        assert torch.equal(model(lr).sr[:, 0], first)
        # After a reset (scene cut) the next frame starts over the same way.
        _, state = model.step(lr[:, 0])
        second, _ = model.step(lr[:, 1], model.reset())
        assert torch.equal(second, model.sr_net(torch.cat([lr[:, 1], torch.zeros(1, 48, 6, 6)], 1)))
        assert not torch.equal(second, model.step(lr[:, 1], state)[0])


def test_single_frame_clip() -> None:
    out = _tiny(2)(torch.rand(1, 1, 3, 5, 5))
    assert out.sr.shape == (1, 1, 3, 10, 10) and out.flow.shape == (1, 0, 2, 5, 5)


def test_flow_loss_gradient_reaches_fnet_only() -> None:
    model = _tiny(4).train()
    lr = torch.rand(1, 3, 3, 8, 8)
    out = model(lr)
    (out.lr_warped - lr[:, 1:]).square().mean().backward()
    fnet_grads = [p.grad for p in model.flow_net.parameters()]
    assert all(g is not None for g in fnet_grads)
    assert sum(g.abs().sum() for g in fnet_grads) > 0
    assert all(p.grad is None for p in model.sr_net.parameters())


def test_sr_loss_gradient_reaches_both_nets() -> None:
    model = _tiny(2).train()
    model(torch.rand(1, 3, 3, 8, 8)).sr.mean().backward()
    assert model.flow_net.encoder1[0].weight.grad.abs().sum() > 0
    assert model.sr_net.conv_in.weight.grad.abs().sum() > 0


def test_channels_last_inputs_and_weights() -> None:
    model = _tiny(4)
    lr = torch.rand(1, 2, 3, 8, 12)
    with torch.no_grad():
        ref = model(lr).sr
        model = model.to(memory_format=torch.channels_last)
        sr0, state = model.step(lr[:, 0].contiguous(memory_format=torch.channels_last))
        sr1, _ = model.step(lr[:, 1].contiguous(memory_format=torch.channels_last), state)
    torch.testing.assert_close(torch.stack([sr0, sr1], 1), ref, rtol=0, atol=1e-5)


def test_other_backbone_gets_filled_in_arguments() -> None:
    model = FRVSR(FNet(), functools.partial(SRResNet, num_feat=8, num_block=1), scale=3)
    assert model.sr_net.conv_first.in_channels == 3 + 3 * 9
    assert model(torch.rand(1, 2, 3, 5, 7)).sr.shape == (1, 2, 3, 15, 21)


def test_errors_are_clear() -> None:
    with pytest.raises(TypeError, match="callable"):
        FRVSR(FNet(), FRVSRNet(in_channels=51), scale=4)
    with pytest.raises(ValueError, match="scale"):
        FRVSR(FNet(), FRVSRNet, scale=5)
    model = _tiny(2)
    _, state = model.step(torch.rand(1, 3, 8, 8))
    with pytest.raises(ValueError, match="state=None"):
        model.step(torch.rand(1, 3, 6, 8), state)
    with pytest.raises(ValueError, match="B,T,3,h,w"):
        model(torch.rand(1, 3, 8, 8))


def test_teacher_forcing_feeds_the_gt_frame_as_memory() -> None:
    """Scheduled sampling: w=1 warps the GT frame t-1 into frame t (what `step` does when
    its state holds that GT frame), w=0 is the plain forward, w=0.5 the blend."""
    model = _tiny(4)
    lr, hr = torch.rand(1, 3, 3, 8, 12), torch.rand(1, 3, 3, 32, 48)
    with torch.no_grad():
        plain = model(lr).sr
        assert torch.equal(model(lr, teacher=hr, teacher_weight=0.0).sr, plain)
        forced = model(lr, teacher=hr, teacher_weight=1.0).sr
        for t in (1, 2):
            state = FRVSRState(lr_prev=lr[:, t - 1], sr_prev=hr[:, t - 1])
            expected, _ = model.step(lr[:, t], state)
            assert torch.allclose(forced[:, t], expected, atol=1e-6)
        assert torch.equal(forced[:, 0], plain[:, 0])  # the first frame has no memory
        half = model(lr, teacher=hr, teacher_weight=0.5).sr
        blend = 0.5 * hr[:, 0] + 0.5 * plain[:, 0]
        expected, _ = model.step(lr[:, 1], FRVSRState(lr_prev=lr[:, 0], sr_prev=blend))
        assert torch.allclose(half[:, 1], expected, atol=1e-6)


def test_teacher_forcing_errors() -> None:
    model = _tiny(4)
    lr = torch.rand(1, 2, 3, 8, 8)
    with pytest.raises(ValueError, match="teacher_weight"):
        model(lr, teacher=torch.rand(1, 2, 3, 32, 32), teacher_weight=1.5)
    with pytest.raises(ValueError, match="does not match"):
        model(lr, teacher=torch.rand(1, 2, 3, 16, 16), teacher_weight=0.5)


def test_detach_memory_truncates_backpropagation_through_time() -> None:
    """Same output; frame 2's loss no longer reaches frame 0 (its only path is the memory:
    frame 2 reads the flow between frames 1 and 2)."""
    model = _tiny(4)
    lr = torch.rand(1, 3, 3, 8, 8, requires_grad=True)
    full = model(lr).sr
    (grad_full,) = torch.autograd.grad(full[:, 2].sum(), lr)
    cut = model(lr, detach_memory=True).sr
    (grad_cut,) = torch.autograd.grad(cut[:, 2].sum(), lr)
    assert torch.equal(full.detach(), cut.detach())
    assert grad_full[:, 0].abs().sum() > 0
    assert torch.count_nonzero(grad_cut[:, 0]) == 0
    assert torch.count_nonzero(grad_cut[:, 1]) > 0  # frame 1 still feeds frame 2's flow


def test_memory_dropout_resets_some_clips_as_at_a_scene_cut() -> None:
    """Each clip of frame t either keeps its memory (as the plain forward) or starts over
    (as `step` with no state); p=0.5 over 16 clips gives both."""
    model = _tiny(4)
    lr = torch.rand(16, 2, 3, 8, 8)
    with torch.no_grad():
        plain = model(lr).sr[:, 1]
        reset, _ = model.step(lr[:, 1], None)
        torch.manual_seed(5)
        dropped = model(lr, memory_dropout=0.5).sr[:, 1]
    kept = [torch.allclose(dropped[i], plain[i], atol=1e-6) for i in range(16)]
    zeroed = [torch.allclose(dropped[i], reset[i], atol=1e-6) for i in range(16)]
    assert all(k != z for k, z in zip(kept, zeroed, strict=True))  # one or the other
    assert 0 < sum(zeroed) < 16
    with pytest.raises(ValueError, match="memory_dropout"):
        model(lr, memory_dropout=1.0)
