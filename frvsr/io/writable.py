"""Can a folder be written? Asked before a run starts writing into it, so an unwritable or
full output location is one line naming it, not a traceback from the first write (Hydra
makes the run folder before `frvsr.train`'s own code runs)."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def writable_problem(folder: str | Path) -> str | None:
    """None when files can be created in `folder`; otherwise why not, in a few words naming
    the path: a file in the way, no permission, a full disk.

    The folder is probed with a temp file (created and removed at once); a missing one is
    made for the probe (a full disk shows only when writing inside it) and removed again,
    so the check leaves nothing behind."""
    path = Path(folder).absolute()
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is a file, not a folder, so {path} cannot be made"
    made = [p for p in [path, *path.parents] if not p.exists()]
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".frvsr-write-probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        return f"{err.filename or path}: {err.strerror or err}"
    finally:
        for folder_made in made:  # deepest first: what the run makes itself
            with contextlib.suppress(OSError):
                folder_made.rmdir()
    return None
