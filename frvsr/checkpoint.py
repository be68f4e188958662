"""Checkpoints that rebuild their generator from the file alone.

A training checkpoint (Lightning's dict) carries an extra entry `"frvsr"`:
`{"config": <resolved training config as a YAML string>, "meta": {...}}` with plain
values only, so `torch.load(path, weights_only=True)` reads it. `meta` holds what
checkpoint discovery matches on: `stage`, `generator_class`, `num_feat`, `num_block`,
`scale`, `recurrent`, `degradation`, `iteration`, `wandb_id`.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from frvsr.errors import CheckpointError, ConfigError
from frvsr.io.atomic import atomic_path

GENERATOR_PREFIX = "generator."
EMA_PREFIX = "generator_ema."


def _shapes(state: dict[str, torch.Tensor]) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in state.items()}


def build_generator(
    sr_net: Callable[..., nn.Module], flow_net: nn.Module | None, scale: int, channels: int = 3,
    memory_warp: str = "bilinear",
) -> nn.Module:
    """FRVSR around `sr_net` when a flow net is given, else the backbone alone (frame-by-frame).

    `sr_net` is the Hydra `_partial_` backbone; the parent fills in the derived arguments.
    `memory_warp` (FRVSR only): how the previous estimate is resampled (`FRVSR` docstring).
    """
    if flow_net is None:
        return sr_net(in_channels=channels, out_channels=channels, scale=scale)
    from frvsr.models import FRVSR

    return FRVSR(flow_net=flow_net, sr_net=sr_net, scale=scale,
                 memory_warp=memory_warp)  # type: ignore[arg-type]  # FRVSR checks it


# Module paths that checkpoints of earlier versions may name (in `meta.generator_class` or a
# stored config's `_target_`), mapped to where the class lives now. Generator classes are
# recorded by their public `frvsr.models.<Class>` name, which survives moves of the files.
LEGACY_NAMES: dict[str, str] = {
    "frvsr.models.frvsr_net.FRVSRNet": "frvsr.models.FRVSRNet",
    "frvsr.models.srresnet.SRResNet": "frvsr.models.SRResNet",
    "frvsr.models.rrdbnet.RRDBNet": "frvsr.models.RRDBNet",
    "frvsr.models.espcn.ESPCN": "frvsr.models.ESPCN",
    "frvsr.models.flownet.FNet": "frvsr.models.FNet",
}


def public_name(obj: Any) -> str:
    """`frvsr.models.<Class>` when `frvsr.models` exports the class, else `module.qualname`."""
    import frvsr.models

    name = obj.__qualname__
    if getattr(frvsr.models, name, None) is obj:
        return f"frvsr.models.{name}"
    return f"{obj.__module__}.{name}"


def canonical_name(name: str | None) -> str | None:
    """A stored class path as today's public name (older checkpoints name module files)."""
    return LEGACY_NAMES.get(name, name) if isinstance(name, str) else name


def generator_meta(sr_net: Callable[..., nn.Module], scale: int, recurrent: bool) -> dict[str, Any]:
    """What identifies an architecture for checkpoint matching (class, widths, scale)."""
    func = getattr(sr_net, "func", sr_net)
    kwargs = dict(getattr(sr_net, "keywords", {}) or {})
    return {
        "generator_class": public_name(func),
        "num_feat": kwargs.get("num_feat"),
        "num_block": kwargs.get("num_block"),
        "scale": int(scale),
        "recurrent": bool(recurrent),
    }


def _map_targets(node: Any) -> Any:
    """Stored config with legacy `_target_` paths replaced (see LEGACY_NAMES)."""
    if isinstance(node, dict):
        return {k: (canonical_name(v) if k == "_target_" else _map_targets(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_map_targets(v) for v in node]
    return node


def read_frvsr_entry(path: str | Path) -> dict[str, Any]:
    """The `"frvsr"` entry of a checkpoint (memory-mapped, so large files read fast)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist; pass an existing .ckpt file")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as exc:  # a truncated or foreign file: one line, not a pickle traceback
        raise CheckpointError(
            f"checkpoint {path} cannot be read ({type(exc).__name__}); pass a .ckpt written "
            "by frvsr.train"
        ) from exc
    entry = ckpt.get("frvsr") if isinstance(ckpt, dict) else None
    if not entry:
        raise CheckpointError(
            f"checkpoint {path} has no 'frvsr' entry; it was not written by frvsr.train"
        )
    entry = dict(entry)
    entry["meta"] = dict(entry.get("meta") or {})
    if "generator_class" in entry["meta"]:  # every comparison sees today's public name
        entry["meta"]["generator_class"] = canonical_name(entry["meta"]["generator_class"])
    entry["state_dict"] = ckpt.get("state_dict", {})
    return entry


def uses_ema(state_dict: dict[str, torch.Tensor], ema: bool) -> bool:
    """Whether `generator_state` returns the EMA copy: asked for and present (a pretraining
    checkpoint has none, so it falls back to the raw generator)."""
    return ema and any(k.startswith(EMA_PREFIX) for k in state_dict)


def generator_state(state_dict: dict[str, torch.Tensor], ema: bool) -> dict[str, torch.Tensor]:
    """Generator weights from a Lightning state dict, the EMA copy when asked and present."""
    prefix = EMA_PREFIX if uses_ema(state_dict, ema) else GENERATOR_PREFIX
    return {k[len(prefix):]: v for k, v in state_dict.items() if k.startswith(prefix)}


@dataclass
class LoadedGenerator:
    """A generator rebuilt from a checkpoint (eval mode) and what a caller needs to drive it."""

    model: nn.Module
    scale: int
    recurrent: bool
    degradation: str
    config: dict[str, Any]
    ema: bool  # whether the EMA weights were loaded (not merely asked for)


def load_generator(path: str | Path, ema: bool = True) -> LoadedGenerator:
    """Rebuild the generator of a training checkpoint from the file alone.

    Recurrent models (FRVSR) stream through `model.step(lr_t, state)`; single-frame
    backbones are called as `model(lr_t)`. EMA weights are used when present and `ema`.
    """
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    entry = read_frvsr_entry(path)
    config = _map_targets(
        OmegaConf.to_container(OmegaConf.create(entry["config"]), resolve=False))
    meta = entry["meta"]
    model_cfg = config.get("model", {})
    if "generator" not in model_cfg:
        raise CheckpointError(f"checkpoint {path}: stored config has no model.generator")
    sr_net = instantiate(model_cfg["generator"], _partial_=True)
    flow_cfg = model_cfg.get("flow_net")
    flow_net = instantiate(flow_cfg) if flow_cfg else None
    # Checkpoints written before `model.memory_warp` existed warped bilinearly.
    model = build_generator(sr_net, flow_net, int(meta["scale"]),
                            memory_warp=str(model_cfg.get("memory_warp", "bilinear")))
    state = generator_state(entry["state_dict"], ema)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).splitlines()[0]
        raise CheckpointError(
            f"checkpoint {path}: weights do not fit the stored config ({first})"
        ) from exc
    return LoadedGenerator(
        model=model.eval(),
        scale=int(meta["scale"]),
        recurrent=bool(meta["recurrent"]),
        degradation=str(meta.get("degradation") or "unknown"),
        config=config,
        ema=uses_ema(entry["state_dict"], ema),
    )


def load_published(path: str | Path, generator: str, scale: int,
                   overrides: Sequence[str] = ()) -> LoadedGenerator:
    """Published ``.pth`` weights (``models.load_pretrained``) in ``conf/model/generator/
    <generator>.yaml`` + ``model.generator.<key>=`` ``overrides`` (Hydra compose), with the skip
    they were trained with (``models.pretrained.published_skip``). Raises ConfigError (one line
    with the fix), CheckpointError (frvsr's own), CheckpointMismatchError, FileNotFoundError."""
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException
    from hydra.utils import instantiate
    from omegaconf import OmegaConf

    from frvsr.models import pretrained as pt

    state, raw = pt.read_weights(path)
    if isinstance(raw, dict) and raw.get("frvsr"):
        raise CheckpointError(f"{path} is an frvsr checkpoint; drop model/generator=")
    layout = pt.weight_layout(state)
    skip = pt.published_skip(path, layout, generator, overrides)
    conf = Path(__file__).resolve().parents[1] / "conf"
    try:
        with initialize_config_dir(config_dir=str(conf), version_base="1.3"):
            node = compose("train", overrides=["model=sisr", f"model/generator={generator}",
                                                *overrides, f"model.generator.skip={skip}"])
    except HydraException as err:  # one line, with the options Hydra lists
        raise ConfigError(f"model/generator={generator} {' '.join(overrides)}: "
                          + " ".join(str(err).split("Config search path")[0].split())) from None
    gen = OmegaConf.to_container(node.model.generator, resolve=True)
    model = pt.load_pretrained(pt.build_published(instantiate(gen, _partial_=True), int(scale),
                                                  layout), path)
    origin = {"path": str(path), "origin": layout.origin if layout else "unknown", "skip": skip}
    return LoadedGenerator(model.eval(), int(scale), bool(layout and layout.recurrent),
                           (layout.degradation if layout else None) or "unknown",
                           {"model": {"generator": gen}, "published": origin},
                           ema=isinstance(raw, dict) and isinstance(raw.get("params_ema"), dict))


def atomic_torch_save(obj: Any, path: str | Path) -> None:
    """torch.save to a temp file, fsync (a checkpoint must survive a power cut), rename."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        torch.save(obj, handle)
        handle.flush()
        os.fsync(handle.fileno())


MATCH_KEYS = ("generator_class", "num_feat", "num_block", "scale", "recurrent")


def _newest_first(paths: list[Path]) -> list[Path]:
    return sorted(paths, key=lambda p: p.stat().st_mtime, reverse=True)


def find_init_checkpoint(root: str | Path, want: dict[str, Any]) -> Path | None:
    """Newest `last.ckpt` of a pixel-loss stage under `root` matching `want` on MATCH_KEYS.

    Searches single runs and multiruns alike (any depth). A recurrent GAN matches a
    `pretrain` checkpoint, a single-frame one a `sisr` checkpoint, through `recurrent`.
    Unreadable files are skipped: a run killed while writing must not block the next stage.
    """
    root = Path(root)
    if not root.is_dir():
        return None
    for path in _newest_first(list(root.rglob("last.ckpt"))):
        try:
            meta = read_frvsr_entry(path)["meta"]
        except CheckpointError:
            continue
        if meta.get("stage") not in ("pretrain", "sisr"):
            continue
        if all(meta.get(k) == want.get(k) for k in MATCH_KEYS):
            return path
    return None


def resume_problem(
    entry: dict[str, Any], stage: str, meta: dict[str, Any], shapes: dict[str, torch.Size]
) -> str | None:
    """Why a checkpoint's `"frvsr"` entry cannot resume a run, or None when it can.

    Compares the stage and the generator's MATCH_KEYS (readable reasons first), then every
    stored tensor's name and shape with the run's state dict (`shapes`; frozen loss
    networks excluded, they are not stored), which also covers discriminator widths.
    The generator's EMA copy (`generator_ema.*`) is neither required nor refused: a
    resumed run may switch `model.ema_decay` on or off.
    """
    stored = entry["meta"]
    if stored.get("stage") != stage:
        return f"it holds a {stored.get('stage')} run and this run is {stage}"
    diff = [f"{k}={stored.get(k)} vs {meta.get(k)}" for k in MATCH_KEYS
            if stored.get(k) != meta.get(k)]
    if diff:
        return f"its generator differs from this run's ({', '.join(diff)})"
    saved = entry["state_dict"]
    for key, shape in shapes.items():
        if key not in saved:
            return f"it has no weights for {key} (another model configuration)"
        if tuple(saved[key].shape) != tuple(shape):
            return (f"{key} is {tuple(saved[key].shape)} there and {tuple(shape)} here "
                    "(another width)")
    # The EMA copy mirrors the generator checked above; a run may start or drop it, but a
    # stored one must mirror the stored generator exactly (else Lightning's load fails).
    extra = [k for k in saved if k not in shapes and not k.startswith(EMA_PREFIX)]
    if extra:
        return f"it holds weights this run does not have ({extra[0]}; another model configuration)"
    if uses_ema(saved, True) and _shapes(generator_state(saved, True)) != _shapes(
            generator_state(saved, False)):
        return ("its weight average (generator_ema.*) does not mirror its generator "
                "(a damaged file)")
    return None


def find_resume_checkpoint(
    root: str | Path, stage: str, meta: dict[str, Any], shapes: dict[str, torch.Size]
) -> tuple[Path | None, list[tuple[Path, str]]]:
    """Newest `last.ckpt` under `root` (one task's runs) that can resume this run.

    Returns it (or None) and the newer files passed over with the reason, so a caller can
    say why: after a multirun over generators the newest file may be another job's.
    Unreadable files (a run killed mid-write) are passed over too.
    """
    root = Path(root)
    rejected: list[tuple[Path, str]] = []
    for path in _newest_first(list(root.rglob("last.ckpt"))) if root.is_dir() else []:
        try:
            problem = resume_problem(read_frvsr_entry(path), stage, meta, shapes)
        except CheckpointError as exc:
            problem = str(exc)
        if problem is None:
            return path, rejected
        rejected.append((path, problem))
    return None, rejected
