"""Training tests: a private frame cache and offline wandb."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def lit_frame_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Decoded sample video goes to a per-session folder, never the user's ~/.cache."""
    path = tmp_path_factory.mktemp("lit_frame_cache")
    old = os.environ.get("FRVSR_CACHE_DIR")
    os.environ["FRVSR_CACHE_DIR"] = str(path)
    os.environ["WANDB_MODE"] = "offline"
    yield path
    if old is None:
        os.environ.pop("FRVSR_CACHE_DIR", None)
    else:
        os.environ["FRVSR_CACHE_DIR"] = old
