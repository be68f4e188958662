"""data=<option> with data.<key>= overrides, the checkpoint's scale, fresh generated folders
and the EMA record (review fixes 1, 2 and 4)."""
from __future__ import annotations

import functools
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from frvsr.checkpoint import build_generator
from frvsr.evaluate import main, parse_args, run
from frvsr.evaluation.folders import MARKER
from frvsr.models.espcn import ESPCN
from tests.helpers.cli import one_line_error

GEN = "{_target_: frvsr.models.espcn.ESPCN, num_feat: 8, num_block: 1}"
FAST = ["metrics=[psnr_y]", "report=false"]


def _checkpoint(path: Path, scale: int = 4, with_ema: bool = False) -> None:
    """A single-frame ESPCN checkpoint in frvsr.train's format (optionally with EMA keys)."""
    torch.manual_seed(0)
    model = build_generator(functools.partial(ESPCN, num_feat=8, num_block=1), None, scale)
    config = f"task_name: sisr\nmodel:\n  generator: {GEN}\n"
    meta = {"scale": scale, "recurrent": False, "degradation": "bd_tecogan", "stage": "sisr"}
    state = {f"generator.{k}": v for k, v in model.state_dict().items()}
    if with_ema:
        state.update({f"generator_ema.{k}": v.clone() for k, v in model.state_dict().items()})
    torch.save({"frvsr": {"config": config, "meta": meta}, "state_dict": state}, path)


def _folder_tree(shared_data: Path, root: Path, clips: tuple[str, ...] = ("blackswan", "cows"),
                 n: int = 3) -> Path:
    """<root>/<clip>/<frames>: small centre crops of DAVIS frames (kept in tmp only)."""
    for clip in clips:
        src = sorted((shared_data / "davis_480p" / clip).iterdir())[:n]
        (root / clip).mkdir(parents=True)
        for p in src:
            img = cv2.imread(str(p))
            h, w = img.shape[:2]
            cv2.imwrite(str(root / clip / f"{p.stem}.png"),
                        img[h // 2 - 32: h // 2 + 32, w // 2 - 32: w // 2 + 32])
    return root


def _error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    return one_line_error(main, capsys, *args)


def test_data_folder_with_overrides_and_checkpoint_scale(
        shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _folder_tree(shared_data, tmp_path / "clips")
    _checkpoint(tmp_path / "x2.ckpt", scale=2)
    out = tmp_path / "r.json"
    args = [f"ckpt={tmp_path / 'x2.ckpt'}", "data=folder", f"data.train.root={root}",
            f"out={out}", *FAST]
    # an x2 checkpoint on data the option declares x4: degraded at the checkpoint's scale
    result = run(parse_args([*args, "data.val.clips=[cows]"]))
    assert result is not None and list(result["clips"]) == ["cows"]
    assert result["scale"] == 2 and result["data"]["overrides"][-1] == "data.val.clips=[cows]"
    lr = cv2.imread(str(tmp_path / "r_data" / "lr" / "cows" / "00000.png"))
    assert lr.shape[:2] == (32, 32)
    # a rerun onto an existing result needs overwrite=true (issue 12)
    assert f"{out} exists (an earlier result); pass overwrite=true" in _error(capsys, *args)
    assert "scale=4 but checkpoint" in _error(capsys, *args, "scale=4", "overwrite=true")
    assert "data.scale=4 but checkpoint" in _error(capsys, *args, "data.scale=4",
                                                  "overwrite=true")
    # missing roots and bad keys: one line naming the key to set
    err = _error(capsys, f"ckpt={tmp_path / 'x2.ckpt'}", "data=folder", f"out={out}",
                 "overwrite=true")
    assert "data.train.root=<value>" in err and "data.val.root" in err
    assert "data.val.rooot" in _error(capsys, *args, "data.val.rooot=/x", "overwrite=true")
    assert "needs data=" in _error(capsys, f"data.train.root={root}", f"out={out}")


def test_data_option_val_root_only(shared_data: Path, tmp_path: Path) -> None:
    """data=images has ??? roots for train and val; evaluation only needs the val one (its
    one-frame clips are scored as an image set: tests/evaluation/test_image_sets.py)."""
    root = tmp_path / "imgs"
    root.mkdir()
    src = sorted((shared_data / "davis_480p" / "cows").iterdir())[0]
    cv2.imwrite(str(root / "a.png"), cv2.imread(str(src))[:64, :64])
    result = run(parse_args(["baseline=bicubic", "data=images", f"data.val.root={root}",
                             f"out={tmp_path / 'i.json'}", *FAST]))
    assert result is not None and result["clips"]["a"]["frames"] == 1
    assert (tmp_path / "i_data" / "lr" / "a" / "00000.png").is_file()


def _gt(root: Path, clips: tuple[str, ...]) -> Path:
    rng = np.random.default_rng(0)
    for clip in clips:
        (root / clip).mkdir(parents=True)
        for t in range(3):
            cv2.imwrite(str(root / clip / f"{t}.png"), rng.integers(0, 256, (32, 32, 3),
                                                                    dtype=np.uint8))
    return root


def test_generated_frames_never_mix_with_a_previous_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "b.json"
    base = ["baseline=bicubic", "degradation=bi", f"out={out}", "overwrite=true", *FAST]
    run(parse_args([*base, f"gt={_gt(tmp_path / 'gt1', ('a', 'b'))}"]))
    assert (tmp_path / "b_frames" / MARKER).is_file()
    result = run(parse_args([*base, f"gt={_gt(tmp_path / 'gt2', ('a',))}"]))
    assert result is not None and list(result["clips"]) == ["a"]
    assert sorted(p.name for p in (tmp_path / "b_frames").iterdir()) == [MARKER, "a"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left
    mine = tmp_path / "mine"
    (mine / "keep").mkdir(parents=True)
    err = _error(capsys, *base, f"gt={tmp_path / 'gt2'}", f"sr_out={mine}")
    assert f"sr_out: folder {mine} exists and was not written by frvsr.evaluate" in err
    assert (mine / "keep").is_dir()
    (tmp_path / "c_data" / "x").mkdir(parents=True)
    err = _error(capsys, "baseline=bicubic", "data=sample", f"out={tmp_path / 'c.json'}")
    assert f"data: folder {tmp_path / 'c_data'} exists" in err


@pytest.mark.parametrize("with_ema", [False, True])
def test_checkpoint_records_the_weights_really_used(tmp_path: Path, with_ema: bool) -> None:
    _checkpoint(tmp_path / "m.ckpt", with_ema=with_ema)
    result = run(parse_args([f"ckpt={tmp_path / 'm.ckpt'}", "baseline=sisr", "ema=true",
                             f"gt={_gt(tmp_path / 'gt', ('a',))}", f"out={tmp_path / 'r.json'}",
                             *FAST]))
    assert result is not None
    assert result["checkpoint"]["ema"] is with_ema and result["checkpoint"]["ema_requested"]
    saved = json.loads((tmp_path / "r.json").read_text())
    assert saved["checkpoint"]["ema"] is with_ema


def test_string_keys_keep_their_text() -> None:
    cfg = parse_args(["gt=x", "report_clip=011", "name=1e3"])
    assert cfg["report_clip"] == "011" and cfg["name"] == "1e3"  # not octal 9 / 1000.0



@pytest.mark.slow
def test_data_vimeo_with_root_override(shared_data: Path, tmp_path: Path) -> None:
    """The reviewer's crash: data=vimeo could not get its root; now data.train.root= sets it."""
    _checkpoint(tmp_path / "m.ckpt")
    vimeo = shared_data / "vimeo_septuplet"
    listed = (vimeo / "sep_testlist.txt").read_text().split()
    result = run(parse_args([f"ckpt={tmp_path / 'm.ckpt'}", "data=vimeo",
                             f"data.train.root={vimeo}", f"out={tmp_path / 'v.json'}", *FAST]))
    assert result is not None and result["data"]["split"] == "val"
    assert sorted(result["clips"]) == sorted(k.replace("/", "_") for k in listed)
    assert all(c["frames"] == 7 for c in result["clips"].values())
