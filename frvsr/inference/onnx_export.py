"""ONNX export of a generator: FRVSR's recurrent step, or a single-frame backbone.

Exporter: ``torch.onnx.export(..., dynamo=True)`` (the default exporter since torch 2.9; it
needs ``onnxscript``, in the ``export`` extra) fed with an ``ExportedProgram`` that is
captured here with ``torch.export.export(strict=False)`` and symbolic height and width. A
model that branches on the frame size cannot be captured that way and fails with the
offending guard, instead of being pinned to the example size (the ONNX exporter's own
capture would silently refine the sizes and give a graph that breaks at other sizes).

Opset: 18 (the exporter's own opset; GridSample needs >= 16). Lower opsets cannot be
reached: the ONNX version converter has no Pad adapter below 18. Higher ones (up to 23)
are converted and checked.

Graph inputs and outputs are ``1,3,h,w`` float32 RGB in [0,1] with symbolic ``h, w >= 8``:

* recurrent (FRVSR): ``(lr, lr_prev, sr_prev) -> sr`` with ``sr_prev`` and ``sr`` of
  ``1,3,s*h,s*w``: one ``FRVSR.step``. First frame of a shot (and after a scene cut):
  ``sr_prev = 0`` and ``lr_prev = lr``. The flow between identical frames then warps a zero
  image, which stays exactly zero, so the output equals ``FRVSR.step(lr, None)`` (the zero
  previous estimate) bit for bit in PyTorch.
* single-frame: ``lr -> sr``.

``sr`` is not clamped. After writing, the file is run with onnxruntime at the example size
and at an odd size (not a multiple of 8) and compared with PyTorch (``check_export``).
Metadata (``metadata_props``, all strings) are listed in :data:`METADATA_KEYS`.
"""
from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from frvsr.errors import ConfigError
from frvsr.io.atomic import atomic_path
from frvsr.models.classical_flow import DISFlow
from frvsr.models.frvsr import FRVSR, FRVSRState

FORMAT = "frvsr-onnx-1"
DEFAULT_OPSET = 18
MIN_OPSET, MAX_OPSET = 18, 23
MIN_SIZE = 8  # smallest LR height/width the graph is exported for
EXAMPLE_SIZE = (24, 32)  # LR size of the example inputs traced at export
CHECK_SIZE = (29, 43)  # a second size, not a multiple of 8, run after export
RECURRENT_INPUTS = ("lr", "lr_prev", "sr_prev")
SINGLE_INPUTS = ("lr",)
OUTPUTS = ("sr",)
FIRST_FRAME_RULE = (
    "first frame of a shot (and after a scene cut): sr_prev = zeros of shape 1,3,s*h,s*w and "
    "lr_prev = lr (the current frame); then lr_prev = the previous lr and sr_prev = the "
    "previous sr. The result equals FRVSR's zero previous estimate exactly.")
METADATA_KEYS = ("format", "scale", "recurrent", "degradation", "model", "generator_class",
                 "inputs", "outputs", "first_frame_rule", "opset", "frvsr_version",
                 "min_size", "layout")
LAYOUT = ("NCHW float32 RGB in [0,1], batch 1, symbolic height/width >= {min}; "
          "sr is scale*h x scale*w, not clamped")


class RecurrentStep(nn.Module):
    """``(lr, lr_prev, sr_prev) -> sr``: one ``FRVSR.step`` with the state as tensors.

    ``lr``, ``lr_prev``: ``1,3,h,w``; ``sr_prev``: ``1,3,s*h,s*w``; all in [0,1].
    """

    def __init__(self, model: FRVSR) -> None:
        super().__init__()
        self.model = model

    def forward(self, lr: Tensor, lr_prev: Tensor, sr_prev: Tensor) -> Tensor:
        return self.model.step(lr, FRVSRState(lr_prev=lr_prev, sr_prev=sr_prev))[0]


class SingleFrame(nn.Module):
    """``lr (1,3,h,w) -> sr (1,3,s*h,s*w)`` through a single-frame backbone."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, lr: Tensor) -> Tensor:
        return self.model(lr)


def graph_module(model: nn.Module, recurrent: bool) -> nn.Module:
    """The module that is exported (eval mode): the step of an FRVSR, or the backbone.

    ``model`` must be float32 on the CPU (as ``frvsr.load_generator`` returns it)."""
    param = next(model.parameters(), None)
    if param is not None and (param.device.type != "cpu" or param.dtype != torch.float32):
        raise ConfigError(f"export a float32 model on the CPU, got {param.dtype} on "
                          f"{param.device}; call model.float().cpu() first")
    if recurrent:
        if not isinstance(model, FRVSR):
            raise ConfigError(
                f"a recurrent export needs an FRVSR model, got {type(model).__name__}")
        if isinstance(model.flow_net, DISFlow):
            raise ConfigError(
                "this FRVSR aligns frames with OpenCV's DIS flow (model/flow_net=dis), which "
                "has no ONNX form; export a model trained with FNet (model/flow_net=fnet), or "
                "run it with frvsr.upscale")
        return RecurrentStep(model).eval()
    return SingleFrame(model).eval()


def example_inputs(recurrent: bool, scale: int, size: tuple[int, int],
                   seed: int = 0) -> tuple[Tensor, ...]:
    """Random inputs of the graph at LR size ``size`` (uniform in [0,1], fixed seed)."""
    gen = torch.Generator().manual_seed(seed)
    h, w = size
    lr = torch.rand(1, 3, h, w, generator=gen)
    if not recurrent:
        return (lr,)
    return lr, torch.rand(1, 3, h, w, generator=gen), torch.rand(
        1, 3, scale * h, scale * w, generator=gen)


def dynamic_shapes(recurrent: bool, scale: int) -> dict[str, dict[int, Any]]:
    """Symbolic height/width (>= MIN_SIZE) shared by the LR inputs; SR inputs are s times."""
    from torch.export import Dim

    h, w = Dim("height", min=MIN_SIZE), Dim("width", min=MIN_SIZE)
    shapes: dict[str, dict[int, Any]] = {"lr": {2: h, 3: w}}
    if recurrent:
        shapes["lr_prev"] = {2: h, 3: w}
        shapes["sr_prev"] = {2: scale * h, 3: scale * w}
    return shapes


def capture(module: nn.Module, args: tuple[Tensor, ...],
            shapes: Mapping[str, Any]) -> torch.export.ExportedProgram:
    """``torch.export.export(strict=False)`` with symbolic sizes, as the ONNX exporter does
    (size-oblivious reasoning about 0/1 sizes) but without its silent refinement.

    Raises RuntimeError (with the first violated guard) when the model branches on the
    frame size: such a branch would be pinned to the example size.
    """
    config = getattr(torch.fx.experimental, "_config", None)
    patch = (config.patch(backed_size_oblivious=True)
             if config is not None and hasattr(config, "backed_size_oblivious")
             else contextlib.nullcontext())
    try:
        with patch:
            return torch.export.export(module, args, dynamic_shapes=dict(shapes), strict=False)
    except torch._dynamo.exc.UserError as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip().startswith("-")]
        detail = lines[0] if lines else str(exc).splitlines()[0]
        raise RuntimeError(
            f"{type(module).__name__}: the model branches on the frame size, so it cannot be "
            f"exported with symbolic height and width ({detail})") from exc


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence the exporter's progress lines and warnings (torchvision absent, ...)."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def check_opset(opset: Any) -> int:
    """``opset`` as an int in [MIN_OPSET, MAX_OPSET]; ConfigError (one line) otherwise."""
    if isinstance(opset, bool) or not isinstance(opset, int) or not (
            MIN_OPSET <= opset <= MAX_OPSET):
        raise ConfigError(
            f"opset={opset} is not supported: use {MIN_OPSET}..{MAX_OPSET} (default "
            f"{DEFAULT_OPSET}; torch's ONNX exporter writes opset 18 and cannot convert Pad "
            "below it; GridSample needs >= 16)")
    return opset


def build_metadata(scale: int, recurrent: bool, degradation: str, model_name: str,
                   generator_class: str, opset: int,
                   extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The ``metadata_props`` of an exported file (every value a string)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        frvsr_version = version("frvsr")
    except PackageNotFoundError:
        frvsr_version = "unknown"
    meta = {
        "format": FORMAT, "scale": str(int(scale)), "recurrent": str(bool(recurrent)).lower(),
        "degradation": degradation, "model": model_name, "generator_class": generator_class,
        "inputs": ",".join(RECURRENT_INPUTS if recurrent else SINGLE_INPUTS),
        "outputs": ",".join(OUTPUTS),
        "first_frame_rule": FIRST_FRAME_RULE if recurrent else "none (single-frame model)",
        "opset": str(opset), "frvsr_version": frvsr_version, "min_size": str(MIN_SIZE),
        "layout": LAYOUT.format(min=MIN_SIZE),
    }
    meta.update(extra or {})
    return meta


def to_onnx(module: nn.Module, args: tuple[Tensor, ...], shapes: Mapping[str, Any],
            opset: int, metadata: Mapping[str, str]) -> Any:
    """Capture ``module`` and translate it: an ``onnx.ModelProto`` with ``metadata``."""
    inputs = tuple(shapes)
    with _quiet():
        program = capture(module, args, shapes)
        onnx_program = torch.onnx.export(
            program, args, None, input_names=list(inputs), output_names=list(OUTPUTS),
            opset_version=opset, dynamic_shapes=dict(shapes), external_data=False, dynamo=True,
            verbose=False)
    proto = onnx_program.model_proto
    got = {o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")}
    if got != {opset}:
        raise ConfigError(f"opset={opset} could not be reached (the exporter wrote "
                          f"{sorted(got)}); use opset={DEFAULT_OPSET}")
    del proto.metadata_props[:]
    for key, value in metadata.items():
        proto.metadata_props.add(key=key, value=str(value))
    return proto


def check_export(path: str | Path, module: nn.Module, recurrent: bool, scale: int,
                 sizes: tuple[tuple[int, int], ...] = (EXAMPLE_SIZE, CHECK_SIZE)) -> float:
    """Max |onnxruntime - PyTorch| over random inputs at ``sizes`` (LR ``h, w``)."""
    import numpy as np
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = RECURRENT_INPUTS if recurrent else SINGLE_INPUTS
    worst = 0.0
    for i, size in enumerate(sizes):
        args = example_inputs(recurrent, scale, size, seed=100 + i)
        with torch.no_grad():
            want = module(*args).numpy()
        got = sess.run(list(OUTPUTS), {n: a.numpy() for n, a in zip(names, args, strict=True)})[0]
        if got.shape != want.shape:
            raise RuntimeError(f"exported graph gives {got.shape} at {size}, PyTorch {want.shape}")
        worst = max(worst, float(np.abs(got - want).max()))
    return worst


def export_onnx(model: nn.Module, path: str | Path, *, scale: int, recurrent: bool,
                degradation: str, model_name: str, generator_class: str,
                opset: int = DEFAULT_OPSET, extra_metadata: Mapping[str, str] | None = None,
                tolerance: float = 1e-3) -> dict[str, str]:
    """Export ``model`` (an FRVSR when ``recurrent``, else a backbone) to ``path`` atomically.

    The file is checked with onnxruntime before it replaces ``path`` (see
    :func:`check_export`); a difference above ``tolerance`` raises RuntimeError and leaves
    no file. Returns the metadata written, with ``max_abs_diff`` added (not stored).

    Raises:
        ConfigError: bad ``opset``, a recurrent export of a model that is not an FRVSR, or a
            model that is not float32 on the CPU.
        RuntimeError: the model branches on the frame size, or the check fails.
        OSError: ``path`` cannot be written.
    """
    opset = check_opset(opset)
    module = graph_module(model, recurrent)
    meta = build_metadata(scale, recurrent, degradation, model_name, generator_class, opset,
                          extra_metadata)
    shapes = dynamic_shapes(recurrent, scale)
    proto = to_onnx(module, example_inputs(recurrent, scale, EXAMPLE_SIZE), shapes, opset, meta)
    import onnx

    with atomic_path(path) as tmp:
        onnx.save(proto, str(tmp))
        diff = check_export(tmp, module, recurrent, scale)
        if not diff <= tolerance:
            raise RuntimeError(f"the exported graph differs from PyTorch by {diff:.3g} "
                               f"(> {tolerance:g}) at LR sizes {EXAMPLE_SIZE} / {CHECK_SIZE}")
    return {**meta, "max_abs_diff": f"{diff:.3g}"}
