"""The epoch loss: a mean over samples, weighted by batch size, without host syncs."""

from __future__ import annotations

import torch
from torch import Tensor
from torchmetrics import Metric


class BatchMeanLoss(Metric):
    """The mean of per-sample losses over every batch of an epoch, from each batch's mean loss.

    ``update(loss, weight=n)`` takes a batch's mean loss and its number of samples ``n``; the
    result is ``sum(loss_i * n_i) / sum(n_i)``, the mean loss over all samples, whatever the batch
    sizes. torchmetrics' ``MeanMetric`` gives that only with NaN checks that wait for the device
    every update: with ``nan_strategy="disable"`` (the sync-free setting) torchmetrics 1.9 replaces
    the weights by ones (Lightning-AI/torchmetrics#3434), i.e. an unweighted mean of batch means.

    The state is a running mean, ``mean += (loss - mean) * (n / (count + n))``: an epoch of one
    batch (full-batch training, as the tutorial) gives that batch's loss exactly, with no rounding
    from multiplying by ``n`` and dividing again. Every operation is on tensors of the metric's
    device, so an update never waits for it; a NaN or infinite loss stays in the mean, where the
    training loop looks for it once per epoch. Across processes (DDP) the means are combined
    weighted by their counts.

    Example:
        >>> metric = BatchMeanLoss()
        >>> metric.update(torch.tensor(1.0), weight=torch.tensor(3.0))
        >>> metric.update(torch.tensor(5.0), weight=torch.tensor(1.0))
        >>> metric.compute()
        tensor(2.)
    """

    full_state_update = False
    is_differentiable = False
    higher_is_better = False

    mean: Tensor
    count: Tensor

    def __init__(self) -> None:
        super().__init__()
        # no reduction: processes' states are stacked by the sync and combined in compute()
        self.add_state("mean", default=torch.tensor(0.0), dist_reduce_fx=None)
        self.add_state("count", default=torch.tensor(0.0), dist_reduce_fx=None)

    def update(
        self, loss: Tensor | None = None, weight: Tensor | None = None, state: tuple[Tensor, Tensor] | None = None
    ) -> None:
        """Add a batch's mean ``loss`` (a 0-dim tensor) over ``weight`` samples (a 0-dim tensor).

        Or take ``state``, the ``(mean, count)`` that :meth:`accumulate` reached from this metric's
        state elsewhere (in a recorded CUDA graph of training steps, :mod:`blobclf.graphs`).
        """
        if state is not None:
            self.mean.copy_(state[0])
            self.count.copy_(state[1])
            return
        if loss is None or weight is None:
            raise TypeError("BatchMeanLoss.update needs loss and weight, or state")
        self.accumulate(self.mean, self.count, loss, weight)

    @staticmethod
    def accumulate(mean: Tensor, count: Tensor, loss: Tensor, weight: Tensor) -> None:
        """Add a batch to the running ``mean`` and ``count``, in place: the arithmetic of :meth:`update`."""
        total = count + weight
        mean += (loss.to(mean.dtype) - mean) * (weight / total)
        count += weight

    def compute(self) -> Tensor:
        """The mean loss per sample."""
        if self.mean.ndim == 0:
            return self.mean
        return (self.mean * self.count).sum() / self.count.sum()  # synced: one row per process
