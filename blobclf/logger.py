"""TensorBoard logging with one point per epoch."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only
from typing_extensions import override

from blobclf.runs import LOG_ROOT


class RunLogger(TensorBoardLogger):
    """A :class:`~lightning.pytorch.loggers.TensorBoardLogger` whose x-axis is the epoch.

    Lightning adds the epoch to every batch of epoch-level metrics it logs; this logger uses it as
    the TensorBoard step, so curves have one point per epoch whatever the batch size, and train
    and validation share an x-axis. Events are flushed to disk whenever a checkpoint is saved, so
    the curves on disk reach at least as far as any checkpoint a resume could start from.

    Args:
        save_dir: Folder that holds one ``version_N`` folder per run.
        name: Sub-folder of ``save_dir`` (empty: none).
        version: Run version to write to; ``None`` takes the next free one (``blobclf fit``
            chooses it so that logs and checkpoints share a version).
        default_hp_metric: Log a placeholder ``hp_metric``.
        purge_step: Hide events at this step (epoch) and later, written by an earlier attempt
            of the same run (``blobclf fit`` sets it when a run is resumed).
        kwargs: Passed on to :class:`torch.utils.tensorboard.SummaryWriter`.
    """

    def __init__(
        self,
        save_dir: str = LOG_ROOT,
        name: str = "",
        version: int | str | None = None,
        default_hp_metric: bool = False,
        purge_step: int | None = None,
        **kwargs: Any,
    ) -> None:
        if purge_step is not None:
            kwargs["purge_step"] = purge_step
        super().__init__(save_dir=save_dir, name=name, version=version, default_hp_metric=default_hp_metric, **kwargs)

    @override
    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        metrics = dict(metrics)
        epoch = metrics.pop("epoch", None)
        super().log_metrics(metrics, int(epoch) if epoch is not None else step)

    @override
    @rank_zero_only
    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        self.experiment.flush()
