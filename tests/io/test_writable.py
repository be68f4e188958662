"""`writable_problem`: a file in the way, a read-only folder and a fine one."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from frvsr.io.writable import writable_problem


def test_writable_problem(tmp_path: Path) -> None:
    assert writable_problem(tmp_path / "new" / "deeper") is None
    assert not list(tmp_path.iterdir())  # the probe leaves nothing
    (tmp_path / "f").write_text("x")
    assert "is a file, not a folder" in (writable_problem(tmp_path / "f" / "sub") or "")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder(tmp_path: Path) -> None:
    (tmp_path / "ro").mkdir(mode=0o500)
    assert "Permission denied" in (writable_problem(tmp_path / "ro" / "runs") or "")
