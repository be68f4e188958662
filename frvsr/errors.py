"""One error base for everything a user can fix: bad input, bad config, unusable checkpoint.

Entry points print a :class:`FrvsrError` as one line (``error: ...``) and exit non-zero;
any other exception is a bug and keeps its traceback (``debug_traceback=true`` shows the
traceback of a ``FrvsrError`` too). Each subclass also keeps the built-in base it had
before this module existed, so ``except ValueError`` in users' code still catches it.
No framework imports: every package may raise these.
"""
from __future__ import annotations

_WORKER_PREFIX = "Caught DataError in DataLoader worker process"


def one_line(text: str) -> str:
    """Collapse whitespace and newlines: messages are printed as a single line."""
    return " ".join(str(text).split())


class FrvsrError(Exception):
    """A problem the user can fix; the message is one line naming the file or key and the fix."""


class ConfigError(FrvsrError, ValueError):
    """A bad command-line key, value or config composition (Hydra/OmegaConf)."""


class UserPathError(FrvsrError, OSError):
    """An OSError (missing, permission denied, disk full) on a path the user gave."""


class DataError(FrvsrError, ValueError):
    """Bad input data or data configuration.

    A DataError raised in a DataLoader worker is re-raised by PyTorch in the main process
    as `DataError("Caught DataError in DataLoader worker process N.\\nOriginal Traceback...")`;
    that form is reduced here to the original one-line message.
    """

    def __init__(self, message: str) -> None:
        text = str(message)
        if text.startswith(_WORKER_PREFIX):
            last = [ln for ln in text.splitlines() if ln.strip()][-1]
            text = last.split("DataError: ", 1)[-1]
        super().__init__(one_line(text))


class EvalError(FrvsrError, ValueError):
    """A bad evaluation input; the message is one line naming the clip and frame."""


class CheckpointError(FrvsrError, RuntimeError):
    """A checkpoint that cannot serve the request; the message is one line with the fix."""


class CheckpointMismatchError(FrvsrError, RuntimeError):
    """A checkpoint's keys or shapes do not fit the model; the message lists the first ones."""


class StageError(FrvsrError, RuntimeError):
    """A training stage cannot start (e.g. no pretraining checkpoint); one line naming the fix."""


class WeightsNotFoundError(FrvsrError, FileNotFoundError):
    """No local weight file for a feature network; the message says where we looked."""
