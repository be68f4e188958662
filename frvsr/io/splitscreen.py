"""Labelled split-screen frames: the left half of one image beside the right half of
another (e.g. bicubic | SR), with a divider line and a label on each side.

Used by ``frvsr.upscale compare=true``; frames are ``H,W,3`` uint8 RGB of equal size.
"""
from __future__ import annotations

import cv2
import numpy as np


def _label(img: np.ndarray, text: str, right: bool) -> None:
    scale = max(0.4, img.shape[0] / 720)
    thick = max(1, int(round(scale * 2)))
    (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thick)
    pad = int(8 * scale)
    x = img.shape[1] - tw - 2 * pad if right else pad
    y = pad + th
    cv2.rectangle(img, (x - pad // 2, y - th - pad // 2), (x + tw + pad // 2, y + base + pad // 2),
                  (0, 0, 0), -1)
    cv2.putText(img, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), thick,
                cv2.LINE_AA)


def split_screen(left: np.ndarray, right: np.ndarray, labels: tuple[str, str] = ("bicubic", "SR"),
                 position: float = 0.5) -> np.ndarray:
    """``left`` up to ``position`` of the width, ``right`` after it; labelled, 2-px divider.

    Raises ``ValueError`` when the two frames differ in shape."""
    if left.shape != right.shape:
        raise ValueError(f"split_screen: {left.shape} vs {right.shape}")
    out = right.copy()
    cut = int(round(left.shape[1] * position))
    out[:, :cut] = left[:, :cut]
    out[:, max(cut - 1, 0):cut + 1] = 255
    _label(out, labels[0], right=False)
    _label(out, labels[1], right=True)
    return out
