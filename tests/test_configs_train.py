"""Every training experiment composes and instantiates (data, model, callbacks, loggers,
trainer) through Hydra's compose API; every generator backbone composes, keeps the
experiment's CPU sizes and runs.

Experiments and generators are discovered from conf/ (``config_options``), and what each
needs is derived by rule (the data root from its source type, a tiny size by shrinking
``num_feat``/``num_block``), so a yaml file added to conf/ is tested without editing this
file; ``test_a_new_generator_file_is_discovered_and_tested`` proves it on a copy of conf/.
"""
from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import hydra
import pytest
import torch
from omegaconf import OmegaConf

from tests.helpers.lit import CONF, compose_train, config_options

EXPERIMENTS = config_options("experiment")
GENERATORS = config_options("model/generator")

# Training sources that need footage on disk -> the folder of ../shared/data standing in.
SHARED_ROOT_FOR_SOURCE = {"VimeoSource": "vimeo_septuplet", "FolderSource": "davis_480p"}


def _data_root(name: str, shared: Path, tmp: Path) -> list[str]:
    """Recipes point at folder/Vimeo roots: use the shared footage so sources resolve."""
    cfg = compose_train(tmp, [f"experiment={name}", "logger=csv"])
    source = str(cfg.data.train._target_).rsplit(".", 1)[-1]
    if source in SHARED_ROOT_FOR_SOURCE:
        return [f"data.train.root={shared / SHARED_ROOT_FOR_SOURCE[source]}"]
    missing = OmegaConf.is_missing(cfg.data.train, "root") if "root" in cfg.data.train else False
    assert not missing, f"experiment={name}: add its source {source} to SHARED_ROOT_FOR_SOURCE"
    return []


def test_every_experiment_is_tested() -> None:
    assert {"pretrain", "sisr", "gan"} <= set(EXPERIMENTS)


@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_composes_and_instantiates(
    name: str, tmp_path: Path, shared_data: Path
) -> None:
    cfg = compose_train(tmp_path, [f"experiment={name}", "logger=csv",
                                   *_data_root(name, shared_data, tmp_path)])
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


def check_generator(generator: str, tmp: Path, conf: Path = CONF) -> None:
    """The rule every `conf/model/generator/<name>.yaml` must follow.

    It composes into experiment=pretrain keeping the experiment's CPU sizes, targets a
    backbone exported by frvsr.models, and, shrunk generically (num_feat=8, num_block=1, the
    shared backbone vocabulary of docs/DESIGN.md), builds as FRVSR builds it and upscales."""
    own = OmegaConf.load(conf / "model" / "generator" / f"{generator}.yaml")
    experiment = OmegaConf.load(conf / "experiment" / "pretrain.yaml").model.generator
    cfg = compose_train(tmp, ["experiment=pretrain", f"model/generator={generator}"], conf=conf)
    assert cfg.model.generator._target_ == own._target_
    assert (cfg.model.generator.num_feat, cfg.model.generator.num_block) == (
        experiment.num_feat, experiment.num_block), "the experiment's CPU sizes were lost"
    module, _, cls = own._target_.rpartition(".")
    assert module == "frvsr.models" and isinstance(
        getattr(importlib.import_module(module), cls, None), type), own._target_

    tiny = compose_train(tmp, ["experiment=pretrain", f"model/generator={generator}",
                               "model.generator.num_feat=8", "model.generator.num_block=1"],
                         conf=conf)
    scale, in_channels = 4, 3 + 3 * 4 * 4  # FRVSR: the frame and the warped estimate, s2d
    sr_net = hydra.utils.instantiate(tiny.model.generator)(
        in_channels=in_channels, out_channels=3, scale=scale)
    with torch.no_grad():
        out = sr_net(torch.rand(1, in_channels, 6, 5))
    assert out.shape == (1, 3, 6 * scale, 5 * scale)


@pytest.mark.parametrize("generator", GENERATORS)
def test_generator_composes_keeps_cpu_sizes_and_runs(generator: str, tmp_path: Path) -> None:
    check_generator(generator, tmp_path)


def test_a_new_generator_file_is_discovered_and_tested(tmp_path: Path) -> None:
    conf = tmp_path / "conf"
    shutil.copytree(CONF, conf)
    shutil.copy(conf / "model" / "generator" / "srresnet.yaml",
                conf / "model" / "generator" / "my_backbone.yaml")
    assert config_options("model/generator", conf) == sorted([*GENERATORS, "my_backbone"])
    check_generator("my_backbone", tmp_path / "runs", conf=conf)
    # ... and the rule does reject a backbone that breaks the shared vocabulary.
    (conf / "model" / "generator" / "broken.yaml").write_text(
        "_target_: frvsr.models.SRResNet\n_partial_: true\nfeatures: 8\n")
    with pytest.raises(TypeError, match="features"):
        check_generator("broken", tmp_path / "runs", conf=conf)
    assert len(GENERATORS) >= 4


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
