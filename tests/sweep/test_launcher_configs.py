"""`launcher=slurm` builds the sbatch script a user expects (no cluster needed: submitit's
own script builder, fed as Hydra's submitit launcher feeds it), and the sweep configs of
`conf/hparams_search/` compose."""
from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

from tests.helpers.lit import CONF


def _compose(overrides: list[str]):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("train", overrides=overrides, return_hydra_config=True)


def sbatch_text(overrides: list[str], folder: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The sbatch script of the first job, built like
    `hydra_plugins.hydra_submitit_launcher.submitit_launcher.BaseSubmititLauncher.launch`
    builds its executor (init keys apart, base keys plain, the rest `slurm_`-prefixed)."""
    submitit = pytest.importorskip("submitit")
    from hydra_plugins.hydra_submitit_launcher.config import BaseQueueConf

    cfg = _compose(overrides)
    params = OmegaConf.to_container(cfg.hydra.launcher, resolve=False)
    params = {k: v for k, v in params.items() if k not in ("_target_", "name")}
    for key in ("nodes", "tasks_per_node", "gpus_per_node"):  # ${trainer.*}
        params[key] = OmegaConf.select(cfg, f"hydra.launcher.{key}")
    # SlurmExecutor refuses to start without `srun` on PATH: this is not a cluster.
    monkeypatch.setattr(submitit.SlurmExecutor, "affinity", classmethod(lambda cls: 1))
    executor = submitit.AutoExecutor(cluster="slurm", folder=folder,
                                     slurm_max_num_timeout=params.pop("max_num_timeout"))
    params.pop("submitit_folder")
    base = set(OmegaConf.structured(BaseQueueConf).keys())
    executor.update_parameters(**{k if k in base else f"slurm_{k}": v
                                  for k, v in params.items()}, name="pretrain")
    return executor._executor._make_submission_file_text("python -m frvsr.train", "0")


def test_slurm_two_nodes_of_four_gpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = sbatch_text(["experiment=pretrain", "launcher=slurm", "trainer=ddp",
                        "trainer.devices=4", "trainer.num_nodes=2",
                        "hydra.launcher.partition=gpu"], tmp_path, monkeypatch)
    for line in ("#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=4",
                 "#SBATCH --gpus-per-node=4", "#SBATCH --partition=gpu",
                 "#SBATCH --time=2880", "#SBATCH --signal=USR2@120", "#SBATCH --requeue",
                 "#SBATCH --cpus-per-task=8", "#SBATCH --mem=64GB"):
        assert line in text, (line, text)


def test_slurm_one_gpu_is_one_task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = sbatch_text(["experiment=pretrain", "launcher=slurm", "trainer=gpu"], tmp_path,
                       monkeypatch)
    assert "#SBATCH --nodes=1" in text and "#SBATCH --ntasks-per-node=1" in text
    assert "#SBATCH --gpus-per-node=1" in text


@pytest.mark.parametrize("search", sorted(p.stem for p in (CONF / "hparams_search").glob("*.yaml")))
def test_hparams_search_configs_compose_as_multiruns(search: str) -> None:
    cfg = _compose(["experiment=pretrain", f"hparams_search={search}"])
    assert str(cfg.hydra.mode) == "RunMode.MULTIRUN"
    assert cfg.hydra.sweeper.params, "a search space"
    assert "sweep_summary" in cfg.hydra.callbacks


def test_grid_covers_the_usual_axes() -> None:
    """The grid example names every axis docs/training.md documents (commented or not)."""
    text = (CONF / "hparams_search" / "grid.yaml").read_text()
    for key in ("model/generator", "model.generator.num_feat", "model.generator.num_block",
                "model.optimizer.lr", "data.lr_patch", "data.num_frames",
                "model.flow_loss.weight"):
        assert f"{key}:" in text, key
