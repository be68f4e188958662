"""Upscale one input (video file or frame folder) into a video or a folder of PNG frames.

Decoding, inference and encoding run in three threads joined by bounded queues
(:class:`frvsr.inference.pipeline.Pipeline`), so memory does not depend on the input's
length. The recurrent state starts fresh at the first frame and at every scene cut that
the training detector (:class:`frvsr.data.scenes.CutDetector`, run on the LR input)
finds. A video output keeps the input's frame count, frame rate, time base and each
frame's timestamp, its rotation tag and all its audio streams (copied, or re-encoded to
AAC where the container cannot hold the codec); it is converted to RGB with the input's
own YUV matrix and range and written as BT.709 limited range (tagged so). Outputs are
written to a temp name and renamed when complete: an interrupted or failed run leaves
nothing behind.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from frvsr.data.scenes import DEFAULT_THRESHOLD, CutDetector
from frvsr.inference.pipeline import Pipeline
from frvsr.inference.sources import VIDEO_SUFFIXES, FrameSource
from frvsr.inference.upscaler import FrameUpscaler
from frvsr.io.atomic import atomic_dir
from frvsr.io.audio import AudioMux
from frvsr.io.images import as_uint8, to_float_tensor, to_uint8, write_png
from frvsr.io.splitscreen import split_screen
from frvsr.io.video import VideoWriter


@dataclass
class UpscaleSettings:
    """Encoder and behaviour settings of one upscale run (defaults of ``frvsr.upscale``)."""

    codec: str = "libx264"
    crf: int | None = 18
    preset: str | None = "medium"
    reset_on_cut: bool = True
    scene_threshold: float = DEFAULT_THRESHOLD
    compare: bool = False
    progress: bool = True
    queue_depth: int = 4


@dataclass
class JobResult:
    """What one input became; ``summary()`` is the line the CLI prints."""

    source: Path
    output: Path
    frames: int
    seconds: float
    cuts: list[int] = field(default_factory=list)
    audio: list[str] = field(default_factory=list)
    compare: Path | None = None

    @property
    def resets(self) -> int:
        return len(self.cuts)

    def size_bytes(self) -> int:
        if self.output.is_dir():
            return sum(p.stat().st_size for p in self.output.iterdir())
        return self.output.stat().st_size if self.output.exists() else 0

    def summary(self) -> str:
        fps = self.frames / self.seconds if self.seconds > 0 else 0.0
        audio = ", ".join(self.audio) if self.audio else "none"
        cuts = f" at frames {self.cuts[:8]}{'...' if len(self.cuts) > 8 else ''}" \
            if self.cuts else ""
        extra = f"; compare: {self.compare}" if self.compare else ""
        return (f"{self.source} -> {self.output}: {self.frames} frames in {self.seconds:.1f} s "
                f"({fps:.2f} frames/s), {self.resets} state resets{cuts}, audio: {audio}, "
                f"{self.size_bytes() / 1e6:.1f} MB{extra}")


def is_video_output(dst: Path) -> bool:
    return dst.suffix.lower() in VIDEO_SUFFIXES


def compare_path(dst: Path) -> Path:
    """Where ``compare=true`` writes its split-screen video, next to the output."""
    suffix = dst.suffix if is_video_output(dst) else ".mp4"
    return dst.with_name(f"{dst.stem if is_video_output(dst) else dst.name}_compare{suffix}")


def _progress(enabled: bool) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]} frames/s"),
                    TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                    disable=not enabled, transient=False)


def upscale(source: FrameSource, dst: Path, upscaler: FrameUpscaler,
            settings: UpscaleSettings, bicubic: FrameUpscaler | None = None) -> JobResult:
    """Upscale every frame of ``source`` into ``dst`` (video by suffix, else a PNG folder).

    ``bicubic`` is required with ``settings.compare``. Raises ``DataError`` for bad input
    frames (nothing is written), ``OSError`` for write failures (nothing is left)."""
    if settings.compare and bicubic is None:
        raise ValueError("compare=true needs a bicubic upscaler")
    detector = CutDetector(settings.scene_threshold) if settings.reset_on_cut else None
    cmp_path = compare_path(dst) if settings.compare else None
    start = time.perf_counter()
    upscaler.reset()
    with ExitStack() as stack:
        audio = AudioMux(source.path, dst.suffix) if source.audio and is_video_output(dst) \
            else None
        sink = _open_sink(stack, source, dst, settings, audio)
        cmp_writer = None
        if cmp_path is not None:
            cmp_writer = stack.enter_context(VideoWriter(
                cmp_path, source.fps, codec=settings.codec, crf=settings.crf,
                preset=settings.preset, time_base=source.time_base, rotation=source.rotation))
        bar = stack.enter_context(_progress(settings.progress))
        task = bar.add_task(source.path.name, total=source.frames or None, rate="-")

        def transform(item: tuple[Any, int | None]) -> tuple[Any, Any, int | None]:
            rgb, pts = item
            if detector is not None and detector(as_uint8(rgb)):
                upscaler.reset()  # a new shot: never warp the previous one into it
            lr = to_float_tensor(rgb)[None]
            sr = to_uint8(upscaler(lr)[0])
            both = None
            if cmp_writer is not None and bicubic is not None:
                both = split_screen(to_uint8(bicubic(lr)[0]), sr, ("bicubic", "SR"))
            done = bar.tasks[task].completed + 1
            rate = done / max(time.perf_counter() - start, 1e-9)
            bar.update(task, completed=done, rate=f"{rate:.2f}")
            return sr, both, pts

        def write(item: tuple[Any, Any, int | None]) -> None:
            sr, both, pts = item
            sink(sr, pts)
            if cmp_writer is not None:
                cmp_writer.write(both, pts)

        frames = Pipeline(settings.queue_depth).run(iter(source), transform, write)
    return JobResult(source.path, dst, frames, time.perf_counter() - start,
                     cuts=list(detector.cuts) if detector else [],
                     audio=audio.actions if audio else [], compare=cmp_path)


def _open_sink(stack: ExitStack, source: FrameSource, dst: Path, settings: UpscaleSettings,
               audio: AudioMux | None):
    """A ``write(rgb, pts)`` callable for a video file or a folder of PNG frames."""
    if is_video_output(dst):
        writer = stack.enter_context(VideoWriter(
            dst, source.fps, codec=settings.codec, crf=settings.crf, preset=settings.preset,
            time_base=source.time_base, rotation=source.rotation, audio=audio))
        return writer.write
    folder = stack.enter_context(atomic_dir(dst))
    names: Iterator[str] = iter(p.stem for p in source.frame_paths) \
        if source.frame_paths else (f"{i:06d}" for i in range(1 << 62))

    def write_frame(rgb: Any, pts: int | None) -> None:
        write_png(folder / f"{next(names)}.png", rgb)

    return write_frame
