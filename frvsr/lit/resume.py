"""`ckpt_path=`: find and check the checkpoint a training run resumes from (of this
configuration, and not already finished)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch
from omegaconf import DictConfig, OmegaConf

from frvsr.checkpoint import (
    EMA_PREFIX,
    find_resume_checkpoint,
    read_frvsr_entry,
    resume_problem,
    uses_ema,
)
from frvsr.errors import CheckpointError
from frvsr.lit.base import GeneratorModule
from frvsr.lit.console import say


def _resume_shapes(model: GeneratorModule) -> dict[str, torch.Size]:
    """Parameter/buffer shapes a resumed checkpoint must hold (frozen loss nets are not
    saved; the EMA copy mirrors the generator and may start or stop at a resume:
    `GeneratorModule.on_load_checkpoint`)."""
    return {k: v.shape for k, v in model.state_dict().items()
            if not k.split(".", 1)[0].endswith("_loss") and not k.startswith(EMA_PREFIX)}


def _resume_fix(model: GeneratorModule, problem: str) -> str:
    if model.stage == "gan" and ("pretrain run" in problem or "sisr run" in problem):
        return ("to start the GAN stage from a pixel-stage checkpoint use "
                "model.init_from=<that file> without ckpt_path")
    return ("resume with the overrides of the run that wrote it (experiment, model/generator, "
            "widths), or pass ckpt_path=<a .ckpt of this configuration>")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_temps(folder: Path) -> int:
    """Delete the temp files of checkpoint writes whose process died mid-write
    (`.<name>.<pid>.<hex>.tmp.ckpt`, frvsr.io.atomic's names); returns how many."""
    removed = 0
    for tmp in folder.glob(".*.tmp.ckpt"):
        parts = tmp.name.split(".")
        pid = int(parts[-4]) if len(parts) >= 5 and parts[-4].isdigit() else None
        if pid is not None and pid != os.getpid() and not _alive(pid):
            tmp.unlink(missing_ok=True)
            removed += 1
    return removed


def _tidy(found: Path) -> None:
    removed = remove_stale_temps(found.parent)
    if removed:
        say(f"removed {removed} partial checkpoint file(s) of a run killed while writing")


class RunFinished(Exception):
    """`ckpt_path=` names a run that already trained all the steps this run asks for: nothing
    to resume. `frvsr.lit.fit` says so (the message holds the fix) and ends without error."""


def _target_steps(cfg: DictConfig) -> int | None:
    """The steps this run trains to (GAN: iterations, `model.max_iters`), None if unbounded."""
    steps = (OmegaConf.select(cfg, "model.max_iters", default=None)
             or OmegaConf.select(cfg, "trainer.max_steps", default=None))
    return int(steps) if steps and int(steps) > 0 else None


def _check_unfinished(cfg: DictConfig, path: Path, entry: dict[str, Any]) -> None:
    done = int(entry["meta"].get("iteration", 0))
    target = _target_steps(cfg)
    if target is None or done < target:
        return
    gan = OmegaConf.select(cfg, "model.max_iters", default=None)
    unit = " (iterations in the GAN stage)" if gan else ""
    raise RunFinished(
        f"{path} is a finished run: it trained {done} steps and trainer.max_steps={target}"
        f"{unit}, so there is nothing to resume; to train further raise trainer.max_steps, "
        f"e.g. trainer.max_steps={2 * max(done, 1)} ckpt_path={cfg.ckpt_path}"
    )


def _say_ema_change(model: GeneratorModule, path: Path, entry: dict[str, Any]) -> None:
    """One line when the resumed run starts or drops a weight average the file does not
    match (`GeneratorModule.on_load_checkpoint` does it), so neither goes unnoticed."""
    saved = uses_ema(entry["state_dict"], True)
    if model.generator_ema is not None and not saved:
        say(f"model.ema_decay={model.ema_decay}: {path} has no weight average; "
            "one starts from its weights")
    elif model.generator_ema is None and saved:
        say(f"model.ema_decay=0: the weight average saved in {path} is dropped "
            "(set model.ema_decay to keep it)")


def resolve_ckpt_path(cfg: DictConfig, model: GeneratorModule) -> str | None:
    """`ckpt_path=last`: newest `last.ckpt` of this task's runs that fits `model`; a path is
    checked the same way. A misfit is one line naming the file and the fix, not Lightning's
    size-mismatch or missing-key traceback."""
    if cfg.get("ckpt_path") in (None, "", "none", "null"):
        return None
    shapes = _resume_shapes(model)
    if str(cfg.ckpt_path) != "last":
        path = Path(cfg.ckpt_path)
        if not path.is_file():
            raise CheckpointError(f"ckpt_path={path} does not exist; pass a .ckpt file")
        entry = read_frvsr_entry(path)
        problem = resume_problem(entry, model.stage, model.meta, shapes)
        if problem is not None:
            raise CheckpointError(
                f"ckpt_path={path} cannot resume this run: {problem}; {_resume_fix(model, problem)}"
            )
        _check_unfinished(cfg, path, entry)
        _tidy(path)
        say(f"resuming from {path}")
        _say_ema_change(model, path, entry)
        return str(path)
    root = Path(cfg.paths.log_dir) / cfg.task_name
    found, rejected = find_resume_checkpoint(root, model.stage, model.meta, shapes)
    if found is None and not rejected:
        raise CheckpointError(
            f"ckpt_path=last: no last.ckpt under {root}; run without ckpt_path first"
        )
    if found is None:
        newest, problem = rejected[0]
        raise CheckpointError(
            f"ckpt_path=last: none of the {len(rejected)} last.ckpt under {root} fits this run "
            f"(newest {newest}: {problem}); {_resume_fix(model, problem)}"
        )
    if rejected:
        say(f"passed over {len(rejected)} newer last.ckpt of another configuration "
            f"(newest {rejected[0][0]}: {rejected[0][1]})")
    entry = read_frvsr_entry(found)
    _check_unfinished(cfg, Path(found), entry)
    _tidy(Path(found))
    say(f"resuming from {found}")
    _say_ema_change(model, Path(found), entry)
    return str(found)
