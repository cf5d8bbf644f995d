"""TensorBoard logging with epochs on the x-axis and run versions shared with checkpoints."""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only
from tensorboard.compat.proto.summary_pb2 import Summary
from typing_extensions import override

CHECKPOINT_ROOT = "checkpoints"


def next_free_version(*roots: str | os.PathLike[str]) -> int:
    """The smallest ``N`` above every ``version_N`` folder found under any of ``roots``."""
    versions = [-1]
    for root in roots:
        if not os.path.isdir(root):
            continue
        for entry in os.listdir(root):
            number = entry.removeprefix("version_")
            if entry.startswith("version_") and number.isdigit() and os.path.isdir(os.path.join(root, entry)):
                versions.append(int(number))
    return max(versions) + 1


class RunLogger(TensorBoardLogger):
    """A :class:`~lightning.pytorch.loggers.TensorBoardLogger` for blobclf runs.

    - Every metric is written at ``step = epoch``, so curves have one point per epoch whatever
      the batch size, and train and validation share an x-axis.
    - A new run takes a version free both under the log folder and under ``checkpoint_root``, so
      a run never writes into another run's checkpoint folder, even after logs were deleted.
    - Scalars are buffered and written at most every ``write_interval`` seconds (and on
      ``save``/``finalize``): TensorBoard's writer checksums every event in pure Python on a
      background thread, which for per-epoch scalars of a tiny model cost more than the epoch.

    Args:
        save_dir: Folder that holds one ``version_N`` folder per run.
        name: Sub-folder of ``save_dir`` (empty: none).
        version: Run version to write to; ``None`` takes the next free one.
        checkpoint_root: Folder whose ``version_N`` folders hold the runs' checkpoints.
        default_hp_metric: Log a placeholder ``hp_metric``.
        write_interval: Least number of seconds between two writes of buffered scalars.
        purge_step: Hide events at this step (epoch) and later, written by an earlier attempt
            of the same run (set when a run is resumed).
        kwargs: Passed on to :class:`torch.utils.tensorboard.SummaryWriter`.
    """

    def __init__(
        self,
        save_dir: str = "lightning_logs",
        name: str = "",
        version: int | str | None = None,
        checkpoint_root: str = CHECKPOINT_ROOT,
        default_hp_metric: bool = False,
        write_interval: float = 2.0,
        purge_step: int | None = None,
        **kwargs: Any,
    ) -> None:
        if purge_step is not None:
            kwargs["purge_step"] = purge_step
        super().__init__(save_dir=save_dir, name=name, version=version, default_hp_metric=default_hp_metric, **kwargs)
        self.checkpoint_root = checkpoint_root
        self.write_interval = write_interval
        self._pending: list[tuple[dict[str, float], int | None]] = []
        self._written_at = time.monotonic()

    @override
    def _get_next_version(self) -> int:
        return next_free_version(self.root_dir, self.checkpoint_root)

    @property
    def run_name(self) -> str:
        """``version_N`` (or the string version given)."""
        version = self.version
        return version if isinstance(version, str) else f"version_{version}"

    @property
    def checkpoint_dir(self) -> Path:
        """This run's checkpoint folder."""
        return Path(self.checkpoint_root) / self.run_name

    @override
    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        metrics = {k: float(v) for k, v in metrics.items()}
        epoch = metrics.pop("epoch", None)
        self._pending.append((metrics, int(epoch) if epoch is not None else step))
        if time.monotonic() - self._written_at >= self.write_interval:
            self.flush()

    @rank_zero_only
    def flush(self) -> None:
        """Write the buffered scalars now, as one TensorBoard event per step."""
        pending, self._pending = self._pending, []
        self._written_at = time.monotonic()
        if not pending:
            return
        by_step: dict[int | None, dict[str, float]] = {}
        for metrics, step in pending:
            by_step.setdefault(step, {}).update(metrics)
        # One event holding every value of a step instead of one event per value, as
        # ``add_scalar`` writes: each event costs a pure-Python checksum on TensorBoard's writer
        # thread, and per-scalar events cost three times as much for this run's four scalars.
        writer = self.experiment._get_file_writer()
        for step, metrics in by_step.items():
            values = [Summary.Value(tag=self._tag(name), simple_value=value) for name, value in metrics.items()]
            writer.add_summary(Summary(value=values), step)
        self.experiment.flush()

    def _tag(self, name: str) -> str:
        return f"{self._prefix}{self.LOGGER_JOIN_CHAR}{name}" if self._prefix else name

    @override
    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        # the curves on disk must reach at least as far as any checkpoint a resume could start from
        self.flush()

    @override
    @rank_zero_only
    def save(self) -> None:
        self.flush()
        super().save()

    @override
    @rank_zero_only
    def finalize(self, status: str) -> None:
        self.flush()
        super().finalize(status)
