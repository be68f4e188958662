"""The loss halves of a GAN step as pure functions (mmagic's SRGAN split).

`generator_losses` and `discriminator_losses` take loss terms and discriminator outputs
and return named weighted terms; they run no network and touch no optimiser. `GANModule`
runs the networks, sums the terms and does the optimiser work (toggle, backward, clip,
step). Pure torch.
"""
from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor

from frvsr.losses.adversarial import AdversarialLoss, FeatureMatchingLoss

DOut = tuple[Tensor, list[Tensor]]
"""What a discriminator returns with `return_features=True`: raw logits (any shape, e.g.
`N,1,h',w'` for a patch discriminator) and its intermediate feature maps."""


def generator_losses(
    reconstruction: Mapping[str, Tensor],
    fake: DOut,
    real: DOut,
    *,
    adversarial_loss: AdversarialLoss,
    feature_matching_loss: FeatureMatchingLoss | None = None,
) -> dict[str, Tensor]:
    """Named weighted generator terms, in the order they are summed.

    Args:
        reconstruction: the terms of `frvsr.losses.reconstruction_losses` for the same SR
            clip (`pixel`, optional `perceptual`, `flow`, `pingpong`), computed by the
            caller (in `GANModule`, before the discriminator runs, as always).
        fake: D's logits and features on the SR clip (with gradient to the generator).
        real: D's logits and features on the GT clip (computed without gradient; real
            logits enter only `ragan`'s generator term, real features only `fm`).
        adversarial_loss: the `adv` term, `AdversarialLoss.generator(fake, real)`.
        feature_matching_loss: optional `fm` term (None or weight 0 leaves it out).

    Returns:
        a new dict: `reconstruction` followed by `adv` and, when on, `fm`, each a weighted
        scalar; logged as `train/g_<name>`, their sum as `train/g_loss`.

    Raises:
        ValueError: `reconstruction` already holds `adv` or `fm`; `FeatureMatchingLoss`
            raises when the fake and real feature lists differ in length or are empty.
    """
    clash = {"adv", "fm"} & set(reconstruction)
    if clash:
        raise ValueError(f"generator_losses: reconstruction terms {sorted(clash)} clash with "
                         "the adversarial terms' names")
    terms = dict(reconstruction)
    terms["adv"] = adversarial_loss.generator(fake[0], real[0])
    if feature_matching_loss is not None and feature_matching_loss.active:
        terms["fm"] = feature_matching_loss(fake[1], real[1])
    return terms


def discriminator_losses(
    real: DOut, fake: DOut, *, adversarial_loss: AdversarialLoss
) -> dict[str, Tensor]:
    """Unweighted discriminator terms `d_real`, `d_fake` (their sum is minimised).

    `real`/`fake`: D's outputs on the GT clip and on the detached SR clip. Logged as
    `train/d_real`, `train/d_fake`. See `AdversarialLoss.discriminator` for the formulas.
    """
    return adversarial_loss.discriminator(real[0], fake[0])
