"""Turn user errors into one `error:` line and a non-zero exit; keep tracebacks for bugs.

A user error is a :class:`frvsr.errors.FrvsrError` anywhere in the exception's cause
chain (Hydra wraps errors raised while instantiating), a Hydra/OmegaConf composition
error, or an ``OSError`` that names a file (missing, permission denied, disk full).
Anything else is a bug and propagates with its traceback. ``debug_traceback=true`` on the
command line re-raises user errors too.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

from frvsr.errors import FrvsrError, one_line

T = TypeVar("T")
EXIT_USER_ERROR = 2
DEBUG_FLAG = "debug_traceback=true"


def _config_error_types() -> tuple[type[BaseException], ...]:
    # Imported lazily: entry points without Hydra must not load it just to name its errors.
    types: list[type[BaseException]] = []
    if "hydra" in sys.modules:
        from hydra.errors import HydraException

        types.append(HydraException)
    if "omegaconf" in sys.modules:
        from omegaconf.errors import OmegaConfBaseException

        types.append(OmegaConfBaseException)
    return tuple(types)


def user_message(exc: BaseException) -> str | None:
    """The one-line message of the deepest user error in `exc`'s cause chain, or None."""
    found: str | None = None
    config_types, seen = _config_error_types(), set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, FrvsrError) or (config_types and isinstance(exc, config_types)):
            found = one_line(str(exc)) or type(exc).__name__
        elif isinstance(exc, OSError) and exc.filename is not None and found is None:
            reason = exc.strerror or type(exc).__name__
            found = one_line(f"{exc.filename}: {reason}; check the path and its permissions "
                             "(and free disk space)")
        # `raise ... from None` hides the context: follow it only when it is not suppressed.
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    return found


def debug_requested(argv: Sequence[str]) -> bool:
    return any(a.lower() == DEBUG_FLAG for a in argv)


def strip_debug(argv: Sequence[str]) -> list[str]:
    """`argv` without `debug_traceback=...` (entry points with a fixed key list)."""
    return [a for a in argv if not a.lower().startswith("debug_traceback=")]


def _report(exc: Exception, argv: Sequence[str]) -> bool:
    """Print `exc` as one `error:` line when it is a user error (and no debug flag)."""
    message = user_message(exc)
    if message is None or debug_requested(argv):
        return False
    print(f"error: {message} (debug_traceback=true shows the traceback)", file=sys.stderr)
    return True


def run_cli(body: Callable[[], object], argv: Sequence[str]) -> int:
    """Run `body` for a `main()` that returns an exit code: 0, or 2 after a user error."""
    try:
        body()
    except Exception as exc:
        if not _report(exc, argv):
            raise
        return EXIT_USER_ERROR
    return 0


def call_or_exit(body: Callable[[], T], argv: Sequence[str]) -> T:
    """Return `body()`; a user error prints one line and exits with code 2."""
    try:
        return body()
    except Exception as exc:
        if not _report(exc, argv):
            raise
        raise SystemExit(EXIT_USER_ERROR) from None


HELP_FLAGS = ("-h", "--help", "help")


def key_value_main(argv: Sequence[str] | None, doc: str | None, defaults: dict[str, object],
                   body: Callable[[list[str]], object]) -> int:
    """The `main()` of a key=value entry point: `--help` prints `doc` and the keys with
    their defaults; otherwise `body(args)` runs under :func:`run_cli` (exit code 0 or 2)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if any(a in HELP_FLAGS for a in args):
        print(doc or "")
        print("keys (defaults): " + ", ".join(f"{k}={v}" for k, v in defaults.items()))
        return 0
    return run_cli(lambda: body(args), args)
