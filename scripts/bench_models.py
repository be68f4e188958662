"""Parameter counts, GFLOPs per output frame and CPU speed of the model zoo, in one table.

GFLOPs: ``torch.utils.flop_counter.FlopCounterMode`` (2 FLOPs per multiply-add, convs and
matmuls only; interpolation and warping are not counted) for one x4 frame 480x270 ->
1920x1080, counted on the meta device so nothing full-size runs. For FRVSR the frame is a
steady-state ``step`` (FNet + warp + backbone), not the first frame of a shot.
CPU ms/frame: best of ``--frames`` frames at 64x64 LR x4 after one warm-up frame (the
minimum, as ``timeit`` advises: other processes sharing the CPU only ever add time), the
models taking turns frame by frame.

    python scripts/bench_models.py [--frames 3] [--threads N] [--no-timing]
"""
from __future__ import annotations

import argparse
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from frvsr.models import ESPCN, FRVSR, FNet, FRVSRNet, FRVSRState, RRDBNet, SRResNet

SCALE = 4
FLOP_LR = (270, 480)  # LR h, w for 1080p output
TIME_LR = (64, 64)
# ../shared/docs/RECIPES.md, "Speed figures seen in practice" (GFLOPs per 1080p frame).
RECIPES_GFLOPS = {"SRResNet-16": 657.0, "FRVSR+SRResNet-16": 697.0, "FRVSR+RRDBNet-23": 4687.0}

BACKBONES: dict[str, Callable[..., nn.Module]] = {
    "SRResNet-16": functools.partial(SRResNet, num_feat=64, num_block=16),
    "RRDBNet-23": functools.partial(RRDBNet, num_feat=64, num_block=23, num_grow_ch=32),
    "FRVSRNet-10-64": functools.partial(FRVSRNet, num_feat=64, num_block=10),
    "FRVSRNet-16-64": functools.partial(FRVSRNet, num_feat=64, num_block=16),
    "FRVSRNet-10-128": functools.partial(FRVSRNet, num_feat=128, num_block=10),
    "ESPCN": functools.partial(ESPCN, num_feat=64, num_block=1),
}


@dataclass
class Row:
    name: str
    params: int
    gflops: float
    ms: float | None


Thunk = Callable[[Tensor], Callable[[], Tensor]]


def _frame_fn(name: str, device: str) -> tuple[nn.Module | None, Thunk]:
    """A model and, for an LR frame, a thunk computing one steady-state output frame."""
    with torch.device(device):
        if name == "bicubic":
            return None, lambda lr: lambda: F.interpolate(lr, scale_factor=SCALE, mode="bicubic")
        if name.startswith("FRVSR+"):
            model = FRVSR(FNet(), BACKBONES[name[len("FRVSR+"):]], scale=SCALE).eval()

            def frvsr_thunk(lr: Tensor) -> Callable[[], Tensor]:
                b, c, h, w = lr.shape
                sr_prev = lr.new_zeros(b, c, SCALE * h, SCALE * w)
                state = FRVSRState(lr_prev=lr.clone(), sr_prev=sr_prev)
                return lambda: model.step(lr, state)[0]

            return model, frvsr_thunk
        model = BACKBONES[name](in_channels=3, out_channels=3, scale=SCALE).eval()
        return model, lambda lr: lambda: model(lr)


def count_gflops(name: str) -> tuple[int, float]:
    model, thunk = _frame_fn(name, "meta")
    params = sum(p.numel() for p in model.parameters()) if model is not None else 0
    lr = torch.empty(1, 3, *FLOP_LR, device="meta")
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        thunk(lr)()
    return params, counter.get_total_flops() / 1e9


def time_ms(names: list[str], frames: int) -> dict[str, float]:
    """Best-of-``frames`` ms per frame for each model, measured in interleaved rounds (one
    frame of every model per round) so that load changes on a shared CPU hit all alike."""
    torch.manual_seed(0)
    lr = torch.rand(1, 3, *TIME_LR)
    runs = {name: _frame_fn(name, "cpu")[1](lr) for name in names}
    best = dict.fromkeys(names, float("inf"))
    with torch.inference_mode():
        for run in runs.values():
            run()  # warm-up (allocator, oneDNN kernel selection)
        for _ in range(frames):
            for name, run in runs.items():
                start = time.perf_counter()
                run()
                best[name] = min(best[name], time.perf_counter() - start)
    return {name: t * 1e3 for name, t in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=5, help="timed frames per model")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument("--no-timing", action="store_true", help="only parameters and FLOPs")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    names = ["bicubic", *BACKBONES, *(f"FRVSR+{b}" for b in BACKBONES)]
    timings = {} if args.no_timing else time_ms(names, args.frames)
    rows = [Row(name, *count_gflops(name), timings.get(name)) for name in names]

    print(f"x{SCALE}; GFLOPs per output frame {FLOP_LR[1]}x{FLOP_LR[0]} -> "
          f"{FLOP_LR[1] * SCALE}x{FLOP_LR[0] * SCALE} (2 per MAC); CPU ms/frame at "
          f"{TIME_LR[1]}x{TIME_LR[0]} LR, {torch.get_num_threads()} threads, "
          f"best of {args.frames}")
    header = f"{'model':<22}{'params':>13}{'GFLOPs':>10}{'RECIPES':>9}{'diff':>8}{'CPU ms':>10}"
    print(header)
    print("-" * len(header))
    off = []
    for r in rows:
        ref = RECIPES_GFLOPS.get(r.name)
        diff = f"{100 * (r.gflops / ref - 1):+.1f}%" if ref else ""
        if ref and abs(r.gflops / ref - 1) > 0.03:
            off.append(r.name)
        ms = f"{r.ms:.1f}" if r.ms is not None else "-"
        refs = f"{ref:,.0f}" if ref else ""
        print(f"{r.name:<22}{r.params:>13,}{r.gflops:>10,.1f}{refs:>9}{diff:>8}{ms:>10}")
    if off:
        raise SystemExit(f"GFLOPs more than 3 % off RECIPES.md for: {', '.join(off)}")


if __name__ == "__main__":
    main()
