"""Messages for the user: one `[frvsr]` line on stdout (rank 0), the same line in the run's
`train.log`, and the quiet/verbose switch for Lightning's own console output.

`say` prints through `tqdm.write`, so a line never tears an active progress bar. While
`frvsr.lit.fit` runs, `log_to(<run>/train.log)` is active and every line said (and every
progress line, `say(..., console=False)`) is appended there with a timestamp.
"""
from __future__ import annotations

import logging
import math
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lightning.pytorch.utilities import rank_zero_only

_log_file: Path | None = None
# Lightning's INFO records ("GPU available", "Seed set", tips): hidden unless verbose=true.
_LIGHTNING_LOGGERS = ("lightning.pytorch", "lightning.fabric", "pytorch_lightning",
                      "lightning_fabric")


def _write(line: str) -> None:
    from tqdm import tqdm

    tqdm.write(line, file=sys.stdout)
    sys.stdout.flush()


@rank_zero_only
def say(message: str, console: bool = True) -> None:
    """`[frvsr] message` on stdout (unless `console=False`) and in the active train.log."""
    line = f"[frvsr] {message}"
    if console:
        _write(line)
    if _log_file is not None:
        try:
            with open(_log_file, "a", encoding="utf-8") as f:
                f.write(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] {line}\n")
        except OSError:  # a log file that cannot be written must not stop training
            pass


@contextmanager
def log_to(path: Path | None) -> Iterator[None]:
    """Append every `say` line to `path` (created with its folder) while the block runs."""
    global _log_file
    previous = _log_file
    if path is not None and rank_zero_only.rank == 0:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        _log_file = path
    try:
        yield
    finally:
        _log_file = previous


@contextmanager
def lightning_verbosity(verbose: bool) -> Iterator[None]:
    """Lightning's INFO logging (device lines, tips, seed) only when `verbose`; restored after."""
    loggers = [logging.getLogger(name) for name in _LIGHTNING_LOGGERS]
    levels = [lg.level for lg in loggers]
    if not verbose:
        for lg in loggers:
            lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def duration(seconds: float) -> str:
    """`42s`, `3m05s`, `2h07m`, `3d04h`: a duration as people read it."""
    if not math.isfinite(seconds):
        return "?"
    s = max(0, int(round(seconds)))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def count(n: float) -> str:
    """`1.93 M`, `812 k`, `950`: parameter counts."""
    if n >= 1e6:
        return f"{n / 1e6:.2f} M"
    if n >= 1e3:
        return f"{n / 1e3:.0f} k"
    return f"{int(n)}"
