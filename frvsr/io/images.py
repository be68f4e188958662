"""Image files <-> arrays <-> tensors: the one reader, the one writer, one float<->uint8 rule.

Reading (:func:`read_image`, :func:`load_image`) decodes PNG/JPEG/BMP with OpenCV
(``IMREAD_COLOR | IMREAD_ANYDEPTH``) into an ``H,W,3`` RGB array:

- 8-bit files give ``uint8``; 16-bit files (PNG) give ``uint16`` at full precision (never
  reduced to 8 bits); 1/2/4-bit PNGs are expanded to 8 bits.
- grayscale is copied to R, G and B; an alpha channel is dropped (not composited);
  palette images are expanded to their RGB colours; CMYK JPEGs are converted to RGB;
  a JPEG's EXIF orientation is applied.
- any other depth (float or 32-bit TIFF/EXR data) is an error.

Float rule (:func:`to_float_tensor`): ``uint8 / 255`` and ``uint16 / 65535`` in float32, so
values lie in [0,1]. A 16-bit copy of an 8-bit image (``v * 257``) gives exactly the same
floats as the 8-bit file; 16-bit data with low bits keeps them.

Output rule (:func:`to_uint8`): clamp to [0,1], multiply by 255, round half to even
(``torch.round``), cast to uint8. :func:`as_uint8` applies it to a ``uint16`` image (8-bit
views for display, VMAF and scene-cut thumbnails); ``uint8`` images pass unchanged.

Writing (:func:`write_png`): ``H,W,3`` RGB uint8 (or uint16) to a PNG, atomically
(:mod:`frvsr.io.atomic`).

Errors: :func:`load_image` raises :class:`ImageError` whose message is the reason without
the path (callers that name a clip and frame, like evaluation, word their own error);
:func:`read_image` raises a one-line :class:`frvsr.errors.DataError` naming the file.
No framework imports (lightning, hydra, omegaconf, wandb).
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch
from torch import Tensor

from frvsr.errors import DataError
from frvsr.io.atomic import atomic_write_bytes

__all__ = [
    "ImageError",
    "as_uint8",
    "load_image",
    "read_image",
    "to_float_tensor",
    "to_uint8",
    "write_png",
]

_SCALE = {np.dtype(np.uint8): 255.0, np.dtype(np.uint16): 65535.0}
_FIX = "re-export or remove the frame"


class ImageError(ValueError):
    """Why a file is not a usable image: one line, without the path (the caller adds it)."""


def load_image(path: str | Path) -> np.ndarray:
    """Decode an image file into ``H,W,3`` RGB ``uint8`` (8-bit source) or ``uint16`` (16-bit).

    Raises:
        ImageError: unreadable (missing, permissions), empty, truncated JPEG, corrupt, or
            not 8/16-bit; the message says which and how to fix it.
    """
    path = Path(path)
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as err:
        raise ImageError(
            f"cannot be read ({err.strerror}); check the file and its permissions"
        ) from None
    if data.size == 0:
        raise ImageError(f"empty file (0 bytes); {_FIX}")
    if path.suffix.lower() in (".jpg", ".jpeg") and not bytes(data[-16:]).rstrip(
        b"\x00\r\n "
    ).endswith(b"\xff\xd9"):
        # OpenCV decodes a truncated JPEG with a grey tail and only a warning; the missing
        # end-of-image marker is the reliable sign.
        raise ImageError(f"truncated JPEG (no end-of-image marker); {_FIX}")
    img = cv2.imdecode(data, cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH)
    if img is None:
        raise ImageError(f"not a readable image (corrupt or truncated); {_FIX}")
    if img.dtype not in _SCALE:
        raise ImageError(f"unsupported {img.dtype} image; save it as an 8- or 16-bit PNG")
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def read_image(path: str | Path) -> np.ndarray:
    """:func:`load_image` for the data pipeline: ``H,W,3`` RGB uint8 or uint16.

    Raises:
        DataError: one line ``<path>: <reason>; <fix>``.
    """
    try:
        return load_image(path)
    except ImageError as err:
        raise DataError(f"{path}: {err}") from None


def to_float_tensor(img: np.ndarray) -> Tensor:
    """``...,H,W,3`` uint8 or uint16 -> ``...,3,H,W`` float32 in [0,1] (``/255``, ``/65535``).

    Views with positive strides (crops of a stack) are used without a copy.

    Raises:
        ValueError: another dtype, or a last axis that is not 3 channels.
    """
    if img.dtype not in _SCALE or img.ndim < 3 or img.shape[-1] != 3:
        raise ValueError(f"expected ...,H,W,3 uint8 or uint16, got {img.dtype} {img.shape}")
    if not img.flags.writeable:
        img = np.array(img)  # torch.from_numpy warns on read-only memory (memmaps)
    elif any(s < 0 for s in img.strides):
        img = np.ascontiguousarray(img)  # e.g. a [..., ::-1] channel flip
    n = img.ndim
    dims = (*range(n - 3), n - 1, n - 3, n - 2)
    return torch.from_numpy(img).permute(dims).float().div_(_SCALE[img.dtype])


def to_uint8(x: Tensor) -> np.ndarray:
    """``...,3,H,W`` float (nominally [0,1]) -> ``...,H,W,3`` uint8 (contiguous, on the CPU).

    Clamp to [0,1], times 255, round half to even (``torch.round``), cast.
    """
    if x.ndim < 3:
        raise ValueError(f"expected ...,C,H,W, got shape {tuple(x.shape)}")
    n = x.ndim
    dims = (*range(n - 3), n - 2, n - 1, n - 3)
    u8 = (x.detach().clamp(0, 1) * 255).round().to(torch.uint8).permute(dims)
    return np.ascontiguousarray(u8.cpu().numpy())


def as_uint8(img: np.ndarray) -> np.ndarray:
    """An ``...,H,W,3`` image as uint8: uint8 unchanged, uint16 through the float and output
    rules (``round(v / 65535 * 255)``, computed in float32 as :func:`to_uint8` does)."""
    if img.dtype == np.uint8:
        return img
    return to_uint8(to_float_tensor(img))


def write_png(path: str | Path, img: np.ndarray) -> None:
    """Write an ``H,W,3`` RGB uint8 (or uint16) image as PNG, atomically (temp + rename).

    Raises:
        ValueError: wrong shape or dtype.
        OSError: the PNG could not be encoded or written.
    """
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype not in _SCALE:
        raise ValueError(f"write_png expects H,W,3 uint8/uint16 RGB, got {img.dtype} {img.shape}")
    ok, buf = cv2.imencode(".png", cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    if not ok:
        raise OSError(f"could not encode {path}")
    atomic_write_bytes(path, buf.tobytes())
