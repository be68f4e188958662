"""Slow-pan probe: long synthetic camera pans cut from one frame of the embedded footage.

    python scripts/pan_probe.py --frame 120 --out probe            # two 55-frame pans
    python -m frvsr.evaluate ckpt=<run>/checkpoints/last.ckpt gt=probe out=probe.json

Each pan is a sequence of exact HR crops (``--size`` H,W px) of frame ``--frame`` of
``bikes.mp4``, the crop moving by ``round(t * v)`` HR px at frame t, so the GT has no
resampling blur and the LR frames (degraded by ``frvsr.evaluate`` as the checkpoint was
trained) move by v/4 LR px per frame at x4. The default speeds, (1, 0) and (1, 0.25) HR px
per frame, are the held-out shot's second half: a slow camera move (about 0.2 LR px per
frame). A recurrent model whose memory drifts on long slow pans falls behind its
frame-by-frame backbone over the later frames of such a clip (per-frame PSNR-Y in the
result JSON, `clips.<pan>.per_frame`); docs/demo.md (thirteenth round) has the measurements.

Refuses frames of the demo's held-out shot (187-241): the probe is for tuning decisions.
Output folders are `<out>/pan<frame>_<vx>_<vy>/0000.png ...` (written to a temporary name,
then renamed, so a stopped run leaves no half clip).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import cv2
import numpy as np

from frvsr.data.sources import sample_video_path
from frvsr.io.video_read import decode_frames

HELD_OUT = range(187, 242)  # the demo's held-out shot of bikes.mp4


def _speed(text: str) -> tuple[float, float]:
    try:
        vx, vy = (float(v) for v in text.split(","))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"speed {text!r}: give VX,VY in HR px per frame") from exc
    return vx, vy


def pan_offsets(num_frames: int, vx: float, vy: float) -> list[tuple[int, int]]:
    """Integer (x, y) crop offsets of frames 0..num_frames-1: ``round(t * v)``, shifted so
    none is negative."""
    xs = [round(t * vx) for t in range(num_frames)]
    ys = [round(t * vy) for t in range(num_frames)]
    return [(x - min(xs), y - min(ys)) for x, y in zip(xs, ys, strict=True)]


def write_pan(frame: np.ndarray, out: Path, num_frames: int, size: tuple[int, int],
              vx: float, vy: float) -> Path:
    """Write one pan of ``frame`` (H,W,3 uint8 RGB) into ``out`` (created atomically).

    Raises:
        ValueError: the pan does not fit in the frame at this size and speed.
    """
    offsets = pan_offsets(num_frames, vx, vy)
    h, w = size
    need_w = w + max(x for x, _ in offsets)
    need_h = h + max(y for _, y in offsets)
    if need_h > frame.shape[0] or need_w > frame.shape[1]:
        raise ValueError(f"a {num_frames}-frame pan of {h}x{w} at ({vx}, {vy}) px/frame needs "
                         f"{need_h}x{need_w} px, the frame is {frame.shape[0]}x{frame.shape[1]};"
                         " use a smaller --size, --frames or speed")
    tmp = out.with_name(out.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for t, (x, y) in enumerate(offsets):
        crop = np.ascontiguousarray(frame[y:y + h, x:x + w, ::-1])  # RGB -> BGR for OpenCV
        if not cv2.imwrite(str(tmp / f"{t:04d}.png"), crop):
            raise OSError(f"{tmp}: could not write frame {t}")
    shutil.rmtree(out, ignore_errors=True)
    os.replace(tmp, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frame", type=int, required=True, help="frame index in bikes.mp4")
    parser.add_argument("--out", type=Path, required=True, help="folder of pan clips")
    parser.add_argument("--frames", type=int, default=55, help="frames per pan (55)")
    parser.add_argument("--size", type=int, nargs=2, default=(256, 576), metavar=("H", "W"),
                        help="HR crop size, multiples of 4 (256 576)")
    parser.add_argument("--speed", type=_speed, nargs="+", default=[(1.0, 0.0), (1.0, 0.25)],
                        help="VX,VY HR px per frame, one pan each (1,0 1,0.25)")
    args = parser.parse_args(argv)
    if args.frame in HELD_OUT:
        parser.error(f"--frame {args.frame} is in the demo's held-out shot "
                     f"({HELD_OUT.start}-{HELD_OUT.stop - 1}); pick a frame of a tuning shot")
    if any(s % 4 for s in args.size) or args.frames < 2:
        parser.error("--size must be multiples of 4 and --frames at least 2")
    if args.frame < 0:
        parser.error(f"--frame {args.frame} is not a frame of bikes.mp4")
    decoded = list(decode_frames(sample_video_path(), args.frame + 1))
    if len(decoded) != args.frame + 1:
        parser.error(f"--frame {args.frame} is not a frame of bikes.mp4 ({len(decoded)} frames)")
    frame = decoded[-1]
    for vx, vy in args.speed:
        out = args.out / f"pan{args.frame}_{vx:g}_{vy:g}"
        try:
            write_pan(frame, out, args.frames, tuple(args.size), vx, vy)
        except ValueError as exc:
            print(f"pan_probe: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {out} ({args.frames} frames, {vx:g},{vy:g} HR px/frame)")
    print(f"score it: python -m frvsr.evaluate ckpt=<ckpt> gt={args.out} out=<result.json>")
    return 0


if __name__ == "__main__":
    sys.exit(main())
