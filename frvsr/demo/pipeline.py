"""The demo pipeline: frame-by-frame run, FRVSR run (from the frame-by-frame backbone at
step K when the preset says so, after a flow warm-up), GAN fine-tuning, evaluation of the
three and bicubic on the held-out shot, the comparison table and the learning curve.

Layout of one demo folder (`outputs/demo/<time>/`, never reused):
  sisr/, frvsr/, gan/   the training runs (config.yaml, train.log, checkpoints/, csv/; a run
                        trained in legs keeps each leg's start as checkpoints/step<N>.ckpt, N
                        in that run's own steps: FRVSR counts from K, flow-only included)
  eval/                 <method>.json per method, compare.json + its HTML report
  learning_curve.png    validation PSNR-Y against backbone updates
  demo.json, demo.md    what ran (steps, seconds per stage) and the table
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from frvsr.demo import stages
from frvsr.demo.curves import plot_learning_curves, validation_curve
from frvsr.demo.presets import Preset
from frvsr.demo.table import MethodRow, demo_table
from frvsr.io.atomic import atomic_write_text


def _training(preset: Preset, seed: int, val_every: int | None = None) -> list[str]:
    every = val_every or preset.val_every
    return [f"seed={seed}", f"data.seed={seed}", f"trainer.val_check_interval={every}",
            *preset.overrides]


def _set_aside(src: Path, dst: Path) -> Path:
    """Rename `src` to `dst` (atomic on one file system). A resumed run must not find its
    own `last.ckpt` in place: Lightning then writes `last-v1.ckpt` and the old file, which
    the later stages read, would stay at the resumed step."""
    os.replace(src, dst)
    return dst


def _resume_point(run_dir: Path, step: int) -> Path:
    """The finished leg's `last.ckpt`, set aside as `step<N>.ckpt` for the next leg."""
    return _set_aside(stages.last_checkpoint(run_dir),
                      run_dir / "checkpoints" / f"step{step:07d}.ckpt")


def train_all(preset: Preset, out: Path, seed: int
              ) -> tuple[dict[str, Path], list[stages.StageResult]]:
    """The three training stages; returns each stage's run folder and the stage timings.

    Legs, in backbone updates (as the stage names count them): the frame-by-frame run alone
    to K (`frvsr_from_sisr`), then both pixel-loss runs side by side to `lr_drop_at` when
    `after_drop_overrides` are given (else to `steps`), then both resumed to `steps` with
    those overrides."""
    done: list[stages.StageResult] = []
    runs = {"sisr": out / "sisr", "frvsr": out / "frvsr", "gan": out / "gan"}
    common = [*_training(preset, seed), *preset.pixel_overrides]
    k, w, n = preset.frvsr_from_sisr, preset.flow_warmup, preset.lr_drop_at
    split = preset.split_at_drop
    sisr = ["experiment=sisr", *common, *preset.lr_drop()]
    frvsr = ["experiment=pretrain", *common, *preset.frvsr_overrides, *preset.pretrain_overrides,
             *preset.lr_drop(k - w),  # its flow-only steps come first
             f"model.flow_warmup_steps={w}"]
    sisr_resume: list[str] = []
    if k:
        # The step-K weights start FRVSR; the frame-by-frame run then resumes from them.
        done.append(stages.train(f"frame-by-frame (steps 1-{k})", runs["sisr"],
                                 [*sisr, f"trainer.max_steps={k}"]))
        start = _resume_point(runs["sisr"], k)
        frvsr.append(f"model.init_from={start}")
        sisr_resume = [f"ckpt_path={start}"]
    end = n if split else preset.steps
    # The two pixel-loss runs are independent from here on: they train side by side, each
    # with one core's share of threads (2 cores: ~1.6x faster than one after the other).
    done += stages.run_jobs([
        stages.train_job(f"frame-by-frame (steps {k + 1}-{end})", runs["sisr"],
                         [*sisr, f"trainer.max_steps={end}", *sisr_resume]),
        stages.train_job(f"FRVSR (steps {k + 1}-{end}{f', after {w} flow-only' if w else ''})",
                         runs["frvsr"],
                         [*frvsr, f"trainer.max_steps={end - k + w}"])])
    if split:
        after = list(preset.after_drop_overrides)
        done += stages.run_jobs([
            stages.train_job(f"frame-by-frame (steps {n + 1}-{preset.steps})", runs["sisr"],
                             [*sisr, *after, f"trainer.max_steps={preset.steps}",
                              f"ckpt_path={_resume_point(runs['sisr'], n)}"]),
            stages.train_job(f"FRVSR (steps {n + 1}-{preset.steps})", runs["frvsr"],
                             [*frvsr, *after, *preset.frvsr_after_drop_overrides,
                              f"trainer.max_steps={preset.steps - k + w}",
                              f"ckpt_path={_resume_point(runs['frvsr'], n - k + w)}"])])
    gan = ["experiment=gan", f"seed={seed}", f"data.seed={seed}", *preset.overrides,
           *preset.frvsr_overrides, *preset.frvsr_after_drop_overrides, *preset.gan_overrides,
           f"trainer.max_steps={preset.gan_steps}",
           f"trainer.val_check_interval={preset.gan_steps}",
           f"model.init_from={stages.last_checkpoint(runs['frvsr'])}"]
    done.append(stages.train("GAN fine-tuning", runs["gan"], gan))
    return runs, done


METHODS = (("bicubic", None), ("sisr", "sisr"), ("frvsr", "frvsr"), ("gan", "gan"))


def evaluate_all(preset: Preset, runs: dict[str, Path], out: Path
                 ) -> tuple[dict[str, Path], list[stages.StageResult]]:
    """Score bicubic and the three models on the held-out shot; then compare them."""
    eval_dir, done, results = out / "eval", [], {}
    for method, run in METHODS:
        path = eval_dir / f"{method}.json"
        source = (["baseline=bicubic"] if run is None
                  else [f"ckpt={stages.last_checkpoint(runs[run])}"])
        args = [*source, "data=sample", f"out={path}", f"name={method}",
                f"report={'true' if method == 'gan' else 'false'}", *preset.eval_overrides]
        done.append(stages.run_module(f"evaluate {method}", "frvsr.evaluate", args, path))
        results[method] = path
    compare = eval_dir / "compare.json"
    listed = ",".join(str(p) for p in results.values())
    done.append(stages.run_module("compare", "frvsr.evaluate",
                                  [f"compare=[{listed}]", f"out={compare}"], compare))
    results["compare"] = compare
    return results, done


def _row(method: str, path: Path, steps: str) -> MethodRow:
    data = json.loads(path.read_text())
    recurrence = data.get("recurrence") or {}
    return MethodRow(method=method, steps=steps, metrics=dict(data["mean_over_clips"]),
                     recurrence_gain=recurrence.get("gain_db"))


def _shared_recipe(preset: Preset) -> list[str]:
    """What both pixel-loss models were trained with beyond the defaults (the table says)."""
    given = [*preset.overrides, *preset.pixel_overrides]
    return [*[f"{o.split('=')[1]} features" for o in given
              if o.startswith("model.generator.num_feat=")],
            *(["synthetic pans"] if any(o.startswith("data.synthetic_pan=") for o in given)
              else []),
            *([f"learning rate /10 after {preset.lr_drop_at}"] if preset.lr_drop_at else []),
            *[_after_drop(o) for o in preset.after_drop_overrides]]


def _after_drop(override: str) -> str:
    key, value = override.split("=", 1)
    if key == "data.num_frames":
        return f"{value}-frame clips after it"
    return override


def _frvsr_after_drop(override: str, drop: int) -> str:
    key, value = override.split("=", 1)
    return f"{value} memory warp after {drop}" if key == "model.memory_warp" else override


def run_demo(preset: Preset, out: Path, seed: int) -> dict[str, Any]:
    """Run the whole demo into `out` (a new folder); returns what `demo.json` holds."""
    start = time.perf_counter()
    out.mkdir(parents=True, exist_ok=False)
    print(f"[demo] {preset.name}: frame-by-frame, FRVSR and GAN on the embedded footage, "
          f"then evaluation on the held-out shot; writing to {out}", flush=True)
    runs, trained = train_all(preset, out, seed)
    results, scored = evaluate_all(preset, runs, out)
    k, w = preset.frvsr_from_sisr, preset.flow_warmup
    frvsr_steps = f"{k}+{preset.steps - k}" if k else str(preset.steps)
    if w:
        frvsr_steps += f" (+{w} flow-only)"
    both = _shared_recipe(preset)
    how = [*both,
           *(["OpenCV DIS flow"] if "model/flow_net=dis" in preset.frvsr_overrides else []),
           *(["truncated BPTT"] if "model.detach_memory=true" in preset.pretrain_overrides
             else []),
           *[f"teacher forcing {o.split('=')[1]} steps" for o in preset.pretrain_overrides
             if o.startswith("model.teacher_forcing_steps=")],
           *[_frvsr_after_drop(o, preset.lr_drop_at) for o in preset.frvsr_after_drop_overrides]]
    if how:
        frvsr_steps += f" ({', '.join(how)})"
    rows = [_row("bicubic", results["bicubic"], "-"),
            _row("sisr", results["sisr"],
                 f"{preset.steps} ({', '.join(both)})" if both else str(preset.steps)),
            _row("frvsr", results["frvsr"], frvsr_steps),
            _row("gan", results["gan"], f"+{preset.gan_steps}")]
    degradation = json.loads(results["frvsr"].read_text()).get("degradation", "?")
    table = demo_table(rows, degradation)
    frvsr_curve = [(k + max(0, i - w), v) for i, v in validation_curve(runs["frvsr"])]
    sisr_curve = validation_curve(runs["sisr"])
    bicubic_curve = validation_curve(runs["sisr"], "val_bicubic/psnr_y")
    curve = plot_learning_curves(
        {"frame-by-frame": sisr_curve,
         f"FRVSR{f' (from frame-by-frame step {k})' if k else ''}": frvsr_curve},
        bicubic_curve[-1][1] if bicubic_curve else None, out / "learning_curve.png",
        f"validation PSNR-Y, demo={preset.name}, seed {seed}\n(validation crops, "
        "not the final table's whole frames)")
    seconds = time.perf_counter() - start
    summary = {
        "preset": asdict(preset), "seed": seed, "degradation": degradation,
        "seconds": round(seconds, 1),
        "stages": [{"name": s.name, "seconds": round(s.seconds, 1), "path": str(s.path)}
                   for s in trained + scored],
        "results": {m: str(p) for m, p in results.items()},
        "rows": [asdict(r) for r in rows],
        "learning_curve": str(curve),
        "curves": {"sisr": sisr_curve, "frvsr": frvsr_curve},
    }
    atomic_write_text(out / "demo.json", json.dumps(summary, indent=2))
    atomic_write_text(out / "demo.md", table + "\n")
    print(table)
    html = sorted(results["compare"].parent.glob("compare*.html"))
    print(f"[demo] comparison report: {html[0] if html else results['compare']}")
    print(f"[demo] learning curve: {curve}")
    print(f"[demo] finished in {seconds / 60:.1f} min; everything is in {out}")
    return summary
