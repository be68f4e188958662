"""Video with PyAV: the one decoder (`decode_frames`) and the one encoder (`VideoWriter`).

Decoding yields the first video stream's frames as ``H,W,3`` uint8 RGB (``rgb24``), in order,
each decoded once; YUV is converted with the matrix and range the stream is tagged with
(untagged: BT.601 limited, FFmpeg's default). Damaged files raise a one-line
:class:`frvsr.errors.DataError` naming the file and the fix.

Encoding (:class:`VideoWriter`) takes ``H,W,3`` uint8 RGB frames one at a time (streaming):

- codec ``libx264`` (default), ``libx265``, ``ffv1``, ``mpeg4``, ... with ``crf`` / ``preset``
  for the x264/x265 family, ``pix_fmt`` (default ``yuv420p``; ``ffv1`` with ``bgr0`` is
  lossless RGB, exact), ``gop_size``, ``max_b_frames`` and raw codec ``options``.
- colour: RGB -> YUV is converted here with the matrix of ``colors`` (PyAV's encoder would
  always use BT.601) and the stream is tagged with it: ``"bt709"`` (default: BT.709
  primaries, transfer and matrix, limited range) or ``"bt601"`` (SMPTE 170M, limited range).
  ``colors=None`` writes untagged video converted with FFmpeg's default (BT.601, limited),
  as the encoders of this project did before the tags (kept where results must not move,
  e.g. the H.264 training degradation). RGB pix_fmts are tagged as RGB, full range.
  H.264/H.265 also carry the tags in the bitstream; for ``mpeg4`` and ``ffv1`` only the
  container holds them (mp4, mkv, mov: yes; AVI: lost, and the video then decodes as BT.601).
- odd sizes: chroma-subsampled pix_fmts need sizes divisible by the subsampling (``yuv420p``:
  2x2, ``yuv422p``: 2 horizontally), so frames are padded at the bottom/right by repeating
  the last row/column; decoded frames have the padded size (crop ``[:h, :w]``).
- timing: ``fps`` as a :class:`fractions.Fraction` (an int, ``"30000/1001"`` or a float also
  work), ``time_base`` (default ``1/fps``); frame ``i`` gets pts ``i / fps`` in time-base
  units unless :meth:`VideoWriter.write` is given ``pts`` (variable frame rate).
- atomic: a path is written to a temp file beside it and renamed when the ``with`` block
  ends without error; on an exception nothing is left behind (an earlier file stays). A
  file-like object (``io.BytesIO``) needs ``format=`` and is written in place.

No framework imports (lightning, hydra, omegaconf, wandb).
"""
from __future__ import annotations

import math
from contextlib import ExitStack
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

import av
import numpy as np
from av.video.reformatter import ColorRange, Colorspace

from frvsr.io.atomic import atomic_path
from frvsr.io.audio import AudioMux
from frvsr.io.video_read import (
    DECODE_STATS,
    SWS_FLAGS,
    VideoInfo,
    count_frames,
    decode_frames,
    decode_timed,
    probe_video,
    video_error,
)

__all__ = [
    "DECODE_STATS",
    "VideoInfo",
    "VideoWriter",
    "count_frames",
    "decode_frames",
    "decode_timed",
    "h264_or_mpeg4",
    "probe_video",
    "video_error",
]

# (AVColorPrimaries = AVColorTransferCharacteristic = AVColorSpace code, swscale matrix)
_COLORS = {"bt709": (1, Colorspace.ITU709), "bt601": (6, Colorspace.ITU601)}
_AVCOL_SPC_RGB = 0
_CRF_CODECS = {"libx264", "libx265", "libvpx", "libvpx-vp9", "libaom-av1", "libsvtav1"}
_PRESET_CODECS = {"libx264", "libx265"}

Source = str | Path | BinaryIO


def h264_or_mpeg4() -> str:
    """``libx264`` when this PyAV build has it, else ``mpeg4`` (always built in)."""
    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def _subsampling(pix_fmt: str) -> tuple[int, int]:
    """(rows, columns) a frame size must be divisible by for ``pix_fmt`` (chroma subsampling)."""
    fmt = av.VideoFormat(pix_fmt, 64, 64)
    if fmt.is_rgb or len(fmt.components) < 3:
        return 1, 1
    chroma = fmt.components[1]
    return 64 // chroma.height, 64 // chroma.width


class VideoWriter:
    """Streaming encoder of ``H,W,3`` uint8 RGB frames; use as a context manager.

    Args:
        dst: output path (container from the suffix; written atomically) or a writable
            file-like object (then ``format`` is required, e.g. ``"mp4"``).
        fps: frames per second (a Fraction keeps NTSC rates exact).
        codec, crf, preset, pix_fmt, gop_size, max_b_frames: encoder settings; ``crf`` and
            ``preset`` only for codecs that have them (ValueError otherwise).
        colors: ``"bt709"`` (default), ``"bt601"`` or ``None`` (untagged, see module doc).
        options: extra codec options (strings), e.g. ``{"sc_threshold": "0"}``.
        time_base: pts unit in seconds (default ``1/fps``).
        frame_size: ``(H, W)`` to create the stream before the first frame (an empty but
            valid video when no frame follows); otherwise taken from the first frame.
        rotation: display rotation in degrees (counter-clockwise) stored in the container.
        audio: an :class:`frvsr.io.audio.AudioMux` whose streams are interleaved as frames
            are written.
    """

    def __init__(self, dst: Source, fps: Fraction | int | float | str = 25, *,
                 codec: str = "libx264", crf: int | None = None, preset: str | None = None,
                 pix_fmt: str = "yuv420p", colors: str | None = "bt709",
                 gop_size: int | None = None, max_b_frames: int | None = None,
                 options: dict[str, str] | None = None, format: str | None = None,
                 time_base: Fraction | None = None,
                 frame_size: tuple[int, int] | None = None, rotation: int = 0,
                 audio: AudioMux | None = None) -> None:
        if colors is not None and colors not in _COLORS:
            raise ValueError(f"colors={colors!r}; use one of {sorted(_COLORS)} or None")
        if crf is not None and codec not in _CRF_CODECS:
            raise ValueError(f"codec {codec} has no crf; pass its own options=... instead")
        if preset is not None and codec not in _PRESET_CODECS:
            raise ValueError(f"codec {codec} has no preset; pass its own options=... instead")
        self.dst, self.codec, self.pix_fmt, self.colors = dst, codec, pix_fmt, colors
        self.fps = Fraction(fps).limit_denominator(1_000_000) if isinstance(fps, float) \
            else Fraction(fps)
        self.time_base = time_base if time_base is not None else 1 / self.fps
        self.format, self.frame_size = format, frame_size
        self.rotation, self.audio = int(rotation) % 360, audio
        self.settings = {"gop_size": gop_size, "max_b_frames": max_b_frames}
        self.options = dict(options or {})
        if crf is not None:
            self.options["crf"] = str(int(crf))
        if preset is not None:
            self.options["preset"] = preset
        self.frames_written = 0
        self._stack = ExitStack()
        self._container: av.container.OutputContainer | None = None
        self._stream: av.video.stream.VideoStream | None = None
        self._size: tuple[int, int] = (0, 0)

    def __enter__(self) -> VideoWriter:
        target: str | BinaryIO
        if isinstance(self.dst, str | Path):
            target = str(self._stack.enter_context(atomic_path(self.dst)))
        elif self.format is None:
            raise ValueError("VideoWriter on a file-like object needs format= (e.g. 'mp4')")
        else:
            target = self.dst
        try:
            self._container = av.open(target, "w", format=self.format)
            if self.frame_size is not None:
                self._open_stream(*self.frame_size)
        except BaseException as err:
            self._abort(err)
            raise
        return self

    def _open_stream(self, height: int, width: int) -> None:
        assert self._container is not None
        sy, sx = _subsampling(self.pix_fmt)
        self._size = (height, width)
        stream = self._container.add_stream(self.codec, rate=self.fps)
        stream.height, stream.width = math.ceil(height / sy) * sy, math.ceil(width / sx) * sx
        stream.pix_fmt = self.pix_fmt
        cc = stream.codec_context
        cc.time_base = self.time_base
        for key, value in self.settings.items():
            if value is not None:
                setattr(cc, key, value)
        if self.colors is not None:
            code = _COLORS[self.colors][0]
            cc.color_primaries, cc.color_trc = code, code
            rgb = av.VideoFormat(self.pix_fmt, 2, 2).is_rgb
            cc.colorspace = _AVCOL_SPC_RGB if rgb else code
            cc.color_range = int(ColorRange.JPEG if rgb else ColorRange.MPEG)
        stream.options = self.options
        if self.rotation:  # display matrix, as the source had it (frames stay unrotated)
            stream.set_display_rotation(self.rotation)
        self._stream = stream
        if self.audio is not None:  # before anything is muxed: the header lists all streams
            self.audio.add_streams(self._container)

    def write(self, rgb: np.ndarray, pts: int | None = None) -> None:
        """Encode one ``H,W,3`` uint8 RGB frame; ``pts`` in ``time_base`` units (default: the
        frame's index / fps). Every frame must have the first frame's size (ValueError)."""
        if self._container is None:
            raise RuntimeError("VideoWriter.write outside its with block")
        if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"VideoWriter expects H,W,3 uint8 RGB, got {rgb.dtype} {rgb.shape}")
        if self._stream is None:
            self._open_stream(*rgb.shape[:2])
        stream = self._stream
        assert stream is not None
        if rgb.shape[:2] != self._size:
            raise ValueError(f"frame {self.frames_written} is {rgb.shape[1]}x{rgb.shape[0]}, "
                             f"the video is {self._size[1]}x{self._size[0]}")
        ph, pw = stream.height - rgb.shape[0], stream.width - rgb.shape[1]
        if ph or pw:
            rgb = np.pad(rgb, ((0, ph), (0, pw), (0, 0)), mode="edge")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        if self.colors is not None:  # else PyAV's encoder converts (FFmpeg's default, BT.601)
            if av.VideoFormat(self.pix_fmt, 2, 2).is_rgb:
                frame = frame.reformat(format=self.pix_fmt, interpolation=SWS_FLAGS)
            else:
                frame = frame.reformat(format=self.pix_fmt,
                                       dst_colorspace=_COLORS[self.colors][1],
                                       dst_color_range=ColorRange.MPEG,
                                       interpolation=SWS_FLAGS)
        if pts is None:
            pts = round(self.frames_written / self.fps / self.time_base)
        frame.pts, frame.time_base = int(pts), self.time_base
        if self.audio is not None:
            self.audio.mux_until(self._container, pts * self.time_base)
        self._container.mux(stream.encode(frame))
        self.frames_written += 1

    def _abort(self, err: BaseException) -> None:
        """Close without finishing after ``err``; the atomic temp file (if any) is deleted."""
        try:
            if self.audio is not None:
                self.audio.close()
            if self._container is not None:
                self._container.close()
        except Exception:  # noqa: BLE001, S110 - the half-written file is discarded anyway
            pass
        finally:
            self._container = None
            self._stack.__exit__(type(err), err, err.__traceback__)  # unlinks, no rename

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc is not None:
            self._abort(exc)
            return
        try:
            if self._stream is None:
                raise ValueError(f"VideoWriter: no frame written to {self.dst} and no "
                                 "frame_size given; nothing to encode")
            assert self._container is not None
            self._container.start_encoding()  # header even without frames (no-op otherwise)
            self._container.mux(self._stream.encode(None))  # flush delayed frames
            if self.audio is not None:
                self.audio.finish(self._container)
            self._container.close()
            self._container = None
        except BaseException as err:
            self._abort(err)
            raise
        self._stack.close()  # renames the temp file over the destination
