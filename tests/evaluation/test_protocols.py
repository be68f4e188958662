"""basicsr / tecogan presets: frame ranges, crops, and counts on a real shared clip."""
from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from frvsr.evaluate import parse_args, run
from frvsr.evaluation.protocols import Protocol, tecogan_crop_size
from frvsr.metrics.temporal import Region


def test_tecogan_crop_sizes() -> None:
    assert tecogan_crop_size(720) == 704 and tecogan_crop_size(1280) == 1248
    assert tecogan_crop_size(576) == 544  # Vid4 calendar: 576 - 16 = 560 -> 544
    assert tecogan_crop_size(48) == 32
    with pytest.raises(ValueError, match="too small"):
        tecogan_crop_size(47)
    assert Protocol("tecogan").region(720, 1280) == Region(8, 16, 704, 1248)


def test_frame_and_pair_ranges() -> None:
    teco, basic = Protocol("tecogan"), Protocol("basicsr", crop_border=4)
    assert list(teco.frames(10)) == [2, 3, 4, 5, 6, 7] and list(teco.pairs(10)) == [3, 4, 5, 6, 7]
    assert len(teco.frames(32)) == 28 and len(teco.pairs(32)) == 27  # n-4 frames, n-5 pairs
    assert list(basic.frames(4)) == [0, 1, 2, 3] and list(basic.pairs(4)) == [1, 2, 3]
    assert basic.region(20, 30) == Region(4, 4, 12, 22)
    with pytest.raises(ValueError, match="one of basicsr, tecogan"):
        Protocol("vid4")


def _extract(video: Path, out: Path, n: int) -> None:
    cap = cv2.VideoCapture(str(video))
    out.mkdir(parents=True)
    for i in range(n):
        ok, frame = cap.read()
        assert ok, f"{video} has fewer than {n} frames"
        cv2.imwrite(str(out / f"{i:05d}.png"), frame, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    cap.release()


@pytest.mark.slow
def test_presets_on_a_real_720p_clip(shared_data: Path, tmp_path: Path) -> None:
    gt = tmp_path / "gt" / "dog"
    _extract(shared_data / "videos" / "01_dog.mp4", gt, 7)
    common = [f"gt={tmp_path / 'gt'}", "baseline=bicubic", "degradation=bd_tecogan", "scale=4",
              "metrics=[psnr_y,tof,tflicker]", "report=false", f"sr_out={tmp_path / 'bic'}"]
    teco = run(parse_args([*common, "protocol=tecogan", f"out={tmp_path / 't.json'}"]))
    assert teco is not None
    c = teco["clips"]["dog"]
    assert c["frames"] == 7 and c["size"] == [720, 1280]
    assert c["region"] == {"top": 8, "left": 16, "height": 704, "width": 1248}
    assert c["scored_frames"] == 3 and len(c["per_frame"]["psnr_y"]) == 3  # t in [2, 5)
    assert c["scored_pairs"] == 2 and len(c["per_frame"]["tof"]) == 2  # n - 5 pairs
    basic = run(parse_args([f"sr={tmp_path / 'bic'}", f"gt={tmp_path / 'gt'}", "report=false",
                            "metrics=[psnr_y,tof,tflicker]", f"out={tmp_path / 'b.json'}"]))
    assert basic is not None
    b = basic["clips"]["dog"]
    assert b["scored_frames"] == 7 and b["scored_pairs"] == 6
    assert b["region"] == {"top": 0, "left": 0, "height": 720, "width": 1280}
    # Same frames: tecogan's per-frame PSNR of frames 2..4 differs only by the crop.
    assert all(20 < v < 50 for v in b["per_frame"]["psnr_y"])
    assert b["per_frame"]["psnr_y"][2:5] != c["per_frame"]["psnr_y"]
