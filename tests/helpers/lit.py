"""Compose training configs with Hydra's compose API at test sizes (CPU, tiny widths)."""
from __future__ import annotations

from pathlib import Path

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, open_dict

CONF = Path(__file__).resolve().parents[2] / "conf"

# Tiny networks, tiny crops, few steps, no workers: each fit takes seconds on 2 cores.
TINY = [
    "logger=none",
    "data.num_frames=3",
    "data.lr_patch=16",
    "data.batch_size=2",
    "data.num_workers=0",
    "data.val_max_frames=3",
    "data.val_crop=16",
    "model.generator.num_feat=8",
    "model.generator.num_block=1",
    "trainer.accelerator=cpu",
    "trainer.max_steps=3",
    "trainer.val_check_interval=3",
    "trainer.log_every_n_steps=1",
    "trainer.enable_progress_bar=false",
    "trainer.enable_model_summary=false",
    "callbacks.samples.video=false",
]
TINY_GAN = TINY + ["model.discriminator.num_feat=8", "model.ema_decay=0.5"]


def config_options(group: str, conf: Path = CONF) -> list[str]:
    """The options of a config group (``model/generator`` -> its yaml files' names), so a
    file added to ``conf/`` is tested without editing a list."""
    return sorted(p.stem for p in (conf / group).glob("*.yaml"))


def compose_train(tmp: Path, overrides: list[str], name: str = "run",
                  conf: Path = CONF) -> DictConfig:
    """The `train` config with `overrides`, writing into `tmp/<name>` (runs root `tmp`)."""
    out = tmp / name
    with initialize_config_dir(config_dir=str(conf), version_base="1.3"):
        cfg = compose("train", overrides=[f"paths.log_dir={tmp}", *overrides])
    with open_dict(cfg):
        cfg.paths.output_dir = str(out)  # no HydraConfig outside a Hydra app
    return cfg
