"""Stage initialisation: the GAN stage starts from a pixel-loss checkpoint.

`model.init_from`:
- a path: that checkpoint (its generator must match this run's architecture; a recurrent
  stage may also start from the same backbone trained frame by frame, `experiment=sisr`);
- `auto`: the newest matching `last.ckpt` under the runs folder (single runs and
  multiruns), matched on stored generator class, widths, scale and recurrence;
- `none`: from scratch (explicitly asked for).
"""
from __future__ import annotations

from pathlib import Path

from frvsr.checkpoint import (
    MATCH_KEYS,
    find_init_checkpoint,
    generator_state,
    read_frvsr_entry,
)
from frvsr.errors import StageError
from frvsr.lit.base import GeneratorModule
from frvsr.lit.console import say


def _describe(meta: dict) -> str:
    return ", ".join(f"{k}={meta.get(k)}" for k in MATCH_KEYS)


def resolve_init(model: GeneratorModule, init_from: str | None, runs_dir: Path) -> Path | None:
    """Load the initial generator weights into `model` per `init_from`; returns the file used."""
    if model.stage != "gan":
        if init_from not in (None, "none", "auto"):
            path = _load(model, Path(init_from))
            say(f"{model.stage} stage initialised from {path} (model.init_from)")
            return path
        return None
    if init_from in (None, "none"):
        say("GAN stage from scratch (model.init_from=none)")
        return None
    if init_from == "auto":
        found = find_init_checkpoint(runs_dir, model.meta)
        if found is None:
            stage = "pretrain" if model.recurrent else "sisr"
            raise StageError(
                f"no {stage} checkpoint under {runs_dir} matches this generator "
                f"({_describe(model.meta)}); run `python -m frvsr.train experiment={stage}` "
                "with the same model/generator first, or pass model.init_from=<ckpt> "
                "(model.init_from=none starts from scratch)"
            )
        _load(model, found)
        say(f"GAN stage initialised from {found} (newest matching)")
        return found
    # Said after loading: a missing or mismatched file must not be reported as used.
    path = _load(model, Path(init_from))
    say(f"GAN stage initialised from {path} (model.init_from)")
    return path


def _load(model: GeneratorModule, path: Path) -> Path:
    entry = read_frvsr_entry(path)
    meta = entry["meta"]
    mismatch = [k for k in MATCH_KEYS if meta.get(k) != model.meta.get(k)]
    if mismatch == ["recurrent"] and model.recurrent:
        # A recurrent model started from its own backbone trained frame by frame
        # (experiment=sisr): FRVSR.load_single_frame_backbone widens the input conv.
        state = generator_state(entry["state_dict"], ema=True)
        for net in (model.generator, model.generator_ema):
            if net is not None:
                net.load_single_frame_backbone(state)
        return path
    if mismatch:
        raise StageError(
            f"model.init_from={path} holds another architecture ({_describe(meta)}) than this "
            f"run ({_describe(model.meta)}); pick a checkpoint of the same model/generator"
        )
    # Pixel-stage EMA weights (when kept) are the better starting point, as for users.
    model.load_init_weights(generator_state(entry["state_dict"], ema=True))
    return path
