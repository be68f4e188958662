"""Messages for the user, printed once (rank 0) on stdout with a `[frvsr]` prefix."""
from __future__ import annotations

from lightning.pytorch.utilities import rank_zero_only


@rank_zero_only
def say(message: str) -> None:
    print(f"[frvsr] {message}", flush=True)
