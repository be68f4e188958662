"""What the page is served with: the ONNX step (exported when needed, by running
``python -m frvsr.export``), its fp16 copy, the bandwidth account and ``session.json``, the
one file the page reads first.

Files go to a work folder (default ``outputs/web/<video stem>/``). They are rebuilt only
when stale: the ONNX file when it is missing, older than the checkpoint or exported from
a checkpoint of another name; the fp16 copy when older than the ONNX file; the bandwidth
account when its recorded inputs (video, model, CRF, preset, HR source) changed.
"""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from frvsr.data.scenes import DEFAULT_THRESHOLD, THUMB_SIZE
from frvsr.errors import CheckpointError, ConfigError, UserPathError
from frvsr.io.atomic import atomic_write_text
from frvsr.io.video import probe_video
from frvsr.web import STATIC_DIR, ort_dist, pinned_ort_version

FORMAT = "frvsr-web-1"
# What Chromium, Firefox and Safari all decode in <video> (Chromium: also in .mkv).
BROWSER_CODECS = {"h264", "vp8", "vp9", "av1"}


@dataclass
class Site:
    """Everything the server needs: the URL table and the session the page reads."""

    work: Path
    video: Path
    onnx: Path
    onnx_fp16: Path
    session: dict[str, Any]
    files: dict[str, Path] = field(default_factory=dict)
    folders: dict[str, Path] = field(default_factory=dict)


def _exported_from(onnx: Path) -> str | None:
    """The checkpoint file name an frvsr export came from (metadata ``source``)."""
    from frvsr.inference.onnx_backend import read_metadata

    try:
        meta = read_metadata(onnx)
    except Exception as exc:  # a damaged or foreign file: onnx's own errors
        raise CheckpointError(f"{onnx} is not a readable ONNX file ({exc}); delete it or "
                              "pass another onnx=") from exc
    if meta.get("format") != "frvsr-onnx-1":
        raise CheckpointError(f"{onnx} was not written by python -m frvsr.export; pass a "
                              "frvsr export as onnx= or a checkpoint as ckpt=")
    return meta.get("source")


def export(ckpt: Path, out: Path) -> None:
    """``python -m frvsr.export ckpt=... out=...`` in a child process: the same export and
    metadata as the command (it is the command), without frvsr.web importing an entry
    point. Its one-line user errors are raised here as one line too."""
    args = [sys.executable, "-m", "frvsr.export", f"ckpt={ckpt}", f"out={out}",
            "overwrite=true"]
    print(f"exporting {ckpt} to {out} ...", flush=True)
    proc = subprocess.run(args, stdout=None, stderr=subprocess.PIPE, text=True, check=False)
    if proc.returncode == 0:
        return
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    if errors:
        reason = errors[-1].removeprefix("error:").split(" (debug_traceback")[0].strip()
        raise CheckpointError(f"exporting ckpt={ckpt} failed: {reason}")
    raise RuntimeError(f"python -m frvsr.export crashed (exit {proc.returncode}):\n"
                       f"{proc.stderr[-3000:]}")


def ensure_onnx(ckpt: Path | None, onnx: Path | None, work: Path) -> Path:
    """The ONNX step to serve, exported from ``ckpt`` when missing or stale."""
    target = onnx if onnx is not None else work / "model.onnx"
    if ckpt is None:
        if not target.is_file():
            raise UserPathError(f"onnx={target} does not exist; pass ckpt=<checkpoint> to "
                                "export it, or an existing export as onnx=")
        _exported_from(target)
        return target
    if not ckpt.is_file():
        raise UserPathError(f"ckpt={ckpt} does not exist")
    if (target.is_file() and target.stat().st_mtime >= ckpt.stat().st_mtime
            and _exported_from(target) == ckpt.name):
        return target
    export(ckpt, target)
    return target


def ensure_fp16(onnx: Path, work: Path) -> tuple[Path, dict[str, Any]]:
    """The fp16-weights copy of ``onnx`` in ``work`` and its facts (bytes, output change)."""
    from frvsr.web.fp16 import write_fp16

    dst = work / f"{onnx.stem}.fp16.onnx"
    facts_path = dst.with_suffix(".json")
    if (dst.is_file() and facts_path.is_file()
            and dst.stat().st_mtime >= onnx.stat().st_mtime):
        return dst, json.loads(facts_path.read_text())
    facts = write_fp16(onnx, dst)
    atomic_write_text(facts_path, json.dumps(facts, indent=2))
    return dst, facts


def _stamp(path: Path | None) -> list[Any] | None:
    """``[absolute path, size, mtime]``: what identifies an input of the account."""
    if path is None:
        return None
    st = path.stat()
    return [str(path.resolve()), st.st_size, int(st.st_mtime)]


def ensure_bandwidth(video: Path, onnx: Path, fp16: Path, scale: int, work: Path, crf: int,
                     preset: str, hr: Path | None) -> dict[str, Any]:
    """The bandwidth account (``work/bandwidth.json``), recomputed when its inputs changed."""
    from frvsr.web.bandwidth import bandwidth_report

    path = work / "bandwidth.json"
    inputs = {"video": _stamp(video), "onnx": _stamp(onnx), "fp16": _stamp(fp16),
              "crf": crf, "preset": preset, "hr": _stamp(hr)}
    if path.is_file():
        cached = json.loads(path.read_text())
        if cached.get("inputs") == inputs:
            return cached
    print(f"encoding the reference at the SR resolution (x{scale}, CRF {crf}) ...", flush=True)
    report = {**bandwidth_report(video, onnx, fp16, scale, work, crf, preset, hr),
              "inputs": inputs}
    atomic_write_text(path, json.dumps(report, indent=2))
    return report


def check_video(video: Path) -> dict[str, Any]:
    """Probe ``video`` and check that browsers can decode it; its facts for the page."""
    if not video.is_file():
        raise UserPathError(f"video={video} does not exist")
    info = probe_video(video)
    import av

    with av.open(str(video)) as container:
        codec = container.streams.video[0].codec_context.name
    if codec not in BROWSER_CODECS:
        raise ConfigError(f"video={video} is {codec}, which browsers do not play; re-encode it "
                          "(e.g. ffmpeg -i in -c:v libx264 -pix_fmt yuv420p out.mp4)")
    return {"name": video.name, "codec": codec, "width": info.width, "height": info.height,
            "fps": float(info.fps), "fps_fraction": str(info.fps), "frames": info.frames,
            "duration": round(info.frames / float(info.fps), 4) if info.frames else None}


def build_site(*, video: Path, ckpt: Path | None = None, onnx: Path | None = None,
               work: Path | None = None, crf: int = 23, preset: str = "medium",
               hr: Path | None = None, weights: str = "fp32",
               bandwidth: bool = True) -> Site:
    """Check the inputs, export and account when needed, and write ``session.json``."""
    if weights not in ("fp32", "fp16"):
        raise ConfigError(f"weights={weights}; use fp32 or fp16")
    dist = ort_dist()  # before the slow steps: fail first when the runtime is missing
    facts = check_video(video)
    if hr is not None and not hr.is_file():
        raise UserPathError(f"hr={hr} does not exist")
    work = work if work is not None else Path("outputs") / "web" / video.stem
    work.mkdir(parents=True, exist_ok=True)
    model = ensure_onnx(ckpt, onnx, work)
    from frvsr.inference.onnx_backend import read_metadata

    meta = read_metadata(model)
    if meta.get("recurrent") != "true" and meta.get("recurrent") != "false":
        raise CheckpointError(f"{model} has no 'recurrent' metadata; re-export it")
    fp16, fp16_facts = ensure_fp16(model, work)
    report = (ensure_bandwidth(video, model, fp16, int(meta["scale"]), work, crf, preset, hr)
              if bandwidth else None)
    media_video = f"/media/video{video.suffix.lower()}"
    session = {
        "format": FORMAT, "ort_version": pinned_ort_version(),
        "video": {**facts, "url": media_video},
        "model": {"url": "/media/model.fp16.onnx" if weights == "fp16" else "/media/model.onnx",
                  "weights": weights, "fp32_url": "/media/model.onnx",
                  "fp16_url": "/media/model.fp16.onnx", "fp32_bytes": model.stat().st_size,
                  "fp16_bytes": fp16_facts["bytes"],
                  "fp16_max_abs_diff": fp16_facts["max_abs_diff"], "name": meta.get("model")},
        "scene": {"threshold": DEFAULT_THRESHOLD, "thumb": list(THUMB_SIZE)},
        "bandwidth": report,
    }
    atomic_write_text(work / "session.json", json.dumps(session, indent=2))
    files = {"/session.json": work / "session.json", media_video: video,
             "/media/model.onnx": model, "/media/model.fp16.onnx": fp16}
    folders = {"/ort/": dist, "/": STATIC_DIR}
    return Site(work, video, model, fp16, session, files, folders)
