"""Small media built with PyAV for the data tests and helpers shared by them.

`encode` goes through the project's one encoder (`frvsr.io.video.VideoWriter`); `remux`
copies packets without decoding or encoding, so it stays on PyAV directly.
"""

from __future__ import annotations

from pathlib import Path

import av

from frvsr.io.video import VideoWriter


def remux(src: Path, dst: Path, max_packets: int) -> int:
    """Copy the first `max_packets` video packets of `src` into container `dst` (no re-encode)."""
    with av.open(str(src)) as inp, av.open(str(dst), "w") as out:
        stream = inp.streams.video[0]
        ostream = out.add_stream_from_template(stream)
        n = 0
        for packet in inp.demux(stream):
            if packet.dts is None or n >= max_packets:
                continue
            packet.stream = ostream
            out.mux(packet)
            n += 1
    return n


def encode(frames: list, dst: Path, codec: str = "libx264", fps: int = 25) -> None:
    """Encode RGB uint8 frames into `dst` with PyAV (one keyframe: gop as long as the clip)."""
    # No B-frames: any packet prefix decodes to a frame prefix. Untagged (colors=None): an
    # mpeg4 stream's colour tags live in the container only, and remuxing it into AVI (which
    # cannot hold them) would change how it decodes.
    with VideoWriter(dst, fps, codec=codec, gop_size=len(frames), max_b_frames=0,
                     colors=None) as out:
        for rgb in frames:
            out.write(rgb)


def panning_gt(root: Path, frames: int = 4, height: int = 32, width: int = 40,
               name: str = "{t}.png") -> Path:
    """``root/gt/c/<frame>.png``: a blurred random texture panning 1 px per frame (a GT clip
    with real motion for the evaluator); returns ``root/gt``."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(0)
    big = cv2.GaussianBlur(rng.random((height, width + frames, 3)).astype(np.float32),
                           (5, 5), 1.5)
    clip = root / "gt" / "c"
    clip.mkdir(parents=True)
    for t in range(frames):
        frame = (255 * big[:, frames - t: frames - t + width]).astype(np.uint8)
        cv2.imwrite(str(clip / name.format(t=t)), frame)
    return root / "gt"


def noise_video(path: Path, n: int = 6, size: tuple[int, int] = (16, 16), seed: int = 0) -> Path:
    """An H.264 `path` of `n` random RGB frames of `size` (h, w): a valid input of no
    particular content, for the bad-input tests. Makes the parent folder."""
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    with VideoWriter(path, 25, preset="ultrafast") as out:
        for _ in range(n):
            out.write(rng.integers(0, 256, (*size, 3), dtype=np.uint8))
    return path
