"""A full disk, simulated: with this folder on PYTHONPATH and FRVSR_TEST_ENOSPC_ROOT set,
every write under that folder fails with OSError(ENOSPC, "No space left on device"):
Python-level opens for writing, `os.open` with write flags, and renames into the folder
(what `frvsr.io.atomic` does after a C library such as OpenCV or FFmpeg wrote a temp file).
Folders can still be made and files read, as on a real full disk. Used only by
tests/reliability/test_bad_inputs.py.
"""
from __future__ import annotations

import builtins
import errno
import io
import os

_ROOT = os.environ.get("FRVSR_TEST_ENOSPC_ROOT")


def _under_root(path: object) -> bool:
    try:
        full = os.path.realpath(os.fsdecode(path))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    root = os.path.realpath(_ROOT or "")
    return full == root or full.startswith(root + os.sep)


def _full(path: object) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fsdecode(path))  # type: ignore[arg-type]


if _ROOT:
    _open, _os_open, _replace, _rename = builtins.open, os.open, os.replace, os.rename
    _WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def _guarded_open(file, mode="r", *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if not isinstance(file, int) and any(c in mode for c in "wax+") and _under_root(file):
            raise _full(file)
        return _open(file, mode, *args, **kwargs)

    def _guarded_os_open(path, flags, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if flags & _WRITE_FLAGS and _under_root(path):
            raise _full(path)
        return _os_open(path, flags, *args, **kwargs)

    def _guarded_replace(src, dst, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if _under_root(dst):
            raise _full(dst)
        return _replace(src, dst, *args, **kwargs)

    def _guarded_rename(src, dst, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if _under_root(dst):
            raise _full(dst)
        return _rename(src, dst, *args, **kwargs)

    builtins.open = io.open = _guarded_open  # type: ignore[assignment]
    os.open = _guarded_os_open  # type: ignore[assignment]
    os.replace = _guarded_replace  # type: ignore[assignment]
    os.rename = _guarded_rename  # type: ignore[assignment]
