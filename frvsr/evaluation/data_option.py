"""``data=<conf/data option>`` for ``frvsr.evaluate``: compose the option with the user's
``data.<key>=<value>`` overrides, write its test (else val) clips as GT / LR PNG folders.

Only the evaluation source is instantiated, so an option whose training root is unset
(``data=images``) still evaluates from ``data.val.root=``; a missing value is one line
naming the key to set. Clips are written frame by frame (memory does not grow with clip
length); GT (and LR read from files) keeps 16-bit precision, LR made by the degradation is
rounded to uint8 as stored LR sets are.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from hydra import compose, initialize_config_dir
from hydra.errors import HydraException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import MissingMandatoryValue, OmegaConfBaseException
from torch import Tensor

from frvsr.checkpoint import read_frvsr_entry
from frvsr.errors import EvalError
from frvsr.evaluation.folders import check_replaceable, fresh_folder
from frvsr.io.images import to_float_tensor, to_uint8, write_png

CONF = Path(__file__).resolve().parents[2] / "conf"


def _compose(name: str, overrides: list[str]) -> DictConfig:
    if not (CONF / "data" / f"{name}.yaml").is_file():
        options = sorted(p.stem for p in (CONF / "data").glob("*.yaml"))
        raise EvalError(f"data={name} is not in {CONF / 'data'}; options: {', '.join(options)}")
    # Whole shots, no crop: the evaluator scores full clips, not the training-time preview.
    fixed = [f"data={name}", "data.val_max_frames=null", "data.val_crop=null"]
    try:
        with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
            return compose(config_name="train", overrides=fixed + overrides).data
    except (HydraException, OmegaConfBaseException) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise EvalError(f"data={name} with {' '.join(overrides) or 'no overrides'}: {first} "
                        f"(settable keys: see {CONF / 'data' / name}.yaml)") from None


def _missing(node: DictConfig, prefix: str) -> list[tuple[str, str]]:
    """(key to set, key that needs it) for every unset value the node resolves to."""
    out = []
    for key in node:
        try:
            child = node[key]
        except MissingMandatoryValue:
            out.append((f"{prefix}.{key}", f"{prefix}.{key}"))
            continue
        except OmegaConfBaseException as err:  # an interpolation to an unset value
            hit = re.search(r"Missing mandatory value: (\S+)", str(err))
            if not hit:
                raise
            out.append((hit.group(1), f"{prefix}.{key}"))
            continue
        if isinstance(child, DictConfig):
            out += _missing(child, f"{prefix}.{key}")
    return out


def compose_eval_data(name: str, overrides: list[str]) -> tuple[DictConfig, str]:
    """The composed data config and which source (``test`` / ``val``) is evaluated."""
    data = _compose(name, overrides)
    split = "test" if data.get("test") is not None else "val"
    if data.get(split) is None:
        raise EvalError(f"data={name} has no test or val source; set data.val=...")
    missing = _missing(data[split], f"data.{split}")
    if missing:
        keys = list(dict.fromkeys(k for k, _ in missing))
        used = ", ".join(f"{u}" for k, u in missing if k != u)
        raise EvalError(f"data={name} needs {' '.join(f'{k}=<value>' for k in keys)}"
                        + (f" (used by {used})" if used else "")
                        + f", e.g. data={name} {keys[0]}=/path/to/clips")
    return data, split


def materialise(name: str, overrides: list[str], folder: Path,
                data: DictConfig | None = None, split: str | None = None
                ) -> tuple[Path, Path, int, str]:
    """Write the evaluation clips of ``data=<name>`` as ``folder/gt`` and ``folder/lr``.

    Returns (gt dir, lr dir, scale, degradation) for the ordinary ``gt=``/``lr=`` path.
    """
    if data is None or split is None:
        data, split = compose_eval_data(name, overrides)
    container = OmegaConf.to_container(data, resolve=False)
    assert isinstance(container, dict)
    # The evaluation source, resolved in place (its ${..train.root} interpolations), also
    # stands in for `train`, which evaluation never reads but the data module requires.
    source = OmegaConf.to_container(data[split], resolve=True)
    container.update({"train": source, "val": source, "test": None})
    try:
        dm = instantiate(OmegaConf.create(container))
    except HydraException as err:
        cause = err.__cause__
        if isinstance(cause, ValueError):  # DataError: already one line with the fix
            raise EvalError(f"data={name}: {str(cause).splitlines()[0]}") from None
        raise EvalError(f"data={name}: {str(err).splitlines()[0]}") from None
    try:
        dm.prepare_data()
        dm.setup("test")
    except ValueError as err:  # DataError: one line naming the file; say which option
        raise EvalError(f"data={name}: {str(err).splitlines()[0]}") from None
    if dm.test_set is None or len(dm.test_set) == 0:
        raise EvalError(f"data={name} has no {split} clips")
    with fresh_folder(folder, "data") as tmp:
        for key, frames in stream_items(dm.test_set):
            clip = key.replace("/", "_")  # vimeo-style keys hold slashes
            for t, (lr, hr, lr_from_files) in enumerate(frames):
                write_png(tmp / "gt" / clip / f"{t:05d}.png", exact_png(hr))
                write_png(tmp / "lr" / clip / f"{t:05d}.png",
                          exact_png(lr) if lr_from_files else to_uint8(lr))
    return folder / "gt", folder / "lr", int(dm.scale), str(dm.degradation)


def stream_items(dataset: Any) -> Iterator[tuple[str, Iterator[tuple[Tensor, Tensor, bool]]]]:
    """The items of an ``EvalClipDataset`` frame by frame: (key, frames), each frame
    ``(lr 3,h,w, hr 3,H,W, lr read from files)``, float in [0,1].

    Exactly ``dataset[i]`` split along time (its shots, ``max_frames``, centre ``crop`` and
    key; the degradation works frame by frame), but one frame is read at a time, so memory
    does not grow with the shot's length (``dataset[i]`` holds the whole shot as one
    tensor: 19 MB per 848x480 frame).
    """
    reader, crop = dataset.reader, dataset.crop
    for ci, a, b in dataset.items:
        clip = reader.clips[ci]
        stop = min(b, a + dataset.max_frames) if dataset.max_frames else b
        h, w = reader.lr_size(clip)
        ph, pw = (min(h, crop), min(w, crop)) if crop else (h, w)
        box = ((h - ph) // 2, (w - pw) // 2, ph, pw)
        key = clip.key if len(clip.shots) == 1 else f"{clip.key}/{a:05d}"

        def frames(clip: Any = clip, a: int = a, stop: int = stop, box: tuple = box
                   ) -> Iterator[tuple[Tensor, Tensor, bool]]:
            for t in range(a, stop):
                lr, hr = reader.read(clip, t, t + 1, box)
                yield lr[0], hr[0], clip.lr is not None

        yield str(key), frames()


def exact_png(x: Tensor) -> np.ndarray:
    """``3,H,W`` in [0,1] read from a file as H,W,3 uint8 when it holds 8-bit values (v/255),
    else as uint16 (``round(x * 65535)``): a 16-bit source keeps its full precision, as
    ``gt=`` reads it (:mod:`frvsr.io.images`)."""
    u8 = to_uint8(x)
    if torch.equal(to_float_tensor(u8), x):
        return u8
    return np.ascontiguousarray((x.clamp(0, 1) * 65535).round().to(torch.int32).permute(
        1, 2, 0).numpy().astype(np.uint16))


def checkpoint_info(cfg: dict[str, Any]) -> dict[str, Any]:
    """Scale and trained degradation of ``ckpt=``, before any data is prepared: from an
    frvsr checkpoint's entry, or for published weights (``model/generator=``) ``scale=``
    (default 4) and the degradation their key layout implies."""
    if cfg["model/generator"]:
        from frvsr.evaluation.method import DEFAULT_PUBLISHED_SCALE
        from frvsr.models.pretrained import read_weights, weight_layout

        layout = weight_layout(read_weights(cfg["ckpt"])[0])
        return {"scale": int(cfg["scale"] or DEFAULT_PUBLISHED_SCALE),
                "degradation": (layout.degradation if layout and layout.degradation
                                else "unknown")}
    meta = read_frvsr_entry(cfg["ckpt"])["meta"]
    return {"scale": int(meta["scale"]), "degradation": str(meta.get("degradation") or "unknown")}


def prepare_data_option(cfg: dict[str, Any], out: Path) -> tuple[dict[str, Any], dict]:
    """``data=<option>``: write its clips as GT / LR folders; returns the updated cfg.

    ``scale=`` / ``degradation=`` become ``data.scale`` / ``data.degradation`` overrides,
    so the LR frames are made as recorded. A ``ckpt=`` run degrades at the checkpoint's
    scale and trained degradation unless the user set them (a different user scale is an
    error naming both)."""
    if cfg["gt"] or cfg["lr"] or cfg["sr"]:
        raise EvalError("data= replaces gt=/lr=/sr=; give one or the other")
    folder = out.with_name(f"{out.stem}_data")
    check_replaceable(folder, "data")
    user = list(cfg["data_overrides"])
    keys = {o.lstrip("+").split("=", 1)[0] for o in user}
    pre: list[str] = []
    for key in ("scale", "degradation"):
        if cfg[key] is not None:
            pre.append(f"data.{key}={cfg[key]}")
            keys.add(f"data.{key}")
    if cfg["ckpt"] and cfg["baseline"] != "bicubic":
        info = checkpoint_info(cfg)
        if cfg["scale"] is not None and int(cfg["scale"]) != info["scale"]:
            raise EvalError(f"scale={cfg['scale']} but checkpoint {cfg['ckpt']} is "
                            f"x{info['scale']}; drop scale= or pass scale={info['scale']}")
        if "data.scale" not in keys:
            pre.append(f"data.scale={info['scale']}")
        if "data.degradation" not in keys and info["degradation"] != "unknown":
            pre.append(f"data.degradation={info['degradation']}")
    data, split = compose_eval_data(str(cfg["data"]), pre + user)
    if cfg["ckpt"] and cfg["baseline"] != "bicubic" and int(data.scale) != info["scale"]:
        raise EvalError(f"data.scale={data.scale} but checkpoint {cfg['ckpt']} is "
                        f"x{info['scale']}; drop data.scale= or pass data.scale={info['scale']}")
    gt_dir, lr_dir, scale, degradation = materialise(str(cfg["data"]), pre + user, folder,
                                                     data, split)
    cfg = {**cfg, "gt": str(gt_dir), "lr": str(lr_dir), "scale": scale,
           "degradation": degradation}
    return cfg, {"option": cfg["data"], "overrides": user, "split": split, "gt": str(gt_dir),
                 "lr": str(lr_dir)}
