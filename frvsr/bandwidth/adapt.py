"""Content-adaptive SR: fine-tune the checkpoint on the clip itself, count what it costs.

Training (:func:`fine_tune`): frvsr's own stack, ``frvsr.lit.fit.fit`` on a config composed
with Hydra from ``conf/train.yaml``: ``data=video`` on the study's lossless reference
(``data.train.root=<work>/reference.mkv``; its LR made on the fly with the checkpoint's
scale and degradation, i.e. clean LR, not the compressed rungs), the pixel-loss module
(``model=frvsr``, or ``model=sisr`` for single-frame checkpoints) with the checkpoint's
own generator (and flow net) config, ``model.init_from=<ckpt>``, ``trainer.max_steps=N``,
``logger=none``, Adam at ``adapt_lr`` (default 1e-4). Validation is off
(``data.val=null``): the point is to fit this very clip, there is nothing to hold out, and
the ladder's scores are the test. FRVSR's flow net is frozen (callback
:class:`frvsr.bandwidth.freeze.FreezeFlowNet`), so only the SR backbone changes.

Cost (:func:`weight_payload`): the client holds the base checkpoint and downloads the
change: every tensor that differs from the base, as ``adapted - base`` in fp16, a 4-byte
index before each, compressed with zlib (level 9) and lzma (preset 9, extreme), whichever
is smaller. The client runs ``base + fp16(delta)``, and so does the ladder (the rounding
is part of the result). Spread over the clip, the payload adds ``bytes * 8 / duration``
bit/s to every rung (:func:`overhead_kbps`); :func:`break_even_s` is the duration from
which the saving per second pays for it.
"""
from __future__ import annotations

import lzma
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

CONF = Path(__file__).resolve().parents[2] / "conf"


@dataclass(frozen=True)
class WeightPayload:
    """What the client downloads: ``bytes`` compressed (``codec`` lzma or zlib) from
    ``raw_bytes`` of fp16 deltas; ``tensors`` the changed tensors, ``params`` their values."""

    bytes: int
    raw_bytes: int
    codec: str
    tensors: tuple[str, ...]
    params: int
    total_params: int

    def kbps(self, duration_s: float) -> float:
        """The payload spread over ``duration_s`` seconds, in kbit/s."""
        return overhead_kbps(self.bytes, duration_s)


def overhead_kbps(n_bytes: int, duration_s: float) -> float:
    """``n_bytes`` sent once over a clip of ``duration_s`` seconds, as kbit/s."""
    if duration_s <= 0:
        raise ValueError(f"duration {duration_s} s must be positive")
    return n_bytes * 8 / duration_s / 1000.0


def break_even_s(n_bytes: int, saving_kbps: float) -> float | None:
    """Seconds of content after which a ``saving_kbps`` kbit/s saving has paid for
    ``n_bytes`` of weights; None when nothing is saved."""
    if saving_kbps <= 0:
        return None
    return n_bytes * 8 / (saving_kbps * 1000.0)


def weight_payload(base: dict[str, Tensor], adapted: dict[str, Tensor]
                   ) -> tuple[WeightPayload, dict[str, Tensor]]:
    """(the payload of ``adapted`` against ``base``, the client's state dict).

    Both state dicts must have the same keys and shapes (same architecture)."""
    if base.keys() != adapted.keys():
        raise ValueError("adapted weights have other tensors than the base checkpoint")
    blob, changed, params, client = bytearray(), [], 0, {}
    for i, name in enumerate(sorted(base)):
        b, a = base[name], adapted[name]
        if not torch.is_floating_point(b) or torch.equal(a, b):
            client[name] = b.clone()
            continue
        d16 = (a.float() - b.float()).half()
        blob += struct.pack("<I", i) + d16.contiguous().numpy().tobytes()
        client[name] = (b.float() + d16.float()).to(b.dtype)
        changed.append(name)
        params += b.numel()
    packed = {"zlib": zlib.compress(bytes(blob), 9),
              "lzma": lzma.compress(bytes(blob), preset=9 | lzma.PRESET_EXTREME)}
    codec = min(packed, key=lambda k: len(packed[k]))
    total = sum(t.numel() for t in base.values() if torch.is_floating_point(t))
    size = len(packed[codec]) if blob else 0
    return WeightPayload(size, len(blob), codec, tuple(changed), params, total), client


def adapt_config(ckpt: Path, loaded: Any, video: Path, out: Path, steps: int, lr: float,
                 lr_size: tuple[int, int]) -> Any:
    """The composed training config of :func:`fine_tune` (a DictConfig)."""
    from hydra import compose, initialize_config_dir
    from omegaconf import OmegaConf, open_dict

    stored = loaded.config or {}
    model_cfg, data_cfg = stored.get("model") or {}, stored.get("data") or {}
    patch = min(int(data_cfg.get("lr_patch") or 32), *lr_size)
    overrides = [
        "data=video", "model=" + ("frvsr" if loaded.recurrent else "sisr"), "logger=none",
        "callbacks=none", f"data.train.root={video}", "data.val=null",
        f"++data.train.cache_dir={out / 'cache'}", f"data.scale={loaded.scale}",
        f"data.degradation={loaded.degradation}", f"data.lr_patch={patch}",
        f"data.num_frames={int(data_cfg.get('num_frames') or 5)}",
        f"data.batch_size={int(data_cfg.get('batch_size') or 4)}", "data.num_workers=0",
        f"model.init_from={ckpt}", f"model.optimizer.lr={lr}", f"trainer.max_steps={steps}",
        "++trainer.limit_val_batches=0", "trainer.enable_model_summary=false",
        f"trainer.log_every_n_steps={max(1, min(10, steps))}",
        f"paths.output_dir={out}", f"paths.log_dir={out}", "task_name=adapt",
    ]
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose(config_name="train", overrides=overrides)
    with open_dict(cfg):
        cfg.model.generator = OmegaConf.create(model_cfg["generator"])
        if loaded.recurrent and model_cfg.get("flow_net"):
            cfg.model.flow_net = OmegaConf.create(model_cfg["flow_net"])
        cfg.callbacks = OmegaConf.create({
            "last_checkpoint": {"_target_": "frvsr.callbacks.checkpointing.LastCheckpoint",
                                "dirpath": str(out / "checkpoints"),
                                "every_n_train_steps": steps},
            "freeze_flow": {"_target_": "frvsr.bandwidth.freeze.FreezeFlowNet"}})
    return cfg


def fine_tune(ckpt: Path, loaded: Any, video: Path, out: Path, steps: int,
              lr: float = 1e-4, lr_size: tuple[int, int] = (32, 32)) -> Path:
    """Fine-tune ``ckpt`` on ``video`` for ``steps`` optimiser steps; returns the adapted
    ``last.ckpt`` (under ``out/checkpoints``)."""
    from frvsr.lit.fit import fit

    fit(adapt_config(ckpt, loaded, video, out, steps, lr, lr_size))
    path = out / "checkpoints" / "last.ckpt"
    if not path.is_file():
        raise RuntimeError(f"adaptation finished without {path}")
    return path
