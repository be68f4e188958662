"""Extract the GT frames used by the example report from ../shared/data/videos (Apache-2.0,
from the SAM 2 repository). Usage: python docs/example_report/extract_frames.py <out_dir>

Writes <out_dir>/<clip>/<00000.png ...>: 24 frames of a centred 384x512 crop of each clip.
"""
from __future__ import annotations

import sys
from pathlib import Path

import cv2

VIDEOS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "videos"
CLIPS = {"blocks": "03_blocks.mp4", "bedroom": "bedroom.mp4"}
FRAMES, HEIGHT, WIDTH = 24, 384, 512


def main(out: Path) -> None:
    for name, file in CLIPS.items():
        cap = cv2.VideoCapture(str(VIDEOS / file))
        (out / name).mkdir(parents=True, exist_ok=True)
        for t in range(FRAMES):
            ok, frame = cap.read()
            if not ok:
                raise SystemExit(f"{VIDEOS / file}: could not read frame {t}")
            h, w = frame.shape[:2]
            top, left = (h - HEIGHT) // 2, (w - WIDTH) // 2
            crop = frame[top:top + HEIGHT, left:left + WIDTH]
            cv2.imwrite(str(out / name / f"{t:05d}.png"), crop)
        cap.release()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
