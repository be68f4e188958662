"""frvsr: temporal video super-resolution.

`frvsr.load_generator(path)` rebuilds a trained generator from a checkpoint; it is
imported lazily so that `import frvsr` stays light (no torch/Hydra until used).
"""
from __future__ import annotations

from typing import Any

__all__ = ["load_generator"]


def __getattr__(name: str) -> Any:
    if name in ("load_generator", "LoadedGenerator"):
        from frvsr import checkpoint

        return getattr(checkpoint, name)
    raise AttributeError(f"module 'frvsr' has no attribute {name!r}")
