"""Frames that ``frvsr.evaluate`` generates before scoring: the bicubic baseline or a
checkpoint's generator run over every clip (streaming, whole frames, one at a time).

Scene cuts: a recurrent generator's state is reset at every frame that starts a new shot,
found by the training detector (:class:`frvsr.data.scenes.CutDetector`, the mean absolute
difference of 64x36 thumbnails against a threshold) through the inference hook
(:func:`frvsr.inference.upscaler.run`'s ``is_cut``). Detection runs on the LR frames the
generator sees, whether they come from ``lr=`` or are made from GT: the SR frames then never
depend on GT, and evaluation resets where ``upscale`` (which has only LR) resets. On 64x36
thumbnails LR and GT give the same scores to within 0.003 (DAVIS, x4 BI and BD), far inside
the margin between in-shot motion and cuts that the threshold relies on.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from torch import Tensor

from frvsr.data.scenes import DEFAULT_THRESHOLD, CutDetector
from frvsr.errors import EvalError
from frvsr.evaluation.clips import keyed_like, list_clips, read_frame, to_tensor
from frvsr.evaluation.folders import fresh_folder
from frvsr.inference.upscaler import FrameUpscaler, run
from frvsr.io.images import as_uint8, to_uint8, write_png

BASELINE_UPSCALE = {"bi": "MATLAB-style antialiased bicubic imresize (inverts BI)",
                    "bd": "phase-0-aligned bicubic, LR pixel i on HR pixel s*i (inverts BD)"}


@dataclass(frozen=True)
class CutResets:
    """Where a recurrent generator starts a new shot within a clip.

    ``enabled`` False keeps the state across cuts (``reset_on_cut=false``); ``threshold``
    is the detector's (in (0, 1], on thumbnails in [0, 1]); ``source`` says where it came
    from (``default``, ``checkpoint`` or ``scene_threshold=``).
    """

    enabled: bool = True
    threshold: float = DEFAULT_THRESHOLD
    source: str = "default"

    def record(self) -> dict[str, object]:
        """The result file's ``scene_cuts`` entry (per-clip resets are under each clip)."""
        return {"reset_on_cut": self.enabled, "threshold": self.threshold,
                "threshold_source": self.source, "detected_on": "LR frames",
                "detector": "frvsr.data.scenes.CutDetector: mean |difference| of 64x36 RGB "
                            "thumbnails of consecutive frames > threshold"}


class _ShotTracker:
    """The streaming detector between the frame reader and ``run``'s ``is_cut`` hook: the
    reader shows it each LR frame (``see``) just before ``run`` asks about that frame."""

    def __init__(self, threshold: float) -> None:
        self.detector, self.current = CutDetector(threshold), False

    def see(self, rgb) -> None:  # H,W,3 uint8
        self.current = self.detector(rgb)

    def is_cut(self, _lr: Tensor) -> bool:
        return self.current


def _lr_frames(name: str, gt_paths: list[Path], lr_paths: list[Path] | None, scale: int,
               degradation: str, shots: _ShotTracker | None) -> Iterator[Tensor]:
    """LR frames ``1,3,h,w`` in [0,1] of one clip, read one at a time: ``lr=`` files, else GT
    degraded and rounded to uint8 (as stored LR test sets are). Each frame is shown to
    ``shots`` (as 8-bit RGB) before it is yielded."""
    from frvsr.data.degradations import degrade

    for t, gt_path in enumerate(gt_paths):
        if lr_paths is not None:
            img = read_frame(lr_paths[t], name, t)
        else:
            img = to_uint8(degrade(to_tensor(read_frame(gt_path, name, t)), scale, degradation))
        if shots is not None:
            shots.see(as_uint8(img))
        yield to_tensor(img)[None]


def generate_frames(gt: Path, lr: Path | None, sr_out: Path, make: Callable[[], FrameUpscaler],
                    scale: int, degradation: str, cuts: CutResets | None = None
                    ) -> dict[str, list[int]]:
    """Upscale every clip (streaming, whole frames) into ``sr_out/<clip>/<frame>.png``.

    Written into a temp folder that replaces ``sr_out`` only when complete (see
    ``frvsr.evaluation.folders``), so frames of an earlier run never mix with these. Without
    ``lr``, LR frames are made from GT with the degradation and rounded to uint8, as stored
    LR test sets are. Frames are read and written by :mod:`frvsr.io.images` (16-bit input
    at full precision; SR frames written as 8-bit PNG). Memory does not grow with clip
    length: one LR and one SR frame are held at a time.

    With ``cuts`` enabled, the generator is reset at every detected cut (see the module
    docstring). Returns clip -> the frames (> 0) where it was reset; empty without ``cuts``.

    Raises:
        EvalError: a GT clip missing in ``lr``, different frame counts, unreadable frames.
    """
    gt_clips = list_clips(gt, "gt")
    lr_clips = keyed_like(gt_clips, gt, list_clips(lr, "lr"), lr, "lr") if lr is not None \
        else None
    resets: dict[str, list[int]] = {}
    with fresh_folder(sr_out, "sr_out") as tmp:
        for name, gt_paths in gt_clips.items():
            lr_paths = None
            if lr_clips is not None:
                if name not in lr_clips:
                    raise EvalError(f"clip '{name}' is in gt={gt} but missing in lr={lr}")
                lr_paths = lr_clips[name]
                if len(lr_paths) != len(gt_paths):
                    raise EvalError(f"clip '{name}': lr has {len(lr_paths)} frames, gt "
                                    f"has {len(gt_paths)}")
            shots = _ShotTracker(cuts.threshold) if cuts is not None and cuts.enabled else None
            frames = _lr_frames(name, gt_paths, lr_paths, scale, degradation, shots)
            is_cut = shots.is_cut if shots is not None else None
            for gt_path, sr in zip(gt_paths, run(make(), frames, is_cut), strict=True):
                write_png(tmp / name / f"{gt_path.stem}.png", to_uint8(sr[0]))
            if cuts is not None:
                resets[name] = list(shots.detector.cuts) if shots is not None else []
    return resets
