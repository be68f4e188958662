"""BI/BD degradations and their matching bicubic baselines."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from frvsr.data.degradations import (
    DEGRADATIONS,
    bd_blur_params,
    bd_kernel,
    bicubic_baseline,
    crop_to_multiple,
    degrade,
)
from frvsr.data.errors import DataError
from frvsr.ops.resize import imresize


@pytest.mark.parametrize("kind", DEGRADATIONS)
@pytest.mark.parametrize("s", [2, 3, 4])
def test_shapes_range_and_constant(kind: str, s: int) -> None:
    g = torch.Generator().manual_seed(s)
    hr = torch.rand(2, 3, 3, 48, 60, generator=g)
    lr = degrade(hr, s, kind)
    assert lr.shape == (2, 3, 3, 48 // s, 60 // s) and lr.dtype == torch.float32
    assert lr.min() > -0.05 and lr.max() < 1.05  # bicubic may overshoot slightly
    const = torch.full((3, 36, 36), 0.42)
    assert torch.allclose(
        degrade(const, s, kind), torch.full((3, 36 // s, 36 // s), 0.42), atol=1e-6
    )
    up = bicubic_baseline(degrade(const, s, kind), s, kind)
    assert up.shape == (3, 36, 36) and torch.allclose(up, torch.full_like(up, 0.42), atol=1e-6)


def test_bd_presets_documented_sizes_and_kernels_sum_to_one() -> None:
    assert bd_blur_params(4, "bd_tecogan") == (9, 1.5)
    assert bd_blur_params(2, "bd_tecogan") == (9, 1.5)
    size, sigma = bd_blur_params(4, "bd_duf")
    assert size == 13 and sigma == pytest.approx(1.6)
    for s in (2, 3, 4):
        for kind in ("bd_tecogan", "bd_duf"):
            k = bd_kernel(s, kind)
            assert abs(float(k.sum()) - 1.0) < 1e-9
            assert torch.allclose(k, k.flip(0)) and torch.allclose(k, k.T)
            assert k.argmax() == (k.numel() // 2)  # peak at the centre: no shift


@pytest.mark.parametrize("kind", ["bd_tecogan", "bd_duf"])
def test_bd_samples_phase_zero(kind: str) -> None:
    # A horizontal ramp survives a symmetric blur in the interior, so LR column j must
    # equal HR column s*j there: rows/columns 0, s, 2s, ... are kept.
    s = 4
    hr = (torch.arange(64.0) / 64).repeat(3, 40, 1)
    lr = degrade(hr, s, kind)
    assert torch.allclose(lr[:, :, 3:13], hr[:, : 40 // s, s * 3 : s * 13 : s], atol=1e-5)
    # and the matching baseline puts LR pixel j back onto HR pixel s*j
    up = bicubic_baseline(lr, s, kind)
    assert torch.allclose(up[..., s * 4 : s * 12], hr[:, :40, s * 4 : s * 12], atol=1e-4)


def test_bd_point_spread_is_the_kernel_at_phase_zero() -> None:
    s, kind = 4, "bd_tecogan"
    hr = torch.zeros(1, 40, 40)
    hr[0, 20, 20] = 1.0  # HR pixel (20, 20) = LR pixel (5, 5) at phase 0
    lr = degrade(hr, s, kind)
    assert lr[0].argmax() == 5 * 10 + 5
    assert float(lr[0, 5, 5]) == pytest.approx(float(bd_kernel(s, kind)[4, 4]), abs=1e-6)


def test_bi_is_matlab_imresize_and_baseline_inverts_grid() -> None:
    hr = torch.rand(3, 32, 32)
    assert torch.equal(degrade(hr, 4, "bi"), imresize(hr, 0.25))
    assert torch.equal(
        bicubic_baseline(degrade(hr, 4, "bi"), 4, "bi"), imresize(imresize(hr, 0.25), 4.0)
    )


def test_non_multiple_sizes_are_cropped_top_left() -> None:
    hr = torch.rand(3, 50, 67)
    assert crop_to_multiple(hr, 4).shape == (3, 48, 64)
    assert torch.equal(crop_to_multiple(hr, 4), hr[:, :48, :64])
    assert degrade(hr, 3, "bd_duf").shape == (3, 16, 22)


def test_bad_names_and_scales_are_one_line_errors() -> None:
    with pytest.raises(DataError, match="unknown degradation 'bd'"):
        degrade(torch.rand(3, 8, 8), 2, "bd")
    with pytest.raises(DataError, match="unsupported scale 5"):
        degrade(torch.rand(3, 10, 10), 5, "bi")


def test_bd_baseline_alignment_matters_on_a_real_image(shared_data: Path) -> None:
    import cv2

    img = cv2.imread(str(shared_data / "set5" / "img_001_SRF_4_HR.png"))[..., ::-1].copy()
    hr = crop_to_multiple(torch.from_numpy(img).permute(2, 0, 1).float() / 255, 4)
    lr = degrade(hr, 4, "bd_tecogan")

    def psnr(x: torch.Tensor) -> float:
        return float(-10 * torch.log10((x.clamp(0, 1) - hr)[..., 8:-8, 8:-8].square().mean()))

    aligned = psnr(bicubic_baseline(lr, 4, "bd_tecogan"))
    centred = psnr(imresize(lr, 4.0))  # the wrong grid for phase-0 frames
    assert aligned > centred + 1.0
