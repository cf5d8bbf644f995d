"""An in-memory batch loader that slices tensors instead of collating samples."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import torch
from torch import Tensor

Batch = tuple[Tensor, Tensor]


class _DrawnOrder:
    """The sample order of one epoch, drawn on a background thread (torch releases the GIL)."""

    def __init__(self, epoch: int, draw: Callable[[int], Tensor]) -> None:
        self.epoch = epoch
        self._order: Tensor | None = None
        self._error: BaseException | None = None
        # not a daemon: the interpreter waits for it at exit (torch aborts the process when a
        # thread is still inside an operation while the interpreter shuts down)
        self._thread = threading.Thread(target=self._run, args=(draw,), name=f"blobclf-order-{epoch}", daemon=False)
        self._thread.start()

    def _run(self, draw: Callable[[int], Tensor]) -> None:
        try:
            self._order = draw(self.epoch)
        except BaseException as error:  # handed to the thread that needs the order
            self._error = error

    def result(self) -> Tensor:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._order is not None
        return self._order


class TensorBatchLoader:
    """Yields ``(features, labels)`` batches by indexing two aligned tensors.

    A ``DataLoader`` over a ``TensorDataset`` fetches and collates one sample at a time; for data
    that already sits in memory that costs far more than the model. This loader hands out slices
    (or, when shuffling, one gather per item), and yields the tensors themselves when one batch
    covers the whole split, so full-batch training touches no data at all.

    Shuffling draws a fresh permutation per epoch from a generator seeded with ``seed + epoch``,
    where the epoch is read from ``epoch`` each time iteration starts (the data module passes the
    trainer's ``current_epoch``): the order depends only on the seed and the epoch number, so a
    resumed run sees exactly the batches an uninterrupted run would, and no global random state
    is consumed. The permutation is always drawn on the CPU (the same order whatever the device
    the data lives on) on a background thread: the first epoch's from the loader's creation on,
    while the trainer gets ready, and the next epoch's while an epoch runs, so no work
    proportional to the data waits between epochs. A drawn-ahead order is used only if
    the epoch then asked for is the one it was drawn for; otherwise the order is drawn afresh.

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
        steps_per_execution: Batches per item. With 1 each item is one ``(features, labels)``
            batch; with ``K > 1`` each item is a list of up to ``K`` consecutive batches (the
            last list of an epoch may be shorter), the same batches in the same order, for a
            training step that runs several optimizer steps (see
            :class:`~blobclf.system.BlobClassifier`). ``len()`` counts items.
        max_epochs: Returns the number of epochs the run trains (``None`` or -1: no limit); the
            next epoch's order is drawn ahead only when there is a next epoch.

    Example:
        >>> x, y = torch.arange(10.0).unsqueeze(1), torch.arange(10)
        >>> [len(b[1]) for b in TensorBatchLoader(x, y, batch_size=4)]
        [4, 4, 2]
        >>> [[len(b[1]) for b in group] for group in TensorBatchLoader(x, y, batch_size=3, steps_per_execution=3)]
        [[3, 3, 3], [1]]
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
        steps_per_execution: int = 1,
        max_epochs: Callable[[], int | None] | None = None,
    ) -> None:
        if features.shape[0] != labels.shape[0]:
            raise ValueError(f"features has {features.shape[0]} rows but labels has {labels.shape[0]}")
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be >= 1 (or None for one full batch), got {batch_size}")
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must be in [0, {world_size}), got {rank}")
        if isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise ValueError(f"steps_per_execution must be an integer >= 1, got {steps_per_execution!r}")
        self.features = features
        self.labels = labels
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.even_shards = even_shards
        self.epoch = epoch
        self.steps_per_execution = steps_per_execution
        self.max_epochs = max_epochs
        self._ahead: _DrawnOrder | None = None
        if shuffle and self.num_samples > self._batch_size():
            # the first epoch's order too is drawn while the trainer gets ready, not when it starts
            self._ahead = _DrawnOrder(self.epoch() if self.epoch is not None else 0, self._draw)

    @property
    def num_samples(self) -> int:
        """Samples this process sees per epoch."""
        total = self.labels.shape[0]
        if self.even_shards:
            return total // self.world_size
        return len(range(self.rank, total, self.world_size))

    def _batch_size(self) -> int:
        return self.num_samples if self.batch_size is None else min(self.batch_size, self.num_samples)

    @property
    def num_batches(self) -> int:
        """Batches per epoch (one optimizer step each in training)."""
        size = self._batch_size()
        return 0 if size == 0 else -(-self.num_samples // size)

    def __len__(self) -> int:
        return -(-self.num_batches // self.steps_per_execution)

    def _draw(self, epoch: int) -> Tensor:
        """This process's sample order in ``epoch``: a function of ``seed``, ``epoch`` and the shard only."""
        total = self.labels.shape[0]
        generator = torch.Generator().manual_seed(self.seed + epoch)
        # int32 indices draw the same permutation as int64 (the dtype only sets the storage) in
        # half the time and memory
        dtype = torch.int32 if total < 2**31 else torch.int64
        order = torch.randperm(total, generator=generator, dtype=dtype)
        if self.world_size > 1:
            order = order[self.rank :: self.world_size][: self.num_samples]
        if self.features.device.type == "cuda":
            order = order.pin_memory()  # so the copy to the device below does not block the host
        return order

    def _order(self) -> Tensor:
        """This epoch's order on the data's device; starts drawing the next epoch's."""
        epoch = self.epoch() if self.epoch is not None else 0
        ahead, self._ahead = self._ahead, None
        order = ahead.result() if ahead is not None and ahead.epoch == epoch else self._draw(epoch)
        limit = self.max_epochs() if self.max_epochs is not None else None
        if limit is None or limit < 0 or epoch + 1 < limit:
            self._ahead = _DrawnOrder(epoch + 1, self._draw)
        return order.to(self.features.device, non_blocking=True)

    def __iter__(self) -> Iterator[Batch] | Iterator[list[Batch]]:
        n = self.num_samples
        size = self._batch_size()
        if n == 0:
            return
        single_batch = size >= n
        if self.shuffle and not single_batch:
            order: Tensor | None = self._order()
        elif self.world_size > 1:
            order = torch.arange(self.rank, self.labels.shape[0], self.world_size, device=self.features.device)[:n]
        else:
            order = None
        group = self.steps_per_execution
        span = size * group  # samples per item
        for start in range(0, n, span):
            stop = min(start + span, n)
            if order is None:
                features, labels = self.features[start:stop], self.labels[start:stop]
            else:
                # index_select gathers the same rows as ``features[index]``, faster on CPU; one
                # gather per item, then views of it
                index = order[start:stop]
                features, labels = self.features.index_select(0, index), self.labels.index_select(0, index)
            if group == 1:
                yield features, labels
            else:
                yield [(features[i : i + size], labels[i : i + size]) for i in range(0, stop - start, size)]
