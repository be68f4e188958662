"""Each bad input is a one-line DataError naming the file and the fix; workers never hang."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from torch.utils.data import DataLoader

from frvsr.data.datasets import TrainClipDataset
from frvsr.data.errors import DataError
from frvsr.data.sources import FolderSource, VideoSource
from frvsr.io.video import VideoWriter


def _frames(folder: Path, n: int, size: tuple[int, int] = (48, 32), ext: str = "png") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(n)
    paths = []
    for i in range(n):
        p = folder / f"{i:03d}.{ext}"
        cv2.imwrite(str(p), rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8))
        paths.append(p)
    return paths


def _raises_one_line(fn, *names: str) -> str:  # noqa: ANN001
    with pytest.raises(DataError) as info:
        fn()
    msg = str(info.value)
    assert "\n" not in msg
    for name in names:
        assert name in msg
    return msg


def _first_item(root: Path, **kw: object) -> object:
    args = {"num_frames": 2, "lr_patch": 8, **kw}
    return TrainClipDataset(FolderSource(str(root)).clips(), 2, "bi", **args)[(0, 0)]


def test_missing_root(tmp_path: Path) -> None:
    msg = _raises_one_line(
        lambda: FolderSource(str(tmp_path / "nope")).clips(), str(tmp_path / "nope")
    )
    assert "root" in msg and "data/README.md" in msg
    _raises_one_line(lambda: VideoSource(str(tmp_path / "none.mp4")).clips(), "none.mp4")


def test_empty_clip(tmp_path: Path) -> None:
    _frames(tmp_path / "good", 3)
    (tmp_path / "empty").mkdir()
    msg = _raises_one_line(lambda: FolderSource(str(tmp_path)).clips(), str(tmp_path / "empty"))
    assert "empty clip" in msg


@pytest.mark.parametrize("ext", ["png", "jpg"])
def test_truncated_image(tmp_path: Path, ext: str) -> None:
    paths = _frames(tmp_path / "c", 3, ext=ext)
    data = paths[1].read_bytes()
    paths[1].write_bytes(data[: len(data) // 2])
    msg = _raises_one_line(lambda: _first_item(tmp_path), paths[1].name)
    assert "truncated" in msg and "remove the frame" in msg


def test_unreadable_and_empty_image(tmp_path: Path) -> None:
    paths = _frames(tmp_path / "c", 3)
    paths[0].write_bytes(b"this is not a png")
    _raises_one_line(lambda: _first_item(tmp_path), paths[0].name, "not a readable image")
    paths[0].write_bytes(b"")
    _raises_one_line(lambda: _first_item(tmp_path), paths[0].name, "0 bytes")


def test_frames_of_different_sizes(tmp_path: Path) -> None:
    _frames(tmp_path / "c", 3)
    odd = _frames(tmp_path.parent / f"{tmp_path.name}_odd", 1, size=(40, 32))[0]
    odd.replace(tmp_path / "c" / "001.png")
    msg = _raises_one_line(lambda: _first_item(tmp_path), "001.png", "40x32", "48x32")
    assert "one size" in msg


def test_frame_smaller_than_crop(tmp_path: Path) -> None:
    _frames(tmp_path / "c", 3)  # 48x32 HR, crop 2*20 = 40 px > 32
    msg = _raises_one_line(lambda: _first_item(tmp_path, lr_patch=20), str(tmp_path / "c"), "40x40")
    assert "lower lr_patch" in msg
    # caught when the dataset is built, before any worker starts
    clips = FolderSource(str(tmp_path)).clips()
    _raises_one_line(lambda: TrainClipDataset(clips, 2, "bi", num_frames=2, lr_patch=20), "48x32")


def test_clip_shorter_than_num_frames(tmp_path: Path) -> None:
    _frames(tmp_path / "c", 3)
    msg = _raises_one_line(
        lambda: _first_item(tmp_path, num_frames=5), str(tmp_path / "c"), "3 frames"
    )
    assert "num_frames=5" in msg and "lower num_frames" in msg


def test_corrupt_and_zero_frame_videos(tmp_path: Path) -> None:
    bad = tmp_path / "v" / "corrupt.mp4"
    bad.parent.mkdir()
    bad.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    cache = str(tmp_path / "cache")
    _raises_one_line(
        lambda: VideoSource(str(bad), cache_dir=cache).clips(), "corrupt.mp4", "re-encode"
    )
    empty = tmp_path / "v" / "empty.mkv"
    with VideoWriter(empty, 25, codec="mpeg4", frame_size=(32, 32)):
        pass  # a container header whose video stream has no frames
    assert empty.is_file()
    msg = _raises_one_line(lambda: VideoSource(str(empty), cache_dir=cache).clips(), "empty.mkv")
    # FFmpeg cannot probe a Matroska file without frames ("End of file"); the path itself
    # holds "zero" (test name), so check the reason after it
    assert "cannot be read" in msg.split("empty.mkv: ", 1)[1] and "re-encode" in msg


def test_worker_errors_surface_as_one_line(tmp_path: Path) -> None:
    paths = _frames(tmp_path / "c", 6)
    ds = TrainClipDataset(FolderSource(str(tmp_path)).clips(), 2, "bi", num_frames=2, lr_patch=8)
    paths[4].write_bytes(b"")  # broken after indexing: only the workers see it
    loader = DataLoader(ds, batch_size=5, num_workers=2, timeout=60)
    batches = iter(loader)
    with pytest.raises(DataError) as info:
        for _ in batches:
            pass
    msg = str(info.value)
    # drop the iterator and the traceback now, so the workers shut down inside this test
    # rather than at some later garbage collection
    del batches, info
    assert "\n" not in msg and "004.png" in msg and "0 bytes" in msg
    assert "Traceback" not in msg
