"""Reliability tests: one decoded-frame cache for every training run of the session, in
process or in a subprocess, never the user's ~/.cache; wandb offline."""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def rel_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """FRVSR_CACHE_DIR of the session (subprocesses get it passed): decoded once."""
    path = tmp_path_factory.mktemp("rel_frame_cache")
    old = os.environ.get("FRVSR_CACHE_DIR")
    os.environ["FRVSR_CACHE_DIR"] = str(path)
    os.environ["WANDB_MODE"] = "offline"
    yield path
    if old is None:
        os.environ.pop("FRVSR_CACHE_DIR", None)
    else:
        os.environ["FRVSR_CACHE_DIR"] = old
