"""Every entry point, run as a user runs it (`python -m frvsr.<name>` in a subprocess), over
bad inputs: each exits non-zero, its last line names the problem and the fix, no traceback
is printed, and nothing is left behind (outputs, temp files, a failed run's folder).
Inputs converted by design (grayscale, RGBA, 16-bit, odd sizes, awkward names) exit 0 with
the documented conversion. The table is docs/reliability.md's list of bad inputs.

Inputs are built in `<tmp>/in`, outputs aimed at `<tmp>/out`, the process runs in
`<tmp>/cwd`; after a failure `out` and `cwd` hold no file and `in` is unchanged.
"""
from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import pytest
import torch

from frvsr.io.images import read_image, write_png
from frvsr.io.video import VideoWriter
from tests.helpers.generators import save_checkpoint, tiny_frvsr, tiny_srresnet
from tests.helpers.media import noise_video

REPO = Path(__file__).resolve().parents[2]
ENOSPC_SHIM = Path(__file__).resolve().parent / "enospc"
HAS_GPU = torch.cuda.is_available()

# Training at test sizes: a bad input must stop it before (or at) its first steps.
TRAIN = ["experiment=pretrain", "logger=none", "data.num_frames=2", "data.lr_patch=8",
         "data.batch_size=1", "data.num_workers=0", "data.val_max_frames=2",
         "data.val_crop=8", "model.generator.num_feat=4", "model.generator.num_block=1",
         "trainer.max_steps=2", "trainer.val_check_interval=100",
         "trainer.enable_progress_bar=false", "callbacks.samples.video=false"]
FAST = ["preset=ultrafast", "progress=false"]


# ---- inputs ---------------------------------------------------------------------------
def _inp(t: Path) -> Path:
    (t / "in").mkdir(parents=True, exist_ok=True)
    return t / "in"


def _frames(folder: Path, n: int = 3, size: tuple[int, int] = (16, 16),
            sizes: list[tuple[int, int]] | None = None) -> Path:
    """PNG frames `H,W` of smooth noise in `folder` (000.png, ...)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i, hw in enumerate(sizes or [size] * n):
        write_png(folder / f"{i:03d}.png", rng.integers(0, 256, (*hw, 3), dtype=np.uint8))
    return folder


def _clips(t: Path, sizes: list[tuple[int, int]] | None = None) -> Path:
    """A training root of two clips (`a` held out for validation) of 3 frames, 32x32."""
    root = _inp(t) / "clips"
    _frames(root / "a", 3, (32, 32))
    _frames(root / "b", sizes=sizes or [(32, 32)] * 3)
    return root


def _truncated_frame(t: Path, ext: str) -> Path:
    """A training root whose clip `b` has frame 001 cut in half (PNG or JPEG)."""
    root = _clips(t)
    frame = root / "b" / "001.png"
    if ext == "jpg":
        import cv2

        bgr = cv2.imread(str(frame))
        frame.unlink()
        frame = frame.with_suffix(".jpg")
        cv2.imwrite(str(frame), bgr)
    data = frame.read_bytes()
    frame.write_bytes(data[: len(data) // 2])
    return root


def _video(path: Path) -> Path:
    return noise_video(path, n=6, size=(16, 16), seed=1)


def _size_change_video(t: Path) -> Path:
    """An MPEG-TS stream whose frame size changes mid-stream (16x16, then 24x32)."""
    parts = []
    for i, size in enumerate([(16, 16), (24, 32)]):
        part = _inp(t) / f"part{i}.ts"
        with av.open(str(part), "w") as out:
            stream = out.add_stream("mpeg2video", rate=25)
            stream.height, stream.width = size
            stream.pix_fmt = "yuv420p"
            for _ in range(4):
                frame = av.VideoFrame.from_ndarray(np.full((*size, 3), 128, np.uint8), "rgb24")
                for packet in stream.encode(frame):
                    out.mux(packet)
            for packet in stream.encode():
                out.mux(packet)
        parts.append(part.read_bytes())
        part.unlink()
    path = _inp(t) / "size_change.ts"
    path.write_bytes(b"".join(parts))
    return path


def _zero_frame_video(t: Path) -> Path:
    path = _inp(t) / "empty.mp4"
    with VideoWriter(path, 25, codec="mpeg4", frame_size=(16, 16)):
        pass
    return path


def _text(path: Path, text: str = "not what the name says\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _ckpt(t: Path, kind: str = "srresnet") -> Path:
    loaded = tiny_frvsr() if kind == "frvsr" else tiny_srresnet()
    return save_checkpoint(_inp(t) / f"{kind}.ckpt", loaded)


def _truncated_ckpt(t: Path) -> Path:
    path = _ckpt(t)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _frame_folder_with(t: Path, name: str, data: bytes | None) -> Path:
    folder = _frames(_inp(t) / "frames", 3)
    bad = folder / name
    if data is None:  # truncate an existing frame
        data = bad.read_bytes()[:40]
    bad.write_bytes(data)
    return folder


def _non_utf8(t: Path) -> str:
    """A path whose name is not UTF-8 (byte 0xff), as argv gets it (surrogate-escaped)."""
    return os.fsdecode(os.fsencode(_inp(t)) + b"/clip\xff missing.mp4")


def _odd_name_dir(t: Path) -> str:
    """An empty folder named `my clips<0xff>` (a space and a byte that is not UTF-8)."""
    path = os.fsencode(_inp(t)) + b"/my clips\xff"
    os.mkdir(path)
    return os.fsdecode(path)


def _gt_folder(t: Path) -> Path:
    root = _inp(t) / "gt"
    _frames(root / "c0", 2, (32, 32))
    return root


def _empty(t: Path, name: str) -> Path:
    (_inp(t) / name).mkdir()
    return _inp(t) / name


def _out(t: Path) -> Path:
    return t / "out"


def _unwritable(t: Path) -> Path:
    """An output folder that cannot be made: its parent is a file."""
    return _text(_inp(t) / "a_file") / "sub"


def _enospc(t: Path) -> dict[str, str]:
    return {"PYTHONPATH": str(ENOSPC_SHIM), "FRVSR_TEST_ENOSPC_ROOT": str(_out(t))}



# ---- the table ----------------------------------------------------------------------
@dataclass(frozen=True)
class Bad:
    """One bad input: entry point, its arguments (built in a tmp folder) and what the last
    line must say (the problem and the fix)."""

    name: str
    entry: str  # train | evaluate | upscale | export
    args: Callable[[Path], list[str]]
    expect: tuple[str, ...]
    env: Callable[[Path], dict[str, str]] | None = None
    needs_no_gpu: bool = False
    xfail: str | None = None
    marks: tuple = field(default=())


def _train_data(root: Callable[[Path], Path]) -> Callable[[Path], list[str]]:
    return lambda t: ["data=folder", f"data.train.root={root(t)}", "data.val.clips=[a]"]


BAD: list[Bad] = [
    # -- configuration (train: Hydra overrides; key=value entry points) --
    Bad("unknown config key", "train", lambda t: ["trainer.max_stepz=3"],
        ("trainer.max_stepz", "max_steps")),
    Bad("unknown group option", "train", lambda t: ["model/generator=nope"],
        ("nope", "srresnet")),
    Bad("scale 5", "train", lambda t: ["data.scale=5"], ("scale", "5")),
    Bad("negative crop", "train", lambda t: ["data.lr_patch=-4"], ("lr_patch", "-4")),
    Bad("T = 0", "train", lambda t: ["data.num_frames=0"], ("num_frames", "0")),
    Bad("batch size 0", "train", lambda t: ["data.batch_size=0"], ("batch_size", "0")),
    Bad("learning rate abc", "train", lambda t: ["model.optimizer.lr=abc"], ("lr", "abc")),
    Bad("trainer=gpu without a GPU", "train", lambda t: ["trainer=gpu"],
        ("no CUDA GPU", "trainer=cpu"), needs_no_gpu=True),
    Bad("upscale: unknown key", "upscale", lambda t: [f"input={t}", "outt=x.mp4"],
        ("outt", "did you mean out")),
    Bad("export: opset 5", "export", lambda t: [f"ckpt={_ckpt(t)}", "opset=5"], ("opset",)),
    Bad("evaluate: unknown metric", "evaluate",
        lambda t: [f"gt={_gt_folder(t)}", "baseline=bicubic", "degradation=bi", "scale=4",
                   "metrics=[psnr_z]", f"out={_out(t)}/r.json"], ("psnr_z",)),
    # -- missing and empty paths --
    Bad("train: missing data root", "train", _train_data(lambda t: t / "in" / "nope"),
        ("nope",)),
    Bad("train: empty data root", "train", _train_data(lambda t: _empty(t, "empty_dir")),
        ("empty_dir",)),
    Bad("upscale: missing input", "upscale",
        lambda t: [f"input={t / 'in' / 'nope.mp4'}", f"out={_out(t)}/o.mp4",
                   "baseline=bicubic", "scale=4"], ("nope.mp4", "does not exist")),
    Bad("upscale: empty frame folder", "upscale",
        lambda t: [f"input={_empty(t, 'empty')}", f"out={_out(t)}/o.mp4", "baseline=bicubic",
                   "scale=4"],
        ("empty",)),
    Bad("export: missing checkpoint", "export",
        lambda t: [f"ckpt={t / 'in' / 'nope.ckpt'}", f"out={_out(t)}/m.onnx"], ("nope.ckpt",)),
    Bad("evaluate: missing gt", "evaluate",
        lambda t: [f"gt={t / 'in' / 'nope'}", "baseline=bicubic", "degradation=bi",
                   "scale=4", f"out={_out(t)}/r.json"], ("nope",)),
    Bad("train: missing ckpt_path", "train", lambda t: [f"ckpt_path={t / 'in' / 'no.ckpt'}"],
        ("no.ckpt", "does not exist")),
    # -- broken frames and videos --
    Bad("train: mixed frame sizes in a clip", "train",
        _train_data(lambda t: _clips(t, sizes=[(32, 32), (32, 40), (32, 32)])),
        ("001.png", "40x32", "one size")),
    Bad("train: truncated PNG", "train", _train_data(lambda t: _truncated_frame(t, "png")),
        ("001.png", "truncated")),
    Bad("train: truncated JPEG", "train", _train_data(lambda t: _truncated_frame(t, "jpg")),
        ("001.jpg",)),
    Bad("upscale: mixed frame sizes", "upscale",
        lambda t: [f"input={_frames(_inp(t) / 'mixed', sizes=[(16, 16), (16, 16), (20, 16)])}",
                   f"out={_out(t)}/o.mp4", "baseline=bicubic", "scale=4"],
        ("frame 2 is 16x20",)),
    Bad("upscale: zero-byte PNG", "upscale",
        lambda t: [f"input={_frame_folder_with(t, '001.png', b'')}", f"out={_out(t)}/o",
                   "baseline=bicubic", "scale=4"], ("001.png",)),
    Bad("upscale: truncated PNG", "upscale",
        lambda t: [f"input={_frame_folder_with(t, '001.png', None)}", f"out={_out(t)}/o",
                   "baseline=bicubic", "scale=4"], ("001.png",)),
    Bad("upscale: corrupt video", "upscale",
        lambda t: [f"input={_text(_inp(t) / 'notes.mp4')}", f"out={_out(t)}/o.mp4",
                   "baseline=bicubic", "scale=4"], ("notes.mp4",)),
    Bad("upscale: zero-frame video", "upscale",
        lambda t: [f"input={_zero_frame_video(t)}", f"out={_out(t)}/o.mp4",
                   "baseline=bicubic", "scale=4"], ("empty.mp4",)),
    Bad("upscale: size changes mid-stream", "upscale",
        lambda t: [f"input={_size_change_video(t)}", f"out={_out(t)}/o.mp4",
                   "baseline=bicubic", "scale=4"], ("size_change.ts",)),
    # -- checkpoints --
    Bad("train: truncated ckpt_path", "train", lambda t: [f"ckpt_path={_truncated_ckpt(t)}"],
        ("srresnet.ckpt",)),
    Bad("train: ckpt_path of another architecture", "train",
        lambda t: [f"ckpt_path={_ckpt(t)}"], ("srresnet.ckpt", "cannot resume")),
    Bad("train: foreign model.init_from", "train",
        lambda t: ["experiment=gan", "model.discriminator.num_feat=4",
                   f"model.init_from={_text(_inp(t) / 'foreign.ckpt')}"], ("foreign.ckpt",)),
    Bad("upscale: foreign checkpoint", "upscale",
        lambda t: [f"input={_video(_inp(t) / 'c.mp4')}", f"out={_out(t)}/o.mp4",
                   f"ckpt={_text(_inp(t) / 'foreign.ckpt')}"], ("foreign.ckpt",)),
    Bad("upscale: truncated checkpoint", "upscale",
        lambda t: [f"input={_video(_inp(t) / 'c.mp4')}", f"out={_out(t)}/o.mp4",
                   f"ckpt={_truncated_ckpt(t)}"], ("srresnet.ckpt",)),
    Bad("upscale: checkpoint of another scale", "upscale",
        lambda t: [f"input={_video(_inp(t) / 'c.mp4')}", f"out={_out(t)}/o.mp4",
                   f"ckpt={_ckpt(t)}", "scale=2"], ("scale=2",)),
    Bad("export: truncated checkpoint", "export",
        lambda t: [f"ckpt={_truncated_ckpt(t)}", f"out={_out(t)}/m.onnx"], ("srresnet.ckpt",)),
    Bad("export: foreign checkpoint", "export",
        lambda t: [f"ckpt={_text(_inp(t) / 'foreign.ckpt')}", f"out={_out(t)}/m.onnx"],
        ("foreign.ckpt",)),
    Bad("evaluate: truncated checkpoint", "evaluate",
        lambda t: [f"ckpt={_truncated_ckpt(t)}", f"gt={_gt_folder(t)}",
                   f"out={_out(t)}/r.json"], ("srresnet.ckpt",)),
    # -- where outputs go --
    Bad("train: unwritable output folder", "train",
        lambda t: [f"paths.log_dir={_unwritable(t)}"], ("a_file",)),
    Bad("upscale: unwritable output folder", "upscale",
        lambda t: [f"input={_video(_inp(t) / 'c.mp4')}", f"out={_unwritable(t)}/o.mp4",
                   "baseline=bicubic", "scale=4"], ("a_file",)),
    Bad("export: unwritable output folder", "export",
        lambda t: [f"ckpt={_ckpt(t)}", f"out={_unwritable(t)}/m.onnx"], ("a_file",)),
    Bad("train: disk full", "train", lambda t: [], ("No space left",),
        env=_enospc),
    Bad("upscale: disk full", "upscale",
        lambda t: [f"input={_video(_inp(t) / 'c.mp4')}", f"out={_out(t)}/o.mp4",
                   "baseline=bicubic", "scale=4"], ("No space left",), env=_enospc),
    Bad("evaluate: disk full", "evaluate",
        lambda t: [f"gt={_gt_folder(t)}", "baseline=bicubic", "degradation=bi", "scale=4",
                   f"out={_out(t)}/r.json"], ("No space left",), env=_enospc),
    Bad("export: disk full", "export",
        lambda t: [f"ckpt={_ckpt(t)}", f"out={_out(t)}/m.onnx"], ("No space left",),
        env=_enospc),
    # -- names --
    Bad("upscale: non-UTF-8 name", "upscale",
        lambda t: [f"input={_non_utf8(t)}", f"out={_out(t)}/o.mp4", "baseline=bicubic",
                   "scale=4"], ("missing.mp4", "does not exist")),
    Bad("train: empty data root named with a space and a non-UTF-8 byte (wandb on)", "train",
        lambda t: ["data=folder", "data.val.clips=[a]", "logger=wandb",
                   f"data.train.root='{_odd_name_dir(t)}'"],
        ("my clips\\udcff", "no clip folders")),
    Bad("train: missing data root with a space in its name", "train",
        lambda t: ["data=folder", f"data.train.root={_inp(t)}/my clips"],
        ("in/my clips", "not found")),
]


def _run(entry: str, args: list[str], tmp: Path, extra_env: dict[str, str] | None = None,
         timeout: int = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true",
           "PYTHONUNBUFFERED": "1", "MPLBACKEND": "Agg"}
    env.pop("HYDRA_FULL_ERROR", None)
    paths = [*(extra_env or {}).get("PYTHONPATH", "").split(os.pathsep), str(REPO)]
    env.update(extra_env or {})
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    cwd = tmp / "cwd"
    cwd.mkdir(parents=True, exist_ok=True)
    argv = list(args)
    if entry == "train":
        device = [] if any(a.startswith("trainer=") for a in argv) else ["trainer=cpu"]
        argv = [*TRAIN, *device, f"paths.log_dir={_out(tmp)}", *argv]
    elif entry == "upscale":
        argv = [*argv, *FAST]
    return subprocess.run([sys.executable, "-m", f"frvsr.{entry}", *argv], cwd=cwd, env=env,
                          capture_output=True, timeout=timeout)


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if not p.is_dir()} if folder.is_dir() else set()


def _params() -> list:
    out = []
    for bad in BAD:
        marks = list(bad.marks)
        if bad.entry == "train":  # Lightning's import alone is seconds: ~5-15 s a case
            marks.append(pytest.mark.slow)
        if bad.needs_no_gpu:
            marks.append(pytest.mark.skipif(HAS_GPU, reason="this machine has a GPU"))
        if bad.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=bad.xfail))
        out.append(pytest.param(bad, id=bad.name, marks=marks))
    return out


@pytest.mark.parametrize("bad", _params())
def test_bad_input_one_line_no_traceback_nothing_left(bad: Bad, tmp_path: Path) -> None:
    args = bad.args(tmp_path)
    inputs = _files(tmp_path / "in")
    done = _run(bad.entry, args, tmp_path, bad.env(tmp_path) if bad.env else None)
    out = done.stdout.decode(errors="replace")
    err = done.stderr.decode(errors="replace")
    assert done.returncode != 0, out + err
    assert "Traceback" not in out + err, out + err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith("error: "), out + err
    missing = [e for e in bad.expect if e not in lines[-1]]
    assert not missing, f"{missing} not in: {lines[-1]}"
    left = _files(_out(tmp_path)) | _files(tmp_path / "cwd")
    assert not left, f"left behind: {sorted(map(str, left))}"
    assert _files(tmp_path / "in") == inputs, "the inputs changed"


# ---- converted by design: exit 0 ------------------------------------------------------
def _odd_frames(folder: Path, kind: str) -> Path:
    import cv2

    folder.mkdir(parents=True)
    rng = np.random.default_rng(2)
    for i in range(2):
        if kind == "grayscale":
            img = rng.integers(0, 256, (12, 16), dtype=np.uint8)
        elif kind == "rgba":
            img = rng.integers(0, 256, (12, 16, 4), dtype=np.uint8)
        elif kind == "16-bit":
            img = rng.integers(0, 65536, (12, 16, 3), dtype=np.uint16)
        else:  # odd size
            img = rng.integers(0, 256, (13, 15, 3), dtype=np.uint8)
        ok, data = cv2.imencode(".png", img)  # bytes: cv2.imwrite cannot take non-UTF-8 names
        assert ok
        (folder / f"{i:03d}.png").write_bytes(data.tobytes())
    return folder


@pytest.mark.parametrize("kind", ["grayscale", "rgba", "16-bit", "odd size", "space+non-utf8"])
def test_converted_by_design(kind: str, tmp_path: Path) -> None:
    """Grayscale -> RGB copies, alpha dropped, 16-bit read at full precision, odd sizes
    kept (SR is s*h x s*w); an awkward name works: PNG frames out, 8-bit RGB, exit 0."""
    name = b"my frames \xff" if kind == "space+non-utf8" else kind.encode()
    src = Path(os.fsdecode(os.fsencode(_inp(tmp_path)) + b"/" + name))
    _odd_frames(src, "odd size" if kind == "space+non-utf8" else kind)
    out = _out(tmp_path) / "sr"
    done = _run("upscale", [f"input={src}", f"out={out}", "baseline=bicubic", "scale=2"],
                tmp_path)
    assert done.returncode == 0, (done.stdout + done.stderr).decode(errors="replace")
    frames = sorted(out.glob("*.png"))
    assert len(frames) == 2
    first = read_image(frames[0])
    h, w = (13, 15) if kind in ("odd size", "space+non-utf8") else (12, 16)
    assert first.shape == (2 * h, 2 * w, 3) and first.dtype == np.uint8
    if kind == "grayscale":
        assert np.array_equal(first[..., 0], first[..., 1])
