"""Optional robust-training degradations: noise, JPEG and H.264 round trips."""

from __future__ import annotations

import numpy as np
import torch

from frvsr.data.robust import ExtraDegradations, add_noise, h264_roundtrip, jpeg_roundtrip


def _clip() -> torch.Tensor:
    y, x = torch.meshgrid(torch.linspace(0, 1, 30), torch.linspace(0, 1, 45), indexing="ij")
    frame = torch.stack([x, y, (x + y) / 2])
    return torch.stack([frame.roll(t, dims=-1) for t in range(4)])  # 4,3,30,45


def test_noise_has_the_requested_std_and_stays_in_range() -> None:
    clip = torch.full((3, 3, 40, 40), 0.5)
    out = add_noise(clip, 0.05, np.random.default_rng(0))
    assert abs(float((out - clip).std()) - 0.05) < 0.005 and out.min() >= 0 and out.max() <= 1


def test_jpeg_and_h264_round_trips_keep_shape_and_lose_with_lower_quality() -> None:
    clip = _clip()
    hi, lo = jpeg_roundtrip(clip, 95), jpeg_roundtrip(clip, 10)
    assert hi.shape == clip.shape and (hi - clip).abs().mean() < (lo - clip).abs().mean()
    good, bad = h264_roundtrip(clip, 15), h264_roundtrip(clip, 45)  # odd width is padded
    assert good.shape == clip.shape and bad.shape == clip.shape
    assert (good - clip).abs().mean() < 0.03
    assert (good - clip).abs().mean() < (bad - clip).abs().mean()


def test_extra_degradations_are_deterministic_per_rng() -> None:
    extra = ExtraDegradations(prob=1.0, noise_sigma=(0.01, 0.02), jpeg_quality=(40, 60))
    a = extra(_clip(), np.random.default_rng([1, 2, 3]))
    b = extra(_clip(), np.random.default_rng([1, 2, 3]))
    assert torch.equal(a, b) and not torch.equal(a, _clip())
    assert torch.equal(
        ExtraDegradations(prob=0.0, noise_sigma=(0.1, 0.2))(_clip(), np.random.default_rng(0)),
        _clip(),
    )
