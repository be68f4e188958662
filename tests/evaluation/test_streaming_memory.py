"""Issue 11, case 2: evaluation memory does not grow with clip length.

A 320x180 clip looped ping-pong (forward then reversed, so no scene cut splits it) to 20
and to 200 frames is scored with ``ckpt=... data=video data.val.root=<mp4>``
(``metrics=[psnr_y]``), each run in
its own process; the two peaks (``ru_maxrss`` of the child, from ``os.wait4``) must agree
within 10 %. Before the fix ``data=`` built the whole clip as one tensor before writing its
frames (19 MB per extra 848x480 frame); now every path reads and writes one frame at a time.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.helpers.generators import save_checkpoint, tiny_srresnet
from tests.helpers.media import encode

REPO = Path(__file__).resolve().parents[2]


def _ping_pong(shared_data: Path, n: int) -> list[np.ndarray]:
    """``n`` frames: 10 DAVIS frames at 320x180 forward, then backward, repeated."""
    paths = sorted((shared_data / "davis_480p" / "blackswan").iterdir())[:10]
    base = [cv2.resize(cv2.imread(str(p))[..., ::-1], (320, 180), interpolation=cv2.INTER_AREA)
            for p in paths]
    loop = base + base[::-1]
    return [np.ascontiguousarray(loop[i % len(loop)]) for i in range(n)]


def _peak_rss_kb(args: list[str], env: dict[str, str]) -> int:
    """Run ``frvsr.evaluate`` in a fresh process; its own peak resident set (kB)."""
    code = "import sys; from frvsr.evaluate import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, err[-2000:]
    return int(usage.ru_maxrss)


@pytest.mark.slow
def test_peak_memory_does_not_grow_with_clip_length(shared_data: Path, tmp_path: Path) -> None:
    # a single-frame checkpoint keeps the run short (the generation path streamed before
    # the fix too; data= did not); recurrent streaming is covered by test_cut_resets.py
    ckpt = save_checkpoint(tmp_path / "sisr.ckpt", tiny_srresnet())
    env = {**os.environ, "WANDB_MODE": "offline", "FRVSR_CACHE_DIR": str(tmp_path / "cache"),
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    peaks = {}
    for n in (20, 200):
        video = tmp_path / f"clip{n}.mp4"
        encode(_ping_pong(shared_data, n), video)
        out = tmp_path / f"r{n}.json"
        peaks[n] = _peak_rss_kb([f"ckpt={ckpt}", "data=video", f"data.val.root={video}",
                                 f"out={out}", "metrics=[psnr_y]", "report=false",
                                 "threads=1"], env)
        result = json.loads(out.read_text())
        (clip,) = result["clips"].values()
        assert clip["frames"] == n  # one shot: no cut split the ping-pong clip
    assert peaks[200] <= 1.10 * peaks[20], peaks


def test_streamed_items_equal_the_dataset_items(shared_data: Path, tmp_path: Path) -> None:
    """``data=``'s frame-by-frame reader gives exactly ``EvalClipDataset[i]`` (shots split at
    a cut, ``max_frames``, centre crop, keys; on-the-fly LR and LR files)."""
    import torch

    from frvsr.data.datasets import EvalClipDataset
    from frvsr.data.sources import FolderSource
    from frvsr.evaluation.data_option import stream_items
    from frvsr.io.images import write_png

    for i, name in enumerate(("blackswan", "car-shadow")):  # one clip folder with a hard cut
        for t, p in enumerate(sorted((shared_data / "davis_480p" / name).iterdir())[:4]):
            hr = cv2.resize(cv2.imread(str(p))[..., ::-1], (96, 64), interpolation=cv2.INTER_AREA)
            write_png(tmp_path / "hr" / "clip" / f"{4 * i + t}.png", np.ascontiguousarray(hr))
            write_png(tmp_path / "lr" / "clip" / f"{4 * i + t}.png",
                      np.ascontiguousarray(cv2.resize(hr, (24, 16))))
    for lr_root, crop in ((None, 8), (str(tmp_path / "lr"), None)):
        clips = FolderSource(str(tmp_path / "hr"), lr_root=lr_root, scene_threshold=0.12).clips()
        dataset = EvalClipDataset(clips, 4, "bd_tecogan", max_frames=3, crop=crop)
        streamed = list(stream_items(dataset))
        assert len(streamed) == len(dataset) == 2  # two shots
        for i, (key, frames) in enumerate(streamed):
            lr, hr, from_files = zip(*frames, strict=True)
            item = dataset[i]
            assert key == item["key"] and set(from_files) == {lr_root is not None}
            assert torch.equal(torch.stack(lr), item["lr"])
            assert torch.equal(torch.stack(hr), item["hr"])
