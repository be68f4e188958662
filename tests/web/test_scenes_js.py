"""The player's JS thumbnail (scenes.js, run in Node) against OpenCV's INTER_AREA.

OpenCV takes an integer path (cell sums; 2x2 cells round half up, others half to even)
or a fractional one (float32 area weights). Sizes below cover both and the 2x2 case, on
real frames and on noise (noise hits rounding ties that smooth frames rarely do).

Tolerance: one level on at most 1% of the values. The JS reproduces OpenCV's float32
arithmetic step by step and matches it exactly today (0 values differ); a future OpenCV
that accumulated in another order could move a rounding tie by one level. One level on
1% of the values moves a cut score by at most 0.01/255 = 4e-5, far below the distance
of real scores to the 0.12 threshold (within a shot <= 0.08, at a cut >= 0.19 on the
sample footage).
"""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from frvsr.data.scenes import THUMB_SIZE, thumbnail
from frvsr.io.video import decode_frames
from frvsr.web import STATIC_DIR

HERE = Path(__file__).resolve().parent
SIZES = [(1280, 720), (960, 540), (640, 360), (128, 72), (64, 36), (160, 90), (854, 480),
         (100, 57), (333, 201), (1366, 768)]


def _js_thumbnails(images: list[np.ndarray], tmp: Path) -> list[np.ndarray]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed (needed to run the player's JS here)")
    manifest = []
    for i, img in enumerate(images):
        path = tmp / f"img{i}.rgb"
        path.write_bytes(np.ascontiguousarray(img).tobytes())
        manifest.append({"path": str(path), "width": img.shape[1], "height": img.shape[0]})
    (tmp / "manifest.json").write_text(json.dumps(manifest))
    proc = subprocess.run([node, str(HERE / "thumbs.mjs"), str(STATIC_DIR / "scenes.js"),
                           str(tmp / "manifest.json")], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    w, h = THUMB_SIZE
    return [np.frombuffer(base64.b64decode(b), np.uint8).reshape(h, w, 3)
            for b in json.loads(proc.stdout)]


def test_js_thumbnail_matches_opencv(shared_data: Path, tmp_path: Path) -> None:
    sources = [next(decode_frames(shared_data / "videos" / n, max_frames=1))
               for n in ("02_cups.mp4", "bedroom.mp4")]
    rng = np.random.default_rng(0)
    images = []
    for w, h in SIZES:
        for src in sources:
            same = (src.shape[1], src.shape[0]) == (w, h)
            images.append(src if same else cv2.resize(src, (w, h), interpolation=cv2.INTER_AREA))
        images.append(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    js = _js_thumbnails(images, tmp_path)
    differing = 0
    for img, got in zip(images, js, strict=True):
        want = thumbnail(img).astype(int)
        diff = np.abs(got.astype(int) - want)
        assert diff.max() <= 1, (img.shape, diff.max())
        assert (diff > 0).mean() <= 0.01, img.shape
        differing += int((diff > 0).sum())
    print(f"{len(images)} images, {differing} thumbnail values differ from OpenCV")


def test_js_refuses_frames_smaller_than_the_thumbnail(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    script = ("const {thumbnail} = await import(process.argv[1]);"
              "try { thumbnail(new Uint8Array(48*27*3), 48, 27, 3); console.log('no'); }"
              "catch (e) { console.log(e.message); }")
    proc = subprocess.run([node, "--input-type=module", "-e", script,
                           (STATIC_DIR / "scenes.js").as_uri()], capture_output=True, text=True,
                          timeout=60, check=False)
    assert "at least 64x36" in proc.stdout, proc.stdout + proc.stderr
