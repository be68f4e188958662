"""Networks (pure torch): FRVSR, its flow net and SR backbones, discriminators, weights.

Feature networks (AlexNet/VGG, ``frvsr.models.feature_nets``) are re-exported lazily, so
importing the generators does not load them.
"""
from __future__ import annotations

import importlib
from typing import Any

from frvsr.models.blocks import ResidualBlockNoBN, upsample_bicubic_tecogan, upsample_skip
from frvsr.models.classical_flow import DISFlow
from frvsr.models.discriminators import SpatialDiscriminator, SpatioTemporalDiscriminator
from frvsr.models.espcn import ESPCN
from frvsr.models.flownet import FNet
from frvsr.models.frvsr import FRVSR, FRVSROutput, FRVSRState
from frvsr.models.frvsr_net import FRVSRNet
from frvsr.models.pretrained import CheckpointMismatchError, build_tecogan_frnet, load_pretrained
from frvsr.models.rrdbnet import RRDBNet
from frvsr.models.srresnet import SRResNet

_LAZY = {
    "AlexNetFeatures": "frvsr.models.feature_nets",
    "VGGFeatures": "frvsr.models.feature_nets",
    "WeightsNotFoundError": "frvsr.models.feature_nets",
}

__all__ = [
    "DISFlow",
    "ESPCN",
    "FNet",
    "FRVSR",
    "FRVSRNet",
    "FRVSROutput",
    "FRVSRState",
    "RRDBNet",
    "SRResNet",
    "SpatialDiscriminator",
    "SpatioTemporalDiscriminator",
    "CheckpointMismatchError",
    "ResidualBlockNoBN",
    "build_tecogan_frnet",
    "load_pretrained",
    "upsample_bicubic_tecogan",
    "upsample_skip",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'frvsr.models' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
