"""Sample grids and split-screen videos as files a person reads; progress text."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from frvsr.callbacks.progress import progress_text
from frvsr.callbacks.samples import make_grid, write_split_screen
from frvsr.io.video import decode_frames, probe_video
from frvsr.lit.validation import ValSample, compare_line


def test_grid_tiles_are_labelled_with_psnr() -> None:
    lr = torch.rand(3, 3, 32, 32)
    hr = torch.nn.functional.interpolate(lr, scale_factor=4, mode="nearest")
    sample = ValSample("clip", lr, (hr * 0.9).clamp(0, 1), hr)
    grid = make_grid(sample, 4, "bd_tecogan", crop=128, step=600)
    assert grid.dtype == np.uint8 and grid.shape[1] == 3 * 128
    strip = grid[: grid.shape[0] - 128]
    assert strip.shape[0] >= 20 and strip.max() == 255  # text on a black strip
    for tile in range(3):  # every tile has its own label
        assert strip[:, tile * 128: (tile + 1) * 128].max() == 255


def test_split_screen_video_keeps_frames_and_rate(tmp_path: Path) -> None:
    clip = torch.rand(31, 3, 48, 64)
    path = tmp_path / "s.mp4"
    assert write_split_screen(clip * 0.5, clip, path, Fraction(30000, 1001)) == 31
    info = probe_video(path)
    assert info.fps == Fraction(30000, 1001) and (info.width, info.height) == (64, 48)
    assert len(list(decode_frames(path))) == 31


def test_progress_and_comparison_text() -> None:
    assert progress_text(240, 600, 3.2, 0.0123) == (
        "step 240/600 (40%), 3.20 step/s, ETA 1m52s, loss 0.0123")
    line = compare_line({"psnr_y": 29.82, "tof": 0.62, "tflicker": 1.0, "ssim_y": 0.9},
                        {"psnr_y": 28.37, "tof": 0.80, "tflicker": 1.0})
    assert line == ("PSNR-Y 29.82 vs 28.37 dB (+1.45, better) | tOF 0.620 vs 0.800 "
                    "(-0.180, better) | tFlicker 1.000 vs 1.000 (+0.000, same)")
    recurrent = compare_line({"psnr_y": 29.82, "recurrence_gain": 0.123,
                              "psnr_y_no_memory": 29.697}, {"psnr_y": 28.37})
    assert recurrent.endswith("| recurrence gain +0.12 dB | 29.70 dB without memory")
