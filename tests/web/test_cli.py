"""``python -m frvsr.web``: one-line user errors (missing runtime files: `make web`), the
served session, and the whole command in a subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import frvsr.web as web
from frvsr.web import pinned_ort_version
from frvsr.web.__main__ import main
from tests.web.conftest import WebFixture

REPO = Path(__file__).resolve().parents[2]


def _fake_dist(tmp: Path, version: str) -> Path:
    dist = tmp / "onnxruntime-web" / "dist"
    dist.mkdir(parents=True)
    (dist / web.ORT_ENTRY).write_text("export {};")
    (dist.parent / "package.json").write_text(json.dumps({"version": version}))
    return dist


def _one_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_missing_runtime_says_make_web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(web, "ORT_DIST", tmp_path / "absent" / "dist")
    assert main(["onnx=m.onnx", f"video={tmp_path / 'v.mp4'}"]) == 2
    line = _one_error(capsys)
    assert "make web" in line and "npm ci --prefix frvsr/web" in line


def test_stale_runtime_version_says_make_web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(web, "ORT_DIST", _fake_dist(tmp_path, "0.0.1"))
    assert main(["onnx=m.onnx", f"video={tmp_path / 'v.mp4'}"]) == 2
    line = _one_error(capsys)
    assert "0.0.1" in line and pinned_ort_version() in line and "make web" in line


@pytest.mark.parametrize(("args", "message"), [
    (["ckpt=a.ckpt"], "video=<low-resolution video> is required"),
    (["video=v.mp4"], "pass ckpt=<checkpoint>"),
    (["video=v.mp4", "onnx=m.onnx", "port=-1"], "port=-1 must be a non-negative integer"),
    (["video=v.mp4", "onnx=m.onnx", "open=maybe"], "open=maybe must be true or false"),
    (["video=v.mp4", "onnx=m.onnx", "colour=1"], "unknown argument 'colour'"),
])
def test_argument_errors(args: list[str], message: str,
                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert message in _one_error(capsys)


def test_missing_files_and_unplayable_codec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    from frvsr.io.video import VideoWriter

    monkeypatch.setattr(web, "ORT_DIST", _fake_dist(tmp_path, pinned_ort_version()))
    assert main([f"video={tmp_path / 'none.mp4'}", "onnx=m.onnx"]) == 2
    assert "does not exist" in _one_error(capsys)
    clip = tmp_path / "mpeg4.mp4"
    with VideoWriter(clip, 25, codec="mpeg4") as out:
        for _ in range(3):
            out.write(np.zeros((64, 64, 3), np.uint8))
    assert main([f"video={clip}", "onnx=m.onnx"]) == 2
    assert "browsers do not play" in _one_error(capsys)
    h264 = tmp_path / "ok.mp4"
    with VideoWriter(h264, 25) as out:
        out.write(np.zeros((64, 64, 3), np.uint8))
    assert main([f"video={h264}", f"onnx={tmp_path / 'none.onnx'}",
                 f"out={tmp_path / 'work'}"]) == 2
    assert "does not exist" in _one_error(capsys)
    # A checkpoint that frvsr.export refuses: its one-line error, relayed as one line.
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    assert main([f"video={h264}", f"ckpt={bad}", f"out={tmp_path / 'work'}"]) == 2
    line = _one_error(capsys)
    assert f"exporting ckpt={bad} failed:" in line and "bad.ckpt" in line.split("failed:")[1]


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "python -m frvsr.web" in out and "keys (defaults):" in out


@pytest.mark.slow
def test_command_serves_the_player(web_site: WebFixture, tmp_path: Path) -> None:
    """The real command on an existing export: prints the URL, serves session.json and the
    page with COOP/COEP; the player's page and modules are reachable."""
    site = web_site.site
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    args = [sys.executable, "-m", "frvsr.web", f"onnx={site.onnx}",  # type: ignore[attr-defined]
            f"video={web_site.video}", f"out={tmp_path / 'work'}", "bandwidth=false"]
    proc = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        url, start = None, time.monotonic()
        while url is None and time.monotonic() - start < 120:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            if " at http://127.0.0.1:" in line:
                url = line.split(" at ")[1].split()[0]
        assert url, proc.stderr.read() if proc.poll() is not None else "no URL"  # type: ignore
        with urllib.request.urlopen(url + "session.json", timeout=10) as res:
            session = json.loads(res.read())
            assert res.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        assert session["model"]["url"] == "/media/model.onnx"
        assert session["bandwidth"] is None
        assert session["scene"] == {"threshold": 0.12, "thumb": [64, 36]}
        for path in ("", "main.js", "scenes.js", "ort/" + web.ORT_ENTRY, "media/model.onnx",
                     session["video"]["url"].lstrip("/")):
            with urllib.request.urlopen(url + path, timeout=10) as res:
                assert res.status == 200, path
    finally:
        proc.terminate()
        proc.wait(timeout=30)
