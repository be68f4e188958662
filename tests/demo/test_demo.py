"""The first command's pipeline (`make train DEMO=smoke` = `python -m frvsr.demo
demo=smoke`): every stage runs for real at toy sizes and leaves its outputs in its folder."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf

from frvsr.demo.curves import validation_curve
from frvsr.demo.presets import PRESETS, Preset, get_preset
from frvsr.demo.stages import Job
from frvsr.demo.table import MethodRow, demo_table
from frvsr.errors import ConfigError


def _max_steps(args: list[str]) -> int:
    return int(next(a for a in args if a.startswith("trainer.max_steps=")).split("=")[1])


def _milestones(args: list[str]) -> list[int]:
    """The MultiStepLR milestones a run's overrides give ([] without a scheduler)."""
    found = [re.search(r"milestones:\[(\d+)\]", a) for a in args
             if a.startswith("model.scheduler=")]
    return [int(m.group(1)) for m in found if m]


def _planned(preset: Preset, out: Path, seed: int, monkeypatch: pytest.MonkeyPatch
             ) -> tuple[list[list[str]], list[list[Job]]]:
    """What `train_all` would run, nothing run: the overrides of the legs run alone and
    the jobs of each `run_jobs` call (legs run side by side)."""
    from frvsr.demo import pipeline, stages

    legs: list[list[str]] = []
    calls: list[list[Job]] = []
    monkeypatch.setattr(stages, "train", lambda name, run_dir, args: legs.append(args))
    monkeypatch.setattr(stages, "run_jobs", lambda given: calls.append(given) or [])
    monkeypatch.setattr(stages, "last_checkpoint", lambda run: run / "last.ckpt")
    monkeypatch.setattr(pipeline, "_set_aside", lambda src, dst: dst)
    pipeline.train_all(preset, out, seed=seed)
    return legs, calls


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_give_both_backbones_the_same_training(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commands `train_all` gives the frame-by-frame and FRVSR runs (nothing is run):
    the same seed, data, clip and crop overrides, and the same number of backbone updates
    (FRVSR started from the frame-by-frame run at step K trains steps - K more; its flow
    warm-up adds flow-only steps); with `after_drop_overrides` both runs stop at the
    learning-rate drop and resume from there with them."""
    preset = PRESETS[name]
    legs, calls = _planned(preset, tmp_path, 7, monkeypatch)
    k, w, n = preset.frvsr_from_sisr, preset.flow_warmup, preset.lr_drop_at
    # each call runs one leg of both runs side by side
    assert all([j.path.name for j in c] == ["sisr", "frvsr"] for c in calls)
    sisr, frvsr = calls[-1]
    assert _max_steps(sisr.args) == preset.steps
    assert _max_steps(frvsr.args) == preset.steps - k + w
    if k:
        assert _max_steps(legs[0]) == k and f"model.init_from={tmp_path / 'sisr'}" in " ".join(
            frvsr.args)
        assert f"ckpt_path={tmp_path / 'sisr' / 'checkpoints'}/step{k:07d}.ckpt" in calls[0][0].args
    after, frvsr_after = set(preset.after_drop_overrides), set(preset.frvsr_after_drop_overrides)
    if after or frvsr_after:
        assert len(calls) == 2
        first_sisr, first_frvsr = calls[0]
        assert _max_steps(first_sisr.args) == n and _max_steps(first_frvsr.args) == n - k + w
        assert not (after | frvsr_after) & (set(first_sisr.args) | set(first_frvsr.args))
        assert after <= set(sisr.args) and after <= set(frvsr.args)
        # FRVSR's own (its memory) reach FRVSR's last leg and the GAN stage, never the
        # frame-by-frame run.
        assert frvsr_after <= set(frvsr.args) and frvsr_after <= set(legs[-1])
        assert not frvsr_after & set(sisr.args)
        for job, step in ((sisr, n), (frvsr, n - k + w)):
            assert f"ckpt_path={job.path / 'checkpoints'}/step{step:07d}.ckpt" in job.args
    else:
        assert len(calls) == 1
    shared = {"seed=7", "data.seed=7", *preset.overrides, *preset.pixel_overrides}
    for leg in calls:
        assert shared <= set(leg[0].args) and shared <= set(leg[1].args)
    assert "experiment=sisr" in sisr.args and "experiment=pretrain" in frvsr.args
    drop = [a for a in sisr.args if a.startswith("model.scheduler=")]
    assert not any(a.startswith("model.") for a in sisr.args if a not in [*shared, *drop])
    if n:
        # Both backbones reach a tenth of the learning rate at the same backbone update
        # (FRVSR's run counts from step K, its flow-only steps first), in every leg.
        for leg in calls:
            assert _milestones(leg[0].args) == [n]
            assert _milestones(leg[1].args) == [n - k + w]
        assert "gamma:0.1" in drop[0] and (not k or drop[0] in legs[0])
    else:
        assert not drop and not _milestones(frvsr.args)


def test_legs_with_a_flow_warm_up_resume_at_the_same_backbone_update(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """K=20, 10 flow-only steps, drop at 80 of 100 (figures written out, not recomputed):
    frame by frame 20 | 21-80 | 81-100; FRVSR 70 (10 + 60) | 90, both dropping at
    backbone update 80, each resuming from its own step file."""
    preset = Preset("t", steps=100, frvsr_from_sisr=20, flow_warmup=10, gan_steps=1,
                    val_every=10, lr_drop_at=80, after_drop_overrides=("data.num_frames=20",))
    legs, calls = _planned(preset, tmp_path, 1, monkeypatch)
    (sisr1, frvsr1), (sisr2, frvsr2) = calls
    assert [_max_steps(a) for a in (legs[0], sisr1.args, sisr2.args)] == [20, 80, 100]
    assert [_max_steps(a) for a in (frvsr1.args, frvsr2.args)] == [70, 90]
    assert _milestones(sisr2.args) == [80] and _milestones(frvsr2.args) == [70]
    ckpts = tmp_path / "sisr" / "checkpoints"
    assert f"ckpt_path={ckpts}/step0000020.ckpt" in sisr1.args
    assert f"ckpt_path={ckpts}/step0000080.ckpt" in sisr2.args
    assert f"ckpt_path={tmp_path}/frvsr/checkpoints/step0000070.ckpt" in frvsr2.args
    assert [sisr1.name, frvsr1.name, sisr2.name, frvsr2.name] == [
        "frame-by-frame (steps 21-80)", "FRVSR (steps 21-80, after 10 flow-only)",
        "frame-by-frame (steps 81-100)", "FRVSR (steps 81-100)"]


def test_table_states_the_shared_recipe_of_both_models() -> None:
    """`long` trains both models wider and on synthetic pans; its table must say so."""
    from frvsr.demo.pipeline import _shared_recipe

    assert _shared_recipe(PRESETS["long"]) == ["48 features", "synthetic pans",
                                               "learning rate /10 after 4800",
                                               "20-frame clips after it"]
    assert _shared_recipe(PRESETS["default"]) == []


def test_learning_rate_drop_must_fall_inside_both_runs() -> None:
    with pytest.raises(ConfigError, match="lr_drop_at must be in"):
        Preset("bad", steps=100, frvsr_from_sisr=50, flow_warmup=0, gan_steps=1,
               val_every=10, lr_drop_at=40)
    with pytest.raises(ConfigError, match="after_drop_overrides need lr_drop_at"):
        Preset("bad", steps=100, frvsr_from_sisr=0, flow_warmup=0, gan_steps=1,
               val_every=10, after_drop_overrides=("data.num_frames=20",))


def test_unknown_preset_is_a_one_line_error() -> None:
    with pytest.raises(ConfigError, match="choose one of default, quick, long, smoke"):
        get_preset("huge")


def test_table_fits_80_columns_and_states_the_degradation() -> None:
    metrics = {"psnr_y": 30.123, "ssim_y": 0.8321, "lpips_alex": 0.3012, "tof": 0.4771,
               "tlp": 0.333, "tflicker": 2.531}
    rows = [MethodRow("bicubic", "-", metrics), MethodRow("sisr", "600", metrics),
            MethodRow("frvsr", "300+300 (+100 flow)", metrics, 0.4512),
            MethodRow("gan", "+200", metrics, 0.3)]
    text = demo_table(rows, "bd_tecogan")
    assert all(len(line) <= 80 for line in text.splitlines()), text
    assert "bd_tecogan" in text and "+0.45" in text and "frvsr 300+300" in " ".join(text.split())


def test_validation_curve_reads_every_csv_version(tmp_path: Path) -> None:
    for version, rows in ((0, "step,val/psnr_y\n100,28.5\n200,29.0\n"),
                          (1, "step,val/psnr_y,train/loss\n250,,0.1\n300,29.4,\n")):
        path = tmp_path / "csv" / f"version_{version}" / "metrics.csv"
        path.parent.mkdir(parents=True)
        path.write_text(rows)
    assert validation_curve(tmp_path) == [(100, 28.5), (200, 29.0), (300, 29.4)]


@pytest.mark.slow
def test_smoke_demo_runs_every_stage(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    env = {**os.environ, "WANDB_MODE": "offline"}
    proc = subprocess.run([sys.executable, "-m", "frvsr.demo", "demo=smoke", f"out={out}"],
                          capture_output=True, text=True, env=env, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for stage in ("sisr", "frvsr", "gan"):
        assert (out / stage / "checkpoints" / "last.ckpt").is_file()
        assert (out / stage / "train.log").stat().st_size > 0
    summary = json.loads((out / "demo.json").read_text())
    assert [r["method"] for r in summary["rows"]] == ["bicubic", "sisr", "frvsr", "gan"]
    frvsr = next(r for r in summary["rows"] if r["method"] == "frvsr")
    assert frvsr["recurrence_gain"] is not None
    assert (out / "learning_curve.png").stat().st_size > 1000
    assert summary["curves"]["sisr"] and summary["curves"]["frvsr"]
    assert "learning curve:" in proc.stdout and "comparison report:" in proc.stdout
    table = (out / "demo.md").read_text()
    assert all(len(line) <= 80 for line in table.splitlines())
    # The last checkpoints the evaluation read hold every step of each run, at a tenth of
    # the configured learning rate (smoke drops it after update 3 of 4).
    smoke = PRESETS["smoke"]
    frvsr_steps = smoke.steps - smoke.frvsr_from_sisr + smoke.flow_warmup
    for stage, steps in (("sisr", smoke.steps), ("frvsr", frvsr_steps)):
        state = torch.load(out / stage / "checkpoints" / "last.ckpt", map_location="cpu",
                           weights_only=False)
        base_lr = OmegaConf.load(out / stage / "config.yaml").model.optimizer.lr
        assert state["global_step"] == steps
        assert [g["lr"] for g in state["optimizer_states"][0]["param_groups"]] == \
            pytest.approx([0.1 * base_lr])
        # trained in legs: the last one resumed from the drop with the longer clips
        drop = smoke.lr_drop_at - (smoke.frvsr_from_sisr - smoke.flow_warmup
                                   if stage == "frvsr" else 0)
        kept = torch.load(out / stage / "checkpoints" / f"step{drop:07d}.ckpt",
                          map_location="cpu", weights_only=False)
        assert kept["global_step"] == drop
        assert OmegaConf.load(out / stage / "config.yaml").data.num_frames == 4
    # a second demo into the same folder is refused, the first left as it was
    again = subprocess.run([sys.executable, "-m", "frvsr.demo", "demo=smoke", f"out={out}"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 2 and "exists" in again.stderr.strip().splitlines()[-1]


def test_concurrent_stages_relay_lines_and_name_the_failed_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from frvsr.demo.stages import Job, run_jobs
    from frvsr.errors import StageError

    ok = Job("ok", "platform", [], tmp_path)
    results = run_jobs([ok, Job("also ok", "platform", ["--terse"], tmp_path)])
    assert [r.name for r in results] == ["ok", "also ok"]
    missing = tmp_path / "missing.json"
    with pytest.raises(StageError, match=r"demo stage broken failed \(exit 2\).*missing.json"):
        run_jobs([ok, Job("broken", "json.tool", [str(missing)], tmp_path)])
    out = capsys.readouterr().out
    assert "[demo] ok done" in out and "[demo] broken:" in out
