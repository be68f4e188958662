"""What makes the SR frames of a ``frvsr.evaluate`` run: the bicubic baseline, an frvsr
checkpoint (``ckpt=``), or published weights (``ckpt=<.pth> model/generator=<name>``), and
where a recurrent generator's state is reset (``reset_on_cut=``, ``scene_threshold=``).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from frvsr.errors import CheckpointError, EvalError
from frvsr.evaluation.folders import check_replaceable
from frvsr.evaluation.generate import BASELINE_UPSCALE, CutResets, generate_frames
from frvsr.inference.upscaler import bicubic_upscaler, model_upscaler

DEFAULT_PUBLISHED_SCALE = 4  # scale= of published weights when not given (as for bicubic)


def sr_out_folder(cfg: dict[str, Any], out: Path) -> Path:
    """Where generated SR frames go: ``sr_out=``, else ``<out stem>_frames``."""
    return Path(cfg["sr_out"] or out.with_name(f"{out.stem}_frames"))


def load_model(cfg: dict[str, Any]) -> Any:
    """The ``LoadedGenerator`` of ``ckpt=``: an frvsr checkpoint through
    ``frvsr.load_generator``, or published weights through ``frvsr.checkpoint.load_published``
    when ``model/generator=`` is given (``scale=``, default 4, and ``model.generator.<key>=``).

    Raises:
        EvalError: a file without frvsr's entry and no ``model/generator=`` (names the fix).
    """
    from frvsr.checkpoint import load_generator, load_published

    if cfg["model/generator"]:
        scale = int(cfg["scale"] or DEFAULT_PUBLISHED_SCALE)
        return load_published(cfg["ckpt"], str(cfg["model/generator"]), scale,
                              cfg["model_overrides"])
    try:
        return load_generator(cfg["ckpt"], ema=bool(cfg["ema"]))
    except CheckpointError as err:
        if "no 'frvsr' entry" not in str(err):
            raise
    # raised outside the handler: the CLI reports the deepest user error of the chain
    raise EvalError(f"ckpt={cfg['ckpt']} was not written by frvsr.train; for published "
                    "weights (BasicSR, ESRGAN, TecoGAN .pth) add model/generator="
                    "<srresnet|rrdbnet|frvsr_net> and scale=")


def cut_resets(cfg: dict[str, Any], loaded: Any) -> CutResets:
    """The reset rule: ``scene_threshold=``, else the checkpoint's training threshold
    (``data.train.scene_threshold`` of its stored config, when set), else 0.12."""
    if cfg["scene_threshold"] is not None:
        threshold, source = float(cfg["scene_threshold"]), "scene_threshold="
    else:
        stored = ((loaded.config.get("data") or {}).get("train") or {}).get("scene_threshold")
        threshold, source = (float(stored), "checkpoint") if isinstance(stored, (int, float)) \
            and not isinstance(stored, bool) else (CutResets.threshold, "default")
    return CutResets(bool(cfg["reset_on_cut"]), threshold, source)


def _method_name(cfg: dict[str, Any], loaded: Any) -> str:
    # Name the method after the training task (`last.ckpt` says nothing on its own).
    task, stem = loaded.config.get("task_name"), Path(cfg["ckpt"]).stem
    return f"{task}:{stem}" if task and stem != "last" else str(task or stem)


def generate_from_config(cfg: dict[str, Any], gt: Path, out: Path) -> tuple[Path, str, dict]:
    """Run ``baseline=bicubic``, ``baseline=sisr ckpt=...`` or ``ckpt=...`` over GT clips;
    returns (SR folder, method name, what the result file records about the run)."""
    extra: dict[str, Any] = {}
    sr_out = sr_out_folder(cfg, out)
    check_replaceable(sr_out, "sr_out")  # before the model runs, not after
    cuts = None
    if cfg["baseline"] == "bicubic":
        if cfg["ckpt"]:
            raise EvalError("baseline=bicubic takes no ckpt=")
        if cfg["degradation"] is None:
            raise EvalError("baseline=bicubic needs degradation=bi|bd_tecogan|bd_duf (and scale=)")
        scale, degradation = int(cfg["scale"] or 4), str(cfg["degradation"])
        make, method = bicubic_upscaler(scale, degradation), f"bicubic-{degradation}"
        extra["baseline"] = {"kind": "bicubic",
                             "upscale": BASELINE_UPSCALE["bi" if degradation == "bi" else "bd"]}
    else:
        if not cfg["ckpt"]:
            raise EvalError("give sr=<dir>, ckpt=<path> or baseline=bicubic")
        loaded = load_model(cfg)
        if cfg["baseline"] == "sisr" and loaded.recurrent:
            raise EvalError(
                f"baseline=sisr needs a single-frame checkpoint; {cfg['ckpt']} is recurrent")
        scale = loaded.scale
        if cfg["scale"] is not None and int(cfg["scale"]) != scale:
            raise EvalError(f"scale={cfg['scale']} but checkpoint {cfg['ckpt']} is x{scale}; "
                            f"drop scale= or pass scale={scale}")
        degradation = str(cfg["degradation"] or loaded.degradation)
        if degradation == "unknown" and not cfg["lr"]:
            raise EvalError(f"ckpt={cfg['ckpt']}: the degradation its weights were trained "
                            "with is unknown; pass degradation=bi|bd_tecogan|bd_duf (or lr=)")
        method = _method_name(cfg, loaded)
        make = model_upscaler(loaded)
        extra["checkpoint"] = {"path": str(cfg["ckpt"]), "recurrent": loaded.recurrent,
                               "trained_degradation": loaded.degradation, "ema": loaded.ema,
                               "ema_requested": bool(cfg["ema"])}
        if "published" in loaded.config:
            extra["checkpoint"]["published"] = {
                **loaded.config["published"], "generator": str(cfg["model/generator"]),
                "overrides": list(cfg["model_overrides"])}
        if cfg["baseline"] == "sisr":
            extra["baseline"] = {"kind": "sisr", "upscale": "single-frame model per frame"}
        if loaded.recurrent:
            cuts = cut_resets(cfg, loaded)
            extra["scene_cuts"] = cuts.record()
    lr = Path(cfg["lr"]) if cfg["lr"] else None
    resets = generate_frames(gt, lr, sr_out, make, scale, degradation, cuts)
    if resets:
        extra["cut_resets"] = resets  # run() moves each list into its clip's entry
    extra.update({"scale": scale, "degradation": degradation, "sr_frames": str(sr_out),
                  "lr_source": str(lr) if lr else f"GT degraded with {degradation} x{scale}, "
                  "rounded to uint8"})
    return sr_out, str(cfg["name"] or method), extra
