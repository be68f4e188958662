"""`python -m frvsr.train` as a user runs it (a subprocess in its own folder), at test sizes,
for the fault tests: signals, SIGKILL + resume, kills inside a checkpoint write."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]

# Tiny networks and crops on the embedded sample footage; no validation, no samples.
TINY_CLI = [
    "experiment=pretrain", "logger=none",
    "data.num_frames=3", "data.lr_patch=16", "data.batch_size=2", "data.num_workers=0",
    "data.val_max_frames=3", "data.val_crop=16",
    "model.generator.num_feat=8", "model.generator.num_block=1",
    "trainer.accelerator=cpu", "trainer.val_check_interval=1000",
    "trainer.enable_progress_bar=false", "callbacks.samples.video=false", "force=true",
]


def train_env(cache: Path) -> dict[str, str]:
    """The environment of a training subprocess: a shared frame cache, offline wandb."""
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true",
           "FRVSR_CACHE_DIR": str(cache), "PYTHONUNBUFFERED": "1"}
    env.pop("HYDRA_FULL_ERROR", None)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return env


def train_cmd(log_dir: Path, *overrides: str) -> list[str]:
    return [sys.executable, "-m", "frvsr.train", *TINY_CLI, f"paths.log_dir={log_dir}",
            *overrides]


def run_train(log_dir: Path, cache: Path, *overrides: str, timeout: int = 300
              ) -> subprocess.CompletedProcess:
    """Run one training to its end; stdout and stderr captured."""
    log_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.run(train_cmd(log_dir, *overrides), cwd=log_dir, env=train_env(cache),
                          capture_output=True, text=True, timeout=timeout)


def last_checkpoints(log_dir: Path) -> list[Path]:
    return sorted(log_dir.rglob("last.ckpt"))


def weights(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, map_location="cpu", weights_only=True)["state_dict"]


def optimizer_state(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)["optimizer_states"][0]


def iteration(path: Path) -> int:
    return int(weights(path)["iteration"])
