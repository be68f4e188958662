"""Bandwidth accounting: what the viewer downloads with SR in the browser, and without it.

With SR in the browser the server sends the low-resolution stream plus the model once (as
fp32 or as fp16 weights); without it, the video at the SR resolution. The reference is
an encode of the same video at ``scale * w x scale * h`` with libx264 at a stated CRF
(``frvsr.io.video.VideoWriter``). Its source is either the real high-resolution master
(``hr=``, resized to the SR size with INTER_AREA when it differs) or, when there is none,
the LR video upscaled with bicubic (OpenCV INTER_CUBIC): smoother than a real master, so
it needs fewer bits at the same CRF and the saving shown is understated, not inflated.
This is an account of bits at one CRF, not an equal-quality comparison (BD-rates belong
to the bandwidth ladder).

Bit rates count the video stream's packets only (no container overhead, no audio) over
the stream's duration (frames / fps).
"""
from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from frvsr.io.video import VideoWriter, decode_frames, h264_or_mpeg4, probe_video
from frvsr.io.video_read import open_video

DEFAULT_CRF = 23  # libx264's own default
DEFAULT_PRESET = "medium"


def stream_stats(path: Path) -> dict[str, Any]:
    """Bytes, frames, seconds and kbit/s of the first video stream of ``path``."""
    with open_video(Path(path)) as (container, stream):
        fps = Fraction(stream.average_rate or 25)
        size = frames = 0
        for packet in container.demux(stream):
            if packet.size:
                size += packet.size
                frames += 1
        codec = stream.codec_context.name
        width, height = stream.codec_context.width, stream.codec_context.height
    seconds = float(frames / fps) if frames else 0.0
    return {"path": str(path), "codec": codec, "width": width, "height": height,
            "fps": float(fps), "frames": frames, "seconds": round(seconds, 4),
            "video_bytes": size, "file_bytes": path.stat().st_size,
            "kbps": round(size * 8 / seconds / 1000, 2) if seconds else 0.0}


def _reference_frames(video: Path, hr: Path | None,
                      size: tuple[int, int]) -> Iterator[np.ndarray]:
    """Frames at the SR size ``(w, h)``: the HR master's, or the LR video's upscaled."""
    if hr is not None:
        for rgb in decode_frames(hr):
            same = (rgb.shape[1], rgb.shape[0]) == size
            yield rgb if same else cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
        return
    for rgb in decode_frames(video):
        yield cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC)


def encode_reference(video: Path, scale: int, dst: Path, crf: int = DEFAULT_CRF,
                     preset: str = DEFAULT_PRESET, hr: Path | None = None) -> dict[str, Any]:
    """Encode the reference at the SR resolution to ``dst``; returns its stream stats with
    the settings and the source named."""
    info = probe_video(video)
    size = (scale * info.width, scale * info.height)
    codec = h264_or_mpeg4()
    options: dict[str, Any] = {"crf": crf, "preset": preset} if codec == "libx264" else {}
    with VideoWriter(dst, info.fps, codec=codec, **options) as out:
        for rgb in _reference_frames(video, hr, size):
            out.write(rgb)
    stats = stream_stats(dst)
    source = (f"the HR video {hr.name}" if hr is not None
              else "the LR video upscaled with bicubic (OpenCV INTER_CUBIC): a stand-in for "
                   "the HR master, smoother, so this bit rate is a lower bound")
    return {**stats, "encoder": codec, "crf": crf if codec == "libx264" else None,
            "preset": preset if codec == "libx264" else None, "source": source}


def account(lr: dict[str, Any], model_bytes: dict[str, int],
            reference: dict[str, Any]) -> dict[str, Any]:
    """The summary: bytes of the whole clip both ways, the saving and the break-even time
    (seconds of video after which sending the model pays off), per model precision."""
    seconds = lr["seconds"] or 1e-9
    ref_rate = reference["video_bytes"] / seconds  # bytes per second
    lr_rate = lr["video_bytes"] / seconds
    out: dict[str, Any] = {"clip_seconds": lr["seconds"], "lr_kbps": lr["kbps"],
                           "reference_kbps": reference["kbps"],
                           "stream_ratio": round(lr_rate / ref_rate, 4) if ref_rate else None}
    for name, size in model_bytes.items():
        total = lr["video_bytes"] + size
        saved = ref_rate - lr_rate
        out[name] = {
            "model_bytes": size, "sr_total_bytes": total,
            "reference_bytes": reference["video_bytes"],
            "saving": round(1 - total / reference["video_bytes"], 4)
            if reference["video_bytes"] else None,
            "break_even_seconds": round(size / saved, 2) if saved > 0 else None,
        }
    return out


def bandwidth_report(video: Path, onnx_fp32: Path, onnx_fp16: Path, scale: int, work: Path,
                     crf: int = DEFAULT_CRF, preset: str = DEFAULT_PRESET,
                     hr: Path | None = None) -> dict[str, Any]:
    """The full account (written as JSON by the CLI and shown on the page)."""
    lr = stream_stats(video)
    reference = encode_reference(video, scale, work / f"reference_crf{crf}.mp4", crf, preset,
                                 hr)
    sizes = {"fp32": onnx_fp32.stat().st_size, "fp16": onnx_fp16.stat().st_size}
    return {"lr": lr, "model": {"fp32_bytes": sizes["fp32"], "fp16_bytes": sizes["fp16"]},
            "reference": reference, "summary": account(lr, sizes, reference),
            "note": "video stream packets only (no audio, no container); one CRF, not equal "
                    "quality"}


def human_bytes(n: float) -> str:
    """``1536 -> '1.5 kB'`` (powers of 1000, as bit rates are)."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(n) < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} GB"


def describe(report: dict[str, Any]) -> str:
    """Three lines for the terminal."""
    lr, ref, summary = report["lr"], report["reference"], report["summary"]
    crf = f" CRF {ref['crf']}" if ref.get("crf") is not None else ""
    lines = [
        f"LR stream {lr['width']}x{lr['height']}: {lr['kbps']:.0f} kbit/s; model fp32 "
        f"{human_bytes(report['model']['fp32_bytes'])}, fp16 "
        f"{human_bytes(report['model']['fp16_bytes'])}",
        f"reference {ref['width']}x{ref['height']} {ref['encoder']}{crf}: "
        f"{ref['kbps']:.0f} kbit/s ({ref['source'].split(':')[0]})",
    ]
    fp16 = summary["fp16"]
    saving = "n/a" if fp16["saving"] is None else f"{100 * fp16['saving']:.0f}%"
    lines.append(f"whole clip ({summary['clip_seconds']:.1f} s): LR + fp16 model "
                 f"{human_bytes(fp16['sr_total_bytes'])} vs "
                 f"{human_bytes(fp16['reference_bytes'])}: saving {saving}")
    return "\n".join(lines)

