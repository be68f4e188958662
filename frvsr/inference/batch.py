"""One ``frvsr.upscale`` invocation: build the model source, then upscale one input or a
folder of videos (batch; an existing output counts as finished and is skipped).

Model sources: a frvsr checkpoint (``ckpt=``, loaded with ``frvsr.load_generator``), a
published weight file (``ckpt=<.pth> model/generator=<name>``, see
``frvsr.checkpoint.load_published``), ``baseline=bicubic`` or an ONNX model (``onnx=``).
"""
from __future__ import annotations

import os
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from frvsr.errors import ConfigError, DataError, FrvsrError, UserPathError
from frvsr.inference.sources import VIDEO_SUFFIXES, is_video, open_source
from frvsr.inference.tiling import tile_model
from frvsr.inference.upscaler import BicubicUpscaler, FrameUpscaler, ModelUpscaler
from frvsr.inference.video_job import JobResult, UpscaleSettings, upscale


def _model_source(cfg: dict[str, Any]) -> tuple[Callable[[], FrameUpscaler], int, str, float]:
    """(upscaler factory, scale, degradation for the bicubic comparison, cut threshold)."""
    given = [k for k in ("ckpt", "baseline", "onnx") if cfg[k]]
    if len(given) != 1:
        raise ConfigError("give one model source: ckpt=<checkpoint>, baseline=bicubic "
                          f"scale=<s> or onnx=<model.onnx> (got {', '.join(given) or 'none'})")
    threshold = cfg["scene_threshold"]
    if cfg["baseline"]:
        if cfg["baseline"] != "bicubic":
            raise ConfigError(f"baseline={cfg['baseline']} must be bicubic")
        scale, deg = int(cfg["scale"] or 4), str(cfg["degradation"] or "bi")
        BicubicUpscaler(scale, deg)  # checks scale and degradation now
        return (lambda: BicubicUpscaler(scale, deg)), scale, deg, threshold or 0.12
    if cfg["onnx"]:
        from frvsr.inference.onnx_backend import onnx_upscaler

        make_onnx = onnx_upscaler(cfg["onnx"], threads=cfg["threads"])
        probe = make_onnx()
        _check_scale(cfg, probe.scale, cfg["onnx"])
        deg = str(cfg["degradation"] or probe.degradation or "bi")
        return make_onnx, probe.scale, deg if deg != "unknown" else "bi", threshold or 0.12
    loaded = _load(cfg)
    _check_scale(cfg, loaded.scale, cfg["ckpt"])
    trained = (loaded.config.get("data") or {}).get("train") or {}
    threshold = threshold or trained.get("scene_threshold") or 0.12
    if cfg["tile"]:
        loaded.model = tile_model(loaded.model, loaded.recurrent, loaded.scale,
                                  int(cfg["tile"]), cfg["tile_overlap"])
    make = lambda: ModelUpscaler(loaded, device=cfg["device"], precision=cfg["precision"],  # noqa: E731
                                 channels_last=bool(cfg["channels_last"]),
                                 compile=bool(cfg["compile"]))
    deg = str(cfg["degradation"] or loaded.degradation)
    return make, loaded.scale, deg if deg != "unknown" else "bi", float(threshold)


def _load(cfg: dict[str, Any]) -> Any:
    if cfg["generator_overrides"]:
        from frvsr.checkpoint import load_published

        names = [a.split("=", 1)[1] for a in cfg["generator_overrides"]
                 if a.startswith("model/generator=")]
        if len(names) != 1:
            raise ConfigError("published weights need model/generator=<name> (e.g. srresnet) "
                              "with model.generator.<key>= options")
        rest = [a for a in cfg["generator_overrides"] if not a.startswith("model/generator=")]
        return load_published(cfg["ckpt"], names[0], int(cfg["scale"] or 4), rest)
    from frvsr.checkpoint import load_generator

    return load_generator(cfg["ckpt"], ema=bool(cfg["ema"]))


def _check_scale(cfg: dict[str, Any], scale: int, source: str) -> None:
    if cfg["scale"] is not None and int(cfg["scale"]) != scale:
        raise ConfigError(f"scale={cfg['scale']} but {source} is x{scale}; drop scale= or "
                          f"pass scale={scale}")


def _check_output(src: Path, dst: Path, overwrite: bool) -> None:
    if src.resolve() == dst.resolve():
        raise ConfigError(f"out={dst} is the input itself; choose another output path")
    if dst.exists() and not overwrite:
        raise ConfigError(f"out={dst} exists; pass overwrite=true to replace it")
    parent = dst.parent if dst.parent != Path("") else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserPathError(exc.errno, f"cannot create the output folder ({exc.strerror})",
                            str(parent)) from None
    if not os.access(parent, os.W_OK):
        raise UserPathError(13, "output folder is not writable", str(parent))


def run(cfg: dict[str, Any]) -> list[JobResult]:
    """Upscale ``cfg['input']`` into ``cfg['out']``; prints one summary line per input."""
    if not cfg["input"] or not cfg["out"]:
        raise ConfigError("give input=<video|frame folder|folder of videos> and out=<path>")
    if cfg["threads"]:
        import torch

        torch.set_num_threads(int(cfg["threads"]))
    src, dst = Path(cfg["input"]), Path(cfg["out"])
    settings = UpscaleSettings(
        codec=str(cfg["codec"]), crf=None if cfg["codec"] == "ffv1" else int(cfg["crf"]),
        preset=None if cfg["codec"] == "ffv1" else str(cfg["preset"]),
        reset_on_cut=bool(cfg["reset_on_cut"]), compare=bool(cfg["compare"]),
        progress=bool(cfg["progress"]))
    make, scale, degradation, settings.scene_threshold = _model_source(cfg)
    fps = Fraction(cfg["fps"]) if cfg["fps"] else None
    videos = sorted(p for p in src.iterdir() if is_video(p)) if src.is_dir() else []
    if not videos:  # a video file or a folder of frames
        _check_output(src, dst, bool(cfg["overwrite"]))
        result = upscale(open_source(src, fps), dst, make(), settings,
                         BicubicUpscaler(scale, degradation) if settings.compare else None)
        print(result.summary())
        return [result]
    return _batch(videos, dst, make, settings, scale, degradation)


def _batch(videos: list[Path], dst: Path, make: Callable[[], FrameUpscaler],
           settings: UpscaleSettings, scale: int, degradation: str) -> list[JobResult]:
    if dst.exists() and not dst.is_dir():
        raise ConfigError(f"out={dst} must be a folder when input is a folder of videos")
    dst.mkdir(parents=True, exist_ok=True)
    results, skipped, failed = [], 0, []
    for video in videos:
        target = dst / (video.stem + (video.suffix if video.suffix in VIDEO_SUFFIXES[:3]
                                      else ".mp4"))
        if target.exists():
            skipped += 1  # finished by an earlier run: the batch resumes after it
            continue
        try:
            result = upscale(open_source(video), target, make(), settings,
                             BicubicUpscaler(scale, degradation) if settings.compare else None)
        except (DataError, FrvsrError) as exc:
            failed.append(f"{video.name}: {exc}")
            print(f"error: {exc} (skipped; the batch goes on)")
            continue
        print(result.summary())
        results.append(result)
    print(f"batch: {len(results)} upscaled, {skipped} already done (skipped), "
          f"{len(failed)} failed, into {dst}")
    if failed:
        raise DataError(f"{len(failed)} of {len(videos)} videos failed (first: {failed[0]}); "
                        "fix or remove them and rerun: finished outputs are skipped")
    return results

