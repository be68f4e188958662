"""`frvsr.upscale` on real footage (../shared/data/videos, downscaled to 160x90): frame count,
size, rate and timestamps kept, colour matrices honoured, audio kept, the recurrent state
reset exactly at a cut, tiling exact, constant memory, interruption and batch resume."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from frvsr.inference.sources import open_source
from frvsr.inference.upscaler import ModelUpscaler
from frvsr.inference.video_job import UpscaleSettings, upscale
from frvsr.io.audio import AudioMux
from frvsr.io.images import read_image, write_png
from frvsr.io.video import VideoWriter, decode_frames, probe_video
from frvsr.upscale import main
from tests.helpers.generators import save_checkpoint, tiny_frvsr, tiny_srresnet

REPO = Path(__file__).resolve().parents[2]
FAST = ["preset=ultrafast", "progress=false", "threads=1"]  # tiny models: 1 thread is fastest


def _lr_frames(video: Path, n: int, size: tuple[int, int] = (160, 90)) -> list[np.ndarray]:
    return [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in decode_frames(video, n)]


def _pingpong(frames: list[np.ndarray], total: int) -> list[np.ndarray]:
    """Forward then reversed, repeated: a long clip with no cut in it."""
    cycle = frames + frames[-2:0:-1]
    return [cycle[i % len(cycle)] for i in range(total)]


def _write_clip(dst: Path, frames: list[np.ndarray], audio_from: Path | None = None) -> Path:
    info = probe_video(audio_from) if audio_from else None
    fps = info.fps if info else Fraction(25)
    mux = AudioMux(audio_from, dst.suffix) if audio_from else None
    with VideoWriter(dst, fps, crf=12, preset="ultrafast", audio=mux) as w:
        for f in frames:
            w.write(f)
    return dst


@pytest.fixture(scope="module")
def dog(shared_data: Path) -> Path:
    return shared_data / "videos" / "01_dog.mp4"


@pytest.fixture(scope="module")
def lr200(dog: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200 frames of 160x90 LR footage (ping-pong loop of 50), with the source's AAC audio."""
    frames = _pingpong(_lr_frames(dog, 50), 200)
    return _write_clip(tmp_path_factory.mktemp("lr") / "dog200.mp4", frames, audio_from=dog)


def _times(path: Path) -> list[Fraction]:
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return [Fraction(f.pts) * s.time_base for f in c.decode(s)]


def _audio_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(c.streams.audio[0]) if p.size]


def test_video_keeps_frames_size_rate_timestamps_and_aac_audio(
        lr200: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "x4.mp4"
    assert main([f"input={lr200}", f"out={out}", "baseline=bicubic", "scale=4", *FAST]) == 0
    src, dst = probe_video(lr200), probe_video(out)
    assert (dst.width, dst.height) == (640, 360) and dst.fps == src.fps
    assert len(list(decode_frames(out))) == 200
    assert _times(out) == _times(lr200)
    assert _audio_packets(out) == _audio_packets(lr200)  # copied byte for byte
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert "200 frames" in line and "audio: copied aac" in line and str(out) in line


def test_variable_frame_rate_timestamps_are_kept(dog: Path, tmp_path: Path) -> None:
    frames = _lr_frames(dog, 12, (64, 36))
    src = tmp_path / "vfr.mp4"  # mkv would round timestamps to milliseconds
    pts = [0, 1, 2, 5, 6, 10, 11, 12, 20, 21, 22, 30]  # in 1/30 s: irregular gaps
    with VideoWriter(src, 30, preset="ultrafast", time_base=Fraction(1, 30)) as w:
        for f, p in zip(frames, pts, strict=True):
            w.write(f, pts=p)
    out = tmp_path / "vfr_x2.mp4"
    assert main([f"input={src}", f"out={out}", "baseline=bicubic", "scale=2", *FAST]) == 0
    assert _times(out) == _times(src) == [Fraction(p, 30) for p in pts]


@pytest.mark.parametrize("colors", ["bt601", "bt709"])
def test_saturated_colour_patches_survive_the_matrix(tmp_path: Path, colors: str) -> None:
    patches = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255),
               (255, 0, 255)]
    lr = np.zeros((24, 72, 3), np.uint8)
    for i, c in enumerate(patches):
        lr[:, i * 12:(i + 1) * 12] = c
    src = tmp_path / f"{colors}.mp4"
    with VideoWriter(src, 25, crf=0, preset="ultrafast", colors=colors) as w:
        for _ in range(3):
            w.write(lr)
    assert probe_video(src).matrix == colors
    out = tmp_path / "x4.mp4"
    assert main([f"input={src}", f"out={out}", "baseline=bicubic", "scale=4", "crf=0", *FAST]) == 0
    assert probe_video(out).matrix == "bt709"
    sr = list(decode_frames(out))[-1].astype(int)
    m = 2 * 4  # 2 LR pixels of margin: chroma is subsampled, bicubic rings at edges
    for i, c in enumerate(patches):
        inside = sr[m:96 - m, i * 48 + m:(i + 1) * 48 - m]
        assert np.abs(inside - np.array(c)).max() <= 3, (colors, c)


def test_pcm_audio_in_mov_is_reencoded_to_aac_in_mp4(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture) -> None:
    src = tmp_path / "pcm.mov"
    with av.open(str(src), "w") as c:
        v = c.add_stream("mpeg4", rate=25)
        v.width, v.height, v.pix_fmt = 32, 24, "yuv420p"
        a = c.add_stream("pcm_s16le", rate=16000)
        a.layout = "mono"
        tone = (np.sin(np.arange(640) / 5) * 4000).astype(np.int16)[None]
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((24, 32, 3), 20 * i, np.uint8), "rgb24")
            frame.pts = i
            c.mux(v.encode(frame))
            chunk = av.AudioFrame.from_ndarray(tone, format="s16", layout="mono")
            chunk.sample_rate, chunk.pts = 16000, 640 * i
            c.mux(a.encode(chunk))
        c.mux(v.encode(None))
        c.mux(a.encode(None))
    out = tmp_path / "x2.mp4"
    assert main([f"input={src}", f"out={out}", "baseline=bicubic", "scale=2", *FAST]) == 0
    assert probe_video(out).audio == ["aac"]
    with av.open(str(out)) as c:
        samples = sum(f.samples for f in c.decode(c.streams.audio[0]))
    assert samples >= 6400  # all 0.4 s of it (plus the AAC encoder's priming)
    assert "re-encoded pcm_s16le to aac" in capsys.readouterr().out


def _folder(path: Path, frames: list[np.ndarray]) -> Path:
    path.mkdir(parents=True)
    for i, f in enumerate(frames):
        write_png(path / f"{i:04d}.png", f)
    return path


def _pngs(folder: Path) -> list[np.ndarray]:
    return [read_image(p) for p in sorted(folder.glob("*.png"))]


def test_state_resets_exactly_at_a_cut(shared_data: Path, tmp_path: Path) -> None:
    a = _lr_frames(shared_data / "videos" / "01_dog.mp4", 8, (64, 36))
    b = _lr_frames(shared_data / "videos" / "03_blocks.mp4", 8, (64, 36))
    joined, second = _folder(tmp_path / "ab", a + b), _folder(tmp_path / "b", b)
    loaded = tiny_frvsr()
    fast = UpscaleSettings(progress=False)
    result = upscale(open_source(joined), tmp_path / "ab_x4", ModelUpscaler(loaded), fast)
    assert result.cuts == [8]
    upscale(open_source(second), tmp_path / "b_x4", ModelUpscaler(loaded), fast)
    after_cut, fresh = _pngs(tmp_path / "ab_x4")[8:], _pngs(tmp_path / "b_x4")
    assert all(np.array_equal(x, y) for x, y in zip(after_cut, fresh, strict=True))
    # Without the reset the first frame after the cut is warped from the other shot.
    upscale(open_source(joined), tmp_path / "ab_noreset", ModelUpscaler(loaded),
            UpscaleSettings(progress=False, reset_on_cut=False))
    assert not np.array_equal(_pngs(tmp_path / "ab_noreset")[8], fresh[0])


@pytest.mark.parametrize("make", [tiny_srresnet, tiny_frvsr])
def test_tiled_equals_untiled(dog: Path, tmp_path: Path, make) -> None:
    frames = _folder(tmp_path / "in", _lr_frames(dog, 10, (61, 37)))
    ckpt = save_checkpoint(tmp_path / "g.ckpt", make())
    whole, tiled = tmp_path / "whole", tmp_path / "tiled"
    assert main([f"input={frames}", f"out={whole}", f"ckpt={ckpt}", *FAST]) == 0
    assert main([f"input={frames}", f"out={tiled}", f"ckpt={ckpt}", "tile=16", *FAST]) == 0
    pairs = list(zip(_pngs(whole), _pngs(tiled), strict=True))
    assert len(pairs) == 10
    assert max(np.abs(x.astype(int) - y.astype(int)).max() for x, y in pairs) <= 1


def _peak_rss_kb(args: list[str]) -> int:
    proc = subprocess.Popen([sys.executable, "-m", "frvsr.upscale", *args, *FAST], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, proc.stderr.read().decode()[-2000:]
    return usage.ru_maxrss


@pytest.mark.slow
def test_peak_memory_does_not_grow_with_length(lr200: Path, dog: Path, tmp_path: Path) -> None:
    short = _write_clip(tmp_path / "dog20.mp4", list(decode_frames(lr200, 20)), audio_from=dog)
    ckpt = save_checkpoint(tmp_path / "g.ckpt", tiny_frvsr())
    peaks = {n: _peak_rss_kb([f"input={src}", f"out={tmp_path / f'{n}.mp4'}", f"ckpt={ckpt}"])
             for n, src in ((20, short), (200, lr200))}
    assert peaks[200] <= 1.10 * peaks[20], peaks


@pytest.mark.slow
def test_sigterm_leaves_nothing_and_a_batch_resumes(lr200: Path, tmp_path: Path) -> None:
    out = tmp_path / "x4.mp4"
    ckpt = save_checkpoint(tmp_path / "g.ckpt", tiny_frvsr())
    proc = subprocess.Popen([sys.executable, "-m", "frvsr.upscale", f"input={lr200}",
                             f"out={out}", f"ckpt={ckpt}", *FAST], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not list(tmp_path.glob(".x4.*")) and time.time() < deadline:
        time.sleep(0.05)  # the temp output exists: encoding is under way
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err.strip().splitlines()[-1] and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.ckpt"]  # no output, no temp
    # Batch: a folder of videos; a finished output is skipped on the rerun.
    videos = tmp_path / "videos"
    videos.mkdir()
    short = list(decode_frames(lr200, 6))
    for name in ("a", "b"):
        _write_clip(videos / f"{name}.mp4", short)
    outs = tmp_path / "outs"
    assert main([f"input={videos}", f"out={outs}", "baseline=bicubic", *FAST]) == 0
    (outs / "b.mp4").unlink()
    before = (outs / "a.mp4").stat().st_mtime_ns
    assert main([f"input={videos}", f"out={outs}", "baseline=bicubic", *FAST]) == 0
    assert (outs / "a.mp4").stat().st_mtime_ns == before and (outs / "b.mp4").is_file()


@pytest.mark.slow
def test_onnx_backend_matches_the_checkpoint(dog: Path, tmp_path: Path) -> None:
    from frvsr.export import main as export

    frames = _folder(tmp_path / "in", _lr_frames(dog, 10, (45, 30)))
    ckpt = save_checkpoint(tmp_path / "g.ckpt", tiny_frvsr())
    assert export([f"ckpt={ckpt}", f"out={tmp_path / 'g.onnx'}"]) == 0
    assert main([f"input={frames}", f"out={tmp_path / 'pt'}", f"ckpt={ckpt}", *FAST]) == 0
    assert main([f"input={frames}", f"out={tmp_path / 'ort'}", f"onnx={tmp_path / 'g.onnx'}",
                 *FAST]) == 0
    pairs = list(zip(_pngs(tmp_path / "pt"), _pngs(tmp_path / "ort"), strict=True))
    assert len(pairs) == 10
    assert max(np.abs(x.astype(int) - y.astype(int)).max() for x, y in pairs) <= 1


def test_published_weights_upscale_with_their_own_skip(dog: Path, tmp_path: Path) -> None:
    """`ckpt=<BasicSR MSRResNet .pth> model/generator=srresnet`: the published forward."""
    import torch

    from frvsr.io.images import to_float_tensor, to_uint8
    from tests.models.test_pretrained import msrresnet_keys, ref_msrresnet

    torch.manual_seed(0)
    sd = msrresnet_keys(8, 2, 4)
    pth = tmp_path / "MSRResNet_x4.pth"
    torch.save({"params_ema": sd}, pth)
    frames = _folder(tmp_path / "in", _lr_frames(dog, 2, (40, 24)))
    assert main([f"input={frames}", f"out={tmp_path / 'sr'}", f"ckpt={pth}", "scale=4",
                 "model/generator=srresnet", "model.generator.num_feat=8",
                 "model.generator.num_block=2", *FAST]) == 0
    for lr, got in zip(_pngs(frames), _pngs(tmp_path / "sr"), strict=True):
        with torch.no_grad():
            want = to_uint8(ref_msrresnet(sd, to_float_tensor(lr)[None], 2, 4)[0])
        assert np.abs(got.astype(int) - want.astype(int)).max() <= 1
