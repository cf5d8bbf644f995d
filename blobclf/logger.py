"""TensorBoard logging with one point per epoch."""

from __future__ import annotations

import os
import socket
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.core.saving import save_hparams_to_yaml
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import rank_zero_only
from typing_extensions import override

from blobclf.argtypes import NonNegativeFloat
from blobclf.atomic import atomic_save
from blobclf.errors import ArgumentValueError
from blobclf.runs import LOG_ROOT
from blobclf.unstarted import EVENTS_PREFIX


class RunLogger(TensorBoardLogger):
    """A :class:`~lightning.pytorch.loggers.TensorBoardLogger` whose x-axis is the epoch.

    Lightning adds the epoch to every batch of epoch-level metrics it logs; this logger uses it as
    the TensorBoard step, so curves have one point per epoch whatever the batch size, and train
    and validation share an x-axis. Values logged without an epoch during training (stock callbacks
    such as ``LearningRateMonitor`` count optimizer steps) are put at the epoch they were logged in
    (see :class:`EpochAxis`), the first value of each name an epoch, so they share that x-axis too.

    Lightning hands over each batch of logged metrics (twice an epoch here) and calls
    :meth:`save` after each, which flushes TensorBoard's writer and waits for its background
    thread; for a model this small that traffic costs a large share of an epoch. This logger keeps
    the values and writes them, then flushes, at most every ``save_interval`` seconds, and always
    when logging ends. When a checkpoint is saved it flushes then and again at the next values it
    receives (Lightning logs an epoch's training metrics just after the epoch's checkpoint), so
    the curves on disk reach at least as far as any checkpoint a resume could start from.

    Args:
        save_dir: Folder that holds one ``version_N`` folder per run.
        name: Sub-folder of ``save_dir`` (empty: none).
        version: Run version to write to; ``None`` takes the next free one (``blobclf fit``
            chooses it so that logs and checkpoints share a version).
        default_hp_metric: Log a placeholder ``hp_metric``.
        purge_step: Hide events at this step (epoch) and later, written by an earlier attempt
            of the same run (``blobclf fit`` sets it when a run is resumed).
        save_interval: Least number of seconds between two writes of the values kept
            (``0``: write and flush each batch of values at once, as Lightning's own logger does).
        log_graph: Add the model's graph to TensorBoard.
        prefix: Prefix of every metric name.
        sub_dir: Sub-folder of the run's folder to write to.
        max_queue: Events TensorBoard's writer keeps before writing them to disk.
        flush_secs: Seconds between two flushes of TensorBoard's writer.
        filename_suffix: Suffix of the event file names.
    """

    def __init__(
        self,
        save_dir: str = LOG_ROOT,
        name: str = "",
        version: int | str | None = None,
        default_hp_metric: bool = False,
        purge_step: int | None = None,
        save_interval: NonNegativeFloat = 1.0,
        log_graph: bool = False,
        prefix: str = "",
        sub_dir: str | None = None,
        max_queue: int = 10,
        flush_secs: float = 120,
        filename_suffix: str = "",
    ) -> None:
        # Every option is spelled out (no **kwargs): the command line then reads this signature
        # alone, instead of searching the source of the classes the options would be passed to.
        writer_options: dict[str, Any] = {"max_queue": max_queue, "flush_secs": flush_secs,
                                          "filename_suffix": filename_suffix}
        if purge_step is not None:
            writer_options["purge_step"] = purge_step
        if not save_interval >= 0:
            raise ArgumentValueError(f"save_interval must be >= 0 seconds, got {save_interval!r}")
        super().__init__(
            save_dir=save_dir, name=name, version=version, default_hp_metric=default_hp_metric,
            log_graph=log_graph, prefix=prefix, sub_dir=sub_dir, **writer_options,
        )
        self.purge_step = purge_step
        self.save_interval = save_interval
        self._saved_at: float | None = None
        self._pending: list[tuple[dict[str, float], int | None]] = []
        self._flush_next = False
        self._epoch_of: Callable[[], int | None] | None = None
        self._stepless: set[tuple[str, int]] = set()
        self.evaluated_epoch: int | None = None
        """For an evaluation (``validate``, ``test``), the epoch whose weights it evaluates: every value goes there,
        beside that epoch's training curves (Lightning would put it at its own epoch count, 0 in an evaluation)."""

    def follow_epochs(self, epoch_of: Callable[[], int | None]) -> None:
        """Put values logged without an epoch at ``epoch_of()`` (``None``: at the step they name)."""
        self._epoch_of = epoch_of

    @override
    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        metrics = dict(metrics)
        epoch = metrics.pop("epoch", None)
        if self.evaluated_epoch is not None:
            epoch = self.evaluated_epoch
        if epoch is None and self._epoch_of is not None and (epoch := self._epoch_of()) is not None:
            epoch = int(epoch)
            metrics = {name: value for name, value in metrics.items() if (name, epoch) not in self._stepless}
            self._stepless.update((name, epoch) for name in metrics)
            if not metrics:
                return
        self._pending.append((metrics, int(epoch) if epoch is not None else step))
        if self.save_interval == 0 or self._flush_next:
            self._flush_next = False
            self.flush()

    @rank_zero_only
    def flush(self) -> None:
        """Write every value kept so far and flush TensorBoard's writer to disk."""
        pending, self._pending = self._pending, []
        for metrics, step in pending:
            super().log_metrics(metrics, step)
        self._saved_at = time.monotonic()
        self._write_hparams()
        super().save()  # flushes; it would write hparams.yaml in place had _write_hparams not

    def _write_hparams(self) -> None:
        """Write ``hparams.yaml`` once, atomically (Lightning writes it in place); a temporary that a
        kill left is removed by the next write (see :func:`~blobclf.atomic.atomic_save`)."""
        folder = Path(self.log_dir)
        target = folder / self.NAME_HPARAMS_FILE
        if not folder.is_dir() or target.exists():
            return
        atomic_save(target, lambda temporary: save_hparams_to_yaml(temporary, self.hparams))

    @override
    @rank_zero_only
    def save(self) -> None:
        if self._saved_at is None or time.monotonic() - self._saved_at >= self.save_interval:
            self.flush()

    @override
    @rank_zero_only
    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        self.flush()
        self._flush_next = True

    @override
    @rank_zero_only
    def finalize(self, status: str) -> None:
        self.flush()
        super().finalize(status)


class EpochAxis(Callback):
    """Let every :class:`RunLogger` of a ``fit`` put values logged without an epoch at the epoch
    being trained (a learning rate logged by ``LearningRateMonitor`` at each optimizer step would
    otherwise land on a step axis beside the epoch curves, several points an epoch)."""

    @override
    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if stage != "fit":
            return
        training = weakref.ref(trainer)

        def epoch_of() -> int | None:
            current = training()
            return current.current_epoch if current is not None and current.state.fn == "fit" else None

        for logger in trainer.loggers:
            if isinstance(logger, RunLogger):
                logger.follow_epochs(epoch_of)


def events_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The TensorBoard event files in ``folder`` now (none if it does not exist)."""
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return []
    return [entry for entry in entries
            if entry.name.startswith(EVENTS_PREFIX) and entry.is_file() and not entry.is_symlink()]


def remove_replaced_events(files: Iterable[Path]) -> list[Path]:
    """Remove event files that a later evaluation's have replaced, where no live process writes them; those removed.

    An evaluation logs with ``purge_step`` 0 (see ``blobclf.cli``), so TensorBoard hides every event of the
    files that were in its folder before it; they would stay on disk for ever, one more per evaluation
    of the checkpoint (a killed one's too). A file is removed only when its writer, named in the file's
    name as TensorBoard names it (``events.out.tfevents.TIME.HOST.PID.N``), is this process or a process
    of this machine that has ended; one of another machine, a live process or a name not in that form is kept.
    """
    removed = []
    for path in files:
        writer = events_writer(path)
        if writer is None or (writer != os.getpid() and writer_alive(writer)):
            continue  # another machine's, a name not TensorBoard's, or alive (an evaluation still running)
        try:
            path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def events_writer(path: Path) -> int | None:
    """The process of this machine that wrote the event file ``path``, named in its name as TensorBoard names it
    (``events.out.tfevents.TIME.HOST.PID.N``); ``None`` for another machine's, or a name not in that form."""
    parts = path.name[len(EVENTS_PREFIX):].split(".", 1)[-1].rsplit(".", 2)
    if len(parts) != 3 or parts[0] != socket.gethostname() or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    return int(parts[1])


def writer_alive(pid: int) -> bool:
    """Whether process ``pid`` of this machine may still be running (another user's, or one not to be asked, too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def written_to_now(folder: Path) -> bool:
    """Whether a live process (other than this one), or one of another machine, may be writing the log folder
    ``folder``: an evaluation running there."""
    for path in events_files(folder):
        writer = events_writer(path)
        if writer is None or (writer != os.getpid() and writer_alive(writer)):
            return True
    return False


def values_step(trainer: L.Trainer) -> int:
    """The TensorBoard step of what ``trainer`` logs now: the epoch an evaluation's :class:`RunLogger` puts its
    values at (see :attr:`RunLogger.evaluated_epoch`), else the trainer's epoch."""
    epochs = [logger.evaluated_epoch for logger in trainer.loggers if isinstance(logger, RunLogger)]
    return next((epoch for epoch in epochs if epoch is not None), trainer.current_epoch)
