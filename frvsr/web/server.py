"""A small static file server for the player (stdlib ``http.server``), on 127.0.0.1 only.

Every response carries ``Cross-Origin-Opener-Policy: same-origin`` and
``Cross-Origin-Embedder-Policy: require-corp``: together they make the page cross-origin
isolated, which browsers require before they give it ``SharedArrayBuffer``, and so
multi-threaded WASM. Files are served from a fixed table (exact URL -> file, URL prefix ->
folder); nothing outside it is reachable (``..`` is refused). Byte ranges are honoured
(``Range: bytes=a-b`` -> 206), which ``<video>`` needs to seek in a file it has not
downloaded whole.
"""
from __future__ import annotations

import mimetypes
import re
import threading
from collections.abc import Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

HOST = "127.0.0.1"
ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# Explicit types: module scripts and streaming wasm compilation refuse a wrong MIME type,
# and mimetypes' answers depend on the platform's tables.
MIME = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
        ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
        ".json": "application/json", ".wasm": "application/wasm",
        ".onnx": "application/octet-stream", ".png": "image/png", ".mp4": "video/mp4",
        ".m4v": "video/mp4", ".webm": "video/webm", ".mkv": "video/x-matroska",
        ".mov": "video/quicktime", ".map": "application/json"}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
CHUNK = 1 << 16


def content_type(path: Path) -> str:
    """The Content-Type of ``path`` (by suffix)."""
    return MIME.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or \
        "application/octet-stream"


def resolve(url_path: str, files: Mapping[str, Path], folders: Mapping[str, Path]) -> Path | None:
    """The file that ``url_path`` names, or None (not in the table, or escaping a folder).

    ``files`` maps exact paths (``/session.json``); ``folders`` maps prefixes ending in
    ``/`` to folders (the longest prefix wins; ``/`` itself serves ``index.html``)."""
    path = unquote(urlsplit(url_path).path)
    if path in files:
        return files[path]
    for prefix in sorted(folders, key=len, reverse=True):
        if not path.startswith(prefix):
            continue
        root = folders[prefix].resolve()
        rel = path[len(prefix):] or "index.html"
        target = (root / rel).resolve()
        if target.is_relative_to(root) and target.is_file():
            return target
        return None
    return None


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """``(first, last)`` byte of a single ``bytes=a-b`` range, clamped to the file; None for
    no header or a form we do not serve (then the whole file is sent, which is allowed).

    Raises:
        ValueError: the range lies outside the file (answered 416).
    """
    match = _RANGE.match(header.strip()) if header else None
    if match is None:
        return None
    first, last = match.groups()
    if not first:  # suffix range: the last N bytes
        if not last:
            return None
        return max(0, size - int(last)), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        raise ValueError(f"range {header} outside a file of {size} bytes")
    return start, end


class Handler(BaseHTTPRequestHandler):
    """GET/HEAD of the table's files with the isolation headers and byte ranges."""

    files: Mapping[str, Path] = {}
    folders: Mapping[str, Path] = {}
    server_version = "frvsr-web"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: the terminal shows the URL, not a line per request."""

    def _headers(self, status: int, length: int, ctype: str,
                 extra: Mapping[str, str] | None = None) -> None:
        """Status line and headers (isolation headers always)."""
        self.send_response(status)
        for key, value in {**ISOLATION_HEADERS, **(extra or {})}.items():
            self.send_header(key, value)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

    def _serve(self, body: bool) -> None:
        """Answer GET (``body``) or HEAD: 404 outside the table, 206 for a range, 416."""
        path = resolve(self.path, self.files, self.folders)
        if path is None:
            message = b"not found\n"
            self._headers(HTTPStatus.NOT_FOUND, len(message), "text/plain")
            if body:
                self.wfile.write(message)
            return
        size = path.stat().st_size
        try:
            span = parse_range(self.headers.get("Range"), size)
        except ValueError:
            self._headers(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, 0, "text/plain",
                          {"Content-Range": f"bytes */{size}"})
            return
        first, last = span if span else (0, size - 1)
        length = max(0, last - first + 1)
        if span:
            self._headers(HTTPStatus.PARTIAL_CONTENT, length, content_type(path),
                          {"Content-Range": f"bytes {first}-{last}/{size}"})
        else:
            self._headers(HTTPStatus.OK, size, content_type(path))
        if not body or length == 0:
            return
        try:
            with path.open("rb") as fh:
                fh.seek(first)
                remaining = length
                while remaining > 0:
                    chunk = fh.read(min(CHUNK, remaining))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    remaining -= len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser dropped a range it no longer needs (seeking): normal

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._serve(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._serve(body=False)


def make_server(files: Mapping[str, Path], folders: Mapping[str, Path],
                port: int = 0) -> ThreadingHTTPServer:
    """A server on ``127.0.0.1:port`` (0: a free port) for the table, not started yet."""
    handler = type("SiteHandler", (Handler,), {"files": dict(files), "folders": dict(folders)})
    server = ThreadingHTTPServer((HOST, port), handler)
    server.daemon_threads = True
    return server


def start_in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    """Serve in a daemon thread (tests); stop with ``server.shutdown()``."""
    thread = threading.Thread(target=server.serve_forever, name="frvsr-web", daemon=True)
    thread.start()
    return thread


def url_of(server: ThreadingHTTPServer, path: str = "/") -> str:
    """``http://127.0.0.1:<port><path>``."""
    return f"http://{HOST}:{server.server_address[1]}{path}"


__all__ = ["HOST", "ISOLATION_HEADERS", "Handler", "content_type", "make_server",
           "parse_range", "resolve", "start_in_thread", "url_of"]
