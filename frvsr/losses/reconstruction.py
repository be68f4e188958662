"""The reconstruction terms of a generator step, written once for both training stages.

`SRModule` (pretraining, frame-by-frame baseline) and `GANModule` (adversarial stage) both
go through `GeneratorModule.reconstruct`: the generator runs on
`reconstruction_input(lr, pingpong_loss)` and `reconstruction_losses` gives the pixel,
perceptual, flow-warp and ping-pong terms. Pure torch.
"""
from __future__ import annotations

from torch import Tensor

from frvsr.losses.base import WeightedLoss
from frvsr.losses.pixel import PixelLoss
from frvsr.losses.temporal import FlowWarpLoss, PingPongLoss, pingpong_sequence


def uses_pingpong(lr: Tensor, pingpong_loss: PingPongLoss | None) -> bool:
    """Whether the ping-pong term is computed for the LR clip `lr: B,T,C,h,w`.

    True when the loss is given, its weight is above 0 and the clip has a way back
    (`T >= 2`; a one-frame clip would give the mean of an empty tensor, NaN).
    """
    return pingpong_loss is not None and pingpong_loss.active and lr.shape[1] >= 2


def reconstruction_input(lr: Tensor, pingpong_loss: PingPongLoss | None) -> Tensor:
    """The generator input for `lr: B,T,C,h,w`: the 2T-1 frame ping-pong clip
    (`pingpong_sequence`) when `uses_pingpong`, else `lr` itself."""
    return pingpong_sequence(lr) if uses_pingpong(lr, pingpong_loss) else lr


def reconstruction_losses(
    sr: Tensor,
    lr: Tensor,
    hr: Tensor,
    *,
    pixel_loss: PixelLoss,
    sr_all: Tensor | None = None,
    lr_warped: Tensor | None = None,
    flow_loss: FlowWarpLoss | None = None,
    pingpong_loss: PingPongLoss | None = None,
    perceptual_loss: WeightedLoss | None = None,
) -> dict[str, Tensor]:
    """Named weighted reconstruction terms of one batch, in the order they are summed.

    Args:
        sr: SR clip `B,T,C,H,W` (`H = scale*h`): the first T frames of the generator
            output, float, nominally [0,1] (not clamped: the losses see the raw output).
            Callers pass the one slice they also give the discriminator, so gradients of
            all terms meet in one tensor.
        lr: LR input clip `B,T,C,h,w`, float [0,1].
        hr: GT clip `B,T,C,H,W`, float [0,1].
        pixel_loss: always computed, `pixel_loss(sr, hr)`.
        sr_all: the whole generator output on `reconstruction_input(lr, pingpong_loss)`,
            `B,2T-1,C,H,W`; needed only when the ping-pong term is on.
        lr_warped: `B,T'-1,C,h,w` (T' frames of generator input), LR frame t-1 warped onto
            frame t by the recurrent generator (`FRVSROutput.lr_warped`); only its first
            T-1 frames are used. Needed when `flow_loss` is on; None for single-frame
            generators (which pass no flow loss).
        flow_loss, pingpong_loss, perceptual_loss: optional; None or weight 0 leaves the
            term out. The flow and ping-pong terms are also left out for one-frame clips
            (no frame pair, no way back: their mean would be NaN).

    Returns:
        `{"pixel", "perceptual"?, "flow"?, "pingpong"?}`, each already weighted and
        reduced by its own loss module (scalars for `mean`/`sum` reductions); the caller
        sums them and logs each as `train/<name>` (`train/g_<name>` in the GAN stage).

    Raises:
        ValueError: the ping-pong term is on and `sr_all` is missing or has not 2T-1
            frames, or `flow_loss` is on without `lr_warped`.
        frvsr.errors.ConfigError: from `PixelLoss`, when SR and GT shapes differ (a
            generator scale that does not match `data.scale`).

    Source: the FRVSR pretraining objective (L2 pixel + L2 LR flow-warp loss, Sajjadi et
    al. 2018) with TecoGAN's perceptual and ping-pong terms (Chu et al. 2020).
    """
    t = lr.shape[1]
    terms = {"pixel": pixel_loss(sr, hr)}
    if perceptual_loss is not None and perceptual_loss.active:
        terms["perceptual"] = perceptual_loss(sr, hr)
    if flow_loss is not None and flow_loss.active and t >= 2:
        if lr_warped is None:
            raise ValueError(
                "reconstruction_losses: flow_loss is on but lr_warped is None; the flow "
                "term needs a recurrent generator (FRVSROutput.lr_warped)"
            )
        terms["flow"] = flow_loss(lr_warped[:, : t - 1], lr)
    if pingpong_loss is not None and uses_pingpong(lr, pingpong_loss):
        if sr_all is None or sr_all.shape[1] != 2 * t - 1:
            got = "None" if sr_all is None else f"{sr_all.shape[1]} frames"
            raise ValueError(
                f"reconstruction_losses: the ping-pong term needs sr_all with {2 * t - 1} "
                f"frames for a {t}-frame clip, got {got} (run the generator on "
                "reconstruction_input)"
            )
        terms["pingpong"] = pingpong_loss(sr_all)
    return terms
