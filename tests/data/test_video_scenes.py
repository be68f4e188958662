"""PyAV frame cache, scene cuts on bikes.mp4, shared mp4s and remuxed mkv/mov/avi."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from frvsr.data.datasets import EvalClipDataset, TrainClipDataset
from frvsr.data.scenes import cut_scores, detect_cuts, shots_from_cuts
from frvsr.data.sources import SampleSource, VideoSource, sample_video_path
from frvsr.data.video_io import DECODE_STATS, decode_frames, open_cached_video
from tests.helpers.media import encode, remux


def test_bikes_scene_cuts_and_shot_split(tmp_path: Path) -> None:
    video = open_cached_video(sample_video_path(), tmp_path)
    assert (video.num_frames, video.height, video.width) == (250, 272, 640)
    cuts = detect_cuts(cut_scores(video.thumbnails()))
    assert cuts == [30, 76, 137, 187, 242]
    # the split: validation is exactly the shot 187-241, training never sees it
    val = SampleSource("val", cache_dir=str(tmp_path)).clips()[0]
    train = SampleSource("train", cache_dir=str(tmp_path)).clips()[0]
    assert val.shots == [(187, 242)]
    assert train.shots == [(0, 30), (30, 76), (76, 137), (137, 187), (242, 250)]
    ds = TrainClipDataset([train], 4, "bd_tecogan", num_frames=7, lr_patch=16)
    for _, start in ds.windows:  # windows never span a cut nor touch the held-out shot
        assert any(a <= start and start + 7 <= b for a, b in train.shots)
        assert not (187 <= start + 6 and start < 242)
    assert len(ds) == sum(b - a - 6 for a, b in train.shots)


def test_cache_is_reused_and_matches_direct_decode(tmp_path: Path, shared_data: Path) -> None:
    path = shared_data / "videos" / "bedroom.mp4"
    before = DECODE_STATS["frames"]
    v1 = open_cached_video(path, tmp_path, max_frames=12)
    assert DECODE_STATS["frames"] - before == 12
    v2 = open_cached_video(path, tmp_path, max_frames=12)
    assert DECODE_STATS["frames"] - before == 12  # second open hits the cache
    assert v1.frames_path == v2.frames_path and v1.frames().shape == (12, 540, 960, 3)
    direct = np.stack(list(decode_frames(path, 12)))
    assert np.array_equal(v2.frames(), direct)
    assert not list(tmp_path.glob(".tmp-*"))  # atomic writes leave no temp files


def test_shared_mp4_folder_as_dataset(shared_data: Path, tmp_path: Path) -> None:
    src = VideoSource(str(shared_data / "videos"), max_frames=10, cache_dir=str(tmp_path))
    clips = src.clips()
    assert [c.key for c in clips] == [
        "01_dog",
        "02_cups",
        "03_blocks",
        "04_coffee",
        "05_default_juggle",
        "bedroom",
    ]
    assert all(c.shots == [(0, 10)] for c in clips)  # single-shot footage: no false cuts
    item = TrainClipDataset(clips, 4, "bi", num_frames=5, lr_patch=16)[(0, 3)]
    assert item["lr"].shape == (5, 3, 16, 16) and item["hr"].shape == (5, 3, 64, 64)
    ev = EvalClipDataset(clips[-1:], 2, "bd_duf", max_frames=4)[0]
    assert ev["hr"].shape == (4, 3, 540, 960) and ev["lr"].shape == (4, 3, 270, 480)


@pytest.fixture(scope="module")
def small_mp4s(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """8 real frames (04_coffee, downscaled to 320x180) encoded with PyAV, one keyframe,
    as H.264 and as MPEG-4 part 2 (AVI cannot carry MP4-style H.264 without a bitstream filter)."""
    src = shared_data / "videos" / "04_coffee.mp4"
    frames = [
        cv2.resize(f, (320, 180), interpolation=cv2.INTER_AREA) for f in decode_frames(src, 8)
    ]
    out = {}
    for codec in ("libx264", "mpeg4"):
        out[codec] = tmp_path_factory.mktemp(codec) / "coffee.mp4"
        encode(frames, out[codec], codec)
    return out


@pytest.mark.parametrize(
    ("ext", "codec"), [(".mkv", "libx264"), (".mov", "libx264"), (".avi", "mpeg4")]
)
def test_remuxed_containers_decode_like_the_mp4(
    small_mp4s: dict[str, Path], tmp_path: Path, ext: str, codec: str
) -> None:
    base = small_mp4s[codec]
    (tmp_path / "videos").mkdir()
    dst = tmp_path / "videos" / f"coffee{ext}"
    assert remux(base, dst, 8) == 8
    clip = VideoSource(str(tmp_path / "videos"), cache_dir=str(tmp_path / "cache")).clips()[0]
    assert clip.key == "coffee" and len(clip) == 8 and clip.shots == [(0, 8)]
    want = np.stack(list(decode_frames(base)))
    assert want.shape == (8, 180, 320, 3)
    assert np.array_equal(clip.read_hr(0, 8), want)
    item = TrainClipDataset([clip], 2, "bi", num_frames=4, lr_patch=20)[(1, 2)]
    assert item["lr"].shape == (4, 3, 20, 20) and item["hr"].shape == (4, 3, 40, 40)


def test_shots_from_cuts_edges() -> None:
    assert shots_from_cuts([], 5) == [(0, 5)]
    assert shots_from_cuts([0, 3, 5, 9], 5) == [(0, 3), (3, 5)]
    scores = np.array([0.0, 0.01, 0.5, 0.02])
    assert detect_cuts(scores, 0.12) == [2] and detect_cuts(scores, 0.6) == []


def test_sample_split_refuses_to_leak_validation(tmp_path: Path) -> None:
    from frvsr.data.errors import DataError

    with pytest.raises(DataError, match="no held-out shot"):
        SampleSource("train", scene_threshold=0.9, cache_dir=str(tmp_path)).clips()
    with pytest.raises(DataError, match="val_frame=999"):
        SampleSource("val", val_frame=999, cache_dir=str(tmp_path)).clips()
