"""One exception type for bad data, so callers (and DataLoader workers) get one-line errors."""
from __future__ import annotations


class DataError(ValueError):
    """Bad input data or data configuration.

    The message is a single line naming the file (or setting), the offending value and the
    fix. DataLoader workers re-raise it in the main process with the same message.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))  # force one line
