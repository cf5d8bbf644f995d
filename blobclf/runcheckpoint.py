"""The run's own checkpoint callback: ``checkpoints/version_N``, ``last.ckpt`` and the epoch values a resume logs."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Literal

import lightning as L
import torch
from lightning.pytorch.callbacks import (
    EarlyStopping,
    LearningRateMonitor,
    ModelCheckpoint,
    StochasticWeightAveraging,
    Timer,
)
from typing_extensions import override

from blobclf.argtypes import NonNegativeFloat
from blobclf.atomic import remove_leftovers
from blobclf.errors import ArgumentValueError, UserError
from blobclf.logger import written_to_now
from blobclf.outputnames import last_outputs, rename_last_outputs
from blobclf.recorded import epoch_progress
from blobclf.runlimits import CALLBACK_STOP, MAX_TIME
from blobclf.runs import CHECKPOINT_ROOT, run_name
from blobclf.safeload import load_checkpoint
from blobclf.shownpath import shown
from blobclf.tensorboards import tensorboard_logger


def epoch_values(state: dict[str, Any], checkpoint: dict[str, Any]) -> dict[str, Any] | None:
    """The epoch values that a checkpoint's :class:`RunCheckpoint` ``state`` records, and the epoch they are of.

    They are always those of the checkpoint's last processed epoch. A ``last.ckpt`` written when
    training ended by blobclf before 2026-12-06 recorded the next epoch instead (Lightning counts it
    there): a resume logged the last epoch's values again one epoch later, beside that epoch's own.
    """
    values = state.get("epoch_values")
    progress = epoch_progress(checkpoint)
    processed = progress.get("processed") if isinstance(progress, dict) else None
    if isinstance(values, dict) and isinstance(processed, int) and values.get("epoch") == processed > 0:
        return {**values, "epoch": processed - 1}
    return values


def best_filename(monitor: str) -> str:
    """The default name pattern of a run's best checkpoint: its epoch and the value of the metric that chose it.

    ``best-epoch={epoch}-val_acc={val/acc:.4f}`` for ``val/acc`` (the name blobclf has always written), and
    ``best-epoch={epoch}-val_loss={val/loss:.4f}`` for ``val/loss``: a ``/`` would make a sub-folder of the name.
    Which file is the best is read from ``last.ckpt``'s records (``--ckpt_path best``), never from its name, so runs
    written before the name followed the monitor are found as before.

    Args:
        monitor: The metric the run's checkpoint monitors (``--checkpoint.monitor``).
    """
    return f"best-epoch={{epoch}}-{monitor.replace('/', '_')}={{{monitor}:.4f}}"


class RunCheckpoint(ModelCheckpoint):
    """:class:`~lightning.pytorch.callbacks.ModelCheckpoint` writing to ``checkpoints/version_N``.

    ``N`` is the run's TensorBoard version, so a run's logs and checkpoints share a name and a
    second run never overwrites the first. Keeps the best checkpoint by ``monitor`` (written only
    when it improves) and ``last.ckpt``, which ``fit --ckpt_path last`` resumes from.

    ``last.ckpt`` is rewritten at the end of an epoch once ``last_interval`` seconds have passed
    since it was last written, and always at the end of training: a killed run loses at most
    that much work, and short epochs do not each pay for a checkpoint write.

    Args:
        dirpath: Fixed folder for the checkpoints; ``null`` uses ``{root}/version_N``.
        root: Folder holding one sub-folder per run.
        filename: Name pattern of the best checkpoint: ``{epoch}`` and any logged metric (``{val/loss:.4f}``);
            ``null`` names the epoch and ``monitor``'s value, ``best-epoch={epoch}-val_acc={val/acc:.4f}`` for
            ``val/acc``, ``best-epoch={epoch}-val_loss={val/loss:.4f}`` for ``val/loss``.
        monitor: Metric that decides which checkpoint is best.
        mode: ``max`` if a larger ``monitor`` is better, ``min`` otherwise.
        save_top_k: How many best checkpoints to keep (``-1``: every epoch's, ``0``: none; ``last.ckpt`` is
            kept either way).
        save_last: Also keep ``last.ckpt``.
        last_interval: Least number of seconds between two writes of ``last.ckpt`` during
            training; ``0`` rewrites it after every epoch.
        every_n_epochs: Epochs between checks of ``monitor``.
    """

    def __init__(
        self,
        dirpath: str | None = None,
        root: str = CHECKPOINT_ROOT,
        filename: str | None = None,
        monitor: str = "val/acc",
        mode: Literal["min", "max"] = "max",
        save_top_k: int = 1,
        save_last: bool = True,
        last_interval: NonNegativeFloat = 1.0,
        every_n_epochs: int = 1,
    ) -> None:
        if not last_interval >= 0:
            raise ArgumentValueError(f"last_interval must be >= 0 seconds, got {last_interval!r}")
        # last.ckpt is handled here, not by ModelCheckpoint: its ``save_last`` refreshes the file
        # only in epochs that also write a best checkpoint, so it goes stale after the best epoch.
        super().__init__(
            dirpath=dirpath,
            filename=best_filename(monitor) if filename is None else filename,
            monitor=monitor,
            mode=mode,
            save_top_k=save_top_k,
            save_last=False,
            every_n_epochs=every_n_epochs,
            auto_insert_metric_name=False,
        )
        self.root = root
        self.keep_last = save_last
        self.last_interval = last_interval
        self._last_written_at = time.monotonic()
        self._last_step_written: int | None = None
        self._last_epochs_counted: int | None = None  # the epochs Lightning had counted completed at that write
        self._epoch_values: dict[str, Any] | None = None
        self._restored_values: dict[str, Any] | None = None
        self._loading: dict[str, Any] | None = None
        self._values_of: L.Trainer | None = None
        self._values_epoch = 0
        """The epoch whose end :attr:`_values_of` holds the values of."""
        self._rates: tuple[int, dict[str, float]] = (-1, {})
        """The values a ``LearningRateMonitor`` logged at the start of an epoch (learning rates, momenta, weight
        decays), and that epoch."""
        self._ended: str | None = None
        """Why training ended after the epoch of :attr:`_values_of`, if for a reason of its own (``EarlyStopping``,
        another callback such as ``Timer``; not a signal, not the epoch limit): a resume from there trains no
        further. ``None``: it did not."""
        self._validated_epoch: int | None = None
        """The epoch of the last validation this process ran."""
        self.last_saved_epoch: int | None = None
        """The epoch whose end the ``last.ckpt`` this process last wrote holds (``None`` before it wrote one)."""

    @override
    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if self.dirpath is None:
            logger = trainer.logger
            version = getattr(logger, "version", None) if logger is not None else None
            if version is not None:
                self.dirpath = os.path.realpath(Path(self.root) / run_name(version))
            else:
                self.dirpath = os.path.realpath(self.root)
        super().setup(trainer, pl_module, stage)
        if stage == "fit" and trainer.is_global_zero:
            remove_leftovers(self.dirpath)  # temporaries of writes a killed attempt cut short

    @override
    def state_dict(self) -> dict[str, Any]:
        # The epoch's values go into every checkpoint: Lightning hands an epoch's training metrics
        # to the loggers only after the epoch's checkpoints are written, so a run killed in
        # between has them in the checkpoint but not in its logs; a resume logs them again.
        # They are read here, when a checkpoint is written, not at every epoch's end.
        if self._values_of is not None:
            trainer = self._values_of
            metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if "/" in k and v.numel() == 1}
            # an epoch that did not validate (--trainer.check_val_every_n_epoch) still holds the last
            # validation's values: kept apart, they are not logged again as this epoch's
            earlier = {k: metrics.pop(k) for k in list(metrics)
                       if k.startswith("val/") and self._validated_epoch != self._values_epoch}
            rates_epoch, rates = self._rates
            self._epoch_values = {
                "epoch": self._values_epoch,  # not trainer.current_epoch: when training ends it counts the next
                "metrics": metrics,
                "earlier": earlier,
                # a LearningRateMonitor's values of the epoch: only logged, never a monitored metric
                "rates": rates if rates_epoch == self._values_epoch else {},
            }
            self._ended = _ended_on_its_own(trainer, self._values_epoch) if trainer.should_stop else None
        return {**super().state_dict(), "epoch_values": self._epoch_values, "training_ended": self._ended}

    @override
    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.sanity_checking:
            self._validated_epoch = trainer.current_epoch
        super().on_validation_end(trainer, pl_module)

    @override
    def on_load_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]) -> None:
        super().on_load_checkpoint(trainer, pl_module, checkpoint)
        self._loading = checkpoint  # for load_state_dict, which Lightning calls next with this one's state

    @override
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(self._relocated(state_dict))
        self._restored_values = epoch_values(state_dict, self._loading or {})
        ended = state_dict.get("training_ended")
        self._ended = ended if isinstance(ended, str) else None
        self._epoch_values = self._restored_values
        self._loading = None

    def _relocated(self, state: dict[str, Any]) -> dict[str, Any]:
        """The state of a run folder since moved or copied here, with its paths in this folder.

        Lightning keeps the best checkpoints' records only when the folder is unchanged (and
        warns); a run's checkpoints travel with their folder, so paths that name a file of the
        old folder are read as the same file here, and the records are kept.
        """
        old = state.get("dirpath")
        if self.dirpath is None or not old or os.path.realpath(old) == os.path.realpath(self.dirpath):
            return state

        def here(path: Any) -> Any:
            if isinstance(path, str) and path and os.path.dirname(path) == old:
                moved = os.path.join(self.dirpath, os.path.basename(path))
                return moved if os.path.isfile(moved) else ""  # a file left behind is no record here
            return path

        state = {**state, "dirpath": self.dirpath}
        for key in ("best_model_path", "kth_best_model_path", "last_model_path"):
            if key in state:
                state[key] = here(state[key])
        if isinstance(state.get("best_k_models"), dict):
            kept = {here(path): score for path, score in state["best_k_models"].items()}
            state["best_k_models"] = {path: score for path, score in kept.items() if path}
        return state

    @property
    def epoch_values(self) -> dict[str, Any] | None:
        """``{"epoch": E, "metrics": {...}}`` of the last checkpoint written or restored (``None`` before any)."""
        return self._epoch_values

    @override
    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_train_start(trainer, pl_module)
        self._values_of = None
        self._last_written_at = time.monotonic()
        if self._ended and self._ended != MAX_TIME:  # Lightning's Timer stops a run at its max_time, resumed too
            # an uninterrupted run stopped here (EarlyStopping decided so), and so does its resume
            trainer.should_stop = True
            how = "more patience" if self._ended == "EarlyStopping" else "other settings"
            print(f"note: this run had stopped early after epoch {trainer.current_epoch - 1} ({self._ended}); "
                  f"a resume trains no further (to train longer, start a new run with {how})")
        self._relog_restored_epoch(trainer)

    @override
    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_fit_end(trainer, pl_module)
        # a resume of a run whose training had ended (one killed while it was exported) never
        # starts training, but its logger still hides the checkpoint's epoch from the old events
        self._relog_restored_epoch(trainer)

    def _relog_restored_epoch(self, trainer: L.Trainer) -> None:
        """Log the restored checkpoint's epoch values again, once, to each logger that hides that
        epoch's earlier events (its ``purge_step``): a resume's curves then lose no epoch."""
        restored, self._restored_values = self._restored_values, None
        if restored:
            # the values an uninterrupted run still holds from before the checkpoint (the last
            # validation's, if that epoch did not validate) are there for the final metrics, a
            # ReduceLROnPlateau or EarlyStopping, as they would be without the interruption
            held = {**(restored.get("earlier") or {}), **restored["metrics"]}
            for key, value in held.items():
                trainer.callback_metrics.setdefault(key, torch.tensor(value))
        if restored and trainer.is_global_zero:
            rates = restored.get("rates") if isinstance(restored.get("rates"), dict) else {}
            for logger in trainer.loggers:
                if getattr(logger, "purge_step", None) == restored["epoch"]:
                    logger.log_metrics({**rates, **restored["metrics"], "epoch": restored["epoch"]})

    @override
    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_train_epoch_start(trainer, pl_module)
        # Lightning calls checkpoint callbacks last: a LearningRateMonitor has just logged the epoch's learning
        # rates, and they are in callback_metrics; kept for the epoch's checkpoints, a resume logs them again
        names = [name for callback in trainer.callbacks if isinstance(callback, LearningRateMonitor)
                 for name in callback.lrs]
        if names:
            logged = {f"{name}{suffix}" for name in names for suffix in ("", "-momentum", "-weight_decay")}
            self._rates = (trainer.current_epoch, {key: float(value) for key, value in trainer.callback_metrics.items()
                                                   if key in logged and value.numel() == 1})

    @override
    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._values_of = trainer  # the epoch's values, for any checkpoint written from here on
        self._values_epoch = trainer.current_epoch
        super().on_train_epoch_end(trainer, pl_module)
        # without an epoch limit StochasticWeightAveraging puts its average into the model at any end of training,
        # a signal's too: last.ckpt then keeps the trained weights a resume goes on from, written at every epoch's end
        due = time.monotonic() - self._last_written_at >= self.last_interval or averages_at_any_end(trainer)
        if trainer.world_size > 1:
            due = trainer.strategy.broadcast(due)  # every process must take part in a save
        if due:
            self._write_last(trainer)

    @override
    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_train_end(trainer, pl_module)
        # StochasticWeightAveraging's on_train_end (it runs before the checkpoints') has just put the averaged
        # weights into the model of a run that trained all its epochs: last.ckpt is written again with them, so
        # that it always holds the model the run ends with (model.pth), whether or not the last epoch's end
        # had already written it (last_interval). A last.ckpt written at the last epoch's end predates Lightning's
        # count of that epoch as completed: a run that trained all its epochs writes it again, so that its last.ckpt
        # does not depend on how long its epochs took (a stopped run's stays the epoch's end it names)
        finished = trainer.max_epochs is not None and 0 <= trainer.max_epochs <= trainer.current_epoch
        stale = finished and self._last_epochs_counted not in (None, trainer.current_epoch)
        self._write_last(trainer, again=swapped_in_average(trainer) or stale)
        self._values_of = None

    def _replaced_last(self, evaluated: list[Any]) -> tuple[int, int] | None:
        """The epoch and step of the ``last.ckpt`` about to be replaced, where ``evaluated`` names outputs of it
        (``None`` otherwise, or if it cannot be read)."""
        if not evaluated or not os.path.isfile(self.last_model_path):
            return None
        if self._last_step_written is not None and self.last_saved_epoch is not None:
            return self.last_saved_epoch, self._last_step_written  # this process wrote it
        try:
            checkpoint = load_checkpoint(self.last_model_path)
        except (OSError, UserError):
            return None
        values = next((epoch_values(state, checkpoint) for state in checkpoint.get("callbacks", {}).values()
                       if isinstance(state, dict) and isinstance(state.get("epoch_values"), dict)), None)
        epoch = values.get("epoch") if values else int(checkpoint.get("epoch", 0))
        step = checkpoint.get("global_step")
        return (epoch, step) if isinstance(epoch, int) and isinstance(step, int) else None

    def _write_last(self, trainer: L.Trainer, again: bool = False) -> None:
        if not self.keep_last or trainer.sanity_checking or trainer.fast_dev_run or self.dirpath is None:
            return
        if self.last_model_path and trainer.global_step == self._last_step_written and not again:
            return
        self.last_model_path = os.path.join(self.dirpath, self.CHECKPOINT_NAME_LAST + self.FILE_EXTENSION)
        logger = tensorboard_logger(trainer)
        evaluated = [output for output in last_outputs(self.dirpath, logger.log_dir if logger is not None else None)
                     if not output[0].is_dir() or not written_to_now(output[0])] if trainer.is_global_zero else []
        replaced = self._replaced_last(evaluated)
        trainer.save_checkpoint(self.last_model_path, self.save_weights_only)
        if replaced is not None and replaced[1] != trainer.global_step:
            # test_report-last.json and the like are of the last.ckpt just replaced: named after its epoch, as
            # a best checkpoint's outputs are, they are no longer taken for the new one's
            renamed = rename_last_outputs(evaluated, replaced[0])
            if renamed:
                # mid-training: through the progress bar, which a plain print would break into
                bar = trainer.progress_bar_callback
                (bar.print if bar is not None else print)(
                    f"note: last.ckpt no longer holds epoch {replaced[0]}: what test, validate and predict wrote of "
                    f"it is renamed after it: {', '.join(f'{shown(old)} -> {new.name}' for old, new in renamed)}")
        for logger in trainer.loggers:
            logger.after_save_checkpoint(self)
        self._last_step_written = trainer.global_step
        self._last_epochs_counted = trainer.current_epoch
        self._last_written_at = time.monotonic()
        self.last_saved_epoch = self._values_epoch if self._values_of is not None else None


def averages_at_any_end(trainer: L.Trainer) -> bool:
    """Whether a ``StochasticWeightAveraging`` of ``trainer`` puts its average into the model whenever training
    ends: it does so without an epoch limit (``max_epochs`` -1: ``max_steps`` or ``max_time`` ends the run)."""
    return trainer.max_epochs == -1 and any(isinstance(c, StochasticWeightAveraging) for c in trainer.callbacks)


def swapped_in_average(trainer: L.Trainer) -> bool:
    """Whether a ``StochasticWeightAveraging`` of ``trainer`` has, at the end of training, replaced the model's
    weights with its average for good: once the run has trained its last epoch (``max_epochs``), or, without an
    epoch limit, at an end that is not a signal's (a signal's stop is resumed from the trained weights)."""
    if averages_at_any_end(trainer):
        return not signalled(trainer)
    return trainer.max_epochs not in (None, -1) and any(
        isinstance(callback, StochasticWeightAveraging) and callback.swa_end == trainer.current_epoch - 1
        for callback in trainer.callbacks)


def signalled(trainer: L.Trainer) -> bool:
    """Whether a signal (SIGTERM, Ctrl-C: :class:`~blobclf.interrupt.GracefulStop`) stopped training."""
    return any(getattr(callback, "stopped", lambda: False)() for callback in trainer.callbacks)


def _ended_on_its_own(trainer: L.Trainer, epoch: int) -> str | None:
    """Why training, stopping after ``epoch``, stops as an uninterrupted run would: ``"EarlyStopping"`` if it
    decided so then (also when a signal came in that epoch), ``"max_time"`` for ``Timer``'s (``--trainer.max_time``:
    a longer one trains on), ``"a callback's stop"`` for a stop that is not a
    signal's (:class:`~blobclf.interrupt.GracefulStop`: ``Timer``'s ``max_time``, a callback of the user's);
    ``None`` for a signal's."""
    if any(isinstance(callback, EarlyStopping) and callback.stopped_epoch == epoch and callback.stopping_reason_message
           for callback in trainer.callbacks):
        return "EarlyStopping"
    if signalled(trainer):
        return None
    timers = [c.time_remaining() for c in trainer.callbacks if isinstance(c, Timer)]
    return MAX_TIME if any(left is not None and left <= 0 for left in timers) else CALLBACK_STOP


def run_checkpoint(trainer: L.Trainer) -> RunCheckpoint | None:
    """The run's own :class:`RunCheckpoint` among the trainer's callbacks.

    Not ``trainer.checkpoint_callback``: that is the first ``ModelCheckpoint`` in the list, and a
    user's ``--trainer.callbacks+=ModelCheckpoint`` comes before the run's own.
    """
    return next((c for c in trainer.callbacks if isinstance(c, RunCheckpoint)), None)
