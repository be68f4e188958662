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


def _name_from(task: Any, ckpt: str) -> str:
    # Name the method after the training task (`last.ckpt` says nothing on its own).
    stem = Path(ckpt).stem
    return f"{task}:{stem}" if task and stem != "last" else str(task or stem)


def _method_name(cfg: dict[str, Any], loaded: Any) -> str:
    return _name_from(loaded.config.get("task_name"), str(cfg["ckpt"]))


def checkpoint_entry(path: str) -> dict[str, Any] | None:
    """The ``"frvsr"`` entry of an frvsr checkpoint (memory-mapped), or None for a file
    without one (published weights) or a missing file (reported when it is loaded)."""
    from frvsr.checkpoint import read_frvsr_entry

    try:
        return read_frvsr_entry(path)
    except CheckpointError:
        return None


def checkpoint_task(path: str) -> str | None:
    """The training task (``task_name``: pretrain, gan, sisr, ...) stored in a checkpoint."""
    import yaml

    entry = checkpoint_entry(path)
    if entry is None:
        return None
    try:
        config = yaml.safe_load(entry.get("config") or "") or {}
    except yaml.YAMLError:
        return None
    task = config.get("task_name") if isinstance(config, dict) else None
    return str(task) if task else None


def training_state(path: str) -> dict[str, Any]:
    """Where a checkpoint stands in training: ``stage`` (meta) and ``iteration`` (the
    modules' iteration buffer, else Lightning's ``global_step``); {} for published weights."""
    import torch

    entry = checkpoint_entry(path)
    if entry is None:
        return {}
    out: dict[str, Any] = {}
    if entry["meta"].get("stage"):
        out["stage"] = str(entry["meta"]["stage"])
    it = entry["state_dict"].get("iteration")
    if isinstance(it, torch.Tensor) and it.numel() == 1:
        out["iteration"] = int(it.item())
    else:
        try:
            ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except Exception:  # noqa: BLE001 - read once already; nothing more to learn
            return out
        if isinstance(ckpt, dict) and isinstance(ckpt.get("global_step"), int):
            out["iteration"] = int(ckpt["global_step"])
    return out


def method_label(cfg: dict[str, Any]) -> str:
    """The method name of a run before it runs (for the default output folder): ``name=``,
    the ``sr=`` folder's name, ``bicubic`` (plus ``-<degradation>`` when given), or the
    checkpoint's task as the result will name it."""
    if cfg["name"]:
        return str(cfg["name"])
    if cfg["sr"] is not None:
        return Path(str(cfg["sr"])).name
    if cfg["baseline"] == "bicubic":
        return "bicubic" + (f"-{cfg['degradation']}" if cfg["degradation"] else "")
    if cfg["ckpt"]:
        task = None if cfg["model/generator"] else checkpoint_task(str(cfg["ckpt"]))
        return _name_from(task, str(cfg["ckpt"]))
    return "results"


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
                               "ema_requested": bool(cfg["ema"]),
                               **training_state(str(cfg["ckpt"]))}
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
    if cuts is not None and cfg.get("recurrence", True):  # a recurrent checkpoint
        from frvsr.evaluation.recurrence import recurrence_diagnostics

        device = next(loaded.model.parameters()).device
        extra["recurrence"] = recurrence_diagnostics(
            loaded.model, gt, lr, scale, degradation, cuts, int(cfg["crop_border"]), device)
    if resets:
        extra["cut_resets"] = resets  # run() moves each list into its clip's entry
    extra.update({"scale": scale, "degradation": degradation, "sr_frames": str(sr_out),
                  "lr_source": str(lr) if lr else f"GT degraded with {degradation} x{scale}, "
                  "rounded to uint8"})
    return sr_out, str(cfg["name"] or method), extra
