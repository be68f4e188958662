"""The streaming cut detector equals the batch one (the sample's cuts at 30, 76, 137, 187, 242)."""
from __future__ import annotations

from pathlib import Path

from frvsr.data.scenes import CutDetector, cut_scores, detect_cuts, thumbnail
from frvsr.data.sources import sample_video_path
from frvsr.data.video_io import decode_frames


def test_streaming_detector_finds_the_sample_cuts(tmp_path: Path) -> None:
    detector = CutDetector()
    frames = list(decode_frames(sample_video_path()))
    flags = [detector(f) for f in frames]
    assert detector.cuts == [30, 76, 137, 187, 242]
    assert [i for i, f in enumerate(flags) if f] == detector.cuts
    import numpy as np

    batch = detect_cuts(cut_scores(np.stack([thumbnail(f) for f in frames])))
    assert batch == detector.cuts


def test_threshold_is_respected() -> None:
    import numpy as np

    a = np.zeros((36, 64, 3), np.uint8)
    b = np.full((36, 64, 3), 40, np.uint8)  # score 40/255 = 0.157
    assert CutDetector(0.12)(a) is False
    d = CutDetector(0.12)
    d(a)
    assert d(b) is True
    d = CutDetector(0.2)
    d(a)
    assert d(b) is False
