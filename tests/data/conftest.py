"""Fixtures for the data tests: a private frame cache and small media built from shared files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def frame_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Decoded videos go to a per-session folder, never the user's ~/.cache."""
    path = tmp_path_factory.mktemp("frame_cache")
    old = os.environ.get("FRVSR_CACHE_DIR")
    os.environ["FRVSR_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("FRVSR_CACHE_DIR", None)
    else:
        os.environ["FRVSR_CACHE_DIR"] = old
