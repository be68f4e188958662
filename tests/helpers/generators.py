"""Tiny generators wrapped as `frvsr.checkpoint.LoadedGenerator`s, and real checkpoints of
them (the `"frvsr"` entry + generator weights) for the command-line tests; no training."""
from __future__ import annotations

from functools import partial
from pathlib import Path

import torch

from frvsr.checkpoint import LoadedGenerator
from frvsr.models import FRVSR, FNet, FRVSRNet, SRResNet

FRVSR_YAML = """task_name: pretrain
model:
  generator: {_target_: frvsr.models.FRVSRNet, _partial_: true, num_feat: 8, num_block: 1,
              skip: bicubic_phase0}
  flow_net: {_target_: frvsr.models.FNet, in_channels: 3, max_velocity: 24.0}
data:
  train: {scene_threshold: 0.12}
"""
SRRESNET_YAML = """task_name: sisr
model:
  generator: {_target_: frvsr.models.SRResNet, _partial_: true, num_feat: 8, num_block: 2,
              skip: bicubic_phase0}
"""


def tiny_frvsr(seed: int = 0) -> LoadedGenerator:
    torch.manual_seed(seed)
    model = FRVSR(flow_net=FNet(in_channels=3, max_velocity=2.0),
                  sr_net=partial(FRVSRNet, num_feat=8, num_block=1, skip="bicubic_phase0"),
                  scale=4)
    return LoadedGenerator(model.eval(), 4, True, "bd_tecogan", {}, False)


def tiny_srresnet(seed: int = 0) -> LoadedGenerator:
    torch.manual_seed(seed)
    model = SRResNet(in_channels=3, out_channels=3, num_feat=8, num_block=2, scale=4,
                     skip="bicubic_phase0")
    return LoadedGenerator(model.eval(), 4, False, "bd_tecogan", {}, False)


def save_checkpoint(path: Path, loaded: LoadedGenerator) -> Path:
    """A checkpoint `frvsr.load_generator` reads: config YAML, meta and `generator.*` weights."""
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"stage": "pretrain" if loaded.recurrent else "sisr", "scale": loaded.scale,
            "recurrent": loaded.recurrent, "degradation": loaded.degradation}
    state = {f"generator.{k}": v for k, v in loaded.model.state_dict().items()}
    config = FRVSR_YAML if loaded.recurrent else SRRESNET_YAML
    torch.save({"frvsr": {"config": config, "meta": meta}, "state_dict": state}, path)
    return path
