"""Real-time SR in the browser: a static page that runs the exported recurrent step.

``python -m frvsr.web ckpt=... video=...`` exports the checkpoint to ONNX when needed
(:mod:`frvsr.inference.onnx_export`, through ``frvsr.export``), writes an fp16 copy of the
weights and a bandwidth account, and serves the page in ``static/`` together with the
video, the model and onnxruntime-web's JS/wasm files on ``127.0.0.1`` with the
cross-origin isolation headers that multi-threaded WASM needs.

onnxruntime-web is an npm package pinned in ``frvsr/web/package.json`` (lockfile beside it)
and installed into the ignored ``frvsr/web/node_modules`` by ``make web``
(``npm ci --prefix frvsr/web``); nothing is fetched from a CDN at run time.
:func:`ort_dist` fails with one line naming that command when the files are missing.

Modules: ``site`` (export, fp16 copy, the page's session JSON), ``bandwidth`` (bit rates
and model sizes), ``fp16`` (fp16 weight storage), ``server`` (the HTTP server).
"""
from __future__ import annotations

import json
from pathlib import Path

from frvsr.errors import ConfigError

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static"
NODE_MODULES = PACKAGE_DIR / "node_modules"
ORT_PACKAGE = NODE_MODULES / "onnxruntime-web"
ORT_DIST = ORT_PACKAGE / "dist"
# The ES module the page imports: WebGPU (JSEP) and WASM backends, wasm files loaded from
# beside it (served under /ort/).
ORT_ENTRY = "ort.min.mjs"
INSTALL_HINT = "run `make web` (or `npm ci --prefix frvsr/web`; needs Node.js and npm)"


def pinned_ort_version() -> str:
    """The onnxruntime-web version pinned in ``frvsr/web/package.json``."""
    manifest = json.loads((PACKAGE_DIR / "package.json").read_text())
    return str(manifest["dependencies"]["onnxruntime-web"])


def ort_dist(dist: Path | None = None) -> Path:
    """The folder of onnxruntime-web's browser files, checked to hold the pinned version.

    Raises:
        ConfigError: the files are missing or another version is installed (one line that
            says how to install them).
    """
    dist = ORT_DIST if dist is None else dist
    if not (dist / ORT_ENTRY).is_file():
        raise ConfigError(f"onnxruntime-web's browser files are missing ({dist / ORT_ENTRY}): "
                          f"{INSTALL_HINT}")
    installed = json.loads((dist.parent / "package.json").read_text()).get("version")
    pinned = pinned_ort_version()
    if installed != pinned:
        raise ConfigError(f"onnxruntime-web {installed} is installed but {pinned} is pinned in "
                          f"frvsr/web/package.json: {INSTALL_HINT}")
    return dist
