"""Evaluation protocols: which frames and pairs are scored and which region of each frame.

- ``basicsr``: every frame, every consecutive pair (t-1, t) for t in [1, n); the region
  drops ``crop_border`` pixels from each edge (default 0 for video). A one-frame clip (an
  image of an image set) has no pair: its temporal metrics are not applicable.
- ``tecogan`` (TecoGAN's official ``metrics.py``): frames t in [2, n-2); pairs for
  t in [3, n-2), i.e. n - 5 values; each axis centre-cropped to c = the largest multiple
  of 32 not above size - 16, at offset (size - c) // 2 (720x1280 -> 704x1248 at (8, 16)).
  Flows (tOF, E_warp) are computed on full frames and cropped afterwards.
"""
from __future__ import annotations

from dataclasses import dataclass

from frvsr.errors import EvalError
from frvsr.metrics import specs
from frvsr.metrics.temporal import Region

PROTOCOLS = ("basicsr", "tecogan")


def tecogan_crop_size(size: int) -> int:
    """Largest multiple of 32 that is not above ``size - 16``."""
    c = (size - 16) // 32 * 32
    if c <= 0:
        raise ValueError(f"a {size}-pixel axis is too small for the tecogan crop (needs >= 48)")
    return c


@dataclass(frozen=True)
class Protocol:
    name: str
    crop_border: int = 0

    def __post_init__(self) -> None:
        if self.name not in PROTOCOLS:
            raise EvalError(f"protocol {self.name!r} must be one of {', '.join(PROTOCOLS)}")
        if self.crop_border < 0:
            raise EvalError(f"crop_border must be >= 0, got {self.crop_border}")
        if self.name == "tecogan" and self.crop_border:
            raise EvalError("protocol=tecogan defines its own centre crop; leave crop_border=0")

    @property
    def min_frames(self) -> int:
        """Fewest frames a clip needs: tecogan's frame range is empty below 6; basicsr
        scores one-frame clips (image sets) on the per-frame metrics."""
        return 6 if self.name == "tecogan" else 1

    def frames(self, n: int) -> range:
        """Indices of the frames whose per-frame metrics (PSNR, SSIM, LPIPS) are scored."""
        return range(2, n - 2) if self.name == "tecogan" else range(n)

    def pairs(self, n: int) -> range:
        """Indices t of the scored pairs (t-1, t) for temporal metrics."""
        return range(3, n - 2) if self.name == "tecogan" else range(1, n)

    def region(self, height: int, width: int) -> Region:
        if self.name == "tecogan":
            ch, cw = tecogan_crop_size(height), tecogan_crop_size(width)
            return Region((height - ch) // 2, (width - cw) // 2, ch, cw)
        b = self.crop_border
        if 2 * b >= min(height, width):
            raise ValueError(f"crop_border={b} leaves nothing of a {width}x{height} frame")
        return Region(b, b, height - 2 * b, width - 2 * b)

    def conventions(self) -> dict[str, object]:
        """The exact conventions, written into every result file; the per-metric texts come
        from the metric table (``frvsr.metrics.specs``)."""
        if self.name == "tecogan":
            frames, crop = "t in [2, n-2)", "centre crop to the largest multiple of 32 <= size-16"
            pairs = "(t-1, t) for t in [3, n-2): n-5 values"
        else:
            frames, crop = "all", f"crop_border={self.crop_border} from every edge"
            pairs = "(t-1, t) for t in [1, n): n-1 values"
        return {
            "frames": frames, "pairs": pairs, "crop": crop,
            "quantisation": "frames read as 8-bit RGB, scaled to [0,1]",
            "y_channel": "Y = 16 + 65.481 R + 128.553 G + 24.966 B (0-255, BT.601 studio)",
            **specs.conventions(),  # one text per metric (group), from the table
            "mean_over_clips": "mean of the per-clip means",
            "mean_over_frames": "mean over all scored frames (pairs for temporal metrics)",
        }
