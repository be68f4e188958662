"""Kept for imports of `frvsr.data.errors.DataError`; the class lives in `frvsr.errors`."""
from frvsr.errors import DataError

__all__ = ["DataError"]
