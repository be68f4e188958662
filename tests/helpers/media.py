"""Small media built with PyAV for the data tests and helpers shared by them."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av


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
    with av.open(str(dst), "w") as out:
        stream = out.add_stream(codec, rate=Fraction(fps, 1))
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.gop_size = len(frames)
        stream.max_b_frames = 0  # no B-frames: any packet prefix decodes to a frame prefix
        for rgb in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
