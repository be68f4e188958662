"""Training entry point: `python -m frvsr.train experiment=pretrain|sisr|gan [overrides]`.

`--help` prints this command's own page (stages, common overrides, the config groups found
in `conf/`, where outputs go); `--cfg job` prints the composed Hydra config and
`--hydra-help` Hydra's own flags. Composes the Hydra config (a composition mistake is one
`error:` line listing the valid choices or the closest keys), then `frvsr.lit.fit.fit` runs
the stage and returns the optimised metric (for the Optuna sweeper). User errors are one
line (exit 2); `debug_traceback=true` shows the traceback.

In a multirun (`-m`, any launcher or sweeper) each job runs through `frvsr.sweep.job`: a
failed job is recorded and the sweep goes on; `frvsr.sweep.callback` writes the sweep's
summary at the end, and the command exits with 1 when a job failed.
"""
from __future__ import annotations

import os
import sys

import hydra
from omegaconf import DictConfig

from frvsr.cli.errors import EXIT_USER_ERROR, call_or_exit, debug_requested
from frvsr.cli.hydra_compose import composition_error, config_groups

STAGES = """\
Stages (docs/training.md), CPU-sized on the embedded sample footage:
  experiment=pretrain   stage 1: FRVSR with an L2 + flow-warp loss (600 steps)
  experiment=gan        stage 2: TecoGAN losses, from the newest matching pretrain run
  experiment=sisr       baseline: the same backbone frame by frame
  recipes, sized for GPUs and long runs:{recipes}
  no experiment=: full-size defaults (100,000 steps), stopped on a CPU unless force=true
"""

COMMON = """\
Common overrides:
  trainer.max_steps=600           steps (GAN stage: iterations)
  trainer.val_check_interval=200  validate every N steps
  trainer=cpu|gpu|ddp             where it runs (trainer=ddp trainer.devices=4)
  data.batch_size=4 data.num_frames=5 data.lr_patch=24
  model/generator=srresnet        another SR backbone
  model.init_from=auto|none|<ckpt>  where the GAN stage starts from
  ckpt_path=last|<ckpt>           resume this experiment's newest run (or a file)
  logger=csv|none                 without wandb (default: wandb offline + csv)
  verbose=true                    Lightning's model summary and INFO logs
  force=true                      run even if a CPU would need more than 60 minutes
  debug_traceback=true            tracebacks for user errors
  -m key=a,b                      a sweep (multirun), summary.{csv,md,html} in its dir
  hparams_search=grid|optuna      ready-made sweeps; launcher=submitit_local|slurm
"""

TAIL = """\
Outputs: outputs/<task>/runs/<time>/ (FRVSR_ROOT=... or paths.log_dir=... move them):
  config.yaml, train.log (this console's lines), checkpoints/last.ckpt and
  best-step<step>.ckpt, samples/ (labelled grids and bicubic | SR videos), csv/, wandb/.
The composed config: --cfg job. train is powered by Hydra: --hydra-help lists its flags.
More: README.md, docs/training.md.
"""

STAGE_NAMES = ("pretrain", "gan", "sisr")


def help_page() -> str:
    """This command's `--help`: stages, common overrides, config groups, outputs."""
    import textwrap

    groups = config_groups()
    recipes = [o for o in groups.get("experiment", []) if o not in STAGE_NAMES]
    stages = STAGES.format(recipes="\n    " + ", ".join(recipes))
    lines = ["usage: python -m frvsr.train [experiment=<stage>] [group=option ...] "
             "[key=value ...]", "", stages, COMMON,
             "Config groups (conf/; pick one with group=option):"]
    lines += [textwrap.fill(f"{group}: {', '.join(options)}", 88, initial_indent="  ",
                            subsequent_indent="      ") for group, options in groups.items()]
    return "\n".join([*lines, "", TAIL])


@hydra.main(version_base="1.3", config_path="../conf", config_name="train")
def _hydra_main(cfg: DictConfig) -> float | None:
    from frvsr.lit.fit import fit  # Lightning loads only once the config composed

    argv = sys.argv[1:] + (["debug_traceback=true"] if cfg.get("debug_traceback") else [])
    from frvsr.sweep.job import in_multirun, run_job

    if in_multirun():  # a failed job is a row of the summary, not the end of the sweep
        return run_job(cfg, fit, argv)
    return call_or_exit(lambda: fit(cfg), argv)


def main() -> float | None:
    """Console entry point: `--help` is this command's page; a composition problem (unknown
    group option or key) is one `error:` line (exit 2); then Hydra takes over as usual."""
    argv = sys.argv[1:]
    if "--help" in argv or "-h" in argv:
        print(help_page())
        return None
    if debug_requested(argv):
        os.environ["HYDRA_FULL_ERROR"] = "1"  # Hydra's own errors with their traceback too
    else:
        problem = composition_error(argv)
        if problem is not None:
            print(f"error: {problem} (fix the override)", file=sys.stderr)
            sys.exit(EXIT_USER_ERROR)
        _check_output_root(argv)
    _hydra_main()
    from frvsr.sweep.callback import last_sweep

    sweep = last_sweep()
    if sweep is not None and sweep.failed:
        print(f"[frvsr] {sweep.failed} of {len(sweep.rows)} jobs failed (their errors are in "
              f"{sweep.dir / 'summary.md'})", file=sys.stderr)
        sys.exit(1)
    return None


def output_root(argv: list[str]) -> tuple[str, str]:
    """(the setting, the folder) where this command's run folders go: `hydra.run.dir=` /
    `hydra.sweep.dir=` / `paths.log_dir=` when given, else `<paths.root_dir or
    FRVSR_ROOT or .>/outputs` (conf/paths/default.yaml)."""
    given = {a.lstrip("+").split("=", 1)[0]: a.split("=", 1)[1] for a in argv
             if "=" in a and not a.startswith("-")}
    for key in ("hydra.run.dir", "hydra.sweep.dir", "paths.log_dir"):
        if key in given:
            return key, given[key]
    root = given.get("paths.root_dir") or os.environ.get("FRVSR_ROOT") or "."
    return "paths.log_dir", os.path.join(root, "outputs")


def _check_output_root(argv: list[str]) -> None:
    """An unwritable or full output location as one line, before Hydra makes the run folder
    (its own failure there is a traceback)."""
    from frvsr.io.writable import writable_problem

    key, folder = output_root(argv)
    if "${" in folder:  # an interpolation: Hydra resolves it; its own check applies
        return
    problem = writable_problem(folder)
    if problem is not None:
        print(f"error: {key}={folder} cannot be written: {problem}; choose another folder "
              "(paths.log_dir=... or FRVSR_ROOT=...) or free disk space", file=sys.stderr)
        sys.exit(EXIT_USER_ERROR)


if __name__ == "__main__":
    main()
