"""Recurrence gain and LR flow quality (frvsr.metrics.recurrence)."""
from __future__ import annotations

from functools import partial

import pytest
import torch

from frvsr.losses import FlowWarpLoss
from frvsr.metrics.recurrence import (
    classical_flows,
    flow_quality,
    lr_warping_error,
    motion_statistics,
    recurrence_gain,
    sr_without_memory,
)
from frvsr.models import FRVSR, FNet, FRVSRNet, SRResNet
from frvsr.ops.warp import flow_warp


def _frvsr(seed: int = 0, backbone=FRVSRNet) -> FRVSR:
    torch.manual_seed(seed)
    return FRVSR(flow_net=FNet(max_velocity=4.0),
                 sr_net=partial(backbone, num_feat=8, num_block=1), scale=4).eval()


def _translating_clip(frames: int = 6, size: int = 32, shift: int = 1,
                      seed: int = 0) -> torch.Tensor:
    """``T,3,size,size``: a window sliding ``shift`` px right per frame over a smooth random
    texture (the content moves left)."""
    g = torch.Generator().manual_seed(seed)
    big = torch.rand(1, 3, size // 4, (size + frames * shift) // 4 + 1, generator=g)
    big = torch.nn.functional.interpolate(big, scale_factor=4, mode="bicubic").clamp(0, 1)[0]
    return torch.stack([big[:, :size, t * shift:t * shift + size] for t in range(frames)])


def test_a_model_that_ignores_its_memory_gains_nothing() -> None:
    """Weights on the previous-estimate channels zeroed (a single-frame backbone loaded into
    FRVSR): the output is the same with and without memory, so the gain is 0."""
    single = SRResNet(in_channels=3, out_channels=3, num_feat=8, num_block=1, scale=4)
    model = _frvsr(backbone=SRResNet)
    model.load_single_frame_backbone(single.state_dict())
    lr = torch.rand(5, 3, 16, 16)
    hr = torch.rand(5, 3, 64, 64)
    gain = recurrence_gain(model, lr, hr)
    assert len(gain.per_frame) == 5
    assert max(abs(g) for g in gain.per_frame) < 1e-6
    assert abs(gain.mean) < 1e-6
    # ... and it computes exactly what the backbone computes frame by frame
    with torch.no_grad():
        assert torch.allclose(sr_without_memory(model, lr), single(lr), atol=1e-6)


def test_the_gain_is_measured_against_zeroed_memory() -> None:
    model = _frvsr()
    lr, hr = torch.rand(4, 3, 16, 16), torch.rand(4, 3, 64, 64)
    gain = recurrence_gain(model, lr, hr)
    assert gain.per_frame[0] == 0.0  # frame 0 has no memory either way
    assert any(abs(g) > 1e-4 for g in gain.per_frame[1:])  # random weights do use it
    with torch.no_grad():
        sr = model(lr[None]).sr[0]
    assert recurrence_gain(model, lr, hr, sr=sr).per_frame == pytest.approx(gain.per_frame)


def test_single_frame_models_have_no_memory_to_remove() -> None:
    with pytest.raises(TypeError, match="not frame-recurrent"):
        sr_without_memory(SRResNet(num_feat=8, num_block=1), torch.rand(2, 3, 8, 8))


def test_warping_error_of_the_true_flow_is_zero_inside() -> None:
    clip = _translating_clip(shift=2)
    true = torch.zeros(clip.shape[0] - 1, 2, 32, 32)
    true[:, 0] = 2.0  # pixel p of frame t is at p + 2 px (x) in frame t-1
    inner = clip[..., 4:-4]
    warped = flow_warp(clip[:-1], true)[..., 4:-4]
    assert float(((warped - inner[1:]) ** 2).mean()) < 1e-10
    assert lr_warping_error(clip, true) < 0.1 * lr_warping_error(clip, torch.zeros_like(true))


def test_classical_flows_beat_zero_flow_on_a_translating_clip() -> None:
    quality = flow_quality(_frvsr(), _translating_clip(shift=1))
    assert set(quality) == {"model", "zero", "dis", "farneback"}
    assert quality["dis"] < 0.5 * quality["zero"]
    assert quality["farneback"] < 0.5 * quality["zero"]


def test_motion_statistics_of_known_flows() -> None:
    """Median / 90th percentile of the flow magnitude and the still share, over all pixels
    of all pairs; on a 2 px pan DIS gives ~2 px and no still pixel."""
    flow = torch.zeros(2, 2, 10, 10)
    flow[0, 0] = 3.0  # pair 0: every pixel moves 3 px in x
    flow[0, 1, :, :4] = 4.0  # 40 of its pixels move (3, 4): 5 px
    flow[1, 0, :4] = 3.0  # pair 1: 40 pixels move 3 px, 60 are still
    stats = motion_statistics(flow)  # 200 pixels: 60 still, 100 at 3 px, 40 at 5 px
    assert stats["still_share"] == pytest.approx(0.3)
    assert stats["median_px"] == pytest.approx(3.0)
    assert stats["p90_px"] == pytest.approx(5.0)
    clip = _translating_clip(shift=2)
    dis = motion_statistics(classical_flows(clip[1:], clip[:-1])["dis"][..., 4:-4, 4:-4])
    assert dis["median_px"] == pytest.approx(2.0, abs=0.2) and dis["still_share"] < 0.05
    with pytest.raises(ValueError, match="N,2,h,w"):
        motion_statistics(torch.zeros(2, 10, 10))


@pytest.mark.slow
def test_fnet_trained_on_the_flow_loss_beats_zero_flow() -> None:
    """120 steps of FRVSR's flow loss on synthetic translating clips: FNet's
    flow aligns frames better than zero flow (what the flow-quality diagnostic shows)."""
    torch.manual_seed(0)
    model = _frvsr()
    opt = torch.optim.Adam(model.flow_net.parameters(), lr=1e-3)
    loss_fn = FlowWarpLoss()
    clips = torch.stack([_translating_clip(frames=2, shift=1 + s % 2, seed=s) for s in range(4)])
    model.train()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small convolutions: one thread is fastest on a shared CPU
    try:
        for _ in range(120):
            _, warped = model.align(clips)
            loss = loss_fn(warped, clips)
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        torch.set_num_threads(threads)
    model.eval()
    quality = flow_quality(model, _translating_clip(frames=5, shift=1, seed=99))
    assert quality["model"] < 0.5 * quality["zero"], quality
