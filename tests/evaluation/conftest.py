"""Evaluation tests: ``threads=1`` runs (tests of issue 11 pass it: tiny models on a busy
2-core machine are several times slower with two OpenMP threads) must not leave the
pytest process single-threaded for the tests after them."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def _restore_torch_threads() -> Iterator[None]:
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)
