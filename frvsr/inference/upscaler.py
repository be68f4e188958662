"""Stream LR frames through a generator or bicubic, one frame at a time.

An upscaler holds the state of one shot: a recurrent generator (FRVSR) keeps its previous
LR frame and SR estimate between calls; :meth:`FrameUpscaler.reset` starts a new shot
with a zero previous estimate (FRVSR's first-frame rule, Sajjadi et al. 2018, Sec. 3).
Callers reset at the start of every clip and, through the same hook, at detected scene
cuts, so a new shot is never warped from the previous one.

Frames are ``1,3,h,w`` float tensors in [0, 1] (LR) and ``1,3,s*h,s*w`` in [0, 1] (SR,
not clamped: writers round and clamp).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

import torch
from torch import Tensor


class FrameUpscaler(Protocol):
    """One frame in, one SR frame out; `reset()` forgets the previous frames."""

    scale: int

    def __call__(self, lr: Tensor) -> Tensor: ...

    def reset(self) -> None: ...


class BicubicUpscaler:
    """The bicubic baseline matched to a degradation (``frvsr.data.degradations``):
    MATLAB-style antialiased bicubic for ``bi``, the phase-0-aligned bicubic for BD."""

    def __init__(self, scale: int, degradation: str) -> None:
        from frvsr.data.degradations import check_degradation

        check_degradation(scale, degradation)
        self.scale, self.degradation = int(scale), degradation

    def __call__(self, lr: Tensor) -> Tensor:
        from frvsr.data.degradations import bicubic_baseline

        return bicubic_baseline(lr, self.scale, self.degradation)

    def reset(self) -> None:
        """Stateless: nothing to forget."""


PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def resolve_device(device: str) -> torch.device:
    """``cpu``, ``cuda`` (``cuda:N``) or ``auto`` (CUDA when available).

    Raises ``frvsr.errors.ConfigError`` for CUDA on a machine without it."""
    from frvsr.errors import ConfigError

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError(f"device={device} but this machine has no CUDA GPU; use device=cpu")
    if device != "cpu" and not device.startswith("cuda"):
        raise ConfigError(f"device={device} must be cpu, cuda, cuda:N or auto")
    return torch.device(device)


class ModelUpscaler:
    """A generator rebuilt by ``frvsr.load_generator`` (a ``LoadedGenerator``) as a stream.

    Recurrent models run ``model.step(lr_t, state)``; single-frame backbones ``model(lr_t)``.
    Runs under ``torch.no_grad`` on ``device`` with ``precision`` (``fp32``, ``bf16``,
    ``fp16``: weights and activations in that dtype, output returned as float32 on the
    input's device); ``channels_last`` and ``compile`` (``torch.compile`` of the backbone)
    are speed switches that do not change the result beyond float rounding.
    """

    def __init__(self, loaded: Any, device: str = "cpu", precision: str = "fp32",
                 channels_last: bool = False, compile: bool = False) -> None:
        from frvsr.errors import ConfigError

        if precision not in PRECISIONS:
            raise ConfigError(f"precision={precision} must be one of {', '.join(PRECISIONS)}")
        self.device, self.dtype = resolve_device(device), PRECISIONS[precision]
        self.recurrent, self.scale = bool(loaded.recurrent), int(loaded.scale)
        self.model = loaded.model.to(self.device, self.dtype).eval()
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        if channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        if compile:
            if self.recurrent:
                self.model.sr_net = torch.compile(self.model.sr_net)
            else:
                self.model = torch.compile(self.model)
        self._state: Any = None

    def reset(self) -> None:
        self._state = None

    @torch.no_grad()
    def __call__(self, lr: Tensor) -> Tensor:
        x = lr.to(self.device, self.dtype).contiguous(memory_format=self.memory_format)
        if not self.recurrent:
            sr = self.model(x)
        else:
            sr, self._state = self.model.step(x, self._state)
        return sr.to(lr.device, torch.float32)


def run(upscaler: FrameUpscaler, frames: Iterable[Tensor],
        is_cut: Callable[[Tensor], bool] | None = None) -> Iterator[Tensor]:
    """Yield the SR frame of every LR frame; ``reset()`` first, and again whenever
    ``is_cut(lr)`` says the frame starts a new shot (the scene-cut hook)."""
    upscaler.reset()
    for i, lr in enumerate(frames):
        if i and is_cut is not None and is_cut(lr):
            upscaler.reset()
        yield upscaler(lr)


def bicubic_upscaler(scale: int, degradation: str) -> Callable[[], FrameUpscaler]:
    """A factory of fresh bicubic upscalers (one per clip)."""
    return lambda: BicubicUpscaler(scale, degradation)


def model_upscaler(loaded: Any) -> Callable[[], FrameUpscaler]:
    """A factory giving a fresh upscaler per clip (recurrent state restarts per clip)."""
    def make() -> FrameUpscaler:
        up = ModelUpscaler(loaded)
        up.reset()
        return up

    return make
