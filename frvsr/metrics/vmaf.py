"""VMAF per clip through the static ffmpeg of the optional ``imageio-ffmpeg`` package.

That ffmpeg is built with libvmaf (model vmaf_v0.6.1). When the package is missing, or its
ffmpeg lacks libvmaf, :func:`vmaf_available` says why and the evaluator lists VMAF as
unavailable instead of writing a number.
"""
from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np


def ffmpeg_with_vmaf() -> tuple[str | None, str]:
    """(path to an ffmpeg with libvmaf, "") or (None, the reason it is unavailable)."""
    try:
        import imageio_ffmpeg
    except ImportError:
        return None, "imageio-ffmpeg is not installed (pip install imageio-ffmpeg)"
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    filters = subprocess.run([exe, "-hide_banner", "-filters"], capture_output=True, text=True)
    if "libvmaf" not in filters.stdout:
        return None, f"{exe} was built without libvmaf"
    return exe, ""


def vmaf_available() -> bool:
    return ffmpeg_with_vmaf()[0] is not None


def vmaf_clip(sr_frames: Iterable[np.ndarray], gt_frames: Iterable[np.ndarray]) -> float:
    """Pooled-mean VMAF of SR frames against GT frames (H,W,3 uint8 RGB, same even size)."""
    exe, why = ffmpeg_with_vmaf()
    if exe is None:
        raise RuntimeError(f"VMAF unavailable: {why}")
    with tempfile.TemporaryDirectory(prefix="frvsr_vmaf_") as tmp:
        dist, ref, log = Path(tmp) / "sr.rgb", Path(tmp) / "gt.rgb", Path(tmp) / "vmaf.json"
        shape = None
        with open(dist, "wb") as fd, open(ref, "wb") as fr:
            for a, b in zip(sr_frames, gt_frames, strict=True):
                if a.shape != b.shape or a.dtype != np.uint8 or a.ndim != 3:
                    raise ValueError(
                        f"VMAF needs equal H,W,3 uint8 frames, got {a.shape}/{b.shape}")
                shape = a.shape
                fd.write(np.ascontiguousarray(a).tobytes())
                fr.write(np.ascontiguousarray(b).tobytes())
        if shape is None:
            raise ValueError("VMAF needs at least one frame")
        if shape[0] % 2 or shape[1] % 2:
            raise ValueError(f"VMAF (yuv420p) needs even frame sizes, got {shape[1]}x{shape[0]}")
        size = f"{shape[1]}x{shape[0]}"
        raw = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", size, "-i"]
        cmd = [exe, "-hide_banner", "-loglevel", "error", *raw, str(dist), *raw, str(ref),
               "-lavfi", "[0:v]format=yuv420p[d];[1:v]format=yuv420p[r];"
               f"[d][r]libvmaf=log_fmt=json:log_path={log.as_posix()}", "-f", "null", "-"]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0 or not log.is_file():
            last = (res.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"ffmpeg libvmaf failed: {last}")
        return float(json.loads(log.read_text())["pooled_metrics"]["vmaf"]["mean"])
