"""Checkpoints written before the package layout moved still load, resume and stage.

tests/fixtures/premove_ckpt/manifest.json is the exact structure of a `last.ckpt` written by
commit 2e344f5 (a tiny `experiment=pretrain` run; how it was made: README.md there). Each
test rebuilds that file (tensors filled with seeded values, 0-dim ones with their recorded
value), lays it out as a run folder of `frvsr.train` and drives it through the public entry
points only: `frvsr.load_generator` and `python -m frvsr.train` (`ckpt_path=`,
`model.init_from=auto`). Nothing here imports a module path that the move may change.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

import frvsr
from tests.fixtures.premove_ckpt.codec import Filler, decode, encode

REPO = Path(__file__).resolve().parents[1]
MANIFEST = Path(__file__).parent / "fixtures" / "premove_ckpt" / "manifest.json"


# ---- fixtures -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads(MANIFEST.read_text())


@pytest.fixture(scope="module")
def frame_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One frame cache for this module's subprocesses (the sample clip is decoded once)."""
    return tmp_path_factory.mktemp("frame_cache")


def _write_run(log_dir: Path, manifest: dict[str, Any]) -> Path:
    """The rebuilt checkpoint where the pre-move run wrote it, relative to `paths.log_dir`:
    <log_dir>/pretrain/runs/<time>/checkpoints/last.ckpt, next to the run's config.yaml."""
    ckpt = decode(manifest["checkpoint"], Filler(seed=0))
    path = log_dir / manifest["_source_file"]
    path.parent.mkdir(parents=True)
    torch.save(ckpt, path)
    (path.parents[1] / "config.yaml").write_text(ckpt["frvsr"]["config"])
    return path


@pytest.fixture
def premove_run(tmp_path: Path, manifest: dict[str, Any]) -> tuple[Path, Path]:
    """(runs root for `paths.log_dir`, the rebuilt last.ckpt inside it)."""
    log_dir = tmp_path / "outputs"
    return log_dir, _write_run(log_dir, manifest)


def _train(args: list[str], log_dir: Path, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "WANDB_MODE": "offline", "FRVSR_CACHE_DIR": str(cache),
           "PYTHONUNBUFFERED": "1"}
    env.pop("FRVSR_ROOT", None)
    return subprocess.run(
        [sys.executable, "-m", "frvsr.train", *args, f"paths.log_dir={log_dir}"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )


def _overrides(manifest: dict[str, Any], drop: tuple[str, ...] = ()) -> list[str]:
    return [o for o in manifest["_train_overrides"] if o.split("=", 1)[0] not in drop]


# ---- tests --------------------------------------------------------------------------------

def test_manifest_is_the_premove_checkpoint(manifest: dict[str, Any]) -> None:
    assert manifest["_made_by_commit"] == "2e344f5"
    ckpt = manifest["checkpoint"]
    meta = ckpt["frvsr"]["meta"]
    assert meta["stage"] == "pretrain" and meta["recurrent"] is True
    assert ckpt["global_step"] == meta["iteration"] == 4
    assert MANIFEST.stat().st_size < 2_000_000


def test_rebuilt_file_has_the_manifest_structure(
    premove_run: tuple[Path, Path], manifest: dict[str, Any]
) -> None:
    """What torch.load reads back from the rebuilt file is the pre-move structure exactly
    (types, key order, int keys, tuples, OrderedDict `_metadata`, shapes, dtypes)."""
    _, path = premove_run
    assert encode(torch.load(path, weights_only=True)) == manifest["checkpoint"]


def test_load_generator_rebuilds_and_steps(premove_run: tuple[Path, Path]) -> None:
    _, path = premove_run
    loaded = frvsr.load_generator(path)
    assert (loaded.scale, loaded.recurrent, loaded.degradation, loaded.ema) == (
        4, True, "bd_tecogan", False)
    stored = torch.load(path, weights_only=True)["state_dict"]
    weights = loaded.model.state_dict()
    assert weights and all(
        torch.equal(v, stored[f"generator.{k}"]) for k, v in weights.items())
    gen = torch.Generator().manual_seed(0)
    state = None
    with torch.no_grad():
        for _ in range(2):
            lr_t = torch.rand(1, 3, 12, 12, generator=gen)
            sr_t, state = loaded.model.step(lr_t, state)
            assert sr_t.shape == (1, 3, 48, 48) and torch.isfinite(sr_t).all()


@pytest.mark.slow
@pytest.mark.parametrize("how", ["file", "last"])
def test_train_resumes_the_premove_checkpoint(
    premove_run: tuple[Path, Path], manifest: dict[str, Any], frame_cache: Path, how: str
) -> None:
    """`ckpt_path=<file>` and `ckpt_path=last` continue the pre-move run. Lightning restores
    global_step (4), so trainer.max_steps=6 is two more steps, not six."""
    log_dir, path = premove_run
    step = manifest["checkpoint"]["global_step"]
    ckpt_arg = str(path) if how == "file" else "last"
    proc = _train([*_overrides(manifest, drop=("trainer.max_steps",)),
                   f"ckpt_path={ckpt_arg}", f"trainer.max_steps={step + 2}"], log_dir, frame_cache)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert f"resuming from {path}" in proc.stdout
    written = [p for p in log_dir.glob("pretrain/runs/*/checkpoints/last.ckpt") if p != path]
    assert len(written) == 1, written
    ckpt = torch.load(written[0], weights_only=True)
    assert ckpt["global_step"] == step + 2
    assert ckpt["frvsr"]["meta"]["iteration"] == step + 2  # the restored buffer went on


@pytest.mark.slow
def test_gan_stage_initialises_from_the_premove_checkpoint(
    premove_run: tuple[Path, Path], manifest: dict[str, Any], frame_cache: Path
) -> None:
    log_dir, path = premove_run
    generator = [o for o in manifest["_train_overrides"] if o.startswith("model.generator.")]
    proc = _train(["experiment=gan", *generator, "model.init_from=auto",
                   "model.discriminator.num_feat=8", "model.perceptual_loss.weight=0",
                   "data.num_frames=3", "data.lr_patch=16", "data.batch_size=1",
                   "data.num_workers=0", "data.val_max_frames=3", "data.val_crop=16",
                   "trainer.accelerator=cpu", "trainer.max_steps=1",
                   "trainer.val_check_interval=1", "trainer.enable_progress_bar=false",
                   "trainer.enable_model_summary=false", "callbacks.samples.video=false",
                   "logger=none"], log_dir, frame_cache)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    said = [ln for ln in proc.stdout.splitlines() if "initialised from" in ln]
    assert len(said) == 1 and str(path) in said[0], proc.stdout[-2000:]
    gan = list(log_dir.glob("gan/runs/*/checkpoints/last.ckpt"))
    assert len(gan) == 1
    assert torch.load(gan[0], weights_only=True)["frvsr"]["meta"]["stage"] == "gan"
