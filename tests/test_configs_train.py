"""Every training experiment composes and instantiates (data, model, callbacks, loggers,
trainer) through Hydra's compose API; CPU sizes survive `model/generator=` overrides."""
from __future__ import annotations

from pathlib import Path

import hydra
import pytest
from omegaconf import OmegaConf

from tests.helpers.lit import CONF, compose_train  # noqa: E402

EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))
GENERATORS = sorted(p.stem for p in (CONF / "model" / "generator").glob("*.yaml"))


def _data_root(name: str, shared: Path) -> list[str]:
    """Recipes point at folder/Vimeo roots: use the shared footage so sources resolve."""
    cfg_text = (CONF / "experiment" / f"{name}.yaml").read_text()
    if "vimeo" in name:
        return [f"data.train.root={shared / 'vimeo_septuplet'}"]
    if "override /data: folder" in cfg_text or name in ("frvsr_10_128", "tecogan",
                                                         "tecogan_pretrain"):
        return [f"data.train.root={shared / 'davis_480p'}"]
    return []


def test_every_experiment_is_tested() -> None:
    assert {"pretrain", "sisr", "gan"} <= set(EXPERIMENTS)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_composes_and_instantiates(
    name: str, tmp_path: Path, shared_data: Path
) -> None:
    cfg = compose_train(tmp_path, [f"experiment={name}", "logger=csv",
                                   *_data_root(name, shared_data)])
    OmegaConf.resolve(cfg)  # every interpolation resolves
    datamodule = hydra.utils.instantiate(cfg.data)
    assert datamodule.scale == cfg.model.scale
    model_cfg = OmegaConf.create(OmegaConf.to_container(cfg.model))
    model_cfg.pop("init_from")
    model = hydra.utils.instantiate(model_cfg)
    assert model.stage in ("pretrain", "sisr", "gan")
    callbacks = [hydra.utils.instantiate(c) for c in cfg.callbacks.values()]
    loggers = [hydra.utils.instantiate(c) for c in cfg.logger.values()]
    trainer = hydra.utils.instantiate(cfg.trainer, callbacks=callbacks, logger=loggers)
    assert trainer.max_steps == cfg.trainer.max_steps
    if name.endswith("vimeo"):
        assert cfg.data.num_frames == 7  # the Vimeo variants say so: septuplets
    elif name in ("frvsr_10_128", "tecogan", "tecogan_pretrain"):
        assert cfg.data.num_frames == 10


@pytest.mark.parametrize("generator", GENERATORS)
def test_cpu_sizes_survive_generator_override(generator: str, tmp_path: Path) -> None:
    cfg = compose_train(tmp_path, ["experiment=pretrain", f"model/generator={generator}"])
    assert cfg.model.generator.num_feat == 32 and cfg.model.generator.num_block == 4
    assert cfg.model.generator._target_.endswith(
        {"frvsr_net": "FRVSRNet", "srresnet": "SRResNet", "rrdbnet": "RRDBNet",
         "espcn": "ESPCN"}[generator]
    )
    sr_net = hydra.utils.instantiate(cfg.model.generator)
    assert sr_net(in_channels=51, out_channels=3, scale=4) is not None


def test_sisr_matches_pretrain_except_the_flow_net(tmp_path: Path) -> None:
    pre = compose_train(tmp_path, ["experiment=pretrain"])
    sisr = compose_train(tmp_path, ["experiment=sisr"])
    assert sisr.model.flow_net is None and pre.model.flow_net is not None
    assert pre.seed == sisr.seed
    for key in ("data", "trainer"):
        assert OmegaConf.to_container(pre[key]) == OmegaConf.to_container(sisr[key])
    assert pre.model.generator == sisr.model.generator


def test_search_launcher_and_debug_groups_compose(tmp_path: Path) -> None:
    cfg = compose_train(tmp_path, ["experiment=pretrain", "hparams_search=optuna", "debug=fdr",
                                   "trainer=ddp", "launcher=slurm"])
    assert cfg.optimized_metric == "val/psnr_y"
    assert cfg.trainer.fast_dev_run is True and cfg.trainer.strategy.startswith("ddp")
