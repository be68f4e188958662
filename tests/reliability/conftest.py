"""Reliability tests: one decoded-frame cache for every training run of the session, in
process or in a subprocess (they get its path), never the user's ~/.cache; wandb offline.
The cache is the training tests' own session fixture; `rel_cache` names it here."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.lit.conftest import lit_frame_cache  # noqa: F401  (session-wide, autouse)


@pytest.fixture(scope="session")
def rel_cache(lit_frame_cache: Path) -> Path:  # noqa: F811
    """The session's FRVSR_CACHE_DIR, passed to training subprocesses."""
    return lit_frame_cache
