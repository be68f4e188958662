"""A Lightning callback that freezes FRVSR's flow network for content-adaptive fine-tuning,
so only the SR backbone changes and only its weights must reach the client.

Kept apart from :mod:`frvsr.bandwidth.adapt` because it imports Lightning at load time;
the training config names it as a callback (``_target_``)."""
from __future__ import annotations

from typing import Any

import lightning as L


class FreezeFlowNet(L.Callback):
    """``requires_grad_(False)`` on ``pl_module.generator.flow_net`` when fitting starts.

    Adam skips parameters without a gradient, so the flow net's weights stay bit-identical
    to the base checkpoint's (weight decay is not used by the pixel-loss stage). The flow
    loss then trains nothing; the pixel loss trains the SR backbone."""

    def on_fit_start(self, trainer: L.Trainer, pl_module: Any) -> None:
        flow = getattr(getattr(pl_module, "generator", None), "flow_net", None)
        if flow is not None:
            flow.requires_grad_(False)
