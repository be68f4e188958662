"""One exception type for bad data, so callers (and DataLoader workers) get one-line errors."""

from __future__ import annotations

_WORKER_PREFIX = "Caught DataError in DataLoader worker process"


class DataError(ValueError):
    """Bad input data or data configuration.

    The message is a single line naming the file (or setting), the offending value and the
    fix. A DataError raised in a DataLoader worker is re-raised by PyTorch in the main process
    as `DataError("Caught DataError in DataLoader worker process N.\\nOriginal Traceback...")`;
    that form is reduced here to the original one-line message.
    """

    def __init__(self, message: str) -> None:
        text = str(message)
        if text.startswith(_WORKER_PREFIX):
            last = [ln for ln in text.splitlines() if ln.strip()][-1]
            text = last.split("DataError: ", 1)[-1]
        super().__init__(" ".join(text.split()))  # force one line
