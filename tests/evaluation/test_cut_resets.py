"""Issue 11, case 3: a recurrent generator's state resets at scene cuts in evaluation.

Eight frames of one DAVIS clip followed by eight of another in one clip folder (a hard
cut): with ``reset_on_cut=true`` (the default) the SR frames after the cut are exactly
those of the second shot upscaled from a fresh start, and the result records the reset
frame. Before the fix the state was carried across the cut (frame 8 warped from frame 7's
estimate), which ``reset_on_cut=false`` still does on request.
"""
from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from frvsr.evaluate import main, parse_args, run
from frvsr.evaluation.clips import read_frame
from frvsr.io.images import write_png
from tests.helpers.generators import FRVSR_YAML, save_checkpoint, tiny_frvsr

N = 8  # frames per shot
FAST = ["metrics=[psnr_y]", "report=false", "degradation=bd_tecogan", "threads=1"]


def _shot(shared_data: Path, name: str) -> list[np.ndarray]:
    """N frames of a DAVIS clip, downscaled to 128x72 (RGB uint8)."""
    paths = sorted((shared_data / "davis_480p" / name).iterdir())[:N]
    return [cv2.resize(cv2.imread(str(p))[..., ::-1], (128, 72), interpolation=cv2.INTER_AREA)
            for p in paths]


@pytest.fixture(scope="module")
def cut_clip(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """<root>/joined/ (shot A then shot B, one folder) and <root>/b/ (shot B alone)."""
    root = tmp_path_factory.mktemp("cuts")
    a, b = _shot(shared_data, "blackswan"), _shot(shared_data, "car-shadow")
    for t, f in enumerate(a + b):
        write_png(root / "joined" / "clip" / f"{t:03d}.png", np.ascontiguousarray(f))
    for t, f in enumerate(b):
        write_png(root / "b" / "clip" / f"{t + N:03d}.png", np.ascontiguousarray(f))
    save_checkpoint(root / "frvsr.ckpt", tiny_frvsr())
    return root


def _frames(folder: Path) -> list[np.ndarray]:
    return [read_frame(p, "clip", t) for t, p in enumerate(sorted(folder.iterdir()))
            if p.suffix == ".png"]


def test_state_resets_at_the_cut(cut_clip: Path, tmp_path: Path) -> None:
    ckpt = f"ckpt={cut_clip / 'frvsr.ckpt'}"
    out = tmp_path / "joined.json"
    result = run(parse_args([ckpt, f"gt={cut_clip / 'joined'}", f"out={out}", *FAST]))
    assert result is not None
    fresh = run(parse_args([ckpt, f"gt={cut_clip / 'b'}", f"out={tmp_path / 'b.json'}", *FAST]))
    assert fresh is not None
    joined = _frames(tmp_path / "joined_frames" / "clip")
    alone = _frames(tmp_path / "b_frames" / "clip")
    for t in range(N):  # the second shot is upscaled exactly as from a fresh start
        assert np.array_equal(joined[N + t], alone[t]), t
    clip = result["clips"]["clip"]
    assert clip["per_frame"]["psnr_y"][N:] == fresh["clips"]["clip"]["per_frame"]["psnr_y"]
    saved = json.loads(out.read_text())
    assert saved["clips"]["clip"]["cut_resets"] == [N]
    assert saved["scene_cuts"]["reset_on_cut"] is True
    assert saved["scene_cuts"]["threshold"] == 0.12  # the checkpoint's training threshold
    assert saved["scene_cuts"]["threshold_source"] == "checkpoint"
    assert saved["scene_cuts"]["detected_on"] == "LR frames"
    # the old behaviour, on request: the state runs across the cut and frame N differs
    kept = run(parse_args([ckpt, f"gt={cut_clip / 'joined'}", f"out={tmp_path / 'k.json'}",
                           "reset_on_cut=false", *FAST]))
    assert kept is not None and kept["clips"]["clip"]["cut_resets"] == []
    carried = _frames(tmp_path / "k_frames" / "clip")
    assert not np.array_equal(carried[N], alone[0])
    assert carried[N - 1].tolist() == joined[N - 1].tolist()  # same up to the cut


def test_threshold_sources(cut_clip: Path, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:
    """scene_threshold= wins; a checkpoint without a training threshold gets 0.12."""
    ckpt = f"ckpt={cut_clip / 'frvsr.ckpt'}"
    gt = f"gt={cut_clip / 'joined'}"
    high = run(parse_args([ckpt, gt, f"out={tmp_path / 'h.json'}", "scene_threshold=0.9",
                           *FAST]))
    assert high is not None and high["clips"]["clip"]["cut_resets"] == []
    assert high["scene_cuts"]["threshold_source"] == "scene_threshold="
    bare = tmp_path / "bare.ckpt"
    save_checkpoint(bare, tiny_frvsr())
    import torch

    obj = torch.load(bare, weights_only=True)
    obj["frvsr"]["config"] = FRVSR_YAML.split("data:")[0]  # no data.train.scene_threshold
    torch.save(obj, bare)
    default = run(parse_args([f"ckpt={bare}", gt, f"out={tmp_path / 'd.json'}", *FAST]))
    assert default is not None and default["scene_cuts"]["threshold_source"] == "default"
    assert default["clips"]["clip"]["cut_resets"] == [N]
    for bad in ("scene_threshold=0", "scene_threshold=1.5", "reset_on_cut=maybe",
                "scene_threshold=true"):
        assert main([ckpt, gt, bad]) == 2
        assert "error: " in capsys.readouterr().err
    assert main([f"sr={cut_clip / 'joined'}", gt, "scene_threshold=0.2"]) == 2
    assert "apply to frames generated" in capsys.readouterr().err
