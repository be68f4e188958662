"""Folders that ``frvsr.evaluate`` generates (SR frames, materialised ``data=`` clips).

They are written into a temp sibling and swapped in only when complete, so frames of an
earlier run can never mix with new ones (a stale clip would otherwise be scored, or a
clip that is no longer in GT would fail matching). An existing folder is replaced only
when it carries the marker file written here; anything else is refused, never deleted.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from frvsr.errors import EvalError

MARKER = ".frvsr-generated"


def check_replaceable(target: Path, key: str) -> None:
    """Fail fast (before any work) when ``target`` exists and is not ours to replace."""
    if not target.exists():
        return
    if not target.is_dir():
        raise EvalError(f"{key}: {target} exists and is not a folder; remove it or pass "
                        f"{key}=<another folder>")
    if (target / MARKER).is_file() or not any(target.iterdir()):
        return
    raise EvalError(f"{key}: folder {target} exists and was not written by frvsr.evaluate "
                    f"(no {MARKER} marker); remove it or pass {key}=<another folder>")


@contextmanager
def fresh_folder(target: Path, key: str) -> Iterator[Path]:
    """Yield an empty temp folder next to ``target``; on success it replaces ``target``."""
    check_replaceable(target, key)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)  # a leftover of this pid's crashed run
    tmp.mkdir()
    (tmp / MARKER).write_text("written by frvsr.evaluate; replaced on the next run\n")
    try:
        yield tmp
        check_replaceable(target, key)  # re-checked: it may have appeared meanwhile
        old = target.with_name(f".{target.name}.{os.getpid()}.old")
        if target.exists():
            os.replace(target, old)
        os.replace(tmp, target)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
