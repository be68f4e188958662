"""Issue 11, case 5: one bit-depth rule through every entry point of evaluation.

tests/io/test_images.py already checks the rule for the training dataset and for
``sr=``/``gt=`` (16-bit read at full precision, scaled by 1/65535). Not covered there, and
checked here with the issue's scenario (a real clip saved as 8-bit PNG and as its 16-bit
copy, ``v * 257``): LR made from 16-bit GT (``baseline=``/``ckpt=`` runs) and
``data=folder``, which must score the 16-bit copy exactly as the 8-bit clip and as
``gt=`` does. A 16-bit clip with low bits keeps them in ``data=``'s GT folder (before the
fix ``data=`` wrote its GT as 8-bit, so it scored differently from ``gt=``).
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from frvsr.evaluate import parse_args, run
from frvsr.evaluation.clips import read_frame
from frvsr.io.images import write_png

BASE = ["baseline=bicubic", "degradation=bi", "scale=4", "metrics=[psnr_y,psnr_rgb]",
        "report=false", "threads=1"]


@pytest.fixture(scope="module")
def clips(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One Vimeo-90K clip (3 frames, 96x128 crops) as 8-bit, 16-bit (v*257) and 16-bit with
    low bits, each as <root>/<name>/clip/<t>.png."""
    root = tmp_path_factory.mktemp("depth")
    seq = shared_data / "vimeo_septuplet" / "sequences" / "00001" / "0001"
    rng = np.random.default_rng(0)
    for t in range(3):
        rgb = np.ascontiguousarray(cv2.imread(str(seq / f"im{t + 1}.png"))[80:176, 160:288, ::-1])
        deep = np.clip(rgb.astype(np.int64) * 257 + rng.integers(-128, 129, rgb.shape), 0, 65535)
        write_png(root / "rgb8" / "clip" / f"{t}.png", rgb)
        write_png(root / "rgb16" / "clip" / f"{t}.png", rgb.astype(np.uint16) * 257)
        write_png(root / "deep16" / "clip" / f"{t}.png", deep.astype(np.uint16))
    assert read_frame(root / "rgb16" / "clip" / "0.png", "clip", 0).dtype == np.uint16
    return {name: root / name for name in ("rgb8", "rgb16", "deep16")}


def _per_frame(result: dict | None) -> dict:
    assert result is not None
    return result["clips"]["clip"]["per_frame"]


def test_sixteen_bit_copy_scores_as_the_8_bit_clip(clips: dict[str, Path],
                                                   tmp_path: Path) -> None:
    gt = {n: _per_frame(run(parse_args([*BASE, f"gt={clips[n]}", f"out={tmp_path / n}.json"])))
          for n in ("rgb8", "rgb16")}
    data = {n: _per_frame(run(parse_args([*BASE, "data=folder", f"data.train.root={clips[n]}",
                                          f"out={tmp_path / 'data'}_{n}.json"])))
            for n in ("rgb8", "rgb16")}
    assert gt["rgb16"] == gt["rgb8"] == data["rgb16"] == data["rgb8"]


def test_data_option_keeps_sixteen_bit_precision(clips: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "d.json"
    data = _per_frame(run(parse_args([*BASE, "data=folder",
                                      f"data.train.root={clips['deep16']}", f"out={out}"])))
    written = read_frame(tmp_path / "d_data" / "gt" / "clip" / "00000.png", "clip", 0)
    assert written.dtype == np.uint16
    assert np.array_equal(written, read_frame(clips["deep16"] / "clip" / "0.png", "clip", 0))
    gt = _per_frame(run(parse_args([*BASE, f"gt={clips['deep16']}",
                                    f"out={tmp_path / 'g.json'}"])))
    assert data == gt
    eight = _per_frame(run(parse_args([*BASE, f"gt={clips['rgb8']}",
                                       f"out={tmp_path / 'e.json'}"])))
    assert data["psnr_rgb"] != eight["psnr_rgb"]  # the low bits count
