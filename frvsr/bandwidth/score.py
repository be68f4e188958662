"""Score a stream of shown frames against the reference, streaming (constant memory).

- VMAF (0-100, pooled mean over frames): libvmaf in the static ffmpeg of
  ``imageio-ffmpeg`` (:func:`frvsr.metrics.vmaf.ffmpeg_with_vmaf`), model ``vmaf_v0.6.1``,
  or ``vmaf_4k_v0.6.1`` when the output is 4K (width >= 3840 or height >= 2160). Both
  clips reach ffmpeg as raw rgb24 through two pipes, frame by frame, and are converted to
  yuv420p by the same filter (as ``frvsr.metrics.vmaf.vmaf_clip``); timestamps are the
  frame index on both sides, so frames pair up one to one.
- PSNR-Y (dB, BasicSR's Y, 0-255): mean over frames of ``frvsr.metrics.fidelity.psnr_y``;
  ``inf`` only when every frame is identical.
- tOF (HR pixels) and tFlicker (Y levels, 0-255): means over consecutive pairs, exactly
  ``frvsr.metrics.temporal.tof_pair`` / ``tflicker_pair``. The reference's Farneback flows
  are the same for every method and rung, so with ``flows_dir`` each is computed once and
  kept there as ``.npy`` (float32, 8 bytes per pixel and pair: a work file, on disk, not
  in memory).
"""
from __future__ import annotations

import json
import math
import os
import queue
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from torch import Tensor

from frvsr.io.images import to_float_tensor
from frvsr.metrics.fidelity import psnr_y
from frvsr.metrics.temporal import farneback, tflicker_pair, to_gray_u8, tof_from_flows
from frvsr.metrics.vmaf import ffmpeg_with_vmaf


@dataclass(frozen=True)
class Scores:
    """Quality of one shown clip: VMAF 0-100, PSNR-Y dB, tOF HR px, tFlicker Y levels."""

    vmaf: float
    psnr_y: float
    tof: float
    tflicker: float
    frames: int


def vmaf_model(width: int, height: int) -> str:
    """libvmaf's model for an output size: the 4K model at 3840 x 2160 and above."""
    return "vmaf_4k_v0.6.1" if width >= 3840 or height >= 2160 else "vmaf_v0.6.1"


class _Feeder(threading.Thread):
    """Writes queued frames into one pipe of ffmpeg; ``None`` closes it."""

    def __init__(self, fd: int) -> None:
        super().__init__(daemon=True)
        self.items: queue.Queue[bytes | None] = queue.Queue(maxsize=4)
        self.pipe: BinaryIO = os.fdopen(fd, "wb")
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while (item := self.items.get()) is not None:
                if self.error is None:
                    self.pipe.write(item)
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            self.error = exc
            while self.items.get() is not None:  # drain so the producer never blocks
                pass
        finally:
            try:
                self.pipe.close()
            except OSError:
                pass


class VmafPipe:
    """One libvmaf run fed frame pairs as they come: ``add(dist, ref)``, then ``finish()``."""

    def __init__(self, width: int, height: int, model: str) -> None:
        exe, why = ffmpeg_with_vmaf()
        if exe is None:
            raise RuntimeError(f"VMAF unavailable: {why}")
        self._tmp = tempfile.TemporaryDirectory(prefix="frvsr_ladder_vmaf_")
        self.log = Path(self._tmp.name) / "vmaf.json"
        reads, writes = zip(*(os.pipe() for _ in range(2)), strict=True)
        raw = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
               "-framerate", "25", "-i"]
        chain = "format=yuv420p,settb=1,setpts=N"
        graph = (f"[0:v]{chain}[d];[1:v]{chain}[r];[d][r]libvmaf=model=version={model}"
                 f":log_fmt=json:log_path={self.log.as_posix()}")
        cmd = [exe, "-hide_banner", "-loglevel", "error", "-nostdin", *raw,
               f"pipe:{reads[0]}", *raw, f"pipe:{reads[1]}", "-lavfi", graph, "-f", "null", "-"]
        self._err = open(Path(self._tmp.name) / "stderr.txt", "w+")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, pass_fds=reads, stdout=subprocess.DEVNULL,
                                     stderr=self._err)
        for fd in reads:
            os.close(fd)
        self.feeders = [_Feeder(fd) for fd in writes]
        for f in self.feeders:
            f.start()

    def add(self, dist: np.ndarray, ref: np.ndarray) -> None:
        for feeder, frame in zip(self.feeders, (dist, ref), strict=True):
            feeder.items.put(np.ascontiguousarray(frame).tobytes())

    def finish(self) -> float:
        """Close the pipes, wait for ffmpeg and return the pooled-mean VMAF (0-100)."""
        try:
            for f in self.feeders:
                f.items.put(None)
            for f in self.feeders:
                f.join()
            code = self.proc.wait()
            if code != 0 or not self.log.is_file():
                self._err.seek(0)
                last = (self._err.read().strip().splitlines() or ["no output"])[-1]
                raise RuntimeError(f"ffmpeg libvmaf failed (exit {code}): {last}")
            return float(json.loads(self.log.read_text())["pooled_metrics"]["vmaf"]["mean"])
        finally:
            self.close()

    def close(self) -> None:
        """Stop ffmpeg if it still runs and remove the temp files (idempotent)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in self.feeders:
            if f.is_alive():
                f.error = f.error or RuntimeError("closed")
                f.items.put(None)
                f.join(timeout=5)
        if not self._err.closed:
            self._err.close()
        self._tmp.cleanup()


def _reference_flow(gt0: Tensor, gt1: Tensor, index: int, flows_dir: Path | None
                    ) -> np.ndarray:
    """Farneback flow of the reference pair (index - 1, index), cached in ``flows_dir``."""
    path = flows_dir / f"{index:06d}.npy" if flows_dir is not None else None
    if path is not None and path.is_file():
        return np.load(path)
    flow = farneback(to_gray_u8(gt0), to_gray_u8(gt1))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, flow)
    return flow


def score(shown: Iterable[np.ndarray], reference: Iterable[np.ndarray], width: int,
          height: int, on_frame: object = None, flows_dir: Path | None = None) -> Scores:
    """Score ``shown`` against ``reference`` (``H,W,3`` uint8 RGB streams of equal length
    and size). ``on_frame`` (a callable, optional) is called after every frame;
    ``flows_dir`` caches the reference's flows across calls (same reference only).

    Raises ``ValueError`` when the streams differ in length or frame size."""
    pipe = VmafPipe(width, height, vmaf_model(width, height))
    psnrs: list[float] = []
    tofs: list[float] = []
    flickers: list[float] = []
    prev = None
    try:
        for dist, ref in zip(shown, reference, strict=True):
            if dist.shape != ref.shape or dist.shape != (height, width, 3):
                raise ValueError(f"frame {len(psnrs)}: shown {dist.shape} vs reference "
                                 f"{ref.shape} (expected {height}x{width})")
            pipe.add(dist, ref)
            d, r = to_float_tensor(dist), to_float_tensor(ref)
            psnrs.append(psnr_y(d, r))
            if prev is not None:
                flow_gt = _reference_flow(prev[1], r, len(psnrs) - 1, flows_dir)
                tofs.append(tof_from_flows(flow_gt, farneback(to_gray_u8(prev[0]),
                                                              to_gray_u8(d))))
                flickers.append(tflicker_pair(prev[0], d, prev[1], r))
            prev = (d, r)
            if callable(on_frame):
                on_frame()
        vmaf = pipe.finish()
    finally:
        pipe.close()
    finite = [p for p in psnrs if math.isfinite(p)]
    mean_psnr = float(np.mean(finite)) if finite else math.inf
    return Scores(vmaf, mean_psnr, float(np.mean(tofs)) if tofs else 0.0,
                  float(np.mean(flickers)) if flickers else 0.0, len(psnrs))
