"""One ladder study, step by step under one progress bar: reference, (adaptation), saturation
probes, then per rung: the full-resolution and LR encodes, and the scoring of every method.

Work files (lossless reference and LR clips, encodes, the adapted checkpoint, the frame
cache of the fine-tuning) live in one temp folder inside ``out``, removed at the end (also
after a failure) unless ``keep``. Outputs: ``results.json``, ``results.csv``,
``rate_quality.png``, ``rate_psnr.png``, ``report.html`` (and ``adapted_delta.bin``).
"""
from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import encode as enc
from . import methods as m
from .reference import Reference, prepare_reference
from .results import print_result, write_results
from .score import score, vmaf_model
from .summary import adaptation_summary, crossings, deltas, verdict


@dataclass
class Settings:
    """What ``python -m frvsr.ladder`` was asked (bitrates in kbit/s)."""

    input: Path
    ckpt: Path
    out: Path
    rungs: list[float] | None = None
    crf: list[int] | None = None
    start: int = 0
    frames: int | None = None
    height: int | None = None
    preset: str = "medium"
    degradation: str | None = None
    adapt: bool = False
    steps: int = 200
    adapt_lr: float = 1e-4
    keep: bool = False
    progress: bool = True


class Steps:
    """The one progress bar: a step counter and the frames of the current step."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                            MofNCompleteColumn(), TimeElapsedColumn(), disable=not enabled)
        self.task = self.bar.add_task("ladder", total=total)
        self.frames = self.bar.add_task("frames", total=None)

    def step(self, name: str, frames: int | None = None) -> Callable[[], None]:
        self.bar.update(self.task, description=name)
        self.bar.reset(self.frames, total=frames, description="  frames")
        return lambda: self.bar.advance(self.frames)

    def done(self) -> None:
        self.bar.advance(self.task)


def _frames_counted(it: Iterator[Any], tick: Callable[[], None]) -> Iterator[Any]:
    for x in it:
        yield x
        tick()


def run(s: Settings) -> dict[str, Any]:
    """Run the study; returns the result dict (also written to ``s.out``)."""
    from frvsr.checkpoint import load_generator

    _check_tools()
    loaded = load_generator(s.ckpt)
    degradation = s.degradation or loaded.degradation
    if degradation == "unknown":
        degradation = "bi"
    threshold = float(((loaded.config.get("data") or {}).get("train") or {})
                      .get("scene_threshold") or 0.12)
    s.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="ladder_work_", dir=s.out))
    started = time.perf_counter()
    try:
        levels = s.crf if s.crf else (s.rungs or [])
        lr_methods = [*m.LR_METHODS, *(["sr_adapted"] if s.adapt else [])]
        total = 1 + int(s.adapt) + (0 if s.crf else 2) + \
            max(len(levels), 5) * (3 + len(lr_methods))
        steps = Steps(total, s.progress)
        with steps.bar:
            steps.step("reference: decode, crop, degrade")
            ref = prepare_reference(s.input, work, loaded.scale, degradation, s.start,
                                    s.frames, s.height)
            steps.done()
            levels = levels or enc.default_rungs(ref.pixel_rate)
            steps.bar.update(steps.task, total=1 + int(s.adapt) + (0 if s.crf else 2)
                             + len(levels) * (3 + len(lr_methods)))
            adapted, adaptation = None, None
            if s.adapt:
                steps.step(f"adaptation: {s.steps} steps of fine-tuning")
                steps.bar.stop()  # Lightning draws its own progress bar
                adapted, adaptation = _adapt(s, loaded, ref, work)
                steps.bar.start()
                steps.done()
            floors = {"full": 0.0, "lr": 0.0}
            if not s.crf:
                for name, frames in (("full", ref.frames_hr), ("lr", ref.frames_lr)):
                    steps.step(f"saturation probe ({name}, QP {enc.QP_MAX})")
                    floors[name] = enc.floor_kbps(frames(), work / f"probe_{name}.mp4",
                                                  ref.fps, s.preset)
                    steps.done()
            rows, rungs = [], []
            for i, level in enumerate(levels):
                rungs.append(_rung(s, ref, work, i, level, floors, steps))
                rows += _score_rung(ref, rungs[-1], lr_methods, loaded, adapted, adaptation,
                                    threshold, steps)
    finally:
        if not s.keep:
            shutil.rmtree(work, ignore_errors=True)
    result = _result(s, ref, loaded, levels, rungs, rows, floors, adaptation, started)
    result["outputs"] = {k: str(v) for k, v in write_results(s.out, result).items()}
    from .report import write_report

    result["outputs"].update({k: str(v) for k, v in write_report(s.out, result).items()})
    write_results(s.out, result)
    print_result(result)
    return result


def _check_tools() -> None:
    """One-line ConfigError when the ``ladder`` extra (bjontegaard, imageio-ffmpeg) is missing."""
    import importlib.util

    from frvsr.errors import ConfigError
    from frvsr.metrics.vmaf import ffmpeg_with_vmaf

    exe, why = ffmpeg_with_vmaf()
    missing = ([] if importlib.util.find_spec("bjontegaard") else ["bjontegaard is not "
                                                                   "installed"]) + \
        ([] if exe else [why])
    if missing:
        raise ConfigError(f"{'; '.join(missing)}: pip install -e '.[ladder]'")


def _rung(s: Settings, ref: Reference, work: Path, i: int, level: float,
          floors: dict[str, float], steps: Steps) -> dict[str, Any]:
    out: dict[str, Any] = {"rung": i, "target_kbps": None if s.crf else float(level),
                           "crf": int(level) if s.crf else None}
    for name, frames in (("full", ref.frames_hr), ("lr", ref.frames_lr)):
        dst = work / f"{name}_{i}.mp4"
        tick = steps.step(f"rung {i}: encode {name}-res " +
                          (f"CRF {int(level)}" if s.crf else f"{level:g} kbit/s (2-pass)"),
                          ref.frames if s.crf else 2 * ref.frames)

        def counted(f: Callable[[], Iterator[Any]] = frames,
                    t: Callable[[], None] = tick) -> Iterator[Any]:
            return _frames_counted(f(), t)

        e = enc.encode_crf(counted(), dst, ref.fps, int(level), s.preset) if s.crf else \
            enc.flagged(enc.encode_abr(counted(), counted(), dst, ref.fps, level, s.preset),
                        floors[name])
        out[f"{name}_kbps"], out[f"{name}_flag"], out[f"{name}_path"] = e.kbps, e.flag, e.path
        steps.done()
    return out


def _score_rung(ref: Reference, rung: dict[str, Any], lr_methods: list[str], loaded: Any,
                adapted: Any, adaptation: dict[str, Any] | None, threshold: float,
                steps: Steps) -> list[dict[str, Any]]:
    rows = []
    for method in ["full", *lr_methods]:
        what = "decode + score" if method == "full" else "decode + upscale + score"
        tick = steps.step(f"rung {rung['rung']}: {what} {m.LABELS[method]}", ref.frames)
        shown = _shown(method, rung, ref, loaded, adapted, threshold)
        sc = score(shown, ref.frames_hr(), ref.width, ref.height, on_frame=tick,
                   flows_dir=ref.path.parent / "reference_flows")
        side = "full" if method == "full" else "lr"
        overhead = adaptation["overhead_kbps"] if method == "sr_adapted" and adaptation else 0.0
        rows.append({"rung": rung["rung"], "target_kbps": rung["target_kbps"],
                     "crf": rung["crf"], "method": method, "label": m.LABELS[method],
                     "encode_kbps": rung[f"{side}_kbps"], "overhead_kbps": overhead,
                     "kbps": rung[f"{side}_kbps"] + overhead, "flag": rung[f"{side}_flag"],
                     **{k: v for k, v in asdict(sc).items() if k != "frames"}})
        steps.done()
    return rows


def _shown(method: str, rung: dict[str, Any], ref: Reference, loaded: Any, adapted: Any,
           threshold: float) -> Iterator[Any]:
    """The frames a client shows for ``method`` at ``rung`` (a stream)."""
    from frvsr.inference.upscaler import ModelUpscaler

    if method == "full":
        return m.decoded(rung["full_path"], ref.width, ref.height)
    lr = m.decoded(rung["lr_path"], ref.lr_width, ref.lr_height)
    if method == "bicubic":
        return m.bicubic_frames(lr, ref.scale, ref.degradation)
    if method == "lanczos":
        return m.lanczos_frames(lr, ref.scale, ref.degradation)
    return m.model_frames(lr, ModelUpscaler(adapted if method == "sr_adapted" else loaded),
                          threshold)


def _adapt(s: Settings, loaded: Any, ref: Reference, work: Path) -> tuple[Any, dict[str, Any]]:
    from frvsr.checkpoint import load_generator

    from .adapt import fine_tune, weight_payload

    t0 = time.perf_counter()
    path = fine_tune(s.ckpt, loaded, ref.path, work / "adapt", s.steps, s.adapt_lr,
                     (ref.lr_height, ref.lr_width))
    adapted = load_generator(path)
    payload, client = weight_payload(loaded.model.state_dict(), adapted.model.state_dict())
    adapted.model.load_state_dict(client)  # what the client runs: base + fp16 delta
    info = {"steps": s.steps, "lr": s.adapt_lr, "seconds": time.perf_counter() - t0,
            "validation": "off (fits the clip itself; the ladder is the test)",
            "flow_net": "frozen" if loaded.recurrent else "n/a", **asdict(payload),
            "duration_s": ref.duration_s, "overhead_kbps": payload.kbps(ref.duration_s)}
    return adapted, info


def _result(s: Settings, ref: Reference, loaded: Any, levels: list[float],
            rungs: list[dict[str, Any]], rows: list[dict[str, Any]], floors: dict[str, float],
            adaptation: dict[str, Any] | None, started: float) -> dict[str, Any]:
    bd = deltas(rows)
    cross = crossings(rows)
    summary = verdict(rows, bd, cross)
    if adaptation is not None:
        extra, lines = adaptation_summary(rows, bd, adaptation["bytes"],
                                          adaptation["overhead_kbps"])
        adaptation.update(extra)
        summary += lines
    methods = list(dict.fromkeys(r["method"] for r in rows))
    return {
        "tool": "frvsr.ladder", "input": str(s.input), "checkpoint": str(s.ckpt),
        "mode": "crf" if s.crf else "abr",
        "reference": {"start": s.start, "frames": ref.frames, "fps": str(ref.fps),
                      "duration_s": ref.duration_s, "width": ref.width, "height": ref.height,
                      "lr_width": ref.lr_width, "lr_height": ref.lr_height,
                      "scale": ref.scale, "degradation": ref.degradation,
                      "model_degradation": loaded.degradation},
        "encoder": {"codec": "libx264", "preset": s.preset, "mode": "crf" if s.crf else
                    "2-pass ABR", "gop_s": 2, "description":
                    f"libx264 (PyAV), preset {s.preset}, "
                    + ("1-pass CRF" if s.crf else "2-pass ABR") + ", yuv420p, 2 s GOP"},
        "vmaf_model": vmaf_model(ref.width, ref.height), "interpolation": "pchip",
        "lanczos": "OpenCV INTER_LANCZOS4 (a=4) on the degradation's sampling grid",
        "levels": list(levels), "floors_kbps": floors, "methods": methods,
        "rungs": [{k: (str(v) if isinstance(v, Path) else v) for k, v in r.items()
                   if not k.endswith("_path")} for r in rungs],
        "rows": rows, "bd": bd, "crossovers": cross, "adaptation": adaptation,
        "summary": summary, "seconds": time.perf_counter() - started,
    }
