"""The one encoder and decoder (frvsr.io.video) on real frames from ../shared/data/videos."""
from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from frvsr.errors import DataError
from frvsr.io.video import VideoWriter, count_frames, decode_frames

NTSC = Fraction(30000, 1001)


@pytest.fixture(scope="module")
def frames(shared_data: Path) -> list[np.ndarray]:
    """6 real frames of 01_dog.mp4, 64x48 crops (H,W,3 uint8 RGB)."""
    src = shared_data / "videos" / "01_dog.mp4"
    return [np.ascontiguousarray(f[200:248, 300:364]) for f in decode_frames(src, 6)]


def _write(path: Path | io.BytesIO, frames: list[np.ndarray], **kw: object) -> None:
    with VideoWriter(path, **kw) as out:  # type: ignore[arg-type]
        for f in frames:
            out.write(f)


def _stream_info(path: Path) -> dict:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        cc = s.codec_context
        return {"rate": s.average_rate, "size": (cc.height, cc.width),
                "tags": (cc.color_primaries, cc.color_trc, cc.colorspace, cc.color_range)}


def test_ffv1_bgr0_round_trip_is_exact(frames: list[np.ndarray], tmp_path: Path) -> None:
    path = tmp_path / "v.mkv"
    _write(path, frames, fps=25, codec="ffv1", pix_fmt="bgr0")
    out = list(decode_frames(path))
    assert len(out) == len(frames) == count_frames(path)
    assert all(np.array_equal(a, b) for a, b in zip(out, frames, strict=True))
    info = _stream_info(path)
    assert info["rate"] == 25 and info["size"] == (48, 64)
    assert info["tags"] == (1, 1, 0, 2)  # BT.709 primaries/transfer, RGB matrix, full range


@pytest.mark.parametrize(("pix_fmt", "mean", "peak"), [("yuv420p", 2.0, 12), ("yuv444p", 0.6, 4)])
def test_libx264_crf0_round_trip(frames: list[np.ndarray], tmp_path: Path, pix_fmt: str,
                                 mean: float, peak: int) -> None:
    path = tmp_path / "v.mp4"
    _write(path, frames, fps=NTSC, crf=0, preset="veryfast", pix_fmt=pix_fmt)
    out = np.stack(list(decode_frames(path)))
    assert out.shape == (len(frames), 48, 64, 3)
    err = np.abs(out.astype(int) - np.stack(frames))
    assert err.mean() < mean and err.max() <= peak  # only the RGB<->YUV rounding is lost
    info = _stream_info(path)
    assert info["rate"] == NTSC and info["tags"] == (1, 1, 1, 1)  # BT.709, limited range


@pytest.mark.parametrize("colors", ["bt709", "bt601", None])
def test_conversion_matches_the_tags(colors: str | None) -> None:
    """Saturated colours survive: the RGB->YUV matrix is the one the stream is tagged with."""
    patch = np.zeros((32, 32, 3), np.uint8)
    patch[:, :16] = (200, 50, 30)
    patch[:, 16:] = (20, 60, 220)
    buf = io.BytesIO()
    _write(buf, [patch] * 2, fps=25, crf=0, format="mp4", colors=colors)
    buf.seek(0)
    out = np.stack(list(decode_frames(buf)))
    assert np.abs(out.astype(int) - patch)[:, :, 2:14].max() <= 2


def test_odd_sizes_are_padded_to_even(frames: list[np.ndarray], tmp_path: Path) -> None:
    odd = [f[:45, :63] for f in frames]
    path = tmp_path / "odd.mp4"
    _write(path, odd, fps=10, crf=0)
    out = np.stack(list(decode_frames(path)))
    assert out.shape == (len(odd), 46, 64, 3) and _stream_info(path)["size"] == (46, 64)
    assert np.abs(out[:, :45, :63].astype(int) - np.stack(odd)).mean() < 2.0
    # the added row/column repeat the last ones (up to coding error)
    assert np.abs(out[:, 45].astype(int) - out[:, 44]).mean() < 2.0
    _write(tmp_path / "odd.mkv", odd, fps=10, codec="ffv1", pix_fmt="bgr0")  # RGB: no padding
    assert np.array_equal(np.stack(list(decode_frames(tmp_path / "odd.mkv"))), np.stack(odd))


def test_per_frame_pts_and_time_base(frames: list[np.ndarray], tmp_path: Path) -> None:
    path = tmp_path / "vfr.mp4"
    pts_ms = [0, 40, 100, 180]
    with VideoWriter(path, 25, time_base=Fraction(1, 1000), max_b_frames=0) as out:
        for f, pts in zip(frames, pts_ms, strict=False):
            out.write(f, pts=pts)
    with av.open(str(path)) as c:
        times = [float(fr.pts * fr.time_base) for fr in c.decode(video=0)]
    assert times == pytest.approx([p / 1000 for p in pts_ms], abs=1e-3)


def test_failure_inside_the_block_leaves_nothing(frames: list[np.ndarray],
                                                 tmp_path: Path) -> None:
    old = tmp_path / "keep.mp4"
    old.write_bytes(b"earlier video")
    with pytest.raises(RuntimeError, match="boom"), VideoWriter(old, 25) as out:
        out.write(frames[0])
        out.write(frames[1])
        raise RuntimeError("boom")
    with pytest.raises(ValueError, match="the video is 64x48"), \
            VideoWriter(tmp_path / "new.mp4", 25) as out:
        out.write(frames[0])
        out.write(frames[0][:40])  # a frame of another size fails midway
    with pytest.raises(ValueError, match="no frame written"), VideoWriter(tmp_path / "e.mp4"):
        pass
    assert old.read_bytes() == b"earlier video"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.mp4"]  # no temp files, no new ones


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="colors="):
        VideoWriter("x.mp4", colors="srgb")
    with pytest.raises(ValueError, match="ffv1 has no crf"):
        VideoWriter("x.mkv", codec="ffv1", crf=0)
    with pytest.raises(ValueError, match="needs format="), VideoWriter(io.BytesIO()):
        pass
    with pytest.raises(ValueError, match="H,W,3 uint8"), VideoWriter(io.BytesIO(),
                                                                     format="mp4") as out:
        out.write(np.zeros((8, 8), np.uint8))


def test_decode_errors_are_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 1000)
    with pytest.raises(DataError, match="bad.mp4: cannot open as a video") as info:
        next(decode_frames(bad))
    assert "\n" not in str(info.value) and "re-encode" in str(info.value)
