"""Run a file written by ``frvsr.export`` with onnxruntime, as a frame upscaler.

:class:`OnnxUpscaler` follows the protocol of :class:`frvsr.inference.upscaler.FrameUpscaler`
(``up(lr) -> sr``, ``up.reset()``, ``up.scale``), so streaming, evaluation and the upscale
CLI can use an exported model where they use a checkpoint. A recurrent export keeps the
previous LR frame and SR output as its state; the first frame of a shot (after ``reset()``)
is run with ``sr_prev = 0`` and ``lr_prev = lr``, the export's first-frame rule, which equals
FRVSR's zero previous estimate.

Frames are ``1,3,h,w`` float tensors in [0,1] (``h, w >=`` the file's ``min_size``, 8);
outputs are ``1,3,s*h,s*w`` float32 (not clamped) on the input's device. onnxruntime is
imported when an upscaler is built (the ``export`` extra), never at module import.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from frvsr.errors import CheckpointError, ConfigError, DataError

FORMAT = "frvsr-onnx-1"  # equals frvsr.inference.onnx_export.FORMAT (kept light: no import)


def read_metadata(path: str | Path) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX file as a dict (reads the header via onnx)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in model.metadata_props}


def _session(path: Path, providers: list[str] | None, threads: int | None) -> Any:
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ConfigError("running an ONNX model needs onnxruntime: pip install 'frvsr[export]'"
                          ) from exc
    options = ort.SessionOptions()
    if threads:
        options.intra_op_num_threads = int(threads)
    try:
        return ort.InferenceSession(str(path), sess_options=options,
                                    providers=providers or ["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime's own errors: a foreign or damaged file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{path} cannot be loaded by onnxruntime ({first}); pass a .onnx "
                              "file written by python -m frvsr.export") from exc


class OnnxUpscaler:
    """An exported generator (``python -m frvsr.export``) as a stream of frames.

    Args:
        path: the ``.onnx`` file.
        providers: onnxruntime execution providers (default CPU).
        threads: onnxruntime intra-op threads (default: onnxruntime's choice).

    Attributes: ``scale``, ``recurrent``, ``degradation``, ``model_name``, ``metadata``
    (every ``metadata_props`` entry), ``min_size``, ``resets`` (shots started).

    Raises:
        CheckpointError: the file is missing, unreadable, or not written by frvsr.export.
        ConfigError: onnxruntime is not installed.
    """

    def __init__(self, path: str | Path, providers: list[str] | None = None,
                 threads: int | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise CheckpointError(f"ONNX model {self.path} does not exist; write one with "
                                  "python -m frvsr.export ckpt=<checkpoint> out=<file.onnx>")
        self.session = _session(self.path, providers, threads)
        meta = dict(self.session.get_modelmeta().custom_metadata_map)
        if meta.get("format") != FORMAT:
            raise CheckpointError(f"{self.path} was not written by frvsr.export (no "
                                  f"format={FORMAT} in its metadata); export it with "
                                  "python -m frvsr.export")
        self.metadata = meta
        self.scale = int(meta["scale"])
        self.recurrent = meta["recurrent"] == "true"
        self.degradation = meta.get("degradation", "unknown")
        self.model_name = meta.get("model", "unknown")
        self.min_size = int(meta.get("min_size", 1))
        self.inputs = tuple(meta["inputs"].split(","))
        self.output = meta["outputs"].split(",")[0]
        self._lr_prev: np.ndarray | None = None
        self._sr_prev: np.ndarray | None = None
        self.resets = 0

    def reset(self) -> None:
        """Start a new shot: the next frame uses the first-frame rule."""
        self._lr_prev = self._sr_prev = None
        self.resets += 1

    def _frame(self, lr: Tensor) -> np.ndarray:
        if lr.dim() != 4 or lr.shape[0] != 1 or lr.shape[1] != 3:
            raise DataError(f"ONNX upscaler takes frames shaped 1,3,h,w, got {tuple(lr.shape)}")
        h, w = lr.shape[-2:]
        if h < self.min_size or w < self.min_size:
            raise DataError(f"frame of {w}x{h} px is smaller than the {self.min_size} px the "
                            f"model {self.path.name} was exported for")
        return np.ascontiguousarray(lr.detach().to("cpu", torch.float32).numpy())

    def __call__(self, lr: Tensor) -> Tensor:
        """``lr: 1,3,h,w`` in [0,1] -> ``sr: 1,3,s*h,s*w`` float32 on ``lr``'s device."""
        x = self._frame(lr)
        if not self.recurrent:
            sr = self.session.run([self.output], {self.inputs[0]: x})[0]
        else:
            if self._lr_prev is None or self._sr_prev is None:  # first frame of a shot
                lr_prev = x
                sr_prev = np.zeros((1, 3, self.scale * x.shape[2], self.scale * x.shape[3]),
                                   np.float32)
            elif self._lr_prev.shape != x.shape:
                raise DataError(f"frame {tuple(x.shape)} does not match the previous frame "
                                f"{tuple(self._lr_prev.shape)}; call reset() when the "
                                "resolution changes")
            else:
                lr_prev, sr_prev = self._lr_prev, self._sr_prev
            feed = dict(zip(self.inputs, (x, lr_prev, sr_prev), strict=True))
            sr = self.session.run([self.output], feed)[0]
            self._lr_prev, self._sr_prev = x, sr
        return torch.tensor(sr, device=lr.device)  # a copy: the state keeps its own


def onnx_upscaler(path: str | Path, providers: list[str] | None = None,
                  threads: int | None = None) -> Callable[[], OnnxUpscaler]:
    """A factory like ``frvsr.inference.upscaler.model_upscaler``: each call returns the
    upscaler reset for a new clip. The onnxruntime session is built once and shared (clips
    run one after another), so the file is loaded and checked when the factory is made."""
    up = OnnxUpscaler(path, providers, threads)

    def make() -> OnnxUpscaler:
        up.reset()
        return up

    return make
