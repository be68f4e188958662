"""One image rule for training and evaluation (frvsr.io.images).

The same real frames (Vimeo-90K) are saved as 8-bit RGB, 16-bit RGB (the same values and
with low bits), grayscale (8 and 16-bit), RGBA and palette PNGs, then read through a
training dataset (FolderSource -> EvalClipDataset) and through ``frvsr.evaluate``: both
must see exactly the values of the rule (8-bit /255, 16-bit /65535, gray copied to RGB,
alpha dropped, palette expanded), and evaluation no longer refuses 16-bit files.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from frvsr.data.datasets import EvalClipDataset
from frvsr.data.errors import DataError
from frvsr.data.sources import FolderSource
from frvsr.errors import EvalError
from frvsr.evaluate import main
from frvsr.evaluation.clips import read_frame, read_frame_u8, to_tensor
from frvsr.io.images import (
    as_uint8,
    load_image,
    read_image,
    to_float_tensor,
    to_uint8,
    write_png,
)
from frvsr.metrics.fidelity import psnr_rgb

T, H, W = 3, 48, 64


@pytest.fixture(scope="module")
def frames(shared_data: Path) -> np.ndarray:
    """T,H,W,3 uint8: crops of three real Vimeo-90K frames."""
    seq = shared_data / "vimeo_septuplet" / "sequences" / "00001" / "0001"
    imgs = [cv2.imread(str(seq / f"im{i + 1}.png"))[100 : 100 + H, 200 : 200 + W, ::-1]
            for i in range(T)]
    return np.ascontiguousarray(np.stack(imgs))


def _save(folder: Path, images: list[Image.Image] | np.ndarray) -> Path:
    """Write frames as <folder>/c/<t>.png (PIL images as they are, arrays with OpenCV)."""
    clip = folder / "c"
    clip.mkdir(parents=True)
    for t, img in enumerate(images):
        if isinstance(img, Image.Image):
            img.save(clip / f"{t}.png")
        else:  # H,W,3 RGB or H,W gray, uint8 or uint16
            bgr = img[..., ::-1] if img.ndim == 3 else img
            assert cv2.imwrite(str(clip / f"{t}.png"), np.ascontiguousarray(bgr))
    return folder


@pytest.fixture(scope="module")
def variants(frames: np.ndarray, tmp_path_factory: pytest.TempPathFactory
             ) -> dict[str, tuple[Path, torch.Tensor]]:
    """name -> (folder of one clip, the T,3,H,W float32 values the rule must give)."""
    root = tmp_path_factory.mktemp("variants")
    rng = np.random.default_rng(0)
    f8 = frames
    deep = np.clip(f8.astype(np.int64) * 257 + rng.integers(-128, 129, f8.shape), 0, 65535)
    deep = deep.astype(np.uint16)
    gray = f8[..., 1]
    gray16 = deep[..., 1]
    pal = [Image.fromarray(f).quantize(colors=256) for f in f8]

    def rgb(a: np.ndarray, scale: float) -> torch.Tensor:
        return torch.from_numpy(a.astype(np.float32) / np.float32(scale)).permute(0, 3, 1, 2)

    def rep(g: np.ndarray) -> np.ndarray:
        return np.repeat(g[..., None], 3, axis=-1)

    alpha = rng.integers(0, 256, (T, H, W, 1), dtype=np.uint8)
    return {
        "rgb8": (_save(root / "rgb8", f8), rgb(f8, 255)),
        "rgb16": (_save(root / "rgb16", f8.astype(np.uint16) * 257), rgb(f8, 255)),
        "deep16": (_save(root / "deep16", deep), rgb(deep, 65535)),
        "gray8": (_save(root / "gray8", gray), rgb(rep(gray), 255)),
        "gray16": (_save(root / "gray16", [Image.fromarray(g) for g in gray16]),
                   rgb(rep(gray16), 65535)),
        "rgba8": (_save(root / "rgba8", [Image.fromarray(a) for a in np.concatenate(
            [f8, alpha], axis=-1)]), rgb(f8, 255)),
        "palette": (_save(root / "palette", pal),
                    rgb(np.stack([np.asarray(p.convert("RGB")) for p in pal]), 255)),
    }


NAMES = ["rgb8", "rgb16", "deep16", "gray8", "gray16", "rgba8", "palette"]


def test_variant_files_are_what_they_claim(variants: dict) -> None:
    modes = {n: Image.open(variants[n][0] / "c" / "0.png").mode for n in NAMES}
    assert modes["palette"] == "P" and modes["rgba8"] == "RGBA" and modes["gray8"] == "L"
    assert modes["gray16"].startswith("I")
    for n in ("rgb16", "deep16"):
        assert cv2.imread(str(variants[n][0] / "c" / "0.png"), cv2.IMREAD_UNCHANGED).dtype \
            == np.uint16


@pytest.mark.parametrize("name", NAMES)
def test_training_and_evaluation_read_the_same_values(variants: dict, name: str) -> None:
    folder, want = variants[name]
    (clip,) = FolderSource(str(folder)).clips()
    item = EvalClipDataset([clip], 2, "bi")[0]
    assert item["hr"].dtype == torch.float32 and torch.equal(item["hr"], want)
    for t, path in enumerate(clip.hr):  # type: ignore[arg-type]
        assert torch.equal(to_tensor(read_frame(path, "c", t)), want[t])
        assert torch.equal(to_float_tensor(read_image(path)), want[t])


def test_sixteen_bit_keeps_its_low_bits(variants: dict) -> None:
    deep, eight = variants["deep16"][1], variants["rgb8"][1]
    # Rounded to 8 bits the deep frames are exactly the 8-bit ones (|noise| < 257/2) ...
    assert np.array_equal(to_uint8(deep), to_uint8(eight))
    # ... but read at full precision they are not: the old training reader dropped this.
    assert 0 < float((deep - eight).abs().max()) <= 128 / 65535 + 1e-7
    path = variants["deep16"][0] / "c" / "0.png"
    assert read_frame(path, "c", 0).dtype == np.uint16
    assert np.array_equal(read_frame_u8(path, "c", 0), to_uint8(eight[0]))


def _evaluate(sr: Path, gt: Path, out: Path) -> dict:
    code = main([f"sr={sr}", f"gt={gt}", f"out={out}", "metrics=[psnr_rgb]", "report=false"])
    assert code == 0
    return json.loads(out.read_text())["clips"]["c"]


@pytest.mark.parametrize("name", ["rgb16", "gray8", "gray16", "rgba8", "palette"])
def test_evaluate_sees_the_rule(variants: dict, name: str, tmp_path: Path) -> None:
    """Against an 8-bit RGB PNG of the expected values (exact for 8-bit data: PSNR inf)."""
    folder, want = variants[name]
    if want.mul(255).round().div(255).ne(want).any():  # 16-bit data: GT written as 16-bit
        ref = (want.permute(0, 2, 3, 1).numpy() * 65535).round().astype(np.uint16)
    else:
        ref = to_uint8(want)
    gt = _save(tmp_path / "gt", ref)
    clip = _evaluate(folder, gt, tmp_path / "r.json")
    assert clip["psnr_rgb"] == "inf" and clip["psnr_rgb_inf_frames"] == T


def test_evaluate_scores_sixteen_bit_at_full_precision(variants: dict, tmp_path: Path) -> None:
    (deep_dir, deep), (rgb8_dir, eight) = variants["deep16"], variants["rgb8"]
    clip = _evaluate(deep_dir, rgb8_dir, tmp_path / "r.json")
    want = [psnr_rgb(deep[t], eight[t]) for t in range(T)]
    assert all(math.isfinite(v) and v > 50 for v in want)  # reduced to 8 bits: inf
    assert clip["per_frame"]["psnr_rgb"] == pytest.approx(want, rel=1e-12)


def test_float_and_uint8_rules() -> None:
    x = torch.tensor([-0.1, 0.0, 0.5 / 255, 1.5 / 255, 2.5 / 255, 0.5, 1.0, 1.2])
    img = x.view(1, -1, 1).expand(3, -1, 1)  # 3,H=8,W=1
    assert to_uint8(img)[:, 0, 0].tolist() == [0, 0, 0, 2, 2, 128, 255, 255]  # half to even
    clip = torch.rand(2, 4, 3, 5, 6)
    assert to_uint8(clip).shape == (2, 4, 5, 6, 3)
    u8 = np.arange(256, dtype=np.uint8).reshape(16, 16, 1).repeat(3, axis=2)
    assert torch.equal(to_float_tensor(u8), to_float_tensor(u8.astype(np.uint16) * 257))
    assert np.array_equal(as_uint8(u8.astype(np.uint16) * 257), u8) and as_uint8(u8) is u8
    assert torch.equal(to_float_tensor(u8[..., ::-1]), to_float_tensor(u8)[[2, 1, 0]])
    with pytest.raises(ValueError, match="uint8 or uint16"):
        to_float_tensor(u8.astype(np.float32))


def test_write_png_round_trips_8_and_16_bit(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    for dtype, top in ((np.uint8, 256), (np.uint16, 65536)):
        img = rng.integers(0, top, (5, 7, 3)).astype(dtype)
        write_png(tmp_path / "sub" / f"{dtype.__name__}.png", img)
        assert np.array_equal(load_image(tmp_path / "sub" / f"{dtype.__name__}.png"), img)
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["uint16.png", "uint8.png"]
    with pytest.raises(ValueError, match="H,W,3"):
        write_png(tmp_path / "gray.png", np.zeros((4, 4), np.uint8))


def test_unreadable_files_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    with pytest.raises(DataError, match="bad.png: not a readable image"):
        read_image(bad)
    with pytest.raises(EvalError, match=r"clip 'x' frame 4 \(bad.png\): unreadable image: not"):
        read_frame(bad, "x", 4)
    with pytest.raises(DataError, match="missing.png: cannot be read"):
        read_image(tmp_path / "missing.png")
