"""The streaming scorer equals the clip-level metric functions (shared LPIPS embeddings)."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from frvsr.evaluation.clips import ClipPair, list_frames, read_frame_u8, to_tensor
from frvsr.evaluation.protocols import Protocol
from frvsr.evaluation.scoring import Scorer, finite_mean
from frvsr.metrics import LPIPS, psnr_y
from frvsr.metrics.temporal import ewarp_pair, tflicker_pair, tlp_pair, tof_pair


def _write(folder: Path, frames: list[np.ndarray]) -> list[Path]:
    folder.mkdir(parents=True)
    for t, f in enumerate(frames):
        cv2.imwrite(str(folder / f"{t}.png"), f)
    return list_frames(folder)


def test_scorer_matches_pair_functions(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    base = cv2.GaussianBlur(rng.random((72, 80 + 8, 3)).astype(np.float32), (5, 5), 1.5)
    gt = [(255 * base[:, 8 - t: 88 - t]).astype(np.uint8) for t in range(7)]
    sr = [np.clip(f.astype(int) + rng.integers(-8, 9, f.shape), 0, 255).astype(np.uint8)
          for f in gt]
    pair = ClipPair("c", _write(tmp_path / "sr", sr), _write(tmp_path / "gt", gt))
    proto = Protocol("tecogan")  # 72x80 -> 32x64 crop, frames 2..4, pairs 3..4
    res = Scorer(proto, ["psnr_y", "lpips_alex", "tof", "tlp", "ewarp", "tflicker"]).score(pair)
    s = [to_tensor(read_frame_u8(p, "c", t)) for t, p in enumerate(pair.sr)]
    g = [to_tensor(read_frame_u8(p, "c", t)) for t, p in enumerate(pair.gt)]
    region = proto.region(72, 80)
    ys, xs = region.slices()
    lp = LPIPS("alex")
    with torch.no_grad():
        lpips_ref = [lp(s[t][None, :, ys, xs], g[t][None, :, ys, xs]).item() for t in (2, 3, 4)]
    per = res["per_frame"]
    assert per["psnr_y"] == pytest.approx([psnr_y(s[t][:, ys, xs], g[t][:, ys, xs])
                                           for t in (2, 3, 4)])
    assert per["lpips_alex"] == pytest.approx(lpips_ref, abs=1e-6)
    pairs = (3, 4)
    for name, fn in (("tof", tof_pair), ("ewarp", ewarp_pair), ("tflicker", tflicker_pair)):
        ref = [fn(s[t - 1], s[t], g[t - 1], g[t], region) for t in pairs]
        assert per[name] == pytest.approx(ref), name
    tlp_ref = [tlp_pair(lp, s[t - 1], s[t], g[t - 1], g[t], region) for t in pairs]
    assert per["tlp"] == pytest.approx(tlp_ref, abs=1e-4)
    assert res["tlp"] == pytest.approx(np.mean(per["tlp"]))


def test_finite_mean_rules() -> None:
    assert finite_mean([1.0, float("inf"), 3.0]) == 2.0
    assert finite_mean([float("inf")] * 2) == float("inf")
    assert finite_mean([None, 2.0]) == 2.0 and finite_mean([None]) is None
