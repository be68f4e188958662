"""`scripts/pan_probe.py`: exact HR crops moving by round(t * v) px, held-out frames refused."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("pan_probe", REPO / "scripts" / "pan_probe.py")
assert _spec and _spec.loader
pan_probe = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pan_probe)


def test_offsets_round_the_position_and_never_go_negative() -> None:
    assert pan_probe.pan_offsets(5, 1.0, 0.25) == [(0, 0), (1, 0), (2, 0), (3, 1), (4, 1)]
    assert pan_probe.pan_offsets(3, -1.0, 0.0) == [(2, 0), (1, 0), (0, 0)]


def test_pan_frames_are_exact_shifted_crops(tmp_path: Path) -> None:
    frame = np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    out = pan_probe.write_pan(frame, tmp_path / "p", 6, (16, 24), 2.0, 0.5)
    files = sorted(out.glob("*.png"))
    assert len(files) == 6 and not (tmp_path / "p.part").exists()
    for t, path in enumerate(files):
        x, y = round(2.0 * t), round(0.5 * t)
        got = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        assert np.array_equal(got, frame[y:y + 16, x:x + 24])


def test_a_pan_that_leaves_the_frame_is_refused(tmp_path: Path) -> None:
    frame = np.zeros((20, 20, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match="needs 16x29 px"):
        pan_probe.write_pan(frame, tmp_path / "p", 10, (16, 20), 1.0, 0.0)
    assert not (tmp_path / "p").exists()


def test_held_out_frames_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        pan_probe.main(["--frame", "200", "--out", str(tmp_path)])
    assert "held-out shot (187-241)" in capsys.readouterr().err


def test_writes_pans_of_the_embedded_footage(tmp_path: Path) -> None:
    assert pan_probe.main(["--frame", "15", "--out", str(tmp_path), "--frames", "4",
                           "--size", "64", "96"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pan15_1_0", "pan15_1_0.25"]
    assert len(list((tmp_path / "pan15_1_0").glob("*.png"))) == 4
