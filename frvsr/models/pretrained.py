"""Load published or own weights into frvsr models from an explicit local path.

Accepted files (``torch.load(weights_only=True)``, nothing executes, nothing downloads):

* a plain state dict, possibly with a ``module.`` (DataParallel) or other common prefix
  (``generator.``, ``net_g.``, ...: any prefix under which all the model's keys appear; an
  EMA copy such as frvsr's ``generator_ema.`` is preferred when present);
* BasicSR / Real-ESRGAN files ``{"params_ema": ..., "params": ...}`` (EMA preferred);
* the original ESRGAN / MMSR key names (``RRDB_trunk.<i>.RDB<j>``, ``trunk_conv``,
  ``upconv1/2``, ``HRconv``; ``recon_trunk`` for MSRResNet), renamed to BasicSR's;
* ``{"state_dict": ...}`` files (Lightning checkpoints, frvsr's own);
* TecoGAN-PyTorch FRNet checkpoints (``fnet.*``, ``srnet.conv_in/resblocks/conv_up/conv_out``)
  mapped onto ``FRVSR(FNet, FRVSRNet)``. To reproduce their outputs exactly build the model
  with :func:`build_tecogan_frnet` (their bicubic skip and flow upsampling for BD, their FNet
  size handling); other configurations load the same weights but compute slightly
  different skips.

:func:`weight_layout` tells these origins apart by their key names (BasicSR MSRResNet,
ESRGAN RRDBNet, TecoGAN FRNet, frvsr's own generator prefix), with the image skip and the
degradation each published forward assumes, so a caller builds the model with the skip
the weights were trained with (a wrong skip loads without complaint and costs 2-3 dB).
"""
from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from frvsr.errors import CheckpointMismatchError, ConfigError, WeightsNotFoundError
from frvsr.models.flownet import FNet
from frvsr.models.frvsr import FRVSR
from frvsr.models.frvsr_net import FRVSRNet
from frvsr.models.rrdbnet import RRDBNet
from frvsr.models.srresnet import SRResNet

_WRAPPER_KEYS = ("params_ema", "params", "state_dict", "model", "generator")
_TECOGAN_SRNET = [
    (r"^srnet\.conv_in\.0\.", "sr_net.conv_in."),
    (r"^srnet\.resblocks\.(\d+)\.conv\.0\.", r"sr_net.body.\1.conv1."),
    (r"^srnet\.resblocks\.(\d+)\.conv\.2\.", r"sr_net.body.\1.conv2."),
    (r"^srnet\.conv_up\.0\.", "sr_net.upsample.0."),
    (r"^srnet\.conv_up\.2\.", "sr_net.upsample.1."),
    (r"^srnet\.conv_out\.", "sr_net.conv_out."),
    (r"^fnet\.", "flow_net."),
]

# Pre-BasicSR names (xinntao/ESRGAN, open-mmlab/mmsr) -> the names our modules use.
_LEGACY: dict[type, list[tuple[str, str]]] = {
    RRDBNet: [
        (r"^RRDB_trunk\.(\d+)\.RDB(\d)\.", r"body.\1.rdb\2."),
        (r"^trunk_conv\.", "conv_body."),
        (r"^upconv1\.", "conv_up1."),
        (r"^upconv2\.", "conv_up2."),
        (r"^HRconv\.", "conv_hr."),
    ],
    SRResNet: [(r"^recon_trunk\.", "body."), (r"^HRconv\.", "conv_hr.")],
}


def build_tecogan_frnet(
    num_feat: int = 64, num_block: int = 16, degradation: str = "BD", scale: int = 4
) -> FRVSR:
    """``FRVSR(FNet, FRVSRNet)`` configured exactly as TecoGAN-PyTorch's ``FRNet``.

    BD: their a=-0.75 phase-0 bicubic for both the SR skip and the flow upsampling; BI:
    bilinear for both. FNet uses their size handling (``size_policy="reflect_flow"``).
    Their FRVSR model is 10-64, TecoGAN 16-64.
    """
    if degradation not in ("BD", "BI"):
        raise ConfigError(f"TecoGAN degradation is 'BD' or 'BI', got {degradation!r}")
    mode = "bicubic_tecogan" if degradation == "BD" else "bilinear"
    sr_net = functools.partial(FRVSRNet, num_feat=num_feat, num_block=num_block, skip=mode)
    return FRVSR(FNet(size_policy="reflect_flow"), sr_net, scale=scale, flow_upsampling=mode)


def _unwrap(obj: object, path: Path) -> dict[str, Tensor]:
    if isinstance(obj, Mapping):
        for key in _WRAPPER_KEYS:
            if isinstance(obj.get(key), Mapping):
                return _unwrap(obj[key], path)
        tensors = {k: v for k, v in obj.items() if isinstance(v, Tensor)}
        if tensors:
            return tensors
    raise CheckpointMismatchError(
        f"{path}: no state dict found (expected tensors, or one of {_WRAPPER_KEYS})"
    )


def _rename(state: dict[str, Tensor], rules: list[tuple[str, str]]) -> dict[str, Tensor]:
    out = {}
    for key, value in state.items():
        for pattern, repl in rules:
            if re.match(pattern, key):
                key = re.sub(pattern, repl, key)
                break
        out[key] = value
    return out


def _map_tecogan(state: dict[str, Tensor], model: FRVSR) -> dict[str, Tensor]:
    bicubic = [k for k in state if k.endswith("upsample_func.kernels")]
    if bicubic and getattr(model.sr_net, "skip", None) != "bicubic_tecogan":
        warnings.warn(
            "TecoGAN BD checkpoint loaded into a model without its bicubic skip; use "
            "build_tecogan_frnet(degradation='BD') to reproduce its outputs",
            stacklevel=3,
        )
    # Their bicubic taps are a constant buffer; we compute the same ones.
    kept = {k: v for k, v in state.items() if k not in bicubic}
    return _rename(kept, _TECOGAN_SRNET)


def _strip_prefix(state: dict[str, Tensor], model_keys: set[str]) -> dict[str, Tensor]:
    """Keys under the prefix that holds the model (``module.``, ``generator.``, ...)."""
    if model_keys <= set(state) or not model_keys:
        return state
    probe = next(iter(sorted(model_keys)))
    prefixes = [k[: len(k) - len(probe)] for k in state if k.endswith("." + probe)]
    fits = [p for p in prefixes if all(p + mk in state for mk in model_keys)]
    if not fits:
        return state  # let check_state_dict report what is missing
    prefix = next((p for p in fits if "ema" in p.lower()), fits[0])  # prefer EMA weights
    return {k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)}


def _fmt(items: list[str], n: int = 5) -> str:
    more = f" (+{len(items) - n} more)" if len(items) > n else ""
    return ", ".join(items[:n]) + more


def check_state_dict(model: nn.Module, state: Mapping[str, Tensor], source: str) -> None:
    """Raise one :class:`CheckpointMismatchError` listing the first missing / unexpected keys
    and shape mismatches, if ``state`` does not fit ``model`` exactly."""
    expected = model.state_dict()
    missing = [f"{k} {tuple(v.shape)}" for k, v in expected.items() if k not in state]
    unexpected = [f"{k} {tuple(v.shape)}" for k, v in state.items() if k not in expected]
    shapes = [
        f"{k} {tuple(state[k].shape)} vs model {tuple(v.shape)}"
        for k, v in expected.items()
        if k in state and state[k].shape != v.shape
    ]
    if missing or unexpected or shapes:
        parts = [
            f"{label} {len(items)}: {_fmt(items)}"
            for label, items in (("missing", missing), ("unexpected", unexpected),
                                 ("shape mismatches", shapes))
            if items
        ]
        raise CheckpointMismatchError(
            f"{source} does not fit {type(model).__name__}: " + "; ".join(parts)
            + ". Check the architecture arguments (num_feat, num_block, scale, in_channels)."
        )


def read_weights(path: str | Path) -> tuple[dict[str, Tensor], object]:
    """(the state dict found in the file, the whole loaded object), ``weights_only``.

    Raises:
        WeightsNotFoundError: no file at ``path`` (a ``FileNotFoundError``).
        CheckpointMismatchError: unreadable, or no tensors / known wrapper key inside.
    """
    path = Path(path)
    if not path.is_file():
        raise WeightsNotFoundError(f"no weight file at {path}; pass the path of a downloaded .pth")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated file or arbitrary pickle: one line, no traceback
        raise CheckpointMismatchError(
            f"{path} cannot be read as weights ({type(exc).__name__}); pass a state dict file"
        ) from exc
    return _unwrap(obj, path), obj


@dataclass(frozen=True)
class WeightLayout:
    """What a weight file's key names say about its origin.

    ``generator`` is the ``conf/model/generator`` option of its architecture, ``skip`` the
    image skip its published forward adds (``None``: unknown, e.g. frvsr's own generator
    weights without their config), ``degradation`` the LR it was trained on (``None``:
    unknown), ``recurrent`` whether it streams with a state (TecoGAN FRNet).
    """

    origin: str
    generator: str | None
    skip: str | None
    degradation: str | None
    recurrent: bool = False


_RRDB = re.compile(r"(?:^|\.)(?:body\.\d+\.rdb\d\.|RRDB_trunk\.)")
_RESBLOCK = re.compile(r"(?:^|\.)(?:body|recon_trunk)\.\d+\.conv1\.")


def weight_layout(state: Mapping[str, Tensor]) -> WeightLayout | None:
    """The origin of a state dict from its key names, or None when they match no known one.

    - TecoGAN-PyTorch FRNet (``fnet.*``, ``srnet.*``): BD (their bicubic skip, a stored
      ``upsample_func.kernels`` buffer) or BI (bilinear skip); recurrent.
    - ESRGAN / Real-ESRGAN RRDBNet (``body.<i>.rdb<j>`` or ``RRDB_trunk``): no skip, BI.
    - BasicSR / MMSR MSRResNet (``conv_first``, ``body.<i>.conv1`` or ``recon_trunk``,
      ``upconv1``): bilinear skip, BI.
    - frvsr's own generator (``generator.`` / ``generator_ema.`` prefixes) without the
      stored config of an frvsr checkpoint: architecture and skip unknown.
    """
    keys = list(state)
    if any(k.startswith(("fnet.", "srnet.")) for k in keys):
        bd = any(k.endswith("upsample_func.kernels") for k in keys)
        return WeightLayout("TecoGAN-PyTorch FRNet (" + ("BD" if bd else "BI") + ")",
                            "frvsr_net", "bicubic_tecogan" if bd else "bilinear",
                            "bd_tecogan" if bd else "bi", recurrent=True)
    if any(k.startswith(("generator.", "generator_ema.")) for k in keys):
        return WeightLayout("frvsr generator weights without their config", None, None, None)
    if any(_RRDB.search(k) for k in keys):
        return WeightLayout("ESRGAN RRDBNet", "rrdbnet", "none", "bi")
    if any(_RESBLOCK.search(k) for k in keys) and any("upconv1." in k for k in keys):
        return WeightLayout("BasicSR MSRResNet", "srresnet", "bilinear", "bi")
    return None


def published_skip(path: str | Path, layout: WeightLayout | None, generator: str,
                   overrides: Sequence[str]) -> str:
    """The image skip to build weights of ``layout`` with, for ``model/generator=<generator>``
    and the user's ``model.generator.<key>=`` ``overrides``: the layout's own.

    Raises:
        ConfigError: weights of another architecture (names the option to pass); an
            explicit skip that differs from the weights' (names the fix); weights of
            unknown origin (or frvsr's own, without their config) and no explicit skip.
    """
    given = [o.split("=", 1)[1] for o in overrides
             if o.split("=", 1)[0].lstrip("+") == "model.generator.skip"]
    skip = given[-1] if given else None
    if layout is None or layout.skip is None:
        if skip is None:
            what = layout.origin if layout else ("weights of unknown origin (not BasicSR "
                                                 "MSRResNet, ESRGAN RRDBNet or TecoGAN FRNet)")
            raise ConfigError(f"{path}: {what}; pass model.generator.skip=<bilinear|"
                              "bicubic_phase0|bicubic_tecogan|none>, the skip they were "
                              "trained with")
        return skip
    if layout.generator != generator:
        raise ConfigError(f"{path} holds {layout.origin} weights; pass "
                          f"model/generator={layout.generator}")
    if skip is not None and skip != layout.skip:
        raise ConfigError(f"{path} holds {layout.origin} weights, trained with the "
                          f"{layout.skip} skip; model.generator.skip={skip} would cost "
                          f"2-3 dB: pass model.generator.skip={layout.skip} or drop it")
    return layout.skip


def build_published(sr_net: functools.partial, scale: int, layout: WeightLayout | None
                    ) -> nn.Module:
    """The model for published weights: ``sr_net`` (a configured backbone partial) at
    ``scale``, or for a TecoGAN FRNet ``build_tecogan_frnet`` with its widths and skip."""
    if layout is None or not layout.recurrent:
        return sr_net(in_channels=3, out_channels=3, scale=scale)
    kw = sr_net.keywords
    return build_tecogan_frnet(int(kw.get("num_feat", 64)), int(kw.get("num_block", 10)),
                               "BD" if kw.get("skip") == "bicubic_tecogan" else "BI", scale)


def load_pretrained(model: nn.Module, path: str | Path) -> nn.Module:
    """Load the weights at ``path`` into ``model`` strictly (see the module docstring for
    the formats) and return the model. Raises :class:`CheckpointMismatchError` on any
    key or shape mismatch and ``FileNotFoundError`` for a missing file."""
    path = Path(path)
    state, _ = read_weights(path)
    model_keys = set(model.state_dict())
    if isinstance(model, FRVSR) and any(k.startswith(("fnet.", "srnet.")) for k in state):
        state = _map_tecogan(state, model)
    state = _strip_prefix(state, model_keys)
    legacy = _LEGACY.get(type(model))
    if legacy and not model_keys <= set(state):
        renamed = _rename(state, legacy)
        state = renamed if model_keys <= set(renamed) else state
    check_state_dict(model, state, str(path))
    model.load_state_dict(state, strict=True)
    return model
