"""Networks (pure torch): FRVSR, its flow net and SR backbones, discriminators, weights.

Feature networks (AlexNet/VGG, ``frvsr.models.feature_nets``) are re-exported lazily so that
importing the generators does not pay for them.
"""
from __future__ import annotations

import importlib
from typing import Any

from frvsr.models.blocks import ResidualBlockNoBN, upsample_bicubic_tecogan, upsample_skip
from frvsr.models.flownet import FNet
from frvsr.models.frvsr import FRVSR, FRVSROutput, FRVSRState
from frvsr.models.frvsr_net import FRVSRNet

_OPTIONAL = {
    "SRResNet": "frvsr.models.srresnet",
    "RRDBNet": "frvsr.models.rrdbnet",
    "ESPCN": "frvsr.models.espcn",
    "SpatialDiscriminator": "frvsr.models.discriminators",
    "SpatioTemporalDiscriminator": "frvsr.models.discriminators",
    "load_pretrained": "frvsr.models.pretrained",
    "CheckpointMismatchError": "frvsr.models.pretrained",
    "build_tecogan_frnet": "frvsr.models.pretrained",
    "AlexNetFeatures": "frvsr.models.feature_nets",
    "VGGFeatures": "frvsr.models.feature_nets",
    "WeightsNotFoundError": "frvsr.models.feature_nets",
}

__all__ = [
    "FNet",
    "FRVSR",
    "FRVSRNet",
    "FRVSROutput",
    "FRVSRState",
    "ResidualBlockNoBN",
    "upsample_bicubic_tecogan",
    "upsample_skip",
    *_OPTIONAL,
]


def __getattr__(name: str) -> Any:
    if name in _OPTIONAL:
        return getattr(importlib.import_module(_OPTIONAL[name]), name)
    raise AttributeError(f"module 'frvsr.models' has no attribute {name!r}")
