"""The player's file server: the URL table, byte ranges and the cross-origin isolation
headers (no browser needed)."""
from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from frvsr.web.server import (
    ISOLATION_HEADERS,
    make_server,
    parse_range,
    resolve,
    start_in_thread,
    url_of,
)


@pytest.fixture()
def tree(tmp_path: Path) -> tuple[dict[str, Path], dict[str, Path]]:
    static = tmp_path / "static"
    (static / "sub").mkdir(parents=True)
    (static / "index.html").write_text("<!doctype html>")
    (static / "main.js").write_text("export {};")
    (static / "sub" / "x.wasm").write_bytes(b"\0asm" + bytes(range(256)) * 4)
    (tmp_path / "secret.txt").write_text("no")
    video = tmp_path / "clip.mp4"
    video.write_bytes(bytes(range(200)))
    return {"/media/video.mp4": video}, {"/": static, "/ort/": static / "sub"}


def test_resolve_serves_the_table_only(tree: tuple[dict[str, Path], dict[str, Path]]) -> None:
    files, folders = tree
    assert resolve("/media/video.mp4?x=1", files, folders) == files["/media/video.mp4"]
    assert resolve("/", files, folders).name == "index.html"
    assert resolve("/main.js", files, folders).name == "main.js"
    assert resolve("/ort/x.wasm", files, folders).name == "x.wasm"
    for bad in ("/../secret.txt", "/%2e%2e/secret.txt", "/sub/../../secret.txt", "/nope.js",
                "/ort/../index.html", "/media/other.mp4"):
        assert resolve(bad, files, folders) is None, bad


def test_parse_range() -> None:
    assert parse_range(None, 100) is None
    assert parse_range("bytes=0-9", 100) == (0, 9)
    assert parse_range("bytes=90-", 100) == (90, 99)
    assert parse_range("bytes=90-500", 100) == (90, 99)
    assert parse_range("bytes=-10", 100) == (90, 99)
    assert parse_range("bytes=0-1,5-6", 100) is None  # multiple ranges: send it all
    with pytest.raises(ValueError):
        parse_range("bytes=100-", 100)


@pytest.fixture()
def server(tree: tuple[dict[str, Path], dict[str, Path]]) -> Iterator[str]:
    srv = make_server(*tree)
    start_in_thread(srv)
    yield url_of(srv, "")
    srv.shutdown()
    srv.server_close()


def _get(url: str, headers: dict[str, str] | None = None, method: str = "GET"):
    return urllib.request.urlopen(urllib.request.Request(url, headers=headers or {},
                                                         method=method), timeout=10)


def test_isolation_headers_and_types(server: str) -> None:
    assert server.startswith("http://127.0.0.1:")
    for path, ctype in (("/", "text/html"), ("/main.js", "text/javascript"),
                        ("/ort/x.wasm", "application/wasm"), ("/media/video.mp4", "video/mp4")):
        with _get(server + path) as res:
            assert res.status == 200
            assert res.headers["Content-Type"].startswith(ctype)
            for key, value in ISOLATION_HEADERS.items():
                assert res.headers[key] == value
            assert res.headers["Accept-Ranges"] == "bytes"


def test_byte_ranges(server: str, tree: tuple[dict[str, Path], dict[str, Path]]) -> None:
    data = tree[0]["/media/video.mp4"].read_bytes()
    with _get(server + "/media/video.mp4", {"Range": "bytes=10-19"}) as res:
        assert res.status == 206
        assert res.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
        assert res.read() == data[10:20]
    with _get(server + "/media/video.mp4", method="HEAD") as res:
        assert res.headers["Content-Length"] == str(len(data))
        assert res.read() == b""
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(server + "/media/video.mp4", {"Range": f"bytes={len(data)}-"})
    assert err.value.code == 416


def test_outside_the_table_is_404(server: str) -> None:
    for path in ("/secret.txt", "/../secret.txt", "/nothing"):
        with pytest.raises(urllib.error.HTTPError) as err:
            _get(server + path)
        assert err.value.code == 404
        assert err.value.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
