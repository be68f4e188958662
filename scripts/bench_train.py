"""Training iterations/s of the pretraining and GAN steps on this machine.

FRVSR 10-64 (FNet + FRVSRNet 64 features, 10 blocks), batch 2, 5 frames, 32x32 LR crops
(HR 128), TecoGAN losses and spatio-temporal discriminator for the GAN step. Runs the
real Lightning modules through a Trainer on in-memory tensors (data loading is measured
by scripts/bench_data.py), timing each step after a warm-up.

    python scripts/bench_train.py [--steps 10] [--warmup 2] [--device auto|cpu|cuda]
        [--precision 32-true|bf16-mixed] [--channels-last] [--compile]
"""
from __future__ import annotations

import argparse
import logging
import time
import warnings
from functools import partial

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset

from frvsr.lit.gan_module import GANModule
from frvsr.lit.sr_module import SRModule
from frvsr.losses import AdversarialLoss, FlowWarpLoss, PerceptualLoss, PingPongLoss, PixelLoss
from frvsr.models import FNet, FRVSRNet, SpatioTemporalDiscriminator

BATCH, FRAMES, LR_SIZE, SCALE = 2, 5, 32, 4


class RandomClips(Dataset):
    def __init__(self, n: int) -> None:
        g = torch.Generator().manual_seed(0)
        self.hr = torch.rand(n, FRAMES, 3, LR_SIZE * SCALE, LR_SIZE * SCALE, generator=g)
        self.lr = torch.nn.functional.avg_pool2d(self.hr.flatten(0, 1), SCALE).unflatten(
            0, (n, FRAMES))

    def __len__(self) -> int:
        return len(self.hr)

    def __getitem__(self, i: int) -> dict:
        return {"lr": self.lr[i], "hr": self.hr[i], "key": str(i)}


class StepTimer(L.Callback):
    def __init__(self, warmup: int) -> None:
        self.warmup, self.times, self._t = warmup, [], 0.0

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:  # noqa: ANN001
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        self._t = time.perf_counter()

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:  # noqa: ANN001
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        if batch_idx >= self.warmup:
            self.times.append(time.perf_counter() - self._t)


def _generator() -> dict:
    return {"generator": partial(FRVSRNet, num_feat=64, num_block=10, skip="bicubic_phase0"),
            "flow_net": FNet(), "scale": SCALE}


def build(kind: str, args: argparse.Namespace) -> L.LightningModule:
    speed = {"channels_last": args.channels_last, "compile": args.compile}
    adam = partial(torch.optim.Adam, lr=5e-5)
    if kind == "pretrain":
        return SRModule(**_generator(), pixel_loss=PixelLoss("l2"), flow_loss=FlowWarpLoss(),
                        optimizer=adam, **speed)
    return GANModule(
        **_generator(), discriminator=SpatioTemporalDiscriminator(num_feat=64, scale=SCALE),
        pixel_loss=PixelLoss("l2"), perceptual_loss=PerceptualLoss(weight=0.2),
        adversarial_loss=AdversarialLoss("vanilla", 0.01), pingpong_loss=PingPongLoss(),
        flow_loss=FlowWarpLoss(), optimizer_g=adam,
        optimizer_d=partial(torch.optim.Adam, lr=1.5e-5),
        d_update="every", ema_decay=0.999, **speed,
    )


def bench(kind: str, args: argparse.Namespace) -> float:
    module = build(kind, args)
    timer = StepTimer(args.warmup)
    n = args.warmup + args.steps
    trainer = L.Trainer(
        accelerator=args.device, devices=1, precision=args.precision,
        max_steps=-1 if kind == "gan" else n,  # the GAN module stops on its iteration count
        max_epochs=1, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, limit_val_batches=0, callbacks=[timer],
    )
    if kind == "gan":
        module.max_iters = n
    loader = DataLoader(RandomClips(n * BATCH), batch_size=BATCH, num_workers=0)
    trainer.fit(module, train_dataloaders=loader)
    return len(timer.times) / sum(timer.times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--precision", default="32-true")
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--compile", action="store_true")
    args = parser.parse_args()
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)  # keep the report readable
    warnings.filterwarnings("ignore")
    print(f"FRVSR 10-64, batch {BATCH}, {FRAMES} frames, {LR_SIZE}x{LR_SIZE} LR crops (HR "
          f"{LR_SIZE * SCALE}), precision {args.precision}, torch threads "
          f"{torch.get_num_threads()}")
    for kind in ("pretrain", "gan"):
        rate = bench(kind, args)
        what = "L2 + flow loss" if kind == "pretrain" else (
            "G (L2, VGG16 0.2, adv 0.01, ping-pong 0.5, flow) + spatio-temporal D, EMA")
        print(f"{kind:9s} {rate:7.3f} it/s  ({1 / rate:6.2f} s/it)  {what}")


if __name__ == "__main__":
    main()
