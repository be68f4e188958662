"""Losses: small modules sharing one interface (`weight`, `reduction`), pure torch.

Each module returns its already weighted, reduced value. `reconstruction_losses`,
`generator_losses` and `discriminator_losses` assemble them into the named terms that the
training stages sum and log as `train/<name>`.
"""
from frvsr.losses.adversarial import AdversarialLoss, FeatureMatchingLoss
from frvsr.losses.base import WeightedLoss
from frvsr.losses.gan import DOut, discriminator_losses, generator_losses
from frvsr.losses.perceptual import LPIPSLoss, PerceptualLoss
from frvsr.losses.pixel import PixelLoss
from frvsr.losses.reconstruction import (
    reconstruction_input,
    reconstruction_losses,
    uses_pingpong,
)
from frvsr.losses.temporal import FlowWarpLoss, PingPongLoss, pingpong_sequence

__all__ = [
    "AdversarialLoss",
    "DOut",
    "FeatureMatchingLoss",
    "FlowWarpLoss",
    "LPIPSLoss",
    "PerceptualLoss",
    "PingPongLoss",
    "PixelLoss",
    "WeightedLoss",
    "discriminator_losses",
    "generator_losses",
    "pingpong_sequence",
    "reconstruction_input",
    "reconstruction_losses",
    "uses_pingpong",
]
