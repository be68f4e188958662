"""python -m frvsr.export and OnnxUpscaler: a tiny FRVSR and a tiny single-frame checkpoint
are exported once at 24x32, then run with onnxruntime at two other sizes (not multiples of
8) over a real 10-frame clip fed back recurrently, against PyTorch."""
from __future__ import annotations

import functools
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from frvsr.checkpoint import build_generator, load_generator
from frvsr.data.degradations import degrade
from frvsr.errors import CheckpointError, DataError
from frvsr.export import main
from frvsr.inference.onnx_backend import OnnxUpscaler, onnx_upscaler, read_metadata
from frvsr.inference.onnx_export import METADATA_KEYS, RecurrentStep
from frvsr.inference.upscaler import ModelUpscaler
from frvsr.io.video import decode_frames
from frvsr.models import FNet, FRVSRNet, SRResNet

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

README = Path(__file__).resolve().parents[2] / "README.md"
SIZES = [(30, 44), (21, 37)]  # LR sizes run; the export traced 24x32
GENERATORS = {
    "rec": ("FRVSRNet", functools.partial(FRVSRNet, num_feat=8, num_block=1,
                                          skip="bicubic_phase0")),
    "sisr": ("SRResNet", functools.partial(SRResNet, num_feat=8, num_block=1,
                                           skip="bicubic_phase0")),
}


def _write_checkpoint(path: Path, kind: str) -> None:
    """A checkpoint in frvsr.train's self-describing format (tiny widths, random weights)."""
    torch.manual_seed(0)
    cls, sr_net = GENERATORS[kind]
    recurrent = kind == "rec"
    model = build_generator(sr_net, FNet() if recurrent else None, 4)
    gen = f"{{_target_: frvsr.models.{cls}, num_feat: 8, num_block: 1, skip: bicubic_phase0}}"
    config = f"task_name: {'pretrain' if recurrent else 'sisr'}\nmodel:\n  generator: {gen}\n"
    if recurrent:
        config += "  flow_net: {_target_: frvsr.models.FNet}\n"
    meta = {"scale": 4, "recurrent": recurrent, "degradation": "bd_tecogan",
            "stage": "pretrain" if recurrent else "sisr", "generator_class":
            f"frvsr.models.{cls}", "num_feat": 8, "num_block": 1}
    state = {f"generator.{k}": v for k, v in model.state_dict().items()}
    torch.save({"frvsr": {"config": config, "meta": meta}, "state_dict": state}, path)


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ckpts")
    for kind in GENERATORS:
        _write_checkpoint(root / f"{kind}.ckpt", kind)
    return {kind: root / f"{kind}.ckpt" for kind in GENERATORS}


@pytest.fixture(scope="module")
def exported(ckpts: dict[str, Path]) -> dict[str, Path]:
    """Both checkpoints exported through the CLI (the slow part: ~10-30 s each)."""
    out = {}
    for kind, ckpt in ckpts.items():
        path = ckpt.parent / "onnx" / f"{kind}.onnx"
        args = [f"ckpt={ckpt}", f"out={path}"]
        if kind == "sisr":  # an existing file is replaced with overwrite=true
            path.write_text("old")
            args.append("overwrite=true")
        assert main(args) == 0
        out[kind] = path
    return out


@pytest.fixture(scope="module")
def clip(shared_data: Path) -> list[torch.Tensor]:
    """10 real HR frames (1,3,H,W in [0,1]) of the first shared video."""
    video = sorted((shared_data / "videos").glob("*.mp4"))[0]
    frames = decode_frames(video, max_frames=10)
    return [torch.from_numpy(f.copy()).permute(2, 0, 1)[None].float() / 255 for f in frames]


def _lr_clip(clip: list[torch.Tensor], size: tuple[int, int]) -> list[torch.Tensor]:
    """LR frames of ``size`` made with frvsr's BD degradation from an HR crop."""
    h, w = size
    top, left = 200, 400  # a moving part of the frame
    return [degrade(f[..., top: top + 4 * h, left: left + 4 * w], 4, "bd_tecogan") for f in clip]


def _run(up: object, frames: list[torch.Tensor]) -> list[torch.Tensor]:
    up.reset()  # type: ignore[attr-defined]
    return [up(lr) for lr in frames]  # type: ignore[operator]


def test_first_frame_rule_equals_zero_previous_estimate() -> None:
    # sr_prev = 0 and lr_prev = lr: FNet's flow between identical frames warps a zero image,
    # which stays zero, so the exported step's first frame is FRVSR.step(lr, None) exactly.
    torch.manual_seed(0)
    model = build_generator(GENERATORS["rec"][1], FNet(), 4).eval()
    step = RecurrentStep(model)  # type: ignore[arg-type]
    lr = torch.rand(1, 3, 21, 37)
    with torch.no_grad():
        want, _ = model.step(lr, None)
        got = step(lr, lr, torch.zeros(1, 3, 84, 148))
    assert torch.equal(got, want)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["rec", "sisr"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_onnxruntime_reproduces_pytorch_on_a_real_clip(
        kind: str, size: tuple[int, int], ckpts: dict[str, Path], exported: dict[str, Path],
        clip: list[torch.Tensor]) -> None:
    frames = _lr_clip(clip, size)
    torch_sr = _run(ModelUpscaler(load_generator(ckpts[kind])), frames)
    onnx_sr = _run(OnnxUpscaler(exported[kind]), frames)
    assert len(onnx_sr) == 10 and onnx_sr[0].shape == (1, 3, 4 * size[0], 4 * size[1])
    diff = max(float((a - b).abs().max()) for a, b in zip(onnx_sr, torch_sr, strict=True))
    print(f"max |onnxruntime - pytorch| {kind} {size[0]}x{size[1]}: {diff:.3g}")  # pytest -s
    assert diff < 1e-4
    if kind == "rec":  # the recurrence matters: frame 9 differs from a fresh start
        fresh = _run(OnnxUpscaler(exported[kind]), frames[9:])[0]
        assert float((fresh - onnx_sr[9]).abs().max()) > 1e-3


@pytest.mark.slow
def test_metadata_written_and_read_back(exported: dict[str, Path]) -> None:
    meta = read_metadata(exported["rec"])
    assert set(METADATA_KEYS) <= set(meta)
    assert meta["scale"] == "4" and meta["recurrent"] == "true"
    assert meta["degradation"] == "bd_tecogan" and meta["opset"] == "18"
    assert meta["inputs"] == "lr,lr_prev,sr_prev" and meta["outputs"] == "sr"
    assert meta["generator_class"] == "frvsr.models.FRVSRNet"
    assert "num_feat=8" in meta["model"] and "frvsr.models.FNet" in meta["model"]
    assert "sr_prev = zeros" in meta["first_frame_rule"] and "lr_prev = lr" in meta[
        "first_frame_rule"]
    assert meta["frvsr_version"] and meta["source"] == "rec.ckpt"
    model = onnx.load(str(exported["rec"]))
    assert model.opset_import[0].version == 18
    dims = {i.name: [d.dim_param or d.dim_value for d in i.type.tensor_type.shape.dim]
            for i in model.graph.input}
    assert dims["lr"] == dims["lr_prev"] == [1, 3, "height", "width"]
    assert dims["sr_prev"] == [1, 3, "4*height", "4*width"]
    assert [o.name for o in model.graph.output] == ["sr"]
    for kind, recurrent in (("rec", True), ("sisr", False)):
        up = OnnxUpscaler(exported[kind])
        assert (up.scale, up.recurrent, up.degradation) == (4, recurrent, "bd_tecogan")
        assert up.metadata == read_metadata(exported[kind]) and up.min_size == 8
    assert read_metadata(exported["sisr"])["inputs"] == "lr"
    # written atomically: no temp files left beside the outputs
    assert sorted(p.name for p in exported["rec"].parent.iterdir()) == ["rec.onnx", "sisr.onnx"]


@pytest.mark.slow
def test_upscaler_state_reset_and_size_change(exported: dict[str, Path]) -> None:
    up = OnnxUpscaler(exported["rec"])
    a, b = torch.rand(1, 3, 12, 16), torch.rand(1, 3, 12, 16)
    up.reset()
    first = up(a)
    assert not torch.equal(up(b), _run(OnnxUpscaler(exported["rec"]), [b])[0])
    up.reset()
    assert torch.equal(up(a), first) and up.resets == 2
    with pytest.raises(DataError, match="call reset"):
        up(torch.rand(1, 3, 13, 16))
    with pytest.raises(DataError, match="smaller than the 8 px"):
        OnnxUpscaler(exported["sisr"])(torch.rand(1, 3, 6, 16))
    make = onnx_upscaler(exported["rec"])  # one session, reset per clip
    first_clip = make()
    first_clip(a)
    second_clip = make()
    assert second_clip is first_clip and second_clip.resets == 2
    assert torch.equal(second_clip(a), first)


def _readme_snippet() -> str:
    section = README.read_text().split("## Export to ONNX", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert blocks, "README's Export to ONNX section has no python block"
    return blocks[0]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["rec", "sisr"])
def test_readme_snippet_runs_the_export_outside_frvsr(
        kind: str, exported: dict[str, Path], clip: list[torch.Tensor],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "model.onnx").symlink_to(exported[kind])
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    exec(compile(_readme_snippet(), "README.md", "exec"), namespace)  # noqa: S102
    frames = _lr_clip(clip, SIZES[1])
    sr = list(namespace["upscale"]([f.numpy() for f in frames]))  # type: ignore[operator]
    want = _run(OnnxUpscaler(exported[kind]), frames)
    assert len(sr) == len(want) == 10
    for got, ref in zip(sr, want, strict=True):
        assert isinstance(got, np.ndarray) and np.abs(got - ref.numpy()).max() < 1e-6


def test_bad_checkpoint_is_one_line_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.ckpt"
    bad.write_text("not a checkpoint")
    assert main([f"ckpt={bad}", f"out={tmp_path / 'm.onnx'}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "notes.ckpt" in err and "\n" not in err
    assert main([f"ckpt={tmp_path / 'missing.ckpt'}"]) == 2
    assert "does not exist" in capsys.readouterr().err
    with pytest.raises(CheckpointError, match="cannot be read"):
        main([f"ckpt={bad}", f"out={tmp_path / 'm.onnx'}", "debug_traceback=true"])
    assert not (tmp_path / "m.onnx").exists()


def test_existing_out_needs_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m.onnx"
    out.write_text("keep me")
    assert main([f"ckpt={tmp_path / 'x.ckpt'}", f"out={out}"]) == 2
    err = capsys.readouterr().err.strip()
    assert "overwrite=true" in err and "\n" not in err and out.read_text() == "keep me"
    assert main([f"ckpt={tmp_path / 'x.ckpt'}", f"out={tmp_path}"]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_unwritable_out_dir_is_one_line_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main([f"ckpt={tmp_path / 'x.ckpt'}", f"out={blocker / 'sub' / 'm.onnx'}"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot write out=") and "\n" not in err
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        if not _writable(locked):  # root writes anyway: only the file-as-folder case then
            assert main([f"ckpt={tmp_path / 'x.ckpt'}", f"out={locked / 'm.onnx'}"]) == 2
            assert "cannot write out=" in capsys.readouterr().err
    finally:
        locked.chmod(0o700)


def _writable(folder: Path) -> bool:
    """Whether this user can create files in ``folder`` despite its mode (root can)."""
    try:
        (folder / ".probe").touch()
    except OSError:
        return False
    (folder / ".probe").unlink()
    return True


def test_help_and_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "python -m frvsr.export" in out and "keys (defaults): ckpt=None" in out
    assert main(["ckpt=x.ckpt", "opset=17"]) == 2
    assert "opset=17 is not supported" in capsys.readouterr().err
    assert main(["ckpt=x.ckpt", "bogus=1"]) == 2
    assert "unknown argument 'bogus'" in capsys.readouterr().err
    assert main(["out=m.onnx"]) == 2
    assert "ckpt=<checkpoint> is required" in capsys.readouterr().err


def test_upscaler_rejects_files_not_written_by_export(tmp_path: Path) -> None:
    from onnx import TensorProto, helper

    with pytest.raises(CheckpointError, match="does not exist"):
        OnnxUpscaler(tmp_path / "missing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00not onnx")
    with pytest.raises(CheckpointError, match="cannot be loaded by onnxruntime"):
        OnnxUpscaler(junk)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g", [x], [y])
    foreign = tmp_path / "foreign.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]),
              str(foreign))
    with pytest.raises(CheckpointError, match="not written by frvsr.export"):
        OnnxUpscaler(foreign)
