"""Fixtures of the browser player's tests: a tiny exported model, a real two-shot clip, the
served site, and the tools (Chromium, Node, onnxruntime-web's files) with skip reasons."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from frvsr.errors import ConfigError

# Two shots of real footage, concatenated: the cut is at frame CUT.
CLIPS = ("01_dog.mp4", "03_blocks.mp4")
FRAMES_PER_CLIP = 5
CUT = FRAMES_PER_CLIP
LR_SIZE = (160, 90)  # w, h: 2.5 source pixels per thumbnail pixel (OpenCV's general path)
FPS = 30


def chromium_path() -> str:
    """The system Chromium (Debian's ``chromium``), or skip: the tests never download one."""
    for candidate in (os.environ.get("FRVSR_CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.skip("no Chromium: apt-get install -y chromium (.ci/run does), or set "
                "FRVSR_CHROMIUM to its executable")
    raise AssertionError  # unreachable: skip raises


def require_ort_web() -> Path:
    """onnxruntime-web's browser files, or skip with the command that installs them."""
    from frvsr.web import ort_dist

    try:
        return ort_dist()
    except ConfigError as exc:
        pytest.skip(str(exc))
    raise AssertionError


def two_shot_frames(shared_data: Path) -> list[np.ndarray]:
    """FRAMES_PER_CLIP frames of each clip, at LR_SIZE (INTER_AREA), as H,W,3 uint8 RGB."""
    import cv2

    from frvsr.io.video import decode_frames

    frames = []
    for name in CLIPS:
        for rgb in decode_frames(shared_data / "videos" / name, max_frames=FRAMES_PER_CLIP):
            frames.append(cv2.resize(rgb, LR_SIZE, interpolation=cv2.INTER_AREA))
    return frames


def stateful_tiny_frvsr() -> object:
    """The tiny random FRVSR with the SR net's weights on the warped previous estimate
    boosted 8x. With plain random weights the state moves frame 2 by at most ~5/255, too
    close to the 2/255 agreement tolerance to show that the browser carries it; boosted,
    by ~40/255."""
    import torch

    from tests.helpers.generators import tiny_frvsr

    loaded = tiny_frvsr()
    with torch.no_grad():  # conv_in's input is cat([lr (3), estimate (3 * s * s)])
        loaded.model.sr_net.conv_in.weight[:, 3:] *= 8
    return loaded


@dataclass
class WebFixture:
    site: object  # frvsr.web.site.Site
    ckpt: Path
    video: Path


@pytest.fixture(scope="session")
def web_site(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> WebFixture:
    """The site of a tiny FRVSR (exported here) and the two-shot clip (H.264, no B-frames,
    near-lossless so the browser's and PyAV's decodes are both close to the source)."""
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    require_ort_web()
    from frvsr.io.video import VideoWriter
    from frvsr.web.site import build_site
    from tests.helpers.generators import save_checkpoint

    root = tmp_path_factory.mktemp("web")
    ckpt = save_checkpoint(root / "tiny.ckpt", stateful_tiny_frvsr())  # type: ignore[arg-type]
    video = root / "two_shots.mp4"
    with VideoWriter(video, FPS, crf=12, gop_size=4, max_b_frames=0) as out:
        for rgb in two_shot_frames(shared_data):
            out.write(rgb)
    site = build_site(video=video, ckpt=ckpt, work=root / "work")
    return WebFixture(site, ckpt, video)


@pytest.fixture(scope="module")
def served(web_site: WebFixture) -> Iterator[str]:
    """The site served on 127.0.0.1 in a thread; yields the base URL."""
    from frvsr.web.server import make_server, start_in_thread, url_of

    server = make_server(web_site.site.files, web_site.site.folders)  # type: ignore[attr-defined]
    start_in_thread(server)
    yield url_of(server, "")
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless system Chromium through Playwright (no `playwright install`)."""
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is not installed: pip install 'frvsr[web]'")
    exe = chromium_path()
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=exe, headless=True)
        yield chromium
        chromium.close()
