"""A non-finite (NaN or inf) training loss: stop the run with one line naming the step and
the loss term (default; the last good checkpoint is kept, nothing is saved from the bad
step), or with `skip_nonfinite=true` skip the step (no weight or optimiser update) and
count the skips (`train/nonfinite_skips` in the log, one console line per skip).

`faults.nonfinite_step=N` (conf/train.yaml) makes term `faults.nonfinite_term` NaN at step
N, so both paths are tested deterministically.
"""
from __future__ import annotations

import math
from pathlib import Path

import torch
from torch import Tensor

from frvsr.errors import ConfigError, FrvsrError
from frvsr.lit.console import say


class NonFiniteLossError(FrvsrError, FloatingPointError):
    """Training produced a NaN/inf loss and `skip_nonfinite` is off."""


def bad_terms(terms: dict[str, Tensor]) -> list[str]:
    """`name=value` of the terms that are not finite (detached, one sync)."""
    return [f"{name}={float(value.detach().float().sum()):g}"
            for name, value in terms.items() if not bool(torch.isfinite(value.detach()).all())]


class NonFiniteGuard:
    """Decides what a non-finite loss does; counts the skipped steps.

    Args:
        skip: True skips such steps, False stops the run (`NonFiniteLossError`).
        inject_step: step (1-based iteration) whose `inject_term` is made NaN, or None.
        inject_term: the loss term made NaN (`pixel`, `flow`, `pingpong`, ...).
    """

    def __init__(self, skip: bool = False, inject_step: int | None = None,
                 inject_term: str = "pixel") -> None:
        self.skip = bool(skip)
        self.inject_step = int(inject_step) if inject_step is not None else None
        self.inject_term = str(inject_term)
        self.skips = 0
        self.checkpoint_dir: str | None = None  # named in the stop message

    def inject(self, step: int, terms: dict[str, Tensor]) -> dict[str, Tensor]:
        """`terms` with the injected NaN at the injection step (a fault for the tests)."""
        if self.inject_step is None or step != self.inject_step:
            return terms
        if self.inject_term not in terms:
            raise ConfigError(
                f"faults.nonfinite_term={self.inject_term} is not a loss term of this run; "
                f"use one of {', '.join(sorted(terms))}"
            )
        say(f"fault injection: loss term {self.inject_term} made NaN at step {step}")
        return {**terms, self.inject_term: terms[self.inject_term] * math.nan}

    def should_skip(self, step: int, terms: dict[str, Tensor], loss: Tensor,
                    what: str = "loss") -> bool:
        """False when `loss` is finite; True (a skip, counted) when it is not and skipping
        is on; otherwise raises `NonFiniteLossError` naming the step and the term(s)."""
        if bool(torch.isfinite(loss.detach()).all()):
            return False
        named = bad_terms(terms) or [f"{what}={float(loss.detach().float().sum()):g}"]
        if self.skip:
            self.skips += 1
            say(f"step {step}: non-finite {what} ({', '.join(named)}); step skipped "
                f"({self.skips} skipped so far)")
            return True
        last = Path(self.checkpoint_dir) / "last.ckpt" if self.checkpoint_dir else None
        kept = (f"the last good checkpoint {last} is kept" if last and last.is_file()
                else "no checkpoint had been written yet")
        raise NonFiniteLossError(
            f"non-finite {what} at step {step}: loss term {', '.join(named)}; the run stopped "
            f"and {kept}; lower the learning rate (or check the data) and resume with "
            "ckpt_path=last, or skip such steps with skip_nonfinite=true"
        )
