"""Building blocks shared by the SR backbones: residual blocks, weight init, image skips."""
from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from frvsr.errors import ConfigError
from frvsr.ops.resize import upsample_bicubic_phase0

SkipMode = Literal["bilinear", "bicubic_phase0", "bicubic_tecogan", "none"]
SKIP_MODES: tuple[str, ...] = ("bilinear", "bicubic_phase0", "bicubic_tecogan", "none")


class ResidualBlockNoBN(nn.Module):
    """``x + res_scale * conv2(relu(conv1(x)))``, no batch norm (EDSR/BasicSR style).

    Parameter names ``conv1``/``conv2`` equal BasicSR's ``ResidualBlockNoBN``.
    """

    def __init__(self, num_feat: int = 64, res_scale: float = 1.0) -> None:
        super().__init__()
        self.res_scale = res_scale
        self.conv1 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)
        self.conv2 = nn.Conv2d(num_feat, num_feat, 3, 1, 1)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv2(F.relu(self.conv1(x))) * self.res_scale


def scaled_kaiming_init(modules: list[nn.Module], scale: float = 1.0) -> None:
    """Kaiming-normal init multiplied by ``scale``, zero biases (BasicSR's
    ``default_init_weights``). A scale of 0.1 on residual branches keeps a freshly built
    deep net close to its skip connection, which makes early training stable."""
    for module in modules:
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)
                m.weight.data.mul_(scale)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)


def _tecogan_cubic_taps(scale: int, a: float, like: Tensor) -> Tensor:
    """Keys cubic-convolution weights (parameter ``a``) for the ``scale`` sub-pixel offsets
    ``d/scale``, taps at relative positions -1, 0, 1, 2: shape ``scale, 4``."""
    taps = []
    for d in range(scale):
        t = d / scale
        dists = (1 + t, t, 1 - t, 2 - t)
        row = []
        for x in dists:
            if x <= 1:
                row.append((a + 2) * x**3 - (a + 3) * x**2 + 1)
            else:
                row.append(a * x**3 - 5 * a * x**2 + 8 * a * x - 4 * a)
        taps.append(row)
    return torch.tensor(taps, dtype=like.dtype, device=like.device)


def upsample_bicubic_tecogan(x: Tensor, scale: int, a: float = -0.75) -> Tensor:
    """TecoGAN's bicubic upscale (``BicubicUpsample`` in TecoGAN-PyTorch / TensorFlow).

    Phase-0 aligned like :func:`frvsr.ops.resize.upsample_bicubic_phase0` (LR pixel ``i``
    lands on HR pixel ``s*i``) but with the Keys kernel at ``a=-0.75`` (MATLAB uses -0.5)
    and replicate padding. Needed to reproduce TecoGAN-PyTorch's BD models exactly.
    """
    b, c, h, w = x.shape
    k = _tecogan_cubic_taps(scale, a, x)  # scale,4
    y = F.pad(x.reshape(b * c, 1, h, w), (1, 2, 1, 2), mode="replicate")
    # Rows: each of the `scale` kernels gives one output phase; interleave the phases.
    y = F.conv2d(y, k.view(scale, 1, 4, 1))  # b*c, s, h, w+3
    y = y.permute(0, 2, 1, 3).reshape(b * c, 1, h * scale, w + 3)
    y = F.conv2d(y, k.view(scale, 1, 1, 4))  # b*c, s, s*h, w
    y = y.permute(0, 2, 3, 1).reshape(b, c, h * scale, w * scale)
    return y


def upsample_skip(x: Tensor, scale: int, mode: str) -> Tensor:
    """Upsample an LR image for a backbone's skip connection.

    ``bilinear``: ``F.interpolate(align_corners=False)``, centre-aligned, matching BI
    (bicubic-downsampled) data and BasicSR's MSRResNet. ``bicubic_phase0``: frvsr's
    MATLAB-kernel bicubic aligned with phase-0 (BD, Gaussian blur + stride) sampling.
    ``bicubic_tecogan``: TecoGAN's a=-0.75 phase-0 bicubic (its BD checkpoints).
    ``none``: zeros (ESRGAN's RRDBNet has no image skip).
    """
    if mode == "bilinear":
        return F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)
    if mode == "bicubic_phase0":
        return upsample_bicubic_phase0(x, scale)
    if mode == "bicubic_tecogan":
        return upsample_bicubic_tecogan(x, scale)
    if mode == "none":
        b, c, h, w = x.shape
        return x.new_zeros(b, c, h * scale, w * scale)
    raise ConfigError(f"unknown skip mode {mode!r}; choose one of {SKIP_MODES}")


def check_skip_mode(mode: str) -> None:
    if mode not in SKIP_MODES:
        raise ConfigError(f"unknown skip mode {mode!r}; choose one of {SKIP_MODES}")


def check_scale(name: str, scale: int, supported: tuple[int, ...]) -> None:
    if scale not in supported:
        raise ConfigError(f"{name} supports scale {supported}, got scale={scale}")

