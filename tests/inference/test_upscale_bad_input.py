"""`frvsr.upscale` refuses bad input with one `error:` line (exit 2), no traceback, and
leaves nothing half-written."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from frvsr.io.images import write_png
from frvsr.io.video import VideoWriter
from frvsr.upscale import main
from tests.helpers.generators import save_checkpoint, tiny_srresnet
from tests.helpers.media import noise_video

FAST = ["preset=ultrafast", "progress=false"]


def _clip(path: Path, n: int = 12) -> Path:
    return noise_video(path, n=n, size=(24, 32), seed=0)


def _truncated(tmp: Path) -> Path:
    """An mp4 whose index (moov, up front) lists 60 frames but whose data stops midway."""
    src = _clip(tmp / "whole.mp4", 60)
    dst = tmp / "truncated.mp4"
    with av.open(str(src)) as inp, av.open(str(dst), "w", options={"movflags": "faststart"}) as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    data = dst.read_bytes()
    dst.write_bytes(data[: int(len(data) * 0.6)])
    return dst


def _mixed_folder(tmp: Path) -> Path:
    folder = tmp / "mixed"
    folder.mkdir()
    for i, size in enumerate([(16, 16), (16, 16), (20, 16)]):
        write_png(folder / f"{i}.png", np.zeros((*size, 3), np.uint8))
    return folder


def _text_as_mp4(tmp: Path) -> Path:
    path = tmp / "notes.mp4"
    path.write_text("not a video\n")
    return path


def _empty_mp4(tmp: Path) -> Path:
    path = tmp / "empty.mp4"
    with VideoWriter(path, 25, codec="mpeg4", frame_size=(16, 16)):
        pass
    return path


def _foreign_ckpt(tmp: Path) -> Path:
    path = tmp / "foreign.ckpt"
    path.write_bytes(b"\x80\x04not a checkpoint")
    return path


def _x4_ckpt(tmp: Path) -> Path:
    return save_checkpoint(tmp / "x4.ckpt", tiny_srresnet())


Case = tuple[str, Callable[[Path], list[str]], str]
CASES: list[Case] = [
    ("missing file", lambda t: [f"input={t / 'nope.mp4'}", f"out={t / 'o.mp4'}",
                                "baseline=bicubic"], "does not exist"),
    ("not a video", lambda t: [f"input={_text_as_mp4(t)}", f"out={t / 'o.mp4'}",
                               "baseline=bicubic"], "cannot open as a video"),
    ("zero frames", lambda t: [f"input={_empty_mp4(t)}", f"out={t / 'o.mp4'}",
                               "baseline=bicubic"], "has no video stream"),
    ("truncated part-way", lambda t: [f"input={_truncated(t)}", f"out={t / 'o.mp4'}",
                                      "baseline=bicubic"], "of the 60 its header states"),
    ("mixed frame sizes", lambda t: [f"input={_mixed_folder(t)}", f"out={t / 'o.mp4'}",
                                     "baseline=bicubic"], "frame 2 is 16x20"),
    ("foreign checkpoint", lambda t: [f"input={_clip(t / 'c.mp4')}", f"out={t / 'o.mp4'}",
                                      f"ckpt={_foreign_ckpt(t)}"], "cannot be read"),
    ("scale disagrees", lambda t: [f"input={_clip(t / 'c.mp4')}", f"out={t / 'o.mp4'}",
                                   f"ckpt={_x4_ckpt(t)}", "scale=2"], "scale=2 but"),
    ("existing output", lambda t: [f"input={_clip(t / 'c.mp4')}", f"out={_clip(t / 'o.mp4')}",
                                   "baseline=bicubic"], "overwrite=true"),
    ("unwritable output", lambda t: [f"input={_clip(t / 'c.mp4')}",
                                     f"out={_clip(t / 'f.mp4') / 'sub' / 'o.mp4'}",
                                     "baseline=bicubic"], "cannot create the output folder"),
    ("input is output", lambda t: [f"input={_clip(t / 'c.mp4')}", f"out={t / 'c.mp4'}",
                                   "baseline=bicubic", "overwrite=true"], "is the input itself"),
    ("two model sources", lambda t: [f"input={_clip(t / 'c.mp4')}", f"out={t / 'o.mp4'}",
                                     "baseline=bicubic", f"ckpt={_x4_ckpt(t)}"],
     "one model source"),
    ("unknown key", lambda t: [f"input={t}", "outt=x.mp4"], "did you mean out"),
    ("gpu on a cpu machine", lambda t: [f"input={_clip(t / 'c.mp4')}", f"out={t / 'o.mp4'}",
                                        f"ckpt={_x4_ckpt(t)}", "device=cuda"], "no CUDA GPU"),
]


@pytest.mark.parametrize("name,args,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_leaves_nothing(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                  name: str, args: Callable, expected: str) -> None:
    import torch

    if name == "gpu on a cpu machine" and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    argv = args(tmp_path)
    before = {p for p in tmp_path.rglob("*")}
    assert main([*argv, *FAST]) == 2
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], err
    assert "Traceback" not in err
    left = {p for p in tmp_path.rglob("*")} - before
    assert not left, f"left behind: {sorted(map(str, left))}"
