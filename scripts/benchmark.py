"""Inference benchmark: model zoo size and cost, per-frame speed and peak memory of every
backend the upscale CLI offers, and the CLI end to end on a real clip.

    python scripts/benchmark.py                         # CPU: LR 120x68 -> 480x272, x4
    python scripts/benchmark.py --quick --out b.json    # CI-sized smoke run (reduced widths)
    python scripts/benchmark.py --device cuda --out gpu.json --markdown gpu.md   # 480x270, 960x540
    python scripts/benchmark.py --models FRVSR+FRVSRNet-10-64 --threads 1   # one group

Models have random weights (seed 0) at the widths of ``conf/model/generator/*.yaml``
(``--quick``: 16 features, 2 blocks), x4, with the configs' BD skip (``bicubic_phase0``).

* Zoo: parameters and GFLOPs of one 480x270 -> 1920x1080 frame, counted on the meta device
  with ``torch.utils.flop_counter`` (2 FLOPs per multiply-add, convs and matmuls only; an
  FRVSR frame is a steady-state ``step``; each class's default skip, as the figures quoted
  so far were counted: the BD skip adds 0.1 GFLOPs), checked against
  ../shared/docs/RECIPES.md (more than 3 % off: exit status 1).
* Speed: every case streams the same clip (the first frames of
  ../shared/data/videos/01_dog.mp4 area-downscaled to the LR size, written to an mp4 and
  decoded back, as the CLI reads it; a synthetic clip when the video is absent) through
  the upscaler the CLI builds (``ModelUpscaler``, ``OnnxUpscaler``, ``BicubicUpscaler``).
  After the warm-up frames (the shot's first frame, compilation, autotuning) the cases
  take turns frame by frame, the order reversed every round, so load on a shared machine
  hits all alike. ms/frame: median over the timed frames (GPU: synchronised per frame).
* Peak memory. CPU: peak RSS (``os.wait4``'s ``ru_maxrss``) of a forked child that builds
  the case and runs 3 frames, minus that of a child that only decodes the clip; children
  fork from one worker process that has imported torch, frvsr and onnxruntime but ran
  nothing. GPU: ``torch.cuda.max_memory_allocated`` over 3 frames, above what was
  allocated before, plus the case's weights.
* CLI: ``frvsr.inference.video_job.upscale`` (what ``python -m frvsr.upscale`` runs: decode,
  scene-cut detection, H.264 crf 18 preset medium in threads) on the clip file, as a ratio
  of its frames/s to the model-only rate of the same upscaler; the two passes alternate.
* CPU closing condition (issue 9): the fastest fp32 CPU backend the CLI offers runs the
  FRVSR 10-64 x4 step in <= 0.8 of the eager fp32 time: median over frames of the paired
  ratio (backend ms / eager ms in the same round). bf16 is shown but does not count (it
  changes results beyond float rounding: see the ``|d| eager`` column).
* GPU (``--device cuda``): the speed switches (bf16, channels_last, ``torch.compile``,
  cudnn.benchmark, CUDA graphs through ``torch.compile(mode="reduce-overhead")`` of the
  whole step) and issue 9's goals, reported met or not.
"""
from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from frvsr.models import ESPCN, FRVSR, FNet, FRVSRNet, FRVSRState, RRDBNet, SRResNet

REPO = Path(__file__).resolve().parents[1]
VIDEO = REPO.parent / "shared" / "data" / "videos" / "01_dog.mp4"
SCALE = 4
DEGRADATION = "bd_tecogan"
SKIP = "bicubic_phase0"  # conf/model/generator/*.yaml
FLOP_LR = (270, 480)  # LR h, w of a 1080p output frame
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
QUICK_WIDTHS = {"num_feat": 16, "num_block": 2}  # --quick: same graphs, a fraction of the work
CLOSING_MODEL = "FRVSR+FRVSRNet-10-64"
CLOSING_LIMIT = 0.8
EAGER = "eager fp32"

CPU_BACKENDS: dict[str, dict[str, Any]] = {  # backend -> ModelUpscaler switches
    EAGER: {},
    "onnxruntime": {},  # OnnxUpscaler as the CLI builds it (onnxruntime's default threads)
    "onnxruntime threads=cores": {},  # the CLI's threads= (intra-op threads)
    "channels_last": {"channels_last": True},
    "compile": {"compile": True},
    "channels_last+compile": {"channels_last": True, "compile": True},
    "bf16": {"precision": "bf16"},
}
CPU_MODELS = ("FRVSR+SRResNet-16", "FRVSR+RRDBNet-23", "FRVSR+ESPCN", "FRVSRNet-10-64")
QUICK_SKIPS = ("channels_last+compile",)  # --quick: one torch.compile is enough

GPU_BACKENDS: dict[str, dict[str, Any]] = {
    EAGER: {},
    "bf16+channels_last": {"precision": "bf16", "channels_last": True},
    "bf16+channels_last+compile": {"precision": "bf16", "channels_last": True, "compile": True},
    "bf16+channels_last+cudagraphs": {},  # CompiledStep
    "onnxruntime-cuda": {},  # OnnxUpscaler on the CUDA execution provider (onnxruntime-gpu)
}
# Per LR size: (model, backends). Three whole-step compiles and one backbone compile keep
# the plan within a few minutes of an H100/H200; RRDBNet-23 is conv-bound, so it is not
# compiled (minutes of compile time for little gain).
GPU_PLAN: dict[str, list[tuple[str, list[str]]]] = {
    "480x270": [("bicubic", [EAGER]),
                (CLOSING_MODEL, [EAGER, "bf16+channels_last", "bf16+channels_last+cudagraphs",
                                 "onnxruntime-cuda"]),
                ("FRVSR+SRResNet-16", [EAGER, "bf16+channels_last", "bf16+channels_last+compile",
                                       "bf16+channels_last+cudagraphs"]),
                ("FRVSR+RRDBNet-23", [EAGER, "bf16+channels_last"]),
                ("RRDBNet-23", ["bf16+channels_last"]),
                ("FRVSR+ESPCN", [EAGER, "bf16+channels_last"]),
                ("FRVSRNet-10-64", [EAGER, "bf16+channels_last"])],
    "960x540": [("bicubic", [EAGER]),
                ("FRVSR+ESPCN", [EAGER, "bf16+channels_last", "bf16+channels_last+cudagraphs"]),
                (CLOSING_MODEL, ["bf16+channels_last"]),
                ("FRVSR+SRResNet-16", ["bf16+channels_last"])],
}
GPU_CLI = ("FRVSR+SRResNet-16", "bf16+channels_last+compile")  # the CLI's own switches
GPU_GOALS = [  # (goal, model, LR "wxh", minimum frames/s): issue 9, one H100/H200
    ("FRVSR + SRResNet-16 >= 110 frames/s at 1080p", "FRVSR+SRResNet-16", "480x270", 110.0),
    ("RRDBNet-23 (in FRVSR) >= 10 frames/s at 1080p", "FRVSR+RRDBNet-23", "480x270", 10.0),
    ("FRVSR + ESPCN >= 60 frames/s at 4K", "FRVSR+ESPCN", "960x540", 60.0),
]


# ----------------------------------------------------------------------------- models
def build_model(name: str, quick: bool = False, device: str = "cpu",
                skip: str | None = SKIP) -> nn.Module:
    """``FRVSR+<backbone>`` (FNet + backbone) or a single-frame ``<backbone>``, random weights
    (seed 0), eval mode; ``quick`` swaps in QUICK_WIDTHS; ``skip=None``: the class default."""
    torch.manual_seed(0)
    factory = BACKBONES[name.removeprefix("FRVSR+")]
    if quick:
        extra = {"num_grow_ch": 8} if factory.func is RRDBNet else {}
        factory = functools.partial(factory, **QUICK_WIDTHS, **extra)
    if skip is not None:
        factory = functools.partial(factory, skip=skip)
    with torch.device(device):
        if name.startswith("FRVSR+"):
            return FRVSR(FNet(), factory, scale=SCALE).eval()
        return factory(in_channels=3, out_channels=3, scale=SCALE).eval()


def loaded_generator(name: str, quick: bool) -> Any:
    """The model as ``frvsr.load_generator`` returns it (what the CLI wraps)."""
    from frvsr.checkpoint import LoadedGenerator

    return LoadedGenerator(build_model(name, quick), SCALE, name.startswith("FRVSR+"),
                           DEGRADATION, {}, False)


def count_gflops(name: str) -> tuple[int, float]:
    """(parameters, GFLOPs of one steady-state 1080p output frame), on the meta device."""
    lr = torch.empty(1, 3, *FLOP_LR, device="meta")
    params, model = 0, None
    if name != "bicubic":
        model = build_model(name, device="meta", skip=None)
        params = sum(p.numel() for p in model.parameters())
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        if model is None:
            F.interpolate(lr, scale_factor=SCALE, mode="bicubic")
        elif isinstance(model, FRVSR):
            sr_prev = lr.new_zeros(1, 3, SCALE * FLOP_LR[0], SCALE * FLOP_LR[1])
            model.step(lr, FRVSRState(lr_prev=lr.clone(), sr_prev=sr_prev))
        else:
            model(lr)
    return params, counter.get_total_flops() / 1e9


def zoo() -> list[dict[str, Any]]:
    rows = []
    for name in ["bicubic", *BACKBONES, *(f"FRVSR+{b}" for b in BACKBONES)]:
        params, gflops = count_gflops(name)
        ref = RECIPES_GFLOPS.get(name)
        rows.append({"name": name, "params": params, "gflops_1080p": round(gflops, 1),
                     "recipes_gflops": ref,
                     "diff_pct": round(100 * (gflops / ref - 1), 2) if ref else None})
    return rows


# ----------------------------------------------------------------------------- cases
@dataclass
class Case:
    """One row: ``model`` through ``backend`` at LR ``size`` (w, h)."""

    model: str
    backend: str
    size: tuple[int, int]
    onnx: str | None = None  # the exported file (onnxruntime backends)
    ms: list[float] = field(default_factory=list)
    peak_mb: float | None = None  # CPU: RSS above an idle child; GPU: CUDA allocated
    peak_rss_mb: float | None = None  # CPU: the child's whole peak RSS
    max_abs_diff: float | None = None  # first frame, vs eager fp32 of the same model
    status: str = "ok"
    note: str | None = None

    @property
    def name(self) -> str:
        return f"{self.model} [{self.backend}] {self.size[0]}x{self.size[1]}"

    def spec(self) -> dict[str, Any]:
        return {"model": self.model, "backend": self.backend, "size": list(self.size),
                "onnx": self.onnx}


def plan(gpu: bool, sizes: list[tuple[int, int]], quick: bool,
         models: str | None) -> list[Case]:
    cases = []
    for size in sizes:
        if gpu:
            entries = GPU_PLAN.get(f"{size[0]}x{size[1]}", GPU_PLAN["480x270"])
        else:
            backends = [b for b in CPU_BACKENDS if not (quick and b in QUICK_SKIPS)]
            entries = [("bicubic", [EAGER]), (CLOSING_MODEL, backends),
                       *((m, [EAGER]) for m in CPU_MODELS)]
        cases += [Case(model, b, size) for model, backends in entries for b in backends]
    if models:
        keep = set(models.split(","))
        cases = [c for c in cases if c.model in keep]
    try:
        import onnxruntime as ort
        providers = ort.get_available_providers()
    except ImportError:
        providers = None
    for c in cases:
        if c.backend.startswith("onnxruntime") and providers is None:
            c.status = "skipped: onnxruntime not installed (pip install 'frvsr[export]')"
        elif c.backend == "onnxruntime-cuda" and "CUDAExecutionProvider" not in providers:
            c.status = "skipped: onnxruntime has no CUDAExecutionProvider (onnxruntime-gpu)"
    return cases


class CompiledStep:
    """GPU: the whole step (FNet, warp, backbone; or a single-frame backbone) as one
    ``torch.compile`` graph, bf16 channels_last, static shapes, ``mode="reduce-overhead"``
    (CUDA graphs: a frame is one graph replay, no per-kernel launch cost). The recurrent
    state goes in as tensors, the first frame of a shot with ``lr_prev = lr, sr_prev = 0``
    (the ONNX export's rule, equal to FRVSR's zero estimate), so one graph serves every
    frame; outputs are cloned before they are kept (the next replay overwrites them)."""

    def __init__(self, loaded: Any, device: str) -> None:
        from frvsr.inference.onnx_export import graph_module

        self.scale, self.recurrent = loaded.scale, loaded.recurrent
        self.dtype, self.layout = torch.bfloat16, torch.channels_last
        self.model = graph_module(loaded.model, loaded.recurrent).to(device, self.dtype)
        self.model = self.model.to(memory_format=self.layout)
        self.fn = torch.compile(self.model, mode="reduce-overhead", dynamic=False)
        self.prev: tuple[Tensor, Tensor] | None = None

    def reset(self) -> None:
        self.prev = None

    @torch.no_grad()
    def __call__(self, lr: Tensor) -> Tensor:
        x = lr.to(self.model_device, self.dtype).contiguous(memory_format=self.layout)
        torch.compiler.cudagraph_mark_step_begin()
        if not self.recurrent:
            return self.fn(x).to(lr.device, torch.float32, copy=True)
        if self.prev is None:
            n, c, h, w = x.shape
            zeros = x.new_zeros(n, c, self.scale * h, self.scale * w)
            self.prev = x, zeros.contiguous(memory_format=self.layout)
        sr = self.fn(x, *self.prev).clone()
        self.prev = x, sr
        return sr.to(lr.device, torch.float32)

    @property
    def model_device(self) -> torch.device:
        return next(self.model.parameters()).device


def make_upscaler(case: Case, device: str, quick: bool, threads: int | None) -> Any:
    """The upscaler the CLI builds for ``case`` (plus the GPU-only CompiledStep)."""
    from frvsr.inference.onnx_backend import OnnxUpscaler
    from frvsr.inference.upscaler import BicubicUpscaler, ModelUpscaler

    if case.model == "bicubic":
        return BicubicUpscaler(SCALE, DEGRADATION)
    if case.backend.startswith("onnxruntime"):
        assert case.onnx is not None
        providers = ["CUDAExecutionProvider", "CPUExecutionProvider"] \
            if case.backend == "onnxruntime-cuda" else None
        if case.backend.endswith("threads=cores"):
            threads = os.cpu_count()
        return OnnxUpscaler(case.onnx, providers=providers, threads=threads)
    loaded = loaded_generator(case.model, quick)
    if case.backend == "bf16+channels_last+cudagraphs":
        return CompiledStep(loaded, device)
    switches = (GPU_BACKENDS if device.startswith("cuda") else CPU_BACKENDS)[case.backend]
    return ModelUpscaler(loaded, device=device, **switches)


def export_onnx_models(cases: list[Case], quick: bool, folder: Path) -> None:
    """Export each model that an onnxruntime case needs, in-process, to a temp file
    (``frvsr.inference.onnx_export``, which checks it against PyTorch at two sizes)."""
    from frvsr.inference.onnx_export import export_onnx

    files: dict[str, str] = {}
    for c in cases:
        if not c.backend.startswith("onnxruntime") or c.status != "ok":
            continue
        if c.model not in files:
            path = folder / f"{c.model.replace('+', '_')}.onnx"
            export_onnx(build_model(c.model, quick), path, scale=SCALE,
                        recurrent=c.model.startswith("FRVSR+"), degradation=DEGRADATION,
                        model_name=c.model, generator_class="benchmark")
            files[c.model] = str(path)
        c.onnx = files[c.model]


# ----------------------------------------------------------------------------- clips
def make_clip(size: tuple[int, int], frames: int, folder: Path) -> tuple[Path, str]:
    """An LR mp4 of ``frames`` frames at ``size`` (w, h): 01_dog.mp4 area-downscaled, or a
    moving synthetic texture when the video is absent. Returns (path, description)."""
    import cv2

    from frvsr.io.video import VideoWriter
    from frvsr.io.video_read import decode_frames

    w, h = size
    if VIDEO.is_file():
        rgb = [cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA)
               for f in decode_frames(VIDEO, frames)]
        what = f"{VIDEO.relative_to(REPO.parent)} (first {frames} frames, area-downscaled)"
    else:
        noise = np.random.default_rng(0).integers(0, 256, (h // 4 + 8, w // 4 + 8, 3), np.uint8)
        base = cv2.resize(noise, (w + 32, h + 32), interpolation=cv2.INTER_CUBIC)
        rgb = [np.ascontiguousarray(base[i % 16:i % 16 + h, i % 32:i % 32 + w])
               for i in range(frames)]
        what = f"synthetic moving texture ({VIDEO} is absent)"
    path = folder / f"clip_{w}x{h}.mp4"
    with VideoWriter(path, 25, crf=10, preset="ultrafast") as out:
        for f in rgb:
            out.write(f)
    return path, what


def clip_tensors(path: Path, device: str = "cpu") -> list[Tensor]:
    from frvsr.io.images import to_float_tensor
    from frvsr.io.video_read import decode_frames

    return [to_float_tensor(f)[None].to(device) for f in decode_frames(path)]


def run_cli(up: Any, clip: Path, out: Path) -> Any:
    """One ``frvsr.upscale`` job on ``clip`` (the CLI's defaults, no progress bar)."""
    from frvsr.inference.sources import open_source
    from frvsr.inference.video_job import UpscaleSettings, upscale

    return upscale(open_source(clip), out, up, UpscaleSettings(progress=False))


# ----------------------------------------------------------------------------- CPU memory
def memory_worker() -> None:
    """``--_memory-worker``: for each JSON spec on stdin, fork a child that runs it and
    answer ``{"maxrss_kb", "status"}`` from ``os.wait4``. This process imports torch,
    frvsr and onnxruntime but runs nothing, so every child starts alike and forking is safe."""
    import frvsr.inference.onnx_backend  # noqa: F401
    import frvsr.inference.video_job  # noqa: F401
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        pass
    for line in sys.stdin:
        spec = json.loads(line)
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            os.dup2(2, 1)  # the child's prints must not reach the answer pipe
            code = 0
            try:
                _memory_child(spec)
            except BaseException as exc:  # noqa: BLE001 - reported through the exit status
                print(f"memory child {spec}: {exc!r}", file=sys.stderr)
                code = 1
            os._exit(code)
        _, status, usage = os.wait4(pid, 0)
        print(json.dumps({"maxrss_kb": usage.ru_maxrss, "status": status}), flush=True)


def _memory_child(spec: dict[str, Any]) -> None:
    frames = clip_tensors(Path(spec["clip"]))[:3]
    if spec["kind"] == "baseline":
        return
    up = make_upscaler(Case(**spec["case"]), "cpu", spec["quick"], spec["threads"])
    if spec["kind"] == "cli":
        run_cli(up, Path(spec["clip"]), Path(spec["out"]))
        return
    up.reset()
    for lr in frames:
        up(lr)


class MemoryWorker:
    """Peak RSS per case (CPU), measured by the ``--_memory-worker`` process while the
    parent exports ONNX and counts FLOPs; the first spec is the idle baseline."""

    def __init__(self, clip: Path, quick: bool, threads: int | None) -> None:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--_memory-worker"]
        self.proc = subprocess.Popen(cmd + (["--threads", str(threads)] if threads else []),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.common = {"quick": quick, "threads": threads}
        self.targets: list[Case | str | None] = []
        self.send(None, {"kind": "baseline", "clip": str(clip)})

    def send(self, target: Case | str | None, spec: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({**self.common, **spec}) + "\n")
        self.proc.stdin.flush()
        self.targets.append(target)

    def case(self, c: Case, clip: Path) -> None:
        self.send(c, {"kind": "case", "case": c.spec(), "clip": str(clip)})

    def collect(self) -> float | None:
        """Fill in every case's peak; returns the CLI job's peak (MB above the baseline)."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.close()
        answers = [json.loads(self.proc.stdout.readline()) for _ in self.targets]
        self.proc.wait()
        base, cli = answers[0]["maxrss_kb"], None
        for target, ans in zip(self.targets[1:], answers[1:], strict=True):
            if ans["status"] != 0:
                continue
            delta = (ans["maxrss_kb"] - base) / 1024
            if isinstance(target, Case):
                target.peak_mb, target.peak_rss_mb = delta, ans["maxrss_kb"] / 1024
            else:
                cli = delta
        return cli


# ----------------------------------------------------------------------------- timing
def warm_up(cases: list[Case], ups: list[Any], clip: list[Tensor], warmup: int,
            sync: Callable[[], None]) -> None:
    """Reset every upscaler and run the first ``warmup`` frames (the shot's first frame,
    compilation, autotuning); a case that fails here is marked skipped. Records each
    case's first-frame difference to eager fp32 of the same model."""
    from torch._dynamo.utils import counters

    first: dict[str, Tensor] = {}
    for case, up in zip(cases, ups, strict=True):
        skips = counters["inductor"]["cudagraph_skips"]
        try:
            up.reset()
            for i in range(warmup):
                out = up(clip[i])
                if i == 0:
                    out = out.float().cpu()
                    if case.backend == EAGER:
                        first[case.model] = out
                    elif case.model in first:
                        case.max_abs_diff = float((out - first[case.model]).abs().max())
            sync()
        except Exception as exc:  # noqa: BLE001 - a switch this machine cannot run
            case.status = f"skipped: {type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
        if counters["inductor"]["cudagraph_skips"] > skips:
            case.note = "inductor skipped CUDA graphs (TORCH_LOGS=perf_hints says why)"


def time_interleaved(cases: list[Case], ups: list[Any], clip: list[Tensor], warmup: int,
                     frames: int, sync: Callable[[], None]) -> None:
    """Frame ``warmup + i`` of every case in turn (the order reversed on odd rounds)."""
    order = list(range(len(cases)))
    for i in range(frames):
        lr = clip[warmup + i]
        for k in (order if i % 2 == 0 else order[::-1]):
            start = time.perf_counter()
            ups[k](lr)
            sync()
            cases[k].ms.append((time.perf_counter() - start) * 1e3)


def gpu_peak_mb(up: Any, frames: list[Tensor]) -> float:
    """Weights + peak CUDA memory allocated while ``up`` runs ``frames``, in MB."""
    model = getattr(up, "model", None)
    weights = sum(p.numel() * p.element_size() for p in model.parameters()) if model else 0
    torch.cuda.synchronize()
    base = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    for lr in frames:
        up(lr)
    torch.cuda.synchronize()
    return (torch.cuda.max_memory_allocated() - base + weights) / 2**20


def cli_ratio(case: Case, up: Any, clip_path: Path, clip: list[Tensor], rounds: int,
              folder: Path, sync: Callable[[], None]) -> dict[str, Any]:
    """CLI frames/s (decode, cut detection, inference, H.264 encode) over the model-only
    frames/s of the same upscaler on the same frames; the two passes alternate."""
    model_s, cli_s, resets = [], [], 0
    for r in range(rounds):
        up.reset()
        start = time.perf_counter()
        for lr in clip:
            up(lr)
        sync()
        model_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        resets = run_cli(up, clip_path, folder / f"cli_{r}.mp4").resets
        cli_s.append(time.perf_counter() - start)
    n = len(clip)
    fps_model, fps_cli = n / statistics.median(model_s), n / statistics.median(cli_s)
    return {"model": case.model, "backend": case.backend, "size": list(case.size),
            "frames": n, "rounds": rounds, "fps_model": fps_model, "fps_cli": fps_cli,
            "ratio": fps_cli / fps_model, "cut_resets": resets, "peak_mb": None,
            "encoder": "libx264 crf 18 preset medium (the CLI's defaults)"}


# ----------------------------------------------------------------------------- run
@dataclass
class Settings:
    device: str
    sizes: list[tuple[int, int]]
    frames: int
    warmup: int
    threads: int | None
    quick: bool
    memory: bool

    @property
    def gpu(self) -> bool:
        return self.device.startswith("cuda")


def settings(args: argparse.Namespace) -> Settings:
    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    gpu = device.startswith("cuda")
    if gpu and not torch.cuda.is_available():
        raise SystemExit("error: --device cuda but torch sees no CUDA GPU")
    threads = args.threads or None
    if args.quick:  # a smoke run: one thread (no barrier waits on a busy CI runner)
        threads = threads or 1
        os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")  # compile inline
    if threads:
        torch.set_num_threads(threads)
    if gpu:
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    sizes = [parse_size(s) for s in args.size] if args.size else \
        [(48, 32)] if args.quick else [(480, 270), (960, 540)] if gpu else [(120, 68)]
    frames = args.frames or (2 if args.quick else 50 if gpu else 10)
    warmup = 1 if args.quick else 3 if gpu else 2  # CUDA graph trees record on call 2
    return Settings(device, sizes, frames, warmup, threads, args.quick,
                    not gpu and not args.no_memory)


def cli_case(cfg: Settings, cases: list[Case]) -> Case | None:
    """The case the CLI runs end to end: eager FRVSR 10-64 on the CPU (the CLI's default),
    FRVSR + SRResNet-16 with the CLI's GPU switches on a GPU."""
    model, backend = GPU_CLI if cfg.gpu else (CLOSING_MODEL, EAGER)
    if not any(c.model == model for c in cases):
        return None
    return Case(model, backend, cfg.sizes[0])


def time_size(cfg: Settings, cases: list[Case], size: tuple[int, int], clip_path: Path,
              cli: Case | None, folder: Path) -> dict[str, Any] | None:
    """Time the cases of one LR size alternately; then the CLI (when it runs at this size)."""
    sync = torch.cuda.synchronize if cfg.gpu else (lambda: None)
    clip = clip_tensors(clip_path, cfg.device)
    group, ups = [], []
    for c in cases:
        if c.size != size or c.status != "ok":
            continue
        try:
            ups.append(make_upscaler(c, cfg.device, cfg.quick, cfg.threads))
            group.append(c)
        except Exception as exc:  # noqa: BLE001 - a switch this machine lacks
            c.status = f"skipped: {type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
    warm_up(group, ups, clip, cfg.warmup, sync)
    live = [(c, u) for c, u in zip(group, ups, strict=True) if c.status == "ok"]
    group, ups = [c for c, _ in live], [u for _, u in live]
    time_interleaved(group, ups, clip, cfg.warmup, cfg.frames, sync)
    if cfg.gpu:
        for c, up in live:
            if not c.backend.startswith("onnxruntime"):  # onnxruntime's own allocator
                c.peak_mb = gpu_peak_mb(up, clip[:3])
    if cli is None or cli.size != size:
        return None
    up = next((u for c, u in live if (c.model, c.backend) == (cli.model, cli.backend)), None)
    up = up or make_upscaler(cli, cfg.device, cfg.quick, cfg.threads)
    return cli_ratio(cli, up, clip_path, clip, 1 if cfg.quick else 2, folder, sync)


def run(args: argparse.Namespace) -> dict[str, Any]:
    cfg = settings(args)
    info = machine_info(cfg.device)
    cases = plan(cfg.gpu, cfg.sizes, cfg.quick, args.models)
    cli = cli_case(cfg, cases)
    phases: dict[str, float] = {}
    clock = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal clock
        phases[name] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="frvsr_bench_") as tmp:
        folder = Path(tmp)
        clips = {s: make_clip(s, cfg.warmup + cfg.frames, folder) for s in cfg.sizes}
        memory = MemoryWorker(clips[cfg.sizes[0]][0], cfg.quick, cfg.threads) \
            if cfg.memory else None
        if memory is not None:  # runs while this process exports ONNX and counts FLOPs
            for c in cases:
                if c.status == "ok" and not c.backend.startswith("onnxruntime"):
                    memory.case(c, clips[c.size][0])
            if cli is not None:
                memory.send("cli", {"kind": "cli", "case": cli.spec(),
                                    "clip": str(clips[cli.size][0]),
                                    "out": str(folder / "memory.mp4")})
        export_onnx_models(cases, cfg.quick, folder)
        phase("onnx export")
        if memory is not None:
            for c in cases:
                if c.status == "ok" and c.backend.startswith("onnxruntime"):
                    memory.case(c, clips[c.size][0])
        zoo_rows = zoo()
        phase("zoo FLOPs")
        cli_peak = memory.collect() if memory is not None else None
        phase("memory (waiting for the worker)")
        cli_rows = []
        for size in cfg.sizes:
            row = time_size(cfg, cases, size, clips[size][0], cli, folder)
            if row is not None:
                row["peak_mb"] = cli_peak
                cli_rows.append(row)
            phase(f"timing {size[0]}x{size[1]}")
    info["load_avg_end"] = list(os.getloadavg())
    report: dict[str, Any] = {
        "schema": "frvsr-benchmark-1", "device": cfg.device, "quick": cfg.quick,
        "scale": SCALE, "degradation": DEGRADATION, "machine": info, "frames": cfg.frames,
        "warmup": cfg.warmup, "clip": clips[cfg.sizes[0]][1], "zoo": zoo_rows,
        "cases": [case_row(c) for c in cases], "cli": cli_rows, "phase_seconds": phases,
        "memory_method": MEMORY_METHOD["gpu" if cfg.gpu else "cpu" if cfg.memory else "off"],
    }
    if cfg.gpu:
        report["goals"] = goals(cases, cli_rows)
    else:
        report["closing"] = closing(cases)
    return report


MEMORY_METHOD = {
    "cpu": "peak RSS (os.wait4 ru_maxrss) of a forked child running 3 frames, minus that of "
           "a child that only decodes the clip",
    "gpu": "torch.cuda.max_memory_allocated over 3 frames above the allocation before, plus "
           "the weights (not for onnxruntime)",
    "off": "not measured (--no-memory)",
}


# ----------------------------------------------------------------------------- summary
def case_row(case: Case) -> dict[str, Any]:
    row = {"name": case.name, "model": case.model, "backend": case.backend,
           "lr_size": list(case.size), "sr_size": [SCALE * case.size[0], SCALE * case.size[1]],
           "status": case.status, "frames": len(case.ms), "peak_mb": case.peak_mb,
           "peak_rss_mb": case.peak_rss_mb, "max_abs_diff_vs_eager": case.max_abs_diff,
           "note": case.note}
    if case.ms and case.status == "ok":
        med = statistics.median(case.ms)
        row.update(ms_median=med, ms_min=min(case.ms), fps=1e3 / med)
    return row


def closing(cases: list[Case]) -> dict[str, Any] | None:
    """Issue 9's CPU condition on the first size's FRVSR 10-64 cases."""
    group = [c for c in cases if c.model == CLOSING_MODEL and c.ms and c.status == "ok"]
    group = [c for c in group if c.size == group[0].size] if group else []
    eager = next((c for c in group if c.backend == EAGER), None)
    others = [c for c in group if c is not eager]
    if eager is None or not others:
        return None
    ratios = {c.backend: statistics.median(a / b for a, b in zip(c.ms, eager.ms, strict=True))
              for c in others}
    fastest_frames = {c.backend: min(c.ms) / min(eager.ms) for c in others}
    fp32 = {b: r for b, r in ratios.items() if b != "bf16"}
    best = min(fp32, key=fp32.__getitem__)
    return {"model": CLOSING_MODEL, "lr_size": list(eager.size), "baseline": EAGER,
            "best_backend": best, "ratio": fp32[best], "limit": CLOSING_LIMIT,
            "met": fp32[best] <= CLOSING_LIMIT, "ratios": ratios,
            "ratios_of_fastest_frames": fastest_frames,
            "statistic": "median over frames of (backend ms / eager ms of the same round); "
                         "bf16 excluded (not fp32)"}


def goals(cases: list[Case], cli_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for goal, model, size, target in GPU_GOALS:
        fps = [case_row(c)["fps"] for c in cases if c.model == model and c.ms
               and c.status == "ok" and f"{c.size[0]}x{c.size[1]}" == size]
        best = max(fps) if fps else None
        out.append({"goal": goal, "fps": best, "target": target,
                    "met": None if best is None else best >= target})
    for row in cli_rows:
        out.append({"goal": "CLI within 80 % of model-only", "ratio": row["ratio"],
                    "target": 0.8, "met": row["ratio"] >= 0.8})
    return out


def machine_info(device: str) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        names = [ln for ln in Path("/proc/cpuinfo").read_text().splitlines()
                 if ln.startswith("model name")]
        cpu = names[0].split(":", 1)[1].strip() if names else cpu
    except OSError:
        pass
    try:
        import onnxruntime as ort
        ort_version: str | None = ort.__version__
    except ImportError:
        ort_version = None
    info = {"cpu": cpu, "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
            "torch": torch.__version__, "onnxruntime": ort_version,
            "python": platform.python_version(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "load_avg_start": list(os.getloadavg())}
    if device.startswith("cuda"):
        info.update(gpu=torch.cuda.get_device_name(device), cuda=torch.version.cuda, driver=None)
        try:
            info["driver"] = subprocess.run(
                ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                capture_output=True, text=True, timeout=10).stdout.split()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            pass
    return info


def fmt(v: float | None, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def print_report(report: dict[str, Any]) -> None:
    m = report["machine"]
    print(f"Zoo: x{SCALE}, GFLOPs per {FLOP_LR[1]}x{FLOP_LR[0]} -> "
          f"{SCALE * FLOP_LR[1]}x{SCALE * FLOP_LR[0]} frame (2 per multiply-add)")
    print(f"{'model':<22}{'params':>13}{'GFLOPs':>10}{'RECIPES':>9}{'diff':>8}")
    for r in report["zoo"]:
        ref = f"{r['recipes_gflops']:,.0f}" if r["recipes_gflops"] else ""
        diff = f"{r['diff_pct']:+.1f}%" if r["diff_pct"] is not None else ""
        print(f"{r['name']:<22}{r['params']:>13,}{r['gflops_1080p']:>10,.1f}{ref:>9}{diff:>8}")
    where = f"{m['gpu']}, driver {m['driver']}" if "gpu" in m else \
        f"{m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch threads"
    print(f"\nSpeed on {report['device']} ({where}), torch {m['torch']}, onnxruntime "
          f"{m['onnxruntime']}; clip: {report['clip']}; {report['frames']} timed frames after "
          f"{report['warmup']} warm-up; memory: {report['memory_method']}"
          + ("; QUICK: reduced widths, figures not meaningful" if report["quick"] else ""))
    if report["device"] == "cpu":
        print(f"load average {m['load_avg_start'][0]:.1f} at the start, "
              f"{m['load_avg_end'][0]:.1f} at the end, on {m['cores']} cores: absolute "
              "figures depend on the machine's load; ratios were timed alternately")
    head = f"{'model':<22}{'backend':<31}{'LR':>8}{'ms/frame':>10}{'min':>9}{'frames/s':>10}" \
           f"{'peak MB':>9}{'|d| eager':>11}"
    print(head + "\n" + "-" * len(head))
    for r in report["cases"]:
        size = f"{r['lr_size'][0]}x{r['lr_size'][1]}"
        if r["status"] != "ok":
            print(f"{r['model']:<22}{r['backend']:<31}{size:>8}  {r['status']}")
            continue
        print(f"{r['model']:<22}{r['backend']:<31}{size:>8}{r['ms_median']:>10.1f}"
              f"{r['ms_min']:>9.1f}{r['fps']:>10.2f}{fmt(r['peak_mb'], '.0f'):>9}"
              f"{fmt(r['max_abs_diff_vs_eager'], '.1e'):>11}"
              + (f"  ({r['note']})" if r["note"] else ""))
    for c in report["cli"]:
        print(f"\nCLI end to end ({c['model']} [{c['backend']}], {c['frames']} frames, "
              f"{c['encoder']}): {c['fps_cli']:.2f} frames/s, model-only "
              f"{c['fps_model']:.2f}: ratio {c['ratio']:.2f}; peak "
              f"{fmt(c['peak_mb'], '.0f')} MB; {c['cut_resets']} scene-cut resets")
    cl = report.get("closing")
    if cl:
        bar = "=" * 100
        print(f"\n{bar}\nCLOSING CONDITION ({CLOSING_MODEL} x4 step, LR {cl['lr_size'][0]}x"
              f"{cl['lr_size'][1]}, CPU): fastest fp32 backend / eager fp32 = {cl['ratio']:.2f}"
              f" ({cl['best_backend']}) <= {CLOSING_LIMIT}: {'MET' if cl['met'] else 'NOT MET'}"
              + (" (--quick: reduced widths, not the condition)" if report["quick"] else ""))
        print("  per backend, median paired ratio (ratio of the fastest frames): " + ", ".join(
            f"{b} {r:.2f} ({cl['ratios_of_fastest_frames'][b]:.2f})"
            for b, r in cl["ratios"].items()))
        print(bar)
    for g in report.get("goals", []):
        value = f"ratio {g['ratio']:.2f}" if "ratio" in g else \
            f"{g['fps']:.1f} frames/s" if g["fps"] is not None else "-"
        state = {True: "met", False: "NOT met", None: "not measured"}[g["met"]]
        print(f"goal: {g['goal']}: {value}: {state}")


def markdown(report: dict[str, Any]) -> str:
    """The speed table, the CLI line and the closing condition or goals, as Markdown (for
    docs/benchmarks.md)."""
    m = report["machine"]
    where = f"{m['gpu']}, driver {m.get('driver')}, CUDA {m.get('cuda')}" if "gpu" in m else \
        f"{m['cpu']}, {m['cores']} cores, {m['torch_threads']} torch threads"
    lines = [f"{where}; torch {m['torch']}, onnxruntime {m['onnxruntime']}; {m['date']}; "
             f"load average {m['load_avg_start'][0]:.1f} -> {m['load_avg_end'][0]:.1f}; "
             f"{report['frames']} timed frames after {report['warmup']} warm-up; clip: "
             f"{report['clip']}.", "",
             "| model | backend | LR -> SR | ms/frame (median) | min | frames/s | peak MB "
             "| max abs diff vs eager |", "|---|---|---|--:|--:|--:|--:|--:|"]
    for r in report["cases"]:
        size = f"{r['lr_size'][0]}x{r['lr_size'][1]} -> {r['sr_size'][0]}x{r['sr_size'][1]}"
        if r["status"] != "ok":
            lines.append(f"| {r['model']} | {r['backend']} | {size} | {r['status']} |||||")
            continue
        lines.append(f"| {r['model']} | {r['backend']} | {size} | {r['ms_median']:.1f} | "
                     f"{r['ms_min']:.1f} | {r['fps']:.2f} | {fmt(r['peak_mb'], '.0f')} | "
                     f"{fmt(r['max_abs_diff_vs_eager'], '.1e')} |")
    for c in report["cli"]:
        lines += ["", f"CLI end to end ({c['model']} [{c['backend']}], {c['frames']} frames, "
                  f"{c['encoder']}): {c['fps_cli']:.2f} frames/s against {c['fps_model']:.2f} "
                  f"model-only, ratio **{c['ratio']:.2f}**; peak {fmt(c['peak_mb'], '.0f')} MB."]
    cl = report.get("closing")
    if cl:
        lines += ["", "Closing condition: fastest fp32 backend / eager fp32 = "
                  f"**{cl['ratio']:.2f}** ({cl['best_backend']}), limit {cl['limit']}: "
                  f"**{'met' if cl['met'] else 'not met'}**. Per backend (median paired ratio; "
                  "ratio of the fastest frames): " + ", ".join(
                      f"{b} {r:.2f} ({cl['ratios_of_fastest_frames'][b]:.2f})"
                      for b, r in cl["ratios"].items()) + "."]
    for g in report.get("goals", []):
        value = f"ratio {g['ratio']:.2f}" if "ratio" in g else fmt(g["fps"], ".1f") + " frames/s"
        lines.append(f"- {g['goal']}: {value}: "
                     f"{ {True: 'met', False: 'not met', None: 'not measured'}[g['met']]}")
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- main
def parse_size(text: str) -> tuple[int, int]:
    w, h = (int(v) for v in text.lower().split("x"))
    return w, h


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    parser.add_argument("--size", action="append", help="LR size WxH (repeatable); default "
                        "120x68 on CPU, 480x270 and 960x540 on GPU, 48x32 with --quick")
    parser.add_argument("--frames", type=int, default=0,
                        help="timed frames per case (default 10 CPU, 50 GPU, 2 quick)")
    parser.add_argument("--quick", action="store_true",
                        help="CI-sized: reduced widths, 48x32 frames, 2 frames, 1 thread")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch and onnxruntime CPU threads (default: theirs)")
    parser.add_argument("--models", help=f"only these models, comma-separated ({CLOSING_MODEL}"
                        ",bicubic,...)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory children")
    parser.add_argument("--out", type=Path, help="write the report as JSON here")
    parser.add_argument("--markdown", type=Path, help="write the speed table as Markdown here")
    parser.add_argument("--_memory-worker", dest="memory_worker", action="store_true",
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_worker:
        if args.threads:
            torch.set_num_threads(args.threads)
        memory_worker()
        return 0
    report = run(args)
    print_report(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")
        print(f"\nwrote {args.out}")
    if args.markdown:
        args.markdown.write_text(markdown(report))
        print(f"wrote {args.markdown}")
    off = [r["name"] for r in report["zoo"]
           if r["diff_pct"] is not None and abs(r["diff_pct"]) > 3]
    if off:
        print(f"error: GFLOPs more than 3 % off RECIPES.md for {', '.join(off)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
