"""Window datasets over clips: `{"lr": T,C,h,w, "hr": T,C,H,W, "key": str}`, float32 RGB [0,1].

* `TrainClipDataset`: every window of `num_frames` consecutive frames inside one shot (never
  across a scene cut), a paired random crop (`lr_patch` LR px, HR patch `scale` times
  larger and aligned with it), flips / rot90 / temporal reversal. Indexed by `(epoch, index)`
  (what `EpochSampler` yields) so the random draws derive from (seed, epoch, index).
* `EvalClipDataset`: one item per shot, whole frames, optionally the first `max_frames` and a
  centre crop of `crop` LR px (HR `scale * crop`).

Frames are read as uint8 (uint16 for 16-bit PNGs) and scaled to float by the one image
rule (`frvsr.io.images.to_float_tensor`: /255, /65535). LR frames come from `degrade` (on
the fly) or, when a clip has LR files, from them. On the fly, the HR region is degraded
with a margin of `_MARGIN` LR px around the crop (where the frame has it), so
crop-then-degrade equals degrade-then-crop away from frame borders. LR is clamped to
[0, 1] (bicubic overshoots) and kept in float (not re-quantised to uint8).

Flips and rot90 are applied to HR *before* the on-the-fly degradation: BD samples HR pixels
0, s, 2s, ... and flipping after sampling would put LR pixel i on HR pixel s*i + s - 1,
a misalignment the network would have to learn (validation PSNR fell during training when
flips came after the degradation). Published LR folders can only be flipped together with
their HR frames; for BD sets that shifts the grid the same way, so keep `augment` off or
accept it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image
from torch import Tensor
from torch.utils.data import Dataset

from frvsr.data.clips import Clip
from frvsr.data.degradations import check_degradation, degrade
from frvsr.data.errors import DataError
from frvsr.data.pans import SyntheticPan, draw_offsets
from frvsr.data.robust import ExtraDegradations
from frvsr.data.transforms import (
    ClipAugment,
    apply_augment,
    draw_augment,
    draw_crop,
    sample_rng,
)
from frvsr.errors import one_line
from frvsr.io.images import to_float_tensor

__all__ = ["EvalClipDataset", "TrainClipDataset", "Item"]

Item = dict[str, "Tensor | str"]
_MARGIN = 3  # LR px; >= the HR support of every kernel (BI x2..x4: 2 LR px, bd_duf x2: 3)


class _ClipReader:
    """Reads aligned (LR, HR) crops of a window; shared by the train and eval datasets."""

    def __init__(self, clips: Sequence[Clip], scale: int, degradation: str) -> None:
        check_degradation(scale, degradation)
        if not clips:
            raise DataError("dataset has no clips; check the source's root and selection")
        self.clips, self.scale, self.degradation = list(clips), scale, degradation

    def lr_size(self, clip: Clip) -> tuple[int, int]:
        """(h, w) of the LR frames: the LR files' size, else HR // scale (HR cropped to fit)."""
        if clip.lr is not None:
            with Image.open(clip.lr[0]) as im:
                return im.height, im.width
        h, w = clip.frame_size()
        return h // self.scale, w // self.scale

    def read(
        self,
        clip: Clip,
        start: int,
        stop: int,
        box: tuple[int, int, int, int],
        aug: ClipAugment | None = None,
    ) -> tuple[Tensor, Tensor]:
        """(lr T,3,ph,pw, hr T,3,s*ph,s*pw) for the LR box (y, x, ph, pw), augmented by `aug`."""
        s = self.scale
        y, x, ph, pw = box
        if clip.lr is not None:
            lr, hr = self._read_pair(clip, start, stop, box)
            return (lr, hr) if aug is None else (apply_augment(lr, aug), apply_augment(hr, aug))
        h, w = self.lr_size(clip)
        y0, x0 = max(0, y - _MARGIN), max(0, x - _MARGIN)
        y1, x1 = min(h, y + ph + _MARGIN), min(w, x + pw + _MARGIN)
        rows, cols = slice(s * y0, s * y1), slice(s * x0, s * x1)
        hr = to_float_tensor(clip.read_hr(start, stop, rows, cols))
        ly, lx = y - y0, x - x0
        if aug is not None:
            # Augment the HR region first, then find where the crop went: the same flips on
            # an LR-grid mask of the box (the HR region is exactly s times the LR region).
            hr = apply_augment(hr, aug)
            mask = torch.zeros(1, 1, y1 - y0, x1 - x0, dtype=torch.bool)
            mask[..., ly : ly + ph, lx : lx + pw] = True
            rows, cols = apply_augment(mask, aug)[0, 0].nonzero(as_tuple=True)
            ly, lx = int(rows.min()), int(cols.min())
            ph, pw = int(rows.max()) - ly + 1, int(cols.max()) - lx + 1
        lr = degrade(hr, s, self.degradation).clamp_(0.0, 1.0)
        lr = lr[..., ly : ly + ph, lx : lx + pw]
        hr = hr[..., s * ly : s * (ly + ph), s * lx : s * (lx + pw)]
        return lr, hr

    def read_pan(
        self,
        clip: Clip,
        frame: int,
        box: tuple[int, int, int, int],
        offsets: np.ndarray,
        pad: int,
        aug: ClipAugment | None = None,
    ) -> tuple[Tensor, Tensor]:
        """A synthetic pan (`frvsr.data.pans`): (lr T,3,ph,pw, hr T,3,s*ph,s*pw) where HR frame
        t is the region of HR frame `frame` under the LR box moved by `offsets[t]` (dy, dx HR
        px, each within `pad` HR px). The caller keeps the box `pad` HR px plus the
        degradation margin inside the frame."""
        s = self.scale
        y, x, ph, pw = box
        rows = slice(s * (y - _MARGIN) - pad, s * (y + ph + _MARGIN) + pad)
        cols = slice(s * (x - _MARGIN) - pad, s * (x + pw + _MARGIN) + pad)
        region = to_float_tensor(clip.read_hr(frame, frame + 1, rows, cols))[0]
        hh, hw = s * (ph + 2 * _MARGIN), s * (pw + 2 * _MARGIN)
        hr = torch.stack(
            [region[:, pad + dy : pad + dy + hh, pad + dx : pad + dx + hw] for dy, dx in offsets]
        )
        if aug is not None:  # the margin is the same on every side, so the crop stays centred
            hr = apply_augment(hr, aug)
            if aug.rot90:
                ph, pw = pw, ph
        lr = degrade(hr, s, self.degradation).clamp_(0.0, 1.0)
        lr = lr[..., _MARGIN : _MARGIN + ph, _MARGIN : _MARGIN + pw]
        hr = hr[..., s * _MARGIN : s * (_MARGIN + ph), s * _MARGIN : s * (_MARGIN + pw)]
        return lr, hr

    def _read_pair(
        self, clip: Clip, start: int, stop: int, box: tuple[int, int, int, int]
    ) -> tuple[Tensor, Tensor]:
        s = self.scale
        y, x, ph, pw = box
        lr_np = clip.read_lr(start, stop)
        hr_np = clip.read_hr(start, stop)
        lh, lw = lr_np.shape[1:3]
        if hr_np.shape[1] // s != lh or hr_np.shape[2] // s != lw:
            hh, hw = hr_np.shape[1:3]
            raise DataError(
                f"{clip.lr[start].parent}: LR frames are {lw}x{lh} but HR frames are {hw}x{hh}, "  # type: ignore[index]
                f"not {s}x larger; make the LR set with scale {s}"
            )
        lr = to_float_tensor(lr_np[:, y : y + ph, x : x + pw])
        hr = to_float_tensor(hr_np[:, s * y : s * (y + ph), s * x : s * (x + pw)])
        return lr, hr


class TrainClipDataset(Dataset):
    """Random `num_frames`-frame windows with paired crops and clip-wide augmentation."""

    def __init__(
        self,
        clips: Sequence[Clip],
        scale: int,
        degradation: str,
        num_frames: int,
        lr_patch: int | None,
        seed: int = 0,
        augment: bool = True,
        stride: int = 1,
        extra: ExtraDegradations | None = None,
        skip_bad: bool = False,
        pan: SyntheticPan | None = None,
    ) -> None:
        self.reader = _ClipReader(clips, scale, degradation)
        self.extra = extra
        with_lr = [c for c in self.reader.clips if c.lr is not None]
        if pan is not None and with_lr:
            raise DataError(
                f"{with_lr[0].location}: data.synthetic_pan degrades HR frames on the fly but "
                f"clip {with_lr[0].key!r} has LR files; set data.synthetic_pan=null"
            )
        self.pan = pan
        # LR px kept free around a pan's crop: the degradation margin plus the pan's extent.
        self._pan_border = 0 if pan is None else _MARGIN + -(-pan.extent(num_frames) // scale)
        # An unreadable frame: False stops with its path (DataError); True replaces the
        # window by the next readable one and reports it in the item's `skipped` entry.
        self.skip_bad = skip_bad
        self.num_frames, self.lr_patch, self.seed, self.augment = (
            num_frames,
            lr_patch,
            seed,
            augment,
        )
        self.windows = self._windows(stride)

    def _windows(self, stride: int) -> list[tuple[int, int]]:
        t, out = self.num_frames, []
        for ci, clip in enumerate(self.reader.clips):
            if not clip.shots:
                raise DataError(
                    f"{clip.location}: no shots selected in clip {clip.key!r}; check the split"
                )
            found = [(ci, st) for a, b in clip.shots for st in range(a, b - t + 1, stride)]
            if not found:
                longest = max(b - a for a, b in clip.shots)
                what = "clip" if len(clip.shots) == 1 else "longest shot between scene cuts"
                raise DataError(
                    f"{clip.location}: {what} has {longest} frames, shorter than num_frames={t}; "
                    "lower num_frames or remove the clip"
                )
            self._checked_size(clip)  # one header read per clip: fail at setup, not in a worker
            if self.pan is not None:
                self._check_pan_room(clip)
            out += found
        return out

    def __len__(self) -> int:
        return len(self.windows)

    def _checked_size(self, clip: Clip) -> tuple[int, int]:
        """LR (h, w) of a clip; frames smaller than the crop are a one-line error."""
        h, w = self.reader.lr_size(clip)
        p, s = self.lr_patch, self.reader.scale
        if p and (h < p or w < p):
            raise DataError(
                f"{clip.location}: frames are {w * s}x{h * s} px, smaller than the crop "
                f"{p * s}x{p * s} (lr_patch={p} x scale {s}); lower lr_patch or remove the clip"
            )
        return h, w

    def __getitem__(self, item: int | tuple[int, int]) -> Item:
        """The window `item` (or `(epoch, index)`); with `skip_bad`, a window holding an
        unreadable frame is replaced by the next readable one (in index order), and the
        item's `skipped` string lists what was passed over (one line each, '' if nothing)."""
        epoch, index = item if isinstance(item, tuple) else (0, item)
        if not self.skip_bad:
            return self._item(epoch, index)
        skipped: list[str] = []
        for step in range(len(self.windows)):
            try:
                found = self._item(epoch, (index + step) % len(self.windows))
            except DataError as err:
                skipped.append(one_line(str(err)))
                continue
            return {**found, "skipped": "\n".join(skipped)}
        raise DataError(f"every training window has an unreadable frame (first: {skipped[0]}); "
                        "fix or remove those frames")

    def _item(self, epoch: int, index: int) -> Item:
        rng = sample_rng(self.seed, epoch, index)
        ci, start = self.windows[index]
        clip = self.reader.clips[ci]
        h, w = self._checked_size(clip)
        p = self.lr_patch
        key = f"{clip.key}/{start:05d}"
        # Drawn only when pans are on, so runs without them keep their exact samples.
        if self.pan is not None and self.pan.prob > 0.0 and rng.random() < self.pan.prob:
            lr, hr = self._read_pan(rng, clip, start, h, w)
            key += "/pan"
        else:
            if p:
                y, x = draw_crop(rng, h, w, p)
                box = (y, x, p, p)
            else:
                box = (0, 0, h, w)
            aug = draw_augment(rng, self.augment, square=box[2] == box[3])
            lr, hr = self.reader.read(clip, start, start + self.num_frames, box, aug)
        if self.extra is not None:  # drawn after the crop and flips: their draws stay unchanged
            lr = self.extra(lr, rng)
        return {"lr": lr, "hr": hr, "key": key}

    def _check_pan_room(self, clip: Clip) -> None:
        """A DataError naming the fix when the clip's frames have no room for a pan's crop
        plus `_pan_border` on every side (checked once per clip at setup)."""
        assert self.pan is not None
        p, (h, w) = self.lr_patch, self.reader.lr_size(clip)
        if not p or p + 2 * self._pan_border > min(h, w):
            crop = f"a {p}x{p} crop" if p else "whole frames (data.lr_patch=null)"
            raise DataError(
                f"{clip.location}: frames of {w}x{h} LR px leave no room for a synthetic pan "
                f"of {self.num_frames} frames at max_speed={self.pan.max_speed} around {crop}; "
                "lower data.synthetic_pan.max_speed, data.num_frames or data.lr_patch"
            )

    def _read_pan(
        self, rng: np.random.Generator, clip: Clip, start: int, h: int, w: int
    ) -> tuple[Tensor, Tensor]:
        """A synthetic pan over the window's first frame (`frvsr.data.pans`)."""
        assert self.pan is not None and self.lr_patch  # _check_pan_room made sure at setup
        p, border = self.lr_patch, self._pan_border
        y, x = draw_crop(rng, h - 2 * border, w - 2 * border, p)
        offsets = draw_offsets(rng, self.num_frames, self.pan.max_speed)
        aug = draw_augment(rng, self.augment, square=True)
        pad = self.reader.scale * (border - _MARGIN)
        return self.reader.read_pan(clip, start, (y + border, x + border, p, p), offsets, pad, aug)


class EvalClipDataset(Dataset):
    """Whole shots for validation/testing: first `max_frames` frames, centre `crop` LR px."""

    def __init__(
        self,
        clips: Sequence[Clip],
        scale: int,
        degradation: str,
        max_frames: int | None = None,
        crop: int | None = None,
    ) -> None:
        self.reader = _ClipReader(clips, scale, degradation)
        self.max_frames, self.crop = max_frames, crop
        self.items = [(ci, a, b) for ci, c in enumerate(self.reader.clips) for a, b in c.shots]
        if not self.items:
            raise DataError(
                f"{self.reader.clips[0].location}: no shots to evaluate; check the split"
            )

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> Item:
        ci, a, b = self.items[index]
        clip = self.reader.clips[ci]
        stop = min(b, a + self.max_frames) if self.max_frames else b
        h, w = self.reader.lr_size(clip)
        ph, pw = (min(h, self.crop), min(w, self.crop)) if self.crop else (h, w)
        box = ((h - ph) // 2, (w - pw) // 2, ph, pw)
        lr, hr = self.reader.read(clip, a, stop, box)
        key = clip.key if len(clip.shots) == 1 else f"{clip.key}/{a:05d}"
        return {"lr": lr, "hr": hr, "key": key}
