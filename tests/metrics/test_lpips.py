"""LPIPS v0.1 reproduces ../shared/data/reference/lpips_reference.json within 1e-4."""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import pytest
import torch

from frvsr.metrics.perceptual import LPIPS


def _read(path: Path) -> torch.Tensor:
    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert img is not None, path
    return torch.from_numpy(img[:, :, ::-1].copy()).permute(2, 0, 1).float().div(255)[None]


def _pairs(root: Path) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    t1 = _read(root / "temple/0001.png")[..., 0:256, 0:384]
    t2 = _read(root / "temple/0002.png")[..., 0:256, 0:384]
    ref = _read(root / "reference/set5_img_001_x4_bicubic_down_up.png")
    hr = _read(root / "set5/img_001_SRF_4_HR.png")
    h, w = hr.shape[-2] // 4 * 4, hr.shape[-1] // 4 * 4
    return {"temple": (t1, t2), "set5": (hr[..., :h, :w], ref)}


@pytest.mark.parametrize("net,pair", [
    ("alex", "temple"), ("alex", "set5"), ("vgg", "temple"),
    pytest.param("vgg", "set5", marks=pytest.mark.slow)])
def test_lpips_matches_reference(shared_data: Path, net: str, pair: str) -> None:
    ref = json.loads((shared_data / "reference/lpips_reference.json").read_text())["pairs"]
    key = next(k for k in ref if k.startswith(pair))
    x, y = _pairs(shared_data)[pair]
    with torch.no_grad():
        value = LPIPS(net)(x, y).item()
    assert abs(value - ref[key][net]) < 1e-4


def test_lpips_identity_symmetry_gradient_and_batch() -> None:
    m = LPIPS("alex")
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(2, 3, 64, 64, generator=g), torch.rand(2, 3, 64, 64, generator=g)
    assert torch.allclose(m(x, x), torch.zeros(2))
    d = m(x, y)
    assert d.shape == (2,) and (d > 0).all()
    assert torch.allclose(d, m(y, x), atol=1e-6)
    assert torch.allclose(d[1:], m(x[1:], y[1:]), atol=1e-6)
    xr = x.clone().requires_grad_(True)
    m(xr, y).sum().backward()
    assert xr.grad is not None and xr.grad.abs().sum() > 0
    assert not any(p.requires_grad for p in m.parameters())
    m.train()
    assert not m.training  # a metric never switches to training mode


def test_lpips_bad_arguments() -> None:
    with pytest.raises(ValueError, match="'alex' or 'vgg'"):
        LPIPS("squeeze")
    with pytest.raises(ValueError, match="differ in shape"):
        LPIPS("alex")(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 48))
