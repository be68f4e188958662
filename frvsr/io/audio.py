"""Carry a source file's audio streams into an output video, interleaved as it is written.

Every audio stream of the source is kept: copied packet for packet when its codec is on
the output container's list (mp4/mov: aac, mp3, ac3, eac3, alac, opus; mkv: any),
otherwise decoded and re-encoded to AAC (e.g. ``pcm_s16le`` from a .mov into .mp4).
Packets are muxed as the video advances (``mux_until``), so memory does not grow with the
file's length. :attr:`AudioMux.actions` says what happened to each stream.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av

COPYABLE = {"mp4": {"aac", "mp3", "ac3", "eac3", "alac", "opus"},
            "mov": {"aac", "mp3", "ac3", "eac3", "alac", "opus"}}
ANY_CODEC = {"mkv", "matroska", "webm"}  # Matroska takes any codec (webm is refused below)


def can_copy(codec: str, container_format: str) -> bool:
    """Whether packets of ``codec`` can go into ``container_format`` unchanged."""
    fmt = container_format.lower().lstrip(".")
    if fmt in ("mkv", "matroska"):
        return True
    return codec in COPYABLE.get(fmt, set())


class AudioMux:
    """The audio of ``source`` for an output of format ``container_format`` (its suffix).

    Used by :class:`frvsr.io.video.VideoWriter` (``audio=``): ``add_streams`` once the
    container is open, ``mux_until(seconds)`` before each video frame, ``finish`` at the end.
    """

    def __init__(self, source: str | Path, container_format: str) -> None:
        self.source, self.format = Path(source), container_format.lower().lstrip(".")
        self.actions: list[str] = []
        self._in: Any = None
        self._map: dict[int, tuple[Any, Any]] = {}  # input index -> (output stream, resampler)
        self._packets: Any = None
        self._pending: Any = None

    def add_streams(self, container: Any) -> None:
        """Open the source and add one output stream per audio stream (none: no-op)."""
        self._in = av.open(str(self.source))
        streams = list(self._in.streams.audio)
        for s in streams:
            codec = s.codec_context.name
            if can_copy(codec, self.format):
                out = container.add_stream_from_template(s)
                self._map[s.index] = (out, None)
                self.actions.append(f"copied {codec}")
            else:
                out = container.add_stream("aac", rate=s.codec_context.sample_rate)
                out.layout = s.codec_context.layout.name
                resampler = av.AudioResampler(format="fltp", layout=out.layout.name,
                                              rate=s.codec_context.sample_rate)
                self._map[s.index] = (out, resampler)
                self.actions.append(f"re-encoded {codec} to aac")
        self._packets = self._in.demux(*streams) if streams else iter(())

    def _time(self, packet: Any) -> float:
        ts = packet.dts if packet.dts is not None else packet.pts
        return float(ts * packet.time_base) if ts is not None else 0.0

    def _mux(self, container: Any, packet: Any) -> None:
        out, resampler = self._map[packet.stream.index]
        if resampler is None:
            if packet.dts is None and packet.size == 0:
                return  # the demuxer's end-of-stream marker
            packet.stream = out
            container.mux(packet)
            return
        for frame in packet.decode():
            for chunk in resampler.resample(frame):
                chunk.pts = None  # the encoder numbers samples itself
                container.mux(out.encode(chunk))

    def mux_until(self, container: Any, seconds: float | Fraction) -> None:
        """Mux the source's audio packets up to ``seconds`` (the next video frame's time)."""
        if self._packets is None:
            return
        while True:
            if self._pending is None:
                self._pending = next(self._packets, None)
                if self._pending is None:
                    self._packets = None
                    return
            if self._time(self._pending) > float(seconds):
                return
            packet, self._pending = self._pending, None
            self._mux(container, packet)

    def finish(self, container: Any) -> None:
        """Mux what is left, flush the AAC encoders, close the source."""
        self.mux_until(container, float("inf"))
        for out, resampler in self._map.values():
            if resampler is not None:
                for chunk in resampler.resample(None):
                    chunk.pts = None
                    container.mux(out.encode(chunk))
                container.mux(out.encode(None))
        self.close()

    def close(self) -> None:
        if self._in is not None:
            self._in.close()
            self._in = None
