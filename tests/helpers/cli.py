"""Running an entry point's `main(argv)` in-process and reading its one-line error."""
from __future__ import annotations

from collections.abc import Callable

import pytest


def one_line_error(main: Callable[[list[str]], int], capsys: pytest.CaptureFixture[str],
                   *args: str) -> str:
    """`main(args)` must exit 2 printing exactly one `error: ...` line; returns it."""
    assert main(list(args)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err
