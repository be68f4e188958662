"""Training entry point: `python -m frvsr.train experiment=pretrain|sisr|gan [overrides]`.

Only knows interfaces: it instantiates data, model, callbacks, loggers and trainer from
the Hydra config, resolves the stage's initial weights and `ckpt_path=last`, fits, and
returns the optimised metric (for the Optuna sweeper).
"""
from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path
from typing import Any

import hydra
import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_only
from omegaconf import DictConfig, OmegaConf, open_dict

from frvsr.atomic import atomic_write_text
from frvsr.checkpoint import (
    CheckpointError,
    find_resume_checkpoint,
    read_frvsr_entry,
    resume_problem,
)
from frvsr.lit.base import GeneratorModule
from frvsr.lit.console import say
from frvsr.lit.staging import StageError, resolve_init
from frvsr.lit.wandb_setup import configure_wandb

# VideoDataModule's sampler skips the batches a restored loop already consumed, so
# Lightning's generic warning about mid-epoch checkpoints does not apply here.
warnings.filterwarnings("ignore", message=".*dataloader is not resumable.*")
# The GAN module keeps frozen loss networks (VGG) and the EMA copy in eval mode on purpose,
# and its checkpoints are written after the optimiser steps by design (docs/training.md).
warnings.filterwarnings("ignore", message=r".*module\(s\) in eval mode at the start of training.*")
warnings.filterwarnings("ignore", message=".*ModelCheckpoint with manual optimization.*")
# Lightning's own use of a deprecated torch pytree API: nothing a user can act on.
warnings.filterwarnings("ignore", message=".*isinstance\\(treespec, LeafSpec\\).*")

USER_ERRORS: tuple[type[BaseException], ...] = (
    FileNotFoundError, CheckpointError, StageError, ValueError
)


def _instantiate_all(cfg: DictConfig | None, **extra: Any) -> list[Any]:
    """Instantiate every `_target_` entry of a group (callbacks, loggers); skip the rest."""
    if not cfg:
        return []
    return [
        hydra.utils.instantiate(node, **extra.get(name, {}))
        for name, node in cfg.items()
        if isinstance(node, DictConfig) and "_target_" in node
    ]


def _resume_shapes(model: GeneratorModule) -> dict[str, torch.Size]:
    """Parameter/buffer shapes a resumed checkpoint must hold (frozen loss nets are not saved)."""
    return {k: v.shape for k, v in model.state_dict().items()
            if not k.split(".", 1)[0].endswith("_loss")}


def _resume_fix(model: GeneratorModule, problem: str) -> str:
    if model.stage == "gan" and ("pretrain run" in problem or "sisr run" in problem):
        return ("to start the GAN stage from a pixel-stage checkpoint use "
                "model.init_from=<that file> without ckpt_path")
    return ("resume with the overrides of the run that wrote it (experiment, model/generator, "
            "widths), or pass ckpt_path=<a .ckpt of this configuration>")


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
        problem = resume_problem(read_frvsr_entry(path), model.stage, model.meta, shapes)
        if problem is not None:
            raise CheckpointError(
                f"ckpt_path={path} cannot resume this run: {problem}; {_resume_fix(model, problem)}"
            )
        say(f"resuming from {path}")
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
    say(f"resuming from {found}")
    return str(found)


def _missing_keys(cfg: DictConfig, prefix: str = "") -> list[str]:
    """Dotted keys still `???`; walks nodes without resolving interpolations (unlike
    OmegaConf.missing_keys, which raises on `${..train.root}` pointing at a missing value)."""
    found = []
    for key in cfg.keys():
        node = cfg._get_node(key)
        if OmegaConf.is_missing(cfg, key):
            found.append(f"{prefix}{key}")
        elif isinstance(node, DictConfig) and not OmegaConf.is_interpolation(cfg, key):
            found += _missing_keys(node, f"{prefix}{key}.")
    return found


def _check_mandatory(cfg: DictConfig) -> None:
    """Unset `???` values (dataset roots) as one line naming the override to add."""
    missing = _missing_keys(cfg)
    if missing:
        fix = " ".join(f"{k}=<{'dir' if k.endswith('root') else 'value'}>" for k in missing)
        raise ValueError(
            f"{', '.join(missing)} is not set (??? in the config); set {fix} "
            "(see data/README.md)"
        )


def _gan_max_iters(cfg: DictConfig) -> None:
    """GAN: `trainer.max_steps` counts iterations (one G and at most one D update);
    Lightning's global_step counts optimiser steps, so the module stops itself."""
    if cfg.model.get("_target_", "").endswith("GANModule") and cfg.trainer.get("max_steps", -1) > 0:
        with open_dict(cfg):
            if cfg.model.get("max_iters") is None:
                cfg.model.max_iters = cfg.trainer.max_steps
            cfg.trainer.max_steps = -1
        say(
            f"GAN stage: trainer.max_steps={cfg.model.max_iters} is counted in "
            "iterations (model.max_iters); Lightning's global_step advances once per "
            "optimiser step (up to 2 per iteration)"
        )


@rank_zero_only
def _write_config(cfg: DictConfig, out_dir: Path) -> None:
    atomic_write_text(out_dir / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))


@rank_zero_only
def _finish_wandb(loggers: list[Any]) -> None:
    for logger in loggers:
        if type(logger).__name__ == "WandbLogger" and logger._experiment is not None:
            logger.experiment.finish()


def train(cfg: DictConfig) -> float | None:
    """Fit one run described by `cfg`; returns `cfg.optimized_metric` when logged."""
    if cfg.get("seed") is not None:
        L.seed_everything(cfg.seed, workers=True)
    if cfg.get("float32_matmul_precision"):
        torch.set_float32_matmul_precision(cfg.float32_matmul_precision)
    _check_mandatory(cfg)
    _gan_max_iters(cfg)
    out_dir = Path(cfg.paths.output_dir)

    datamodule = hydra.utils.instantiate(cfg.data)
    model_cfg = OmegaConf.create(OmegaConf.to_container(cfg.model, resolve=True))
    model_cfg.pop("init_from", None)  # a staging setting of frvsr.train, not a module argument
    model = hydra.utils.instantiate(model_cfg)
    model.check_datamodule(datamodule)  # before any run folder content or wandb run exists
    ckpt_path = resolve_ckpt_path(cfg, model)
    _write_config(cfg, out_dir)
    model.run_config = OmegaConf.to_yaml(cfg, resolve=True)
    if ckpt_path is None:
        resolve_init(model, cfg.model.get("init_from", "none"), Path(cfg.paths.log_dir))

    wandb_id = read_frvsr_entry(ckpt_path)["meta"].get("wandb_id") if ckpt_path else None
    loggers = _instantiate_all(cfg.get("logger"), **configure_wandb(cfg, wandb_id))
    for logger in loggers:
        if type(logger).__name__ == "WandbLogger":
            # Start the run now: its id goes into every checkpoint (resume continues it).
            if rank_zero_only.rank == 0:
                resolved = OmegaConf.to_container(cfg, resolve=True)
                logger.experiment.config.update(resolved, allow_val_change=True)
            model.run_info["wandb_id"] = logger.version
    callbacks = _instantiate_all(cfg.get("callbacks"))
    if not loggers:  # Lightning refuses a LearningRateMonitor without a logger
        callbacks = [c for c in callbacks if type(c).__name__ != "LearningRateMonitor"]
    from frvsr.callbacks.checkpointing import AtomicCheckpointIO

    trainer: L.Trainer = hydra.utils.instantiate(
        cfg.trainer, callbacks=callbacks, logger=loggers or False, plugins=[AtomicCheckpointIO()]
    )
    try:
        trainer.fit(model=model, datamodule=datamodule, ckpt_path=ckpt_path)
    finally:
        _finish_wandb(loggers)  # a multirun's next job must start its own wandb run
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if v.numel() == 1}
    say("final: " + ", ".join(f"{k}={v:.4f}" for k, v in sorted(metrics.items())
                                                  if k.startswith("val/")))
    say(f"outputs in {out_dir}")
    return metrics.get(cfg.get("optimized_metric") or "")


def _first_user_error(exc: BaseException) -> BaseException | None:
    """The deepest user-facing error in the cause chain (Hydra wraps instantiate errors)."""
    found, seen = None, set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, USER_ERRORS):
            found = exc
        exc = exc.__cause__ or exc.__context__
    return found


CONF_DIR = Path(__file__).resolve().parents[1] / "conf"


def _one_line_hydra(message: str) -> str:
    """Hydra's multi-line composition message as one line: tab-indented option lists are
    joined with commas; the config search path block is dropped."""
    parts: list[str] = []
    for raw in message.split("Config search path:")[0].splitlines():
        line = raw.strip()
        if not line:
            continue
        if raw.startswith("\t") and parts and parts[-1][-1:] in (":", ","):
            parts[-1] += f" {line},"
        else:
            if parts and parts[-1].endswith(","):
                parts[-1] = parts[-1][:-1] + ";"
            elif parts and parts[-1][-1:] not in (".", ":", ";"):
                parts[-1] += ";"
            parts.append(line)
    return " ".join(parts).rstrip(",;")


def _valid_keys(overrides: list[str], bad_key: str) -> str:
    """`; valid keys of <parent>: ...` for an override of a key that does not exist."""
    from hydra import compose, initialize_config_dir

    parent = bad_key.rpartition(".")[0]
    rest = [o for o in overrides if not o.split("=", 1)[0].lstrip("+~").endswith(bad_key)]
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            node = OmegaConf.select(compose("train", overrides=rest), parent or "")
    except Exception:  # the other overrides fail too: the first message is enough
        return ""
    if not isinstance(node, DictConfig):
        return ""
    return f"; valid keys of {parent or 'the config'}: {', '.join(str(k) for k in node)}"


def _composition_error(argv: list[str]) -> str | None:
    """Compose the command line's config once with Hydra's compose API (each value of a
    choice sweep on its own) and return Hydra's complaint as one line, or None.

    Runs before `@hydra.main`, whose own report of the same problems spans many lines.
    Anything unusual (help, another config dir, sweeps Hydra expands later) is left to Hydra.
    """
    from hydra import compose, initialize_config_dir
    from hydra._internal.utils import get_args_parser
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    args, _ = get_args_parser().parse_known_args(argv)
    if args.help or args.hydra_help or args.info or args.shell_completion or args.cfg \
            or args.config_path or args.config_dir:
        return None
    try:
        parsed = OverridesParser.create().parse_overrides(args.overrides)
    except HydraException as exc:
        return _one_line_hydra(str(exc))
    fixed = [o.input_line for o in parsed if not o.is_sweep_override()]
    variants = [fixed]
    for o in parsed:
        if o.is_sweep_override():
            try:
                values = list(o.sweep_string_iterator())
            except Exception:  # interval()/tag sweeps: values only the sweeper knows
                continue
            variants += [[*fixed, f"{o.get_key_element()}={v}"] for v in values]
    for overrides in variants:
        try:
            with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
                compose(args.config_name or "train", overrides=overrides)
        except (HydraException, OmegaConfBaseException) as exc:
            message = _one_line_hydra(str(exc))
            bad = re.match(r"Could not override '([^']+)'", message)
            if bad and "+" in message:
                message += _valid_keys(overrides, bad.group(1))
            return message
    return None


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
def _hydra_main(cfg: DictConfig) -> float | None:
    try:
        return train(cfg)
    except Exception as exc:  # one line for configuration/data errors, full trace otherwise
        user = _first_user_error(exc)
        if user is None or cfg.get("debug_traceback", False):
            raise
        message = " ".join(str(user).split())
        print(f"error: {message} (debug_traceback=true shows the traceback)", file=sys.stderr)
        sys.exit(2)


def main() -> float | None:
    """Console entry point: a composition problem (unknown group option or key) is one
    `error:` line (exit 2) listing the valid choices; then Hydra takes over as usual."""
    if "debug_traceback=true" not in sys.argv[1:]:
        problem = _composition_error(sys.argv[1:])
        if problem is not None:
            print(f"error: {problem} (fix the override)", file=sys.stderr)
            sys.exit(2)
    return _hydra_main()


if __name__ == "__main__":
    main()
