"""Score clips of SR frames against GT under a protocol, streaming one frame at a time.

Result layout (see docs/evaluation.md): per clip the means of every metric, counts and
``per_frame`` lists; PSNR of identical frames is ``math.inf`` here and becomes the string
"inf" only when written to JSON (``frvsr.evaluate``). Pair metrics of a one-frame clip
(an image of an image set) are ``specs.NOT_APPLICABLE`` ("n/a"), with the reason under the
clip's ``not_applicable``. SR and GT frames that differ by less than ``MAX_SCALE`` pixels
per axis are scored on their common top-left region, recorded under ``size_mismatch``.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch

from frvsr.errors import EvalError
from frvsr.evaluation.clips import ClipPair, crop_common, read_frame, read_frame_u8, to_tensor
from frvsr.evaluation.protocols import Protocol
from frvsr.metrics import specs
from frvsr.metrics.perceptual import LPIPS
from frvsr.metrics.temporal import (
    TLP_SCALE,
    ewarp_from_flows,
    farneback,
    to_gray_u8,
    tof_from_flows,
)
from frvsr.metrics.vmaf import ffmpeg_with_vmaf, vmaf_clip

# Snapshots of the metric table (frvsr.metrics.specs) at import; code reads the table itself.
ALL_METRICS = specs.names()
DEFAULT_METRICS = specs.default_metrics()
Value = float | None


def check_metrics(names: Sequence[str]) -> list[str]:
    """``names`` without repeats; an unknown name (or none) is one line listing the valid."""
    return specs.check_names(names)


def finite_mean(values: Sequence[Value]) -> Value:
    """Mean of the finite values; inf when every value is inf; None when none is defined."""
    kept = [v for v in values if v is not None]
    finite = [v for v in kept if math.isfinite(v)]
    if finite:
        return float(np.mean(finite))
    return math.inf if kept else None


class Scorer:
    """Holds the LPIPS networks once; ``score(pair)`` returns one clip's result dict."""

    def __init__(self, protocol: Protocol, metrics: Sequence[str]) -> None:
        self.protocol, self.metrics = protocol, check_metrics(metrics)
        need_alex = "lpips_alex" in self.metrics or "tlp" in self.metrics
        self.alex = LPIPS("alex") if need_alex else None
        self.vgg = LPIPS("vgg") if "lpips_vgg" in self.metrics else None
        self.vmaf_reason = ffmpeg_with_vmaf()[1] if "vmaf" in self.metrics else ""

    def _embed(self, sr: torch.Tensor, gt: torch.Tensor, region) -> tuple | None:
        """LPIPS-alex embeddings of the cropped SR and GT frame, shared by lpips_alex and tLP
        (each frame is embedded once instead of up to three times)."""
        if self.alex is None:
            return None
        ys, xs = region.slices()
        with torch.no_grad():
            return self.alex.embed(sr[None, :, ys, xs]), self.alex.embed(gt[None, :, ys, xs])

    def _frame_metrics(self, sr: torch.Tensor, gt: torch.Tensor, region,
                       emb: tuple | None) -> dict[str, float]:
        ys, xs = region.slices()
        s, g = sr[:, ys, xs], gt[:, ys, xs]
        out: dict[str, float] = {}
        for name in self.metrics:
            spec = specs.get(name)
            if spec.kind != "frame":
                continue
            if spec.fn is not None and not spec.scorer_path:
                out[name] = spec.fn(s, g)  # type: ignore[assignment]
            elif name == "lpips_alex":
                with torch.no_grad():
                    out[name] = float(self.alex.distance(*emb).item())  # type: ignore[union-attr]
            elif name == "lpips_vgg":
                with torch.no_grad():
                    out[name] = float(self.vgg(s[None], g[None]).item())  # type: ignore[misc]
        return out

    def score(self, pair: ClipPair, progress: Callable[[int, int], None] | None = None) -> dict:
        n, proto = len(pair.gt), self.protocol
        if n < proto.min_frames:
            hint = "; score image sets with protocol=basicsr" if n == 1 else ""
            raise EvalError(f"clip '{pair.name}' has {n} frames; protocol={proto.name} needs "
                            f">= {proto.min_frames}{hint}")
        frames, pairs = set(proto.frames(n)), set(proto.pairs(n))
        per: dict[str, list[Value]] = {m: [] for m in self.metrics
                                       if specs.get(m).kind != "clip"}
        need_flow = any(m in self.metrics for m in ("tof", "ewarp"))
        prev = None  # (sr, gt, sr gray, gt gray, LPIPS embeddings) of frame t-1
        region = sizes = None
        for t in range(n):
            sr_u8 = read_frame(pair.sr[t], pair.name, t)  # uint8, or uint16 for 16-bit files
            gt_u8 = read_frame(pair.gt[t], pair.name, t)
            shapes = (sr_u8.shape[:2], gt_u8.shape[:2])
            sr_u8, gt_u8 = crop_common(sr_u8, gt_u8, pair.name, t)
            sizes = sizes or shapes
            for side, now, first in zip(("sr", "gt"), shapes, sizes, strict=True):
                if now != first:
                    raise EvalError(f"clip '{pair.name}' frame {t}: {side} size {now[1]}x"
                                    f"{now[0]} differs from frame 0 ({first[1]}x{first[0]})")
            if region is None:
                region = self._region(pair.name, t, *sr_u8.shape[:2])
            sr, gt = to_tensor(sr_u8), to_tensor(gt_u8)
            grays = (to_gray_u8(sr), to_gray_u8(gt)) if need_flow else (None, None)
            scored = t in frames or t in pairs or t + 1 in pairs
            emb = self._embed(sr, gt, region) if scored else None
            if t in frames:
                try:
                    values = self._frame_metrics(sr, gt, region, emb)
                except ValueError as err:  # e.g. SSIM on a crop under 11x11: name the frame
                    raise EvalError(f"clip '{pair.name}' frame {t} ({pair.sr[t].name}): "
                                    f"{str(err).splitlines()[0]}") from None
                for k, v in values.items():
                    per[k].append(v)
            if t in pairs and prev is not None:
                self._pair_metrics(per, prev, (sr, gt, *grays, emb), region)
            prev = (sr, gt, *grays, emb)
            if progress:
                progress(t + 1, n)
        assert sizes is not None and region is not None  # n >= 1 frames were read
        common = [min(sizes[0][0], sizes[1][0]), min(sizes[0][1], sizes[1][1])]
        result: dict = {"frames": n, "scored_frames": len(frames), "scored_pairs": len(pairs),
                        "size": [int(v) for v in common], "region": vars(region).copy()}
        if sizes[0] != sizes[1]:
            result["size_mismatch"] = {
                "sr": [int(v) for v in sizes[0]], "gt": [int(v) for v in sizes[1]],
                "scored": "the common top-left region (size) of SR and GT"}
        not_applicable = [m for m in per if not specs.applies(m, len(pairs))]
        if not_applicable:
            result["not_applicable"] = {
                "metrics": not_applicable,
                "reason": f"a {n}-frame clip has no frame pair to score temporal metrics on"}
        for name, values in per.items():
            result[name] = finite_mean(values) if name not in not_applicable \
                else specs.NOT_APPLICABLE
            spec = specs.get(name)
            if spec.inf_key:
                result[spec.inf_key] = sum(1 for v in values if v == math.inf)
            if spec.undefined_key:
                result[spec.undefined_key] = sum(1 for v in values if v is None)
        if "vmaf" in self.metrics:
            result["vmaf"] = self._vmaf(pair, sorted(frames), region)
        result["per_frame"] = per
        return result

    def _region(self, clip: str, t: int, height: int, width: int):
        """The protocol's scored region; a frame too small for it names the clip and frame."""
        try:
            return self.protocol.region(height, width)
        except ValueError as err:
            raise EvalError(f"clip '{clip}' frame {t} ({width}x{height}): {err}; "
                            f"protocol={self.protocol.name} cannot score frames this small"
                            ) from None

    def _pair_metrics(self, per: dict, prev: tuple, cur: tuple, region) -> None:
        sr0, gt0, s0, g0, e0 = prev
        sr1, gt1, s1, g1, e1 = cur
        fw = farneback(g0, g1) if g0 is not None else None
        for name in self.metrics:
            spec = specs.get(name)
            if spec.kind != "pair":
                continue
            if spec.fn is not None and not spec.scorer_path:
                per[name].append(spec.fn(sr0, sr1, gt0, gt1, region))
            elif name == "tof":
                per[name].append(tof_from_flows(fw, farneback(s0, s1), region))
            elif name == "ewarp":
                per[name].append(ewarp_from_flows(sr0, sr1, fw, farneback(g1, g0), region))
            elif name == "tlp":  # = temporal.tlp_pair, from the cached embeddings
                with torch.no_grad():
                    d_gt = float(self.alex.distance(e0[1], e1[1]).item())  # type: ignore[union-attr]
                    d_sr = float(self.alex.distance(e0[0], e1[0]).item())  # type: ignore[union-attr]
                per[name].append(TLP_SCALE * abs(d_gt - d_sr))

    def _vmaf(self, pair: ClipPair, frames: list[int], region) -> float | str:
        if self.vmaf_reason:
            return f"unavailable: {self.vmaf_reason}"
        ys, xs = region.slices()
        # yuv420p needs even sizes: drop a last odd row/column of the scored region.
        h, w = region.height // 2 * 2, region.width // 2 * 2

        def frames_of(side: str):
            for t in frames:
                sr, gt = crop_common(read_frame_u8(pair.sr[t], pair.name, t),
                                     read_frame_u8(pair.gt[t], pair.name, t), pair.name, t)
                img = sr if side == "sr" else gt
                yield np.ascontiguousarray(img[ys, xs][:h, :w])

        return vmaf_clip(frames_of("sr"), frames_of("gt"))


def aggregate(clips: dict[str, dict], metrics: Sequence[str]) -> tuple[dict, dict]:
    """(mean over clips of the clip means, mean over all scored frames / pairs).

    VMAF has no per-frame list here: its "frame" mean weights clip values by scored frames.
    A metric unavailable in any clip is reported as unavailable, never as a number. Clips
    where a metric is NOT_APPLICABLE are left out of its means; when it applies to no clip,
    both means are NOT_APPLICABLE.
    """
    over_clips: dict[str, object] = {}
    over_frames: dict[str, object] = {}
    for name in metrics:
        kept = {k: c for k, c in clips.items() if c[name] != specs.NOT_APPLICABLE}
        values = [c[name] for c in kept.values()]
        if any(isinstance(v, str) and v.startswith("unavailable") for v in values):
            over_clips[name] = over_frames[name] = next(v for v in values if isinstance(v, str))
            continue
        if not kept:
            over_clips[name] = over_frames[name] = specs.NOT_APPLICABLE
        elif specs.get(name).kind == "clip":
            over_clips[name] = finite_mean(values)
            weights = [c["scored_frames"] for c in kept.values()]
            over_frames[name] = float(np.average(values, weights=weights))
        else:
            over_clips[name] = finite_mean(values)
            pooled = [v for c in kept.values() for v in c["per_frame"][name]]
            over_frames[name] = finite_mean(pooled)
        inf_key = specs.get(name).inf_key
        if inf_key:
            over_clips[inf_key] = sum(c[inf_key] for c in clips.values())
    return over_clips, over_frames
