"""An in-memory batch loader that slices tensors instead of collating samples."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch
from torch import Tensor


class TensorBatchLoader:
    """Yields ``(features, labels)`` batches by indexing two aligned tensors.

    A ``DataLoader`` over a ``TensorDataset`` fetches and collates one sample at a time; for data
    that already sits in memory that costs far more than the model. This loader hands out slices
    (or, when shuffling, one gather per batch), and yields the tensors themselves when one batch
    covers the whole split, so full-batch training touches no data at all.

    Shuffling draws a fresh permutation per epoch from a generator seeded with ``seed + epoch``,
    where the epoch is read from ``epoch`` each time iteration starts (the data module passes the
    trainer's ``current_epoch``): the order depends only on the seed and the epoch number, so a
    resumed run sees exactly the batches an uninterrupted run would, and no global random state
    is consumed.

    Args:
        features: ``(N, F)`` tensor of inputs.
        labels: ``(N,)`` tensor of class indices.
        batch_size: Samples per batch; ``None`` means one batch holding every sample.
        shuffle: Draw a new sample order every epoch. Ignored when one batch holds every sample,
            since the order of a full batch changes nothing but float summation order.
        seed: Base seed of the per-epoch permutation.
        rank: Index of this process among ``world_size`` processes; each takes every
            ``world_size``-th sample of the (shuffled) order, so shards never overlap.
        world_size: Number of processes sharing the data.
        even_shards: Give every process the same number of samples by leaving out the last
            ``N % world_size`` samples of the order (training needs equal step counts on every
            process; evaluation keeps every sample and leaves this off).
        epoch: Returns the number of the epoch about to be iterated; ``None`` means always 0.
    """

    def __init__(
        self,
        features: Tensor,
        labels: Tensor,
        batch_size: int | None = None,
        shuffle: bool = False,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        even_shards: bool = False,
        epoch: Callable[[], int] | None = None,
    ) -> None:
        if features.shape[0] != labels.shape[0]:
            raise ValueError(f"features has {features.shape[0]} rows but labels has {labels.shape[0]}")
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 (or None for one full batch), got {batch_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must be in [0, {world_size}), got {rank}")
        self.features = features
        self.labels = labels
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.even_shards = even_shards
        self.epoch = epoch

    @property
    def num_samples(self) -> int:
        """Samples this process sees per epoch."""
        total = self.labels.shape[0]
        if self.even_shards:
            return total // self.world_size
        return len(range(self.rank, total, self.world_size))

    def _batch_size(self) -> int:
        return self.num_samples if self.batch_size is None else min(self.batch_size, self.num_samples)

    def __len__(self) -> int:
        size = self._batch_size()
        return 0 if size == 0 else -(-self.num_samples // size)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        n = self.num_samples
        size = self._batch_size()
        if n == 0:
            return
        single_batch = size >= n
        order = None
        if self.shuffle and not single_batch:
            epoch = self.epoch() if self.epoch is not None else 0
            generator = torch.Generator().manual_seed(self.seed + epoch)
            order = torch.randperm(self.labels.shape[0], generator=generator)
        if self.world_size > 1:
            shard = torch.arange(self.rank, self.labels.shape[0], self.world_size)[:n]
            order = shard if order is None else order[shard]
        if order is None:
            for start in range(0, n, size):
                yield self.features[start : start + size], self.labels[start : start + size]
            return
        order = order.to(self.features.device)
        for start in range(0, n, size):
            index = order[start : start + size]
            # index_select gathers the same rows as ``features[index]``, faster on CPU
            yield self.features.index_select(0, index), self.labels.index_select(0, index)
