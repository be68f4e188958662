"""``python -m frvsr.web ckpt=<checkpoint> video=<lr video>``: upscale a video in the browser.

  python -m frvsr.web ckpt=runs/x/checkpoints/last.ckpt video=clip_360p.mp4
  python -m frvsr.web onnx=model.onnx video=clip_360p.mp4 port=8000 open=true
  python -m frvsr.web ckpt=last.ckpt video=clip_360p.mp4 hr=clip_1440p.mp4 crf=20

Exports the checkpoint's recurrent step to ONNX when needed (or serves onnx=), writes an
fp16-weights copy and a bandwidth account (LR stream + model vs an encode at the SR
resolution at crf=), then serves the player on 127.0.0.1 (cross-origin isolated, so WASM
runs multi-threaded) and prints its URL. Ctrl-C stops it. The page plays ``video`` (the
low-resolution stream) and upscales each frame with onnxruntime-web (WebGPU when the
browser has an adapter, else WASM). Needs onnxruntime-web's files: ``make web``.

Keys: ckpt, video (required), onnx (the export to serve or to write), out (work folder,
default outputs/web/<video stem>), port (0: a free one), open (open a browser tab), crf,
preset, hr (the HR master for the reference encode; default the LR video upscaled with
bicubic), weights (fp32 or fp16: which file the page loads), bandwidth (false: skip the
reference encode).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from frvsr.cli.args import parse_key_values
from frvsr.cli.errors import key_value_main, strip_debug
from frvsr.errors import ConfigError

DEFAULTS: dict[str, Any] = {"ckpt": None, "video": None, "onnx": None, "out": None, "port": 0,
                            "open": False, "crf": 23, "preset": "medium", "hr": None,
                            "weights": "fp32", "bandwidth": True}
STR_KEYS = ("ckpt", "video", "onnx", "out", "hr", "preset", "weights")
PATH_KEYS = ("ckpt", "video", "onnx", "out", "hr")


def parse_args(argv: list[str]) -> dict[str, Any]:
    """``key=value`` pairs -> a dict over DEFAULTS (paths as Path); one-line errors."""
    cfg, _ = parse_key_values(strip_debug(argv), DEFAULTS, STR_KEYS)
    if not cfg["video"]:
        raise ConfigError("video=<low-resolution video> is required, e.g. python -m frvsr.web "
                          "ckpt=runs/x/last.ckpt video=clip.mp4")
    if not cfg["ckpt"] and not cfg["onnx"]:
        raise ConfigError("pass ckpt=<checkpoint> (exported when needed) or onnx=<export>")
    for key in ("open", "bandwidth"):
        if not isinstance(cfg[key], bool):
            raise ConfigError(f"{key}={cfg[key]} must be true or false")
    for key in ("port", "crf"):
        if isinstance(cfg[key], bool) or not isinstance(cfg[key], int) or cfg[key] < 0:
            raise ConfigError(f"{key}={cfg[key]} must be a non-negative integer")
    if cfg["port"] > 65535 or cfg["crf"] > 51:
        raise ConfigError("port must be <= 65535 and crf <= 51")
    for key in PATH_KEYS:
        cfg[key] = Path(cfg[key]) if cfg[key] else None
    return cfg


def run(cfg: dict[str, Any]) -> None:
    """Build the site, serve it until Ctrl-C."""
    from frvsr.web.bandwidth import describe
    from frvsr.web.server import make_server, url_of
    from frvsr.web.site import build_site

    site = build_site(video=cfg["video"], ckpt=cfg["ckpt"], onnx=cfg["onnx"], work=cfg["out"],
                      crf=cfg["crf"], preset=cfg["preset"], hr=cfg["hr"],
                      weights=cfg["weights"], bandwidth=cfg["bandwidth"])
    if site.session["bandwidth"]:
        print(describe(site.session["bandwidth"]))
        print(f"bandwidth account: {site.work / 'bandwidth.json'}")
    try:
        server = make_server(site.files, site.folders, cfg["port"])
    except OSError as exc:
        raise ConfigError(f"cannot listen on 127.0.0.1:{cfg['port']} ({exc.strerror}); "
                          "choose another port= (0 picks a free one)") from exc
    url = url_of(server)
    print(f"serving {site.video.name} with {site.onnx.name} at {url} (Ctrl-C stops)",
          flush=True)
    if cfg["open"]:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped")
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code (2 after a one-line user error)."""
    return key_value_main(argv, __doc__, DEFAULTS, lambda args: run(parse_args(args)))


if __name__ == "__main__":
    raise SystemExit(main())
