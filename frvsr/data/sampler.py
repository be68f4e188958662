"""Training sampler whose order depends only on (seed, epoch) and which can start mid-epoch.

It yields `(epoch, index)` pairs; `TrainClipDataset` derives each sample's random draws from
them, so the draws do not depend on worker processes or on their persistence. `position`, if
given, is asked at the start of every iteration for `(epoch, batches_done)`: the sampler then
skips the batches already consumed, which makes a run resumed mid-epoch see exactly the
batches an uninterrupted run would (see `frvsr.lit.datamodule`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
from torch.utils.data.distributed import DistributedSampler

__all__ = ["EpochSampler"]

Position = Callable[[], "tuple[int, int] | None"]


class EpochSampler(DistributedSampler):
    """Permutation of `range(length)` drawn from (seed, epoch), sharded over `num_replicas`.

    It derives from `DistributedSampler` only so that Lightning (`use_distributed_sampler`)
    recognises it as already sharded and does not wrap it; it queries no process group
    (the caller passes `num_replicas`/`rank`) and yields (epoch, index) pairs.
    """

    def __init__(
        self,
        length: int,
        seed: int = 0,
        shuffle: bool = True,
        batch_size: int = 1,
        position: Position | None = None,
        num_replicas: int = 1,
        rank: int = 0,
    ) -> None:
        # DistributedSampler.__init__ is not called: it would look up torch.distributed.
        self.length, self.seed, self.shuffle, self.batch_size = length, seed, shuffle, batch_size
        self.position, self.num_replicas, self.rank = position, num_replicas, rank
        self.epoch, self.drop_last = 0, True
        self.num_samples = length // num_replicas
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Called by Lightning before each epoch (used when no `position` is given)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_samples

    def order(self, epoch: int) -> np.ndarray:
        """This rank's indices for `epoch` (every rank gets the same count)."""
        if self.shuffle:
            perm = np.random.default_rng([int(self.seed) & 0xFFFFFFFF, int(epoch)]).permutation(
                self.length
            )
        else:
            perm = np.arange(self.length)
        n = len(self)
        return perm[self.rank : n * self.num_replicas : self.num_replicas]

    def __iter__(self) -> Iterator[tuple[int, int]]:  # type: ignore[override]
        pos = self.position() if self.position is not None else None
        epoch, done = pos if pos is not None else (self.epoch, 0)
        self.epoch = epoch
        for i in self.order(epoch)[done * self.batch_size :]:
            yield epoch, int(i)
