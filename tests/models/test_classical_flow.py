"""DISFlow: OpenCV's DIS as FRVSR's flow net (small budgets), in FNet's convention."""
from __future__ import annotations

import copy
from functools import partial

import pytest
import torch

from frvsr.data.degradations import degrade
from frvsr.errors import ConfigError
from frvsr.inference.onnx_export import graph_module
from frvsr.models import FRVSR, DISFlow, FRVSRNet
from frvsr.ops.warp import flow_warp


def _pan(frames: int = 2, size: int = 48, shift: int = 2) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    big = torch.rand(1, 3, size // 4, (size + frames * shift) // 4 + 1, generator=g)
    big = torch.nn.functional.interpolate(big, scale_factor=4, mode="bicubic").clamp(0, 1)[0]
    return torch.stack([big[:, :size, t * shift:t * shift + size] for t in range(frames)])


def test_dis_flow_is_a_backward_flow_in_fnets_convention() -> None:
    clip = _pan(shift=2)  # content moves 2 px left per frame
    flow = DISFlow()(clip[1:], clip[:-1])
    assert flow.shape == (1, 2, 48, 48) and not flow.requires_grad
    inner = flow[..., 8:-8, 8:-8]
    assert abs(float(inner[:, 0].median()) - 2.0) < 0.3  # p in frame t is at p + 2 in t-1
    assert abs(float(inner[:, 1].median())) < 0.3
    warped = flow_warp(clip[:-1], flow)
    assert ((warped - clip[1:]) ** 2)[..., 8:-8, 8:-8].mean() < 0.2 * (
        (clip[:-1] - clip[1:]) ** 2)[..., 8:-8, 8:-8].mean()


def test_frvsr_with_dis_runs_copies_and_has_no_flow_weights() -> None:
    model = FRVSR(DISFlow(), partial(FRVSRNet, num_feat=8, num_block=1), 4)
    assert not list(model.flow_net.parameters())
    out = model(torch.rand(2, 3, 3, 16, 16))
    assert out.sr.shape == (2, 3, 3, 64, 64) and out.flow.shape == (2, 2, 2, 16, 16)
    copy.deepcopy(model)(torch.rand(1, 2, 3, 16, 16))  # EMA copies of the generator work


def test_small_frames_and_onnx_export_are_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="at least 12 px"):
        DISFlow()(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8))
    model = FRVSR(DISFlow(), partial(FRVSRNet, num_feat=8, num_block=1), 4)
    with pytest.raises(ConfigError, match="no ONNX form"):
        graph_module(model, recurrent=True)


def _warp_error(flow: torch.Tensor, curr: torch.Tensor, prev: torch.Tensor, m: int = 8) -> float:
    return float(((flow_warp(prev, flow) - curr) ** 2)[..., m:-m, m:-m].mean())


def test_full_resolution_dis_aligns_lr_frames_better_and_alike_on_crops() -> None:
    """finest_scale=0 (the default) against the MEDIUM preset's 1 on a half-pixel pan of a
    64x160 textured frame: the whole frame's flow aligns better, and a 24 px crop of it
    agrees with the flow computed on the crop alone (training crops then see the flow that
    evaluation on whole frames sees)."""
    g = torch.Generator().manual_seed(3)
    prev = torch.nn.functional.interpolate(torch.rand(1, 3, 32, 80, generator=g),
                                           scale_factor=2, mode="bicubic").clamp(0, 1)
    motion = torch.zeros(1, 2, 64, 160)
    motion[:, 0] = 0.5  # backward flow: pixel p of the current frame is at p + 0.5 px in prev
    curr = flow_warp(prev, motion)
    fine, coarse = DISFlow(), DISFlow(finest_scale=1)
    assert fine.finest_scale == 0
    whole_fine, whole_coarse = fine(curr, prev), coarse(curr, prev)
    assert _warp_error(whole_fine, curr, prev) < _warp_error(whole_coarse, curr, prev)
    crop = (..., slice(20, 44), slice(60, 84))
    on_crop = fine(curr[crop], prev[crop])
    assert (on_crop - whole_fine[crop])[..., 4:-4, 4:-4].abs().mean() < 0.1
    with pytest.raises(ValueError, match="finest_scale"):
        DISFlow(finest_scale=-1)


def test_padding_lets_small_crops_find_larger_motions() -> None:
    """A 24 px crop is too small for DIS's coarse pyramid levels: unpadded it misses a 9 px
    pan; with a 40 px replicated border (pyramid levels as on a whole frame) it finds it.
    The flow keeps the crop's size."""
    clip = _pan(size=24, shift=9)
    curr, prev = clip[1:], clip[:-1]
    padded, bare = DISFlow(pad=40), DISFlow()
    assert bare.pad == 0
    flow = padded(curr, prev)
    assert flow.shape == (1, 2, 24, 24)
    bare_flow = bare(curr, prev)
    assert abs(float(flow[:, 0, 6:-6, 6:-6].median()) - 9.0) < 0.5
    assert abs(float(bare_flow[:, 0, 6:-6, 6:-6].median()) - 9.0) > 2.0
    assert _warp_error(flow, curr, prev, m=6) < 0.5 * _warp_error(bare_flow, curr, prev, m=6)
    assert copy.deepcopy(padded).pad == 40
    with pytest.raises(ValueError, match="pad"):
        DISFlow(pad=-1)


def test_upscaled_dis_finds_sub_pixel_pans_of_bd_footage_more_precisely() -> None:
    """A smooth HR texture panned by (3, 1) HR px, both frames BD x4 degraded and 8-bit
    (the demo's LR frames): the true LR flow is (0.75, 0.25) px. DIS on frames enlarged
    x2 finds it at least twice as precisely as DIS on the LR frames (measured: end-point
    error ~0.006 against ~0.023 LR px); the flow keeps the LR size, also with padding."""
    g = torch.Generator().manual_seed(0)
    hr = torch.nn.functional.interpolate(torch.rand(1, 3, 36, 88, generator=g), size=(288, 704),
                                         mode="bicubic").clamp(0, 1)
    prev, curr = hr[..., 8:264, 20:660], hr[..., 9:265, 23:663]

    def lr(x: torch.Tensor) -> torch.Tensor:
        return (degrade(x, 4, "bd_tecogan").clamp(0, 1) * 255).round() / 255

    true = torch.tensor([0.75, 0.25]).view(1, 2, 1, 1)
    lr_curr, lr_prev = lr(curr), lr(prev)
    coarse, fine = DISFlow()(lr_curr, lr_prev), DISFlow(upscale=2)(lr_curr, lr_prev)
    assert fine.shape == coarse.shape == (1, 2, 64, 160)

    def epe(flow: torch.Tensor) -> float:
        return float((flow - true)[..., 6:-6, 6:-6].norm(dim=1).mean())

    assert epe(fine) < 0.5 * epe(coarse)
    both = DISFlow(pad=8, upscale=2)  # the border is cropped back after the flow is scaled
    padded = both(lr_curr, lr_prev)
    assert padded.shape == (1, 2, 64, 160) and epe(padded) < 0.5 * epe(coarse)
    assert copy.deepcopy(both).upscale == 2
    with pytest.raises(ValueError, match="upscale"):
        DISFlow(upscale=0)
