"""`VideoDataModule`: training windows and validation clips for every source (conf/data/*.yaml).

Training batches: `lr B,T,C,h,w`, `hr B,T,C,H,W`, `key list[str]`. Validation/test batches
hold one whole clip (batch size 1): its first `val_max_frames` frames and, if `val_crop` is
set, a centre crop of `val_crop` **LR** pixels (HR `scale * val_crop`).

Resume-exact order: the train sampler permutes by (seed, epoch) and, each time its iterator
is created, asks the trainer where the fit loop stands (`_fit_position`). Lightning 2.6
restarts a non-stateful dataloader from the start of the epoch after a mid-epoch restore;
skipping the batches the loop has already counted makes a resumed run see the batches of an
uninterrupted one (`tests/data/test_datamodule_resume.py` proves it with 2 workers).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Protocol

import cv2
import torch
from lightning import LightningDataModule
from torch.utils.data import DataLoader

from frvsr.data.clips import Clip
from frvsr.data.datasets import EvalClipDataset, TrainClipDataset
from frvsr.data.degradations import check_degradation
from frvsr.data.errors import DataError
from frvsr.data.pans import SyntheticPan
from frvsr.data.robust import ExtraDegradations
from frvsr.data.sampler import EpochSampler
from frvsr.data.video_io import CachedVideo

__all__ = ["ClipSource", "VideoDataModule"]


class ClipSource(Protocol):
    """Anything with `clips()`: the sources in `frvsr.data.sources`."""

    def clips(self) -> list[Clip]: ...


def _frame_ids(clip: Clip) -> Iterator[tuple[str, int]]:
    """(file, frame index) of every HR frame a clip can yield: its shots of a cached video,
    or each frame file (index 0). Paths are made absolute as strings (no syscalls), so a
    Vimeo-sized list is checked in well under a second."""
    if isinstance(clip.hr, CachedVideo):
        source = os.path.abspath(clip.hr.source)
        for start, stop in clip.shots or []:
            for i in range(start, stop):
                yield source, i
    else:
        for path in clip.hr:
            yield os.path.abspath(path), 0


def check_disjoint(train: list[Clip], val: list[Clip]) -> None:
    """Refuse validation frames that are also training frames (validating on training data
    would report memorisation as quality): one line naming a shared clip and the fix."""
    val_ids = {fid: clip for clip in val for fid in _frame_ids(clip)}
    for clip in train:
        for fid in _frame_ids(clip):
            if fid in val_ids:
                shared = val_ids[fid]
                raise DataError(
                    f"data.val clip {shared.key!r} ({shared.location}) is also a training clip; "
                    "hold validation clips out: data=folder takes data.val.clips=[<clip>, ...] "
                    "(training then excludes them) or a separate data.val.root=<dir>"
                )


def _worker_init(_: int) -> None:
    # One thread per worker: workers already run in parallel, and OpenCV's thread pool in a
    # forked child can deadlock.
    torch.set_num_threads(1)
    cv2.setNumThreads(0)


class VideoDataModule(LightningDataModule):
    """Clips from `train` / `val` / `test` sources, degraded on the fly (or LR files).
    `skip_bad=True` skips training windows holding an unreadable frame (counted, warned)
    instead of stopping with the frame's path. `synthetic_pan` replaces a share of the
    training windows by slow pans over one HR frame (`frvsr.data.pans`)."""

    def __init__(
        self,
        train: ClipSource,
        val: ClipSource | None = None,
        test: ClipSource | None = None,
        scale: int = 4,
        degradation: str = "bd_tecogan",
        num_frames: int = 7,
        lr_patch: int | None = 32,
        batch_size: int = 4,
        num_workers: int = 2,
        val_max_frames: int | None = 20,
        val_crop: int | None = None,
        seed: int = 0,
        augment: bool = True,
        window_stride: int = 1,
        pin_memory: bool = False,
        extra_degradations: ExtraDegradations | None = None,
        skip_bad: bool = False,
        synthetic_pan: SyntheticPan | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(skip_bad, bool):
            raise DataError(f"data.skip_bad={skip_bad!r} must be true or false")
        # Training windows with an unreadable frame: stop with its path (False) or skip and
        # count them (True; frvsr.callbacks.bad_frames reports the count).
        self.skip_bad = skip_bad
        check_degradation(scale, degradation)
        self.save_hyperparameters(
            ignore=["train", "val", "test", "extra_degradations", "synthetic_pan"]
        )
        self.extra_degradations, self.synthetic_pan = extra_degradations, synthetic_pan
        self.train_source, self.val_source, self.test_source = train, val, test
        self.scale, self.degradation = scale, degradation
        self.num_frames, self.lr_patch, self.seed = num_frames, lr_patch, seed
        self.batch_size, self.num_workers, self.pin_memory = batch_size, num_workers, pin_memory
        self.val_max_frames, self.val_crop = val_max_frames, val_crop
        self.augment, self.window_stride = augment, window_stride
        self.train_set: TrainClipDataset | None = None
        self.val_set: EvalClipDataset | None = None
        self.test_set: EvalClipDataset | None = None

    def prepare_data(self) -> None:
        """Decode videos into the frame cache once, in the main process, before workers start."""
        for source in (self.train_source, self.val_source, self.test_source):
            prepare = getattr(source, "prepare", None)  # video sources; frame folders need none
            if prepare is not None:
                prepare()

    def setup(self, stage: str | None = None) -> None:
        if stage in (None, "fit") and self.train_set is None:
            self.train_set = TrainClipDataset(
                self.train_source.clips(),
                self.scale,
                self.degradation,
                self.num_frames,
                self.lr_patch,
                seed=self.seed,
                augment=self.augment,
                stride=self.window_stride,
                extra=self.extra_degradations,
                skip_bad=self.skip_bad,
                pan=self.synthetic_pan,
            )
            if len(self.train_set) < self.batch_size:  # drop_last would leave no batch at all
                raise DataError(
                    f"{len(self.train_set)} training windows but data.batch_size="
                    f"{self.batch_size}: no full batch, so nothing would train; lower "
                    "data.batch_size or add training clips"
                )
        if (
            stage in (None, "fit", "validate")
            and self.val_set is None
            and self.val_source is not None
        ):
            self.val_set = self._eval_set(self.val_source)
            if self.train_set is not None:
                check_disjoint(self.train_set.reader.clips, self.val_set.reader.clips)
        if stage in (None, "test") and self.test_set is None:
            source = self.test_source or self.val_source
            self.test_set = self._eval_set(source) if source is not None else None

    def _eval_set(self, source: ClipSource) -> EvalClipDataset:
        return EvalClipDataset(
            source.clips(), self.scale, self.degradation, self.val_max_frames, self.val_crop
        )

    def _batches_per_epoch(self) -> int:
        """Training batches per epoch as the fit loop counts them (`limit_train_batches`)."""
        assert self.train_set is not None and self.trainer is not None
        world = max(1, self.trainer.world_size)
        full = len(self.train_set) // world // self.batch_size
        limit = self.trainer.limit_train_batches
        if isinstance(limit, int) or (isinstance(limit, float) and limit > 1.0):
            return min(full, int(limit))  # Lightning: an int caps the count
        return int(full * limit) if limit is not None else full  # a float is a fraction

    def _fit_position(self) -> tuple[int, int] | None:
        """(epoch, batches already done in it) as the fit loop sees it when an iterator starts.

        At a fresh epoch `batch_progress.current.ready` is 0 and
        `epoch_progress.current.completed` is the epoch about to run. After a restore,
        `FitLoop.setup_data` creates the iterator before the loops reset their counters, so
        `ready` is the number of batches of epoch `completed` consumed before the checkpoint.
        If that epoch was finished (checkpoint saved on its last batch), Lightning goes on
        with the next epoch using this same iterator, so it must start epoch + 1 at batch 0.
        (When the checkpoint was written by the epoch-end hook, Lightning creates a fresh
        iterator for the next epoch anyway.) Tested in tests/data/test_datamodule_resume.py.
        """
        trainer = self.trainer
        if trainer is None or not trainer.training:
            return None
        fit_loop = trainer.fit_loop
        epoch = fit_loop.epoch_progress.current.completed
        done = fit_loop.epoch_loop.batch_progress.current.ready
        if done >= self._batches_per_epoch():
            epoch, done = epoch + 1, 0
        return epoch, done

    def train_dataloader(self) -> DataLoader:
        assert self.train_set is not None, "call setup('fit') first"
        trainer = self.trainer
        sampler = EpochSampler(
            len(self.train_set),
            seed=self.seed,
            shuffle=True,
            batch_size=self.batch_size,
            position=self._fit_position,
            num_replicas=trainer.world_size if trainer else 1,
            rank=trainer.global_rank if trainer else 0,
        )
        # sampler=, not batch_sampler=: Lightning then sees an (already sharded)
        # DistributedSampler and does not replace it under DDP.
        return DataLoader(
            self.train_set,
            sampler=sampler,
            batch_size=self.batch_size,
            drop_last=True,
            num_workers=self.num_workers,
            worker_init_fn=_worker_init,
            pin_memory=self.pin_memory,
        )

    def _eval_loader(self, dataset: EvalClipDataset | None) -> DataLoader | list:
        if dataset is None:  # no source configured: Lightning skips an empty list of loaders
            return []
        return DataLoader(
            dataset,
            batch_size=1,
            shuffle=False,
            num_workers=self.num_workers,
            worker_init_fn=_worker_init,
            pin_memory=self.pin_memory,
        )

    def val_dataloader(self) -> DataLoader | list:
        return self._eval_loader(self.val_set)

    def test_dataloader(self) -> DataLoader | list:
        return self._eval_loader(self.test_set)
