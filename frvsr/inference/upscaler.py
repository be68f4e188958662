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


class ModelUpscaler:
    """A generator rebuilt by ``frvsr.load_generator`` (a ``LoadedGenerator``) as a stream.

    Recurrent models run ``model.step(lr_t, state)``; single-frame backbones ``model(lr_t)``.
    Runs under ``torch.no_grad`` on the model's device and dtype.
    """

    def __init__(self, loaded: Any) -> None:
        self.model, self.recurrent, self.scale = loaded.model, bool(loaded.recurrent), loaded.scale
        self._state: Any = None
        self.resets = 0  # shots started (each clip start and each reset at a cut)

    def reset(self) -> None:
        self._state = None
        self.resets += 1

    @torch.no_grad()
    def __call__(self, lr: Tensor) -> Tensor:
        if not self.recurrent:
            return self.model(lr)
        sr, self._state = self.model.step(lr, self._state)
        return sr


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
