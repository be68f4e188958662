"""The player in headless Chromium (WASM backend) against onnxruntime in Python.

Deterministic test mode: the page steps through 10 frames of two real shots (cut at frame
5) by seeking, and records every RGB frame it fed the model, its thumbnail and the SR
output. The same frames go through ``OnnxUpscaler`` (the Python reference) with a reset
at the cut: outputs agree within 2/255. The state is carried (frame 2 differs from a
zero-state run) and reset at the cut, where the page's own JS detector (reproducing
OpenCV's INTER_AREA thumbnail) finds the same cut as ``frvsr.data.scenes``.
"""
from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from frvsr.data.scenes import CutDetector, thumbnail
from frvsr.inference.onnx_backend import OnnxUpscaler, read_metadata
from tests.web.conftest import CUT, FPS, LR_SIZE, WebFixture

pytestmark = pytest.mark.slow  # export + Chromium + 10 WASM frames: ~1 min on 2 cores

FRAMES = 10
TOL = 2 / 255
SCREENSHOT_ENV = "FRVSR_WEB_SCREENSHOT"  # also save the screenshot there (docs)


def _decode(b64: str, dtype: type, shape: tuple[int, ...]) -> np.ndarray:
    return np.frombuffer(base64.b64decode(b64), dtype=dtype).reshape(shape)


def _tensor(rgb: np.ndarray) -> torch.Tensor:
    """H,W,3 uint8 -> 1,3,H,W float32 in [0,1], the README's conversion."""
    return torch.from_numpy((rgb.transpose(2, 0, 1)[None] / 255).astype(np.float32))


@pytest.fixture(scope="module")
def stepped(browser: object, served: str, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run the test mode once; the page's summary, info and pixels of every frame."""
    page = browser.new_page(viewport={"width": 1400, "height": 900})  # type: ignore[attr-defined]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{served}/?mode=test&backend=wasm")
    page.wait_for_function("window.frvsrTest || window.frvsrError", timeout=120_000)
    assert page.evaluate("window.frvsrError || null") is None, errors
    records = page.evaluate(f"window.frvsrTest.run({FRAMES})")
    pixels = [page.evaluate(f"window.frvsrTest.frame({i})") for i in range(FRAMES)]
    shot = tmp_path_factory.mktemp("shot") / "web_player.png"
    page.screenshot(path=str(shot))
    if os.environ.get(SCREENSHOT_ENV):
        shutil.copyfile(shot, os.environ[SCREENSHOT_ENV])
    out = {"records": records, "pixels": pixels, "screenshot": shot, "errors": errors,
           "info": page.evaluate("window.frvsrTest.info"),
           "isolated": page.evaluate("crossOriginIsolated")}
    page.close()
    return out


def _frames(stepped: dict) -> tuple[list[np.ndarray], list[np.ndarray]]:
    w, h = LR_SIZE
    rgb = [_decode(p["rgb"], np.uint8, (h, w, 3)) for p in stepped["pixels"]]
    sr = [_decode(p["sr"], np.float32, (1, 3, r["sh"], r["sw"]))
          for p, r in zip(stepped["pixels"], stepped["records"], strict=True)]
    return rgb, sr


def test_page_runs_the_export_on_wasm_isolated(stepped: dict, web_site: WebFixture) -> None:
    info = stepped["info"]
    assert info["backend"] == "wasm"
    assert stepped["isolated"] is True  # COOP/COEP served: SharedArrayBuffer, WASM threads
    assert info["threads"] >= 1
    meta = read_metadata(web_site.site.onnx)  # type: ignore[attr-defined]
    assert info["meta"]["scale"] == int(meta["scale"]) == 4
    assert info["meta"]["recurrent"] is True
    assert info["meta"]["model"] == meta["model"]
    assert info["meta"]["inputs"] == ["lr", "lr_prev", "sr_prev"]
    assert not stepped["errors"]


def test_steps_consecutive_frames(stepped: dict) -> None:
    records = stepped["records"]
    assert [r["index"] for r in records] == list(range(FRAMES))
    for r in records:
        assert (r["w"], r["h"], r["sw"], r["sh"]) == (*LR_SIZE, 4 * LR_SIZE[0], 4 * LR_SIZE[1])
        if r["mediaTime"] is not None:  # the frame shown is frame i (timestamps i / fps)
            assert abs(r["mediaTime"] - r["index"] / FPS) < 0.5 / FPS
    rgb, _ = _frames(stepped)
    assert all(not np.array_equal(a, b) for a, b in zip(rgb[:-1], rgb[1:], strict=True))


def test_js_cut_detector_matches_python(stepped: dict) -> None:
    """Same thumbnails as OpenCV (<= 1 level; exact today), same scores, same cut."""
    rgb, _ = _frames(stepped)
    detector = CutDetector()
    py_cuts = [i for i, frame in enumerate(rgb) if detector(frame)]
    js_cuts = [r["index"] for r in stepped["records"] if r["cut"]]
    assert py_cuts == js_cuts == [CUT]
    prev = None
    for frame, pix, rec in zip(rgb, stepped["pixels"], stepped["records"], strict=True):
        js_thumb = _decode(pix["thumb"], np.uint8, (36, 64, 3)).astype(int)
        py_thumb = thumbnail(frame).astype(int)
        assert np.abs(js_thumb - py_thumb).max() <= 1
        if prev is not None:
            score = float(np.abs(py_thumb / 255.0 - prev / 255.0).mean())
            assert rec["score"] == pytest.approx(score, abs=1e-5)
        prev = py_thumb


def test_sr_matches_onnxruntime_python(stepped: dict, web_site: WebFixture) -> None:
    rgb, sr_js = _frames(stepped)
    up = OnnxUpscaler(web_site.site.onnx, threads=1)  # type: ignore[attr-defined]
    worst = 0.0
    for i, (frame, js) in enumerate(zip(rgb, sr_js, strict=True)):
        if i == CUT:
            up.reset()
        py = up(_tensor(frame)).numpy()
        worst = max(worst, float(np.abs(py - js).max()))
    print(f"max |browser - onnxruntime Python| over {FRAMES} frames: {worst:.2e}"
          f" ({worst * 255:.3f}/255)")
    assert worst <= TOL


def test_state_is_carried_and_reset_at_the_cut(stepped: dict, web_site: WebFixture) -> None:
    rgb, sr_js = _frames(stepped)
    records = stepped["records"]
    assert [r["first"] for r in records] == [i in (0, CUT) for i in range(FRAMES)]
    up = OnnxUpscaler(web_site.site.onnx, threads=1)  # type: ignore[attr-defined]
    zero_state_2 = up(_tensor(rgb[1])).numpy()  # frame 2 as the first frame of a shot
    assert np.abs(sr_js[1] - zero_state_2).max() > 10 * TOL  # the browser carried the state
    # At the cut the browser used the zero state: it matches a fresh run of that frame and
    # not the run that carries the first shot's state across the cut.
    up.reset()
    fresh = up(_tensor(rgb[CUT])).numpy()
    assert np.abs(sr_js[CUT] - fresh).max() <= TOL
    up.reset()
    for frame in rgb[: CUT + 1]:
        carried = up(_tensor(frame)).numpy()
    assert np.abs(sr_js[CUT] - carried).max() > 10 * TOL


def test_screenshot_saved(stepped: dict) -> None:
    shot: Path = stepped["screenshot"]
    assert shot.stat().st_size > 10_000
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_playback_upscales_and_counts_drops(browser: object, served: str) -> None:
    """Normal mode: play (looping) for a few seconds; frames are upscaled through
    requestVideoFrameCallback, and every dropped frame is counted and resets the state."""
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{served}/?backend=wasm")
    page.wait_for_function("window.frvsrPlayer || window.frvsrError", timeout=120_000)
    assert page.evaluate("window.frvsrError || null") is None
    page.evaluate("() => { const v = document.getElementById('video'); v.loop = true;"
                  " return v.play(); }")
    page.wait_for_function("window.frvsrPlayer.latencies.length >= 3", timeout=60_000)
    stats = page.evaluate("""() => { const p = window.frvsrPlayer;
        return {dropped: p.dropped, resets: {...p.pipeline.upscaler.resets},
                latencies: p.latencies.length}; }""")
    page.close()
    assert stats["latencies"] >= 3
    assert stats["resets"].get("start") == 1
    # Each gap of dropped frames resets the state once (one gap holds >= 1 frames).
    assert stats["resets"].get("drop", 0) <= stats["dropped"]
    assert (stats["dropped"] > 0) == (stats["resets"].get("drop", 0) > 0)


def test_fp16_weights_run_in_the_browser(browser: object, web_site: WebFixture,
                                         tmp_path: Path) -> None:
    """weights=fp16: the page loads the fp16-storage copy; WASM runs its Casts and agrees
    with onnxruntime in Python on the same file."""
    from frvsr.web.server import make_server, start_in_thread, url_of
    from frvsr.web.site import build_site

    site = web_site.site
    fp16_site = build_site(video=web_site.video, onnx=site.onnx,  # type: ignore[attr-defined]
                           work=tmp_path, weights="fp16", bandwidth=False)
    assert fp16_site.session["model"]["url"] == "/media/model.fp16.onnx"
    server = make_server(fp16_site.files, fp16_site.folders)
    start_in_thread(server)
    page = browser.new_page()  # type: ignore[attr-defined]
    try:
        page.goto(url_of(server, "/?mode=test&backend=wasm"))
        page.wait_for_function("window.frvsrTest || window.frvsrError", timeout=120_000)
        assert page.evaluate("window.frvsrError || null") is None
        records = page.evaluate("window.frvsrTest.run(2)")
        pixels = [page.evaluate(f"window.frvsrTest.frame({i})") for i in range(2)]
    finally:
        page.close()
        server.shutdown()
        server.server_close()
    up = OnnxUpscaler(fp16_site.onnx_fp16, threads=1)
    w, h = LR_SIZE
    for rec, pix in zip(records, pixels, strict=True):
        rgb = _decode(pix["rgb"], np.uint8, (h, w, 3))
        js = _decode(pix["sr"], np.float32, (1, 3, rec["sh"], rec["sw"]))
        assert np.abs(up(_tensor(rgb)).numpy() - js).max() <= TOL
