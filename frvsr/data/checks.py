"""One-line checks of the data module's numeric settings, before any dataset or loader is
built: a zero or negative size otherwise surfaces as a torch traceback deep in a worker
(`min(): Expected reduction dim ...`) or as DataLoader's `batch_size should be a positive
integer`. Keys are named as the user writes them (`data.<key>`)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frvsr.errors import DataError

# key -> (smallest allowed value, whether null is allowed, what the value means)
_LIMITS: dict[str, tuple[int, bool, str]] = {
    "num_frames": (1, False, "frames per training clip (T)"),
    "lr_patch": (1, True, "LR crop side in pixels; null trains on whole frames"),
    "batch_size": (1, False, "clips per training batch"),
    "num_workers": (0, False, "DataLoader worker processes; 0 loads in the main process"),
    "val_max_frames": (1, True, "validation clip cap in frames; null = whole clips"),
    "val_crop": (1, True, "validation centre crop in LR pixels; null = whole frames"),
    "window_stride": (1, False, "frames between two training windows of a clip"),
}


def check_data_sizes(data: Mapping[str, Any]) -> None:
    """Raise a one-line `DataError` naming `data.<key>`, its value and the valid range for
    the first setting of `data` (a `conf/data/*.yaml` mapping) that cannot work."""
    for key, (low, nullable, meaning) in _LIMITS.items():
        if key not in data:
            continue
        value = data[key]
        if value is None and nullable:
            continue
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
        if not ok:
            null = " or null" if nullable else ""
            raise DataError(
                f"data.{key}={value!r} is not valid: it is the {meaning}; use an integer "
                f">= {low}{null}, e.g. data.{key}={max(low, 1) if key != 'lr_patch' else 32}"
            )
