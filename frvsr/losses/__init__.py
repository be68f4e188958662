"""Losses: small modules sharing one interface (`weight`, `reduction`), pure torch."""
from frvsr.losses.adversarial import AdversarialLoss, FeatureMatchingLoss
from frvsr.losses.base import WeightedLoss
from frvsr.losses.perceptual import LPIPSLoss, PerceptualLoss
from frvsr.losses.pixel import PixelLoss
from frvsr.losses.temporal import FlowWarpLoss, PingPongLoss, pingpong_sequence

__all__ = [
    "AdversarialLoss",
    "FeatureMatchingLoss",
    "FlowWarpLoss",
    "LPIPSLoss",
    "PerceptualLoss",
    "PingPongLoss",
    "PixelLoss",
    "WeightedLoss",
    "pingpong_sequence",
]
