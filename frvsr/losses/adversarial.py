"""Adversarial losses: vanilla (BCE), LSGAN, hinge and relativistic average (ESRGAN),
and discriminator feature matching.

`weight` scales only the generator term, as in BasicSR's `GANLoss` and TecoGAN: the
discriminator always minimises its own unweighted objective.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from frvsr.errors import ConfigError
from frvsr.losses.base import WeightedLoss

GAN_TYPES = ("vanilla", "lsgan", "hinge", "ragan")


def _bce(logits: Tensor, target: float) -> Tensor:
    return F.binary_cross_entropy_with_logits(
        logits, logits.new_full(logits.shape, target), reduction="none"
    )


class AdversarialLoss(WeightedLoss):
    """Generator and discriminator objectives on raw discriminator logits.

    Shapes: logits of any shape (per-patch `N,1,h',w'` from `SpatialDiscriminator` /
    `SpatioTemporalDiscriminator`, per-image `N,1`); real and fake logits of the same
    shape for `ragan`. Values: raw logits in (-inf, inf), no sigmoid applied (BCE runs on
    logits, numerically stable).

    `gan_type` (BasicSR `GANLoss` conventions):
    - `vanilla`: BCE, G minimises -log sigmoid(D(fake)) (TecoGAN, weight 0.01).
    - `lsgan`: least squares (Mao et al. 2017), targets 1 (real) and 0 (fake).
    - `hinge`: D: relu(1 - D(real)) + relu(1 + D(fake)); G: -D(fake) (SAGAN/BigGAN).
    - `ragan`: relativistic average (Jolicoeur-Martineau 2018) as in ESRGAN (weight
      5e-3): each side is scored against the other side's mean logit; G needs the real
      logits, detached by the caller.

    Reduction `mean` (default) or `sum` over all logits gives a scalar; `none` is refused.
    Values are >= 0 except the hinge generator term (unbounded). `generator` returns the
    weighted term, `discriminator` the unweighted `d_real`, `d_fake`.

    Raises:
        frvsr.errors.ConfigError (a ValueError): an unknown `gan_type`,
            `reduction="none"`, a negative `weight`.
        ValueError: `generator(fake)` of a `ragan` loss without the real logits.
    """

    def __init__(
        self, gan_type: str = "vanilla", weight: float = 0.01, reduction: str = "mean"
    ) -> None:
        super().__init__(weight=weight, reduction=reduction)
        if gan_type not in GAN_TYPES:
            raise ConfigError(
                f"AdversarialLoss: gan_type={gan_type!r} is not one of {GAN_TYPES}; "
                "fix loss.adversarial_loss.gan_type"
            )
        if reduction == "none":
            raise ConfigError("AdversarialLoss: reduction='none' is not supported; use mean or sum")
        self.gan_type = gan_type

    def generator(self, fake: Tensor, real: Tensor | None = None) -> Tensor:
        """Weighted generator loss on D's logits of the SR input; `real` (D's logits of the
        GT input, detached by the caller) is used only by `ragan`."""
        if self.gan_type == "vanilla":
            term = _bce(fake, 1.0)
        elif self.gan_type == "lsgan":
            term = (fake - 1.0).square()
        elif self.gan_type == "hinge":
            term = -fake
        else:
            if real is None:
                raise ValueError("AdversarialLoss(ragan).generator needs the real logits")
            term = 0.5 * (_bce(real - fake.mean(), 0.0) + _bce(fake - real.mean(), 1.0))
        return self.reduce(term)

    def discriminator(self, real: Tensor, fake: Tensor) -> dict[str, Tensor]:
        """Unweighted discriminator terms: `d_real` and `d_fake` (their sum is minimised)."""
        if self.gan_type == "vanilla":
            terms = (_bce(real, 1.0), _bce(fake, 0.0))
        elif self.gan_type == "lsgan":
            terms = ((real - 1.0).square(), fake.square())
        elif self.gan_type == "hinge":
            terms = (F.relu(1.0 - real), F.relu(1.0 + fake))
        else:
            terms = (_bce(real - fake.mean(), 1.0), _bce(fake - real.mean(), 0.0))
        red = (lambda t: t.mean()) if self.reduction == "mean" else (lambda t: t.sum())
        return {"d_real": red(terms[0]), "d_fake": red(terms[1])}


class FeatureMatchingLoss(WeightedLoss):
    """L1 between discriminator features of fake and (detached) real inputs, per layer.

    Shapes: two equally long, non-empty lists of feature maps (the discriminator's
    `return_features=True` output on the SR and on the GT input), the k-th maps of the
    same shape (e.g. `N,C_k,H_k,W_k`). Values: real-valued activations; the real
    features are detached, gradients flow into the fake ones only.

    Reduction `mean` (default) or `sum` per layer, then the mean over layers (so the
    weight does not depend on the discriminator's depth), times the weight: a scalar
    >= 0; `none` is refused. Source: the discriminator feature loss of TecoGAN (Chu et al.
    2020), after pix2pixHD's feature matching (Wang et al. 2018).

    Raises:
        frvsr.errors.ConfigError (a ValueError): `reduction="none"`, negative `weight`.
        ValueError: empty lists or lists of different lengths.
    """

    def __init__(self, weight: float = 1.0, reduction: str = "mean") -> None:
        super().__init__(weight=weight, reduction=reduction)
        if reduction == "none":
            raise ConfigError("FeatureMatchingLoss: reduction='none' is not supported")

    def forward(self, fake_feats: list[Tensor], real_feats: list[Tensor]) -> Tensor:
        if not fake_feats or len(fake_feats) != len(real_feats):
            raise ValueError(
                f"FeatureMatchingLoss: got {len(fake_feats)} fake and {len(real_feats)} real "
                "feature maps; the discriminator must return the same non-empty list for both"
            )
        pairs = zip(fake_feats, real_feats, strict=True)
        terms = [self.reduce((f - r.detach()).abs()) for f, r in pairs]
        return sum(terms[1:], terms[0]) / len(terms)
