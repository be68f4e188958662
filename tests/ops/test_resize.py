"""frvsr.ops.resize: MATLAB imresize parity and phase-0 alignment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from frvsr.ops.resize import cubic, imresize, upsample_bicubic_phase0


@pytest.fixture(scope="module")
def reference(shared_data: Path) -> dict[str, np.ndarray]:
    with np.load(shared_data / "reference" / "imresize_reference.npz") as z:
        return {k: z[k] for k in z.files}


def _chw(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a)).permute(2, 0, 1)


@pytest.mark.parametrize("s", [2, 3, 4])
def test_imresize_down_matches_matlab_reference(reference: dict[str, np.ndarray], s: int) -> None:
    hr = _chw(reference["hr_uint8_rgb"]).float() / 255
    out = imresize(hr, 1 / s).permute(1, 2, 0).numpy()
    want = reference[f"x{s}_float"]
    assert out.shape == want.shape
    assert np.abs(out - want).max() < 1e-5


def test_imresize_up_matches_matlab_reference(reference: dict[str, np.ndarray]) -> None:
    lr = _chw(reference["x4_float"]).float()
    out = imresize(lr, 4.0).permute(1, 2, 0).numpy()
    assert np.abs(out - reference["x4_then_up4_float"]).max() < 1e-5


def test_imresize_batched_shapes_and_constant() -> None:
    x = torch.full((2, 5, 3, 30, 45), 0.7)
    y = imresize(x, 1 / 3)
    assert y.shape == (2, 5, 3, 10, 15)
    assert torch.allclose(y, torch.full_like(y, 0.7), atol=1e-6)
    assert imresize(x[0, 0], 2.0).shape == (3, 60, 90)


def test_cubic_kernel_is_keys_a_half() -> None:
    t = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0], dtype=torch.float64)
    assert torch.allclose(
        cubic(t), torch.tensor([1.0, 0.5625, 0.0, -0.0625, 0.0], dtype=torch.float64)
    )


def test_phase0_upsample_puts_lr_pixel_i_on_hr_pixel_si() -> None:
    lr = torch.rand(2, 3, 9, 11)
    for s in (2, 3, 4):
        up = upsample_bicubic_phase0(lr, s)
        assert up.shape == (2, 3, 9 * s, 11 * s)
        assert torch.allclose(up[..., ::s, ::s], lr, atol=1e-6)


def test_phase0_upsample_reproduces_a_linear_ramp() -> None:
    # Cubic convolution reproduces linear functions away from the borders.
    s = 4
    lr = torch.arange(12.0).repeat(1, 6, 1)  # 1,6,12, value = column index
    up = upsample_bicubic_phase0(lr, s)
    want = torch.arange(12 * s) / s
    assert torch.allclose(up[0, 2, s : 10 * s], want[s : 10 * s], atol=1e-5)


def test_phase0_upsample_is_differentiable() -> None:
    lr = torch.rand(1, 3, 5, 6, requires_grad=True)
    upsample_bicubic_phase0(lr, 4).sum().backward()
    assert lr.grad is not None and torch.isfinite(lr.grad).all()
    # every HR pixel's weights sum to 1, so d(sum)/d(lr) sums to the HR pixel count
    assert abs(float(lr.grad.sum()) - 3 * 20 * 24) < 1e-3


def test_resize_rejects_bad_arguments() -> None:
    with pytest.raises(TypeError, match="float"):
        imresize(torch.zeros(3, 8, 8, dtype=torch.uint8), 0.5)
    with pytest.raises(ValueError, match="positive integer"):
        upsample_bicubic_phase0(torch.zeros(3, 8, 8), 2.5)


def _phase0_matrix(n: int, s: int) -> torch.Tensor:
    """The definition as a dense (s*n, n) float64 matrix: HR pixel j is interpolated at LR
    coordinate j/s from taps floor(j/s)-1 .. floor(j/s)+2, clamped to the edge."""
    u = torch.arange(n * s, dtype=torch.float64) / s
    ind = torch.floor(u)[:, None] + torch.arange(-1, 3, dtype=torch.float64)[None, :]
    mat = torch.zeros(n * s, n, dtype=torch.float64)
    return mat.scatter_add_(1, ind.long().clamp(0, n - 1), cubic(u[:, None] - ind))


@pytest.mark.parametrize("s", [2, 3, 4])
def test_phase0_upsample_equals_its_dense_matrix_definition(s: int) -> None:
    # The 4-tap implementation (symbolic sizes for ONNX) equals the dense-matrix form.
    for h, w in [(1, 2), (5, 7), (13, 21)]:
        x = torch.rand(2, 3, h, w, dtype=torch.float64)
        want = _phase0_matrix(h, s) @ x @ _phase0_matrix(w, s).T
        torch.testing.assert_close(upsample_bicubic_phase0(x, s), want, rtol=0, atol=1e-12)
        got32 = upsample_bicubic_phase0(x.float(), s)
        assert got32.dtype == torch.float32 and (got32.double() - want).abs().max() < 1e-6
