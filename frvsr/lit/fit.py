"""One training run from a composed config: instantiate data, model, callbacks, loggers and
trainer, resolve the stage's initial weights and `ckpt_path=`, fit, report the metrics
(`frvsr.callbacks.report`: start, time estimate, model vs bicubic, the end).

`frvsr.train` (the Hydra entry point) only composes the config and calls `fit`.
"""
from __future__ import annotations

import contextlib
import shutil
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hydra
import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_only
from omegaconf import DictConfig, OmegaConf, open_dict

from frvsr.checkpoint import read_frvsr_entry
from frvsr.errors import ConfigError, DataError, one_line
from frvsr.io.atomic import atomic_write_text
from frvsr.lit.config_checks import check_values
from frvsr.lit.console import lightning_verbosity, log_to, say
from frvsr.lit.nonfinite import NonFiniteGuard
from frvsr.lit.resume import RunFinished, resolve_ckpt_path
from frvsr.lit.signals import GracefulStop, TrainingInterrupted, hydra_overrides, report_interrupt
from frvsr.lit.staging import resolve_init
from frvsr.lit.wandb_setup import configure_wandb, tidy_wandb_logger

# VideoDataModule's sampler skips the batches a restored loop already consumed, so
# Lightning's generic warning about mid-epoch checkpoints does not apply here.
warnings.filterwarnings("ignore", message=".*dataloader is not resumable.*")
# The GAN module keeps frozen loss networks (VGG) and the EMA copy in eval mode on purpose,
# and its checkpoints are written after the optimiser steps by design (docs/training.md).
warnings.filterwarnings("ignore", message=r".*module\(s\) in eval mode at the start of training.*")
warnings.filterwarnings("ignore", message=".*ModelCheckpoint with manual optimization.*")
# Lightning's own use of a deprecated torch pytree API: nothing a user can act on.
warnings.filterwarnings("ignore", message=".*isinstance\\(treespec, LeafSpec\\).*")

def _instantiate_all(cfg: DictConfig | None, **extra: Any) -> list[Any]:
    """Instantiate every `_target_` entry of a group (callbacks, loggers); skip the rest."""
    if not cfg:
        return []
    return [
        hydra.utils.instantiate(node, **extra.get(name, {}))
        for name, node in cfg.items()
        if isinstance(node, DictConfig) and "_target_" in node
    ]


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
        raise ConfigError(
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


def _check_device(cfg: DictConfig) -> None:
    """`trainer.accelerator=gpu` without a GPU: one line suggesting trainer=cpu, before any
    data or model is built (Lightning's own message is a traceback)."""
    accelerator = str(cfg.trainer.get("accelerator", "auto")).lower()
    if accelerator in ("gpu", "cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"trainer.accelerator={accelerator}, but this machine has no CUDA GPU that PyTorch "
            f"can use (torch {torch.__version__}, torch.cuda.is_available() is False); use "
            "trainer=cpu (or trainer.accelerator=auto, which takes a GPU when there is one)"
        )
    if accelerator == "mps" and not torch.backends.mps.is_available():
        raise ConfigError("trainer.accelerator=mps, but this machine has no Apple GPU that "
                          "PyTorch can use; use trainer=cpu")


@contextlib.contextmanager
def _utf8_argv() -> Iterator[None]:
    """wandb records the command line as protobuf strings, which refuse the surrogates a
    non-UTF-8 file name becomes in `sys.argv`: show it such bytes as `\\xff` escapes."""
    saved = sys.argv
    sys.argv = [a.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                for a in saved]
    try:
        yield
    finally:
        sys.argv = saved


def _raise_worker_death(err: RuntimeError) -> None:
    """PyTorch's "DataLoader worker (pid N) is killed by signal" as one line with the fix
    (the loader itself never hangs on a dead worker: it watches them)."""
    text = str(err)
    if "DataLoader worker (pid" not in text:
        return
    raise DataError(
        f"{one_line(text.splitlines()[0])} (often the system ran out of memory); lower "
        "data.num_workers or data.batch_size, then resume with ckpt_path=last"
    ) from err


def _skip_bad(cfg: DictConfig) -> bool:
    """`data.skip_bad` (skip training windows with an unreadable frame, counted by
    `SkippedFrames`); `VideoDataModule` checks its type."""
    return cfg.data.get("skip_bad", False) is True


@rank_zero_only
def _drop_unused_run_dir(out_dir: Path) -> None:
    """Remove a run folder that holds only what Hydra and the log wrote before the run
    turned out to have nothing to do (a finished run given to `ckpt_path=`)."""
    if not out_dir.is_dir() or not {p.name for p in out_dir.iterdir()} <= {".hydra", "train.log"}:
        return
    shutil.rmtree(out_dir / ".hydra", ignore_errors=True)
    (out_dir / "train.log").unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        out_dir.rmdir()


# What Hydra and the console log put into a run folder before `fit` has done anything.
_SETUP_ONLY = {".hydra", "train.log"}


def _is_fresh(out_dir: Path) -> bool:
    """The run folder holds nothing but Hydra's record (a new run, not a reused folder)."""
    return not out_dir.exists() or {p.name for p in out_dir.iterdir()} <= _SETUP_ONLY


@rank_zero_only
def _drop_failed_run_dir(out_dir: Path, log_dir: Path) -> None:
    """A run that failed before writing any checkpoint leaves nothing behind: its folder
    (config, log, csv, wandb files) goes, then its empty parents below `paths.log_dir`."""
    if not out_dir.is_dir() or any(out_dir.rglob("*.ckpt")):
        return
    shutil.rmtree(out_dir, ignore_errors=True)
    parent = out_dir.parent
    with contextlib.suppress(OSError, ValueError):
        while parent != log_dir and parent.is_relative_to(log_dir) and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


@rank_zero_only
def _write_config(cfg: DictConfig, out_dir: Path) -> None:
    atomic_write_text(out_dir / "config.yaml", OmegaConf.to_yaml(cfg, resolve=True))


@rank_zero_only
def _finish_wandb(loggers: list[Any]) -> None:
    for logger in loggers:
        if type(logger).__name__ == "WandbLogger" and logger._experiment is not None:
            logger.experiment.finish()


def fit(cfg: DictConfig) -> float | None:
    """Fit one run described by `cfg`; returns `cfg.optimized_metric` when logged.

    Everything said goes to the console and to `<run>/train.log`; Lightning's own INFO
    logging and model summary only with `verbose=true`.

    A signal (SIGINT, SIGTERM, SIGUSR1) saves `last.ckpt`, prints the resume command and
    exits with 128 + the signal number (`frvsr.lit.signals`). A run that fails before
    writing any checkpoint removes its run folder."""
    out_dir = Path(cfg.paths.output_dir)
    fresh = _is_fresh(out_dir)
    try:
        with lightning_verbosity(bool(cfg.get("verbose", False))), log_to(out_dir / "train.log"):
            try:
                return _fit(cfg, out_dir)
            except RunFinished as done:
                say(str(done))
            except TrainingInterrupted as stop:
                report_interrupt(stop, hydra_overrides())
                raise SystemExit(stop.exit_code) from None
    except BaseException:
        if fresh:
            _drop_failed_run_dir(out_dir, Path(cfg.paths.log_dir))
        raise
    _drop_unused_run_dir(out_dir)
    return None


def _fit(cfg: DictConfig, out_dir: Path) -> float | None:
    if cfg.get("seed") is not None:
        L.seed_everything(cfg.seed, workers=True)
    if cfg.get("float32_matmul_precision"):
        torch.set_float32_matmul_precision(cfg.float32_matmul_precision)
    _check_mandatory(cfg)
    _check_device(cfg)
    check_values(cfg)
    _gan_max_iters(cfg)

    skip_bad = _skip_bad(cfg)
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
            tidy_wandb_logger(logger)
            # Start the run now: its id goes into every checkpoint (resume continues it).
            if rank_zero_only.rank == 0:
                resolved = OmegaConf.to_container(cfg, resolve=True)
                with _utf8_argv():
                    logger.experiment.config.update(resolved, allow_val_change=True)
            model.run_info["wandb_id"] = logger.version
    callbacks = _instantiate_all(cfg.get("callbacks"))
    if not loggers:  # Lightning refuses a LearningRateMonitor without a logger
        callbacks = [c for c in callbacks if type(c).__name__ != "LearningRateMonitor"]
    from frvsr.callbacks.checkpointing import AtomicCheckpointIO, LastCheckpoint
    from frvsr.callbacks.progress import StepProgress
    from frvsr.callbacks.report import ParameterSummary, RunReport

    report = RunReport(model.stage, str(out_dir), force=bool(cfg.get("force", False)))
    callbacks.append(report)
    if skip_bad:
        from frvsr.callbacks.bad_frames import SkippedFrames

        callbacks.append(SkippedFrames())
    if cfg.trainer.get("enable_progress_bar", True):
        callbacks.append(StepProgress(model.stage))
    if cfg.trainer.get("enable_model_summary", False):  # verbose=true
        callbacks.append(ParameterSummary())
    ckpt_dir = next((Path(c.dirpath) for c in callbacks if isinstance(c, LastCheckpoint)),
                    out_dir / "checkpoints")
    faults = cfg.get("faults") or {}
    model.nonfinite = NonFiniteGuard(
        skip=bool(cfg.get("skip_nonfinite", False)),
        inject_step=faults.get("nonfinite_step"),
        inject_term=faults.get("nonfinite_term") or "pixel",
    )
    model.nonfinite.checkpoint_dir = str(ckpt_dir)
    graceful = GracefulStop(ckpt_dir)
    callbacks.append(graceful)
    if faults.get("kill_at_step") is not None:
        from frvsr.lit.faults import KillAtStep

        callbacks.append(KillAtStep(int(faults.get("kill_at_step"))))
    trainer: L.Trainer = hydra.utils.instantiate(
        cfg.trainer, callbacks=callbacks, logger=loggers or False,
        plugins=[AtomicCheckpointIO(kill_in_write_at=faults.get("kill_in_checkpoint_write"))],
        enable_model_summary=False,
    )
    graceful.install()  # a signal during setup (data decoding) is kept for the first step
    try:
        trainer.fit(model=model, datamodule=datamodule, ckpt_path=ckpt_path)
    except RuntimeError as err:
        _raise_worker_death(err)
        raise
    finally:
        graceful.restore()
        _finish_wandb(loggers)  # a multirun's next job must start its own wandb run
    for line in report.final_lines():
        say(line)
    say(f"outputs in {out_dir}")
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if v.numel() == 1}
    return metrics.get(cfg.get("optimized_metric") or "")
