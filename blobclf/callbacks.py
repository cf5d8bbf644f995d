"""Callbacks that give each run its own checkpoint folder, exports and RNG state."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any, Literal

import lightning as L
import torch
import yaml
from lightning.pytorch.callbacks import (
    Callback,
    EarlyStopping,
    LearningRateMonitor,
    ModelCheckpoint,
    StochasticWeightAveraging,
    Timer,
)
from lightning.pytorch.loggers import TensorBoardLogger
from typing_extensions import override

from blobclf.atomic import name_too_long, remove_leftovers
from blobclf.errors import ArgumentValueError, UserError, printable
from blobclf.export import (
    METADATA_NAME,
    ONNX_NAME,
    checkpoint_tag,
    export_onnx,
    export_weights,
    in_float32,
    names_metadata,
    report_name,
    write_metadata,
    write_report,
)
from blobclf.logger import RunLogger, values_step, written_to_now
from blobclf.outputnames import last_outputs, rename_last_outputs, table_record
from blobclf.recorded import epoch_progress, public_hparams
from blobclf.runlimits import CALLBACK_STOP, MAX_TIME
from blobclf.runs import CHECKPOINT_ROOT, run_name
from blobclf.safeload import load_checkpoint, max_metadata_bytes, read_capped
from blobclf.argtypes import NonNegativeFloat
from blobclf.tablefile import table_stem


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
        filename: Name pattern of the best checkpoint.
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
        filename: str = "best-epoch={epoch}-val_acc={val/acc:.4f}",
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
            filename=filename,
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
        # had already written it (last_interval)
        self._write_last(trainer, again=swapped_in_average(trainer))
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
        logger = _tensorboard_logger(trainer)
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
        return not _signalled(trainer)
    return trainer.max_epochs not in (None, -1) and any(
        isinstance(callback, StochasticWeightAveraging) and callback.swa_end == trainer.current_epoch - 1
        for callback in trainer.callbacks)


def _signalled(trainer: L.Trainer) -> bool:
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
    if _signalled(trainer):
        return None
    timers = [c.time_remaining() for c in trainer.callbacks if isinstance(c, Timer)]
    return MAX_TIME if any(left is not None and left <= 0 for left in timers) else CALLBACK_STOP


def run_checkpoint(trainer: L.Trainer) -> RunCheckpoint | None:
    """The run's own :class:`RunCheckpoint` among the trainer's callbacks.

    Not ``trainer.checkpoint_callback``: that is the first ``ModelCheckpoint`` in the list, and a
    user's ``--trainer.callbacks+=ModelCheckpoint`` comes before the run's own.
    """
    return next((c for c in trainer.callbacks if isinstance(c, RunCheckpoint)), None)


class RunExport(Callback):
    """At the end of ``fit``, export the trained model and draw the run's figures.

    Writes, beside the run's checkpoints: ``model.pth`` (a plain ``state_dict``), ``model.json``
    (constructor arguments, class count, final metrics, optimizer, library versions),
    ``model.onnx`` and the figures (data, loss and accuracy curves, decision boundary, and the
    validation split's confusion matrix and reliability diagram) as PNG files, which also go to
    TensorBoard.

    Args:
        onnx: Also export ``model.onnx`` (outputs ``logits`` and ``probabilities``).
        figures: Also draw the figures.
    """

    def __init__(self, onnx: bool = True, figures: bool = True) -> None:
        self.onnx = onnx
        self.figures = figures
        self.training: dict[str, Any] = {}
        """How the run was trained beyond the model's hyperparameters (the command line records
        the optimizer and learning-rate scheduler here); kept in checkpoints and ``model.json``."""
        self._start_step: int | None = None

    @override
    def state_dict(self) -> dict[str, Any]:
        return {"training": self.training}

    @override
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        # what this command set (a resume may extend max_epochs) over what the checkpoint recorded
        self.training = {**(state_dict.get("training") or {}), **self.training}

    @override
    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._start_step = None

    @override
    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._start_step = trainer.global_step  # after a resume, the checkpoint's step

    @override
    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        log_dir = trainer.log_dir  # a collective call under DDP: every process must make it
        if not trainer.is_global_zero or trainer.interrupted:
            return
        if trainer.fast_dev_run:
            print("fast_dev_run: a smoke test of the training and validation steps; nothing was saved or exported")
            return
        if _signalled(trainer):
            return  # stopped by a signal: the run is not finished, so nothing is exported
        directory = _run_folder(trainer)
        remove_leftovers(directory)  # temporaries of writes a kill cut short
        trained = self._start_step is not None and trainer.global_step > self._start_step
        if not trained and exported_step(directory) == trainer.global_step:
            # e.g. resuming a run that had already finished: model.json, written last, says its
            # exports are complete; keep them and their metrics
            print(f"nothing was trained; the exports in {shown(directory)} are complete and kept as they were")
            _relog_exports(trainer, directory)
            return
        stale = _earlier_export(directory, trainer.global_step)
        # model.json goes first and comes back last: a run stopped while it is exported (a kill, a
        # full disk) never shows it beside a model.pth of other weights, and its resume exports again
        (directory / METADATA_NAME).unlink(missing_ok=True)
        if stale:
            self._remove_stale_exports(directory)
        checkpoint = run_checkpoint(trainer)
        values = getattr(checkpoint, "epoch_values", None) or {}
        metrics = {**(values.get("earlier") or {}), **values.get("metrics", {})}
        metrics.update({k: float(v) for k, v in trainer.callback_metrics.items() if "/" in k})
        summary = "  ".join(f"{k}={v:.5f}" for k, v in sorted(metrics.items()))
        print(f"final metrics: {summary or 'none (no epoch ran)'}")
        if checkpoint is not None:
            print(f"best checkpoint: {_best_shown(trainer, checkpoint)}")
            print(f"last checkpoint: {shown(checkpoint.last_model_path) or 'none (--checkpoint.save_last false)'}")
        model = in_float32(pl_module.model)
        check_weights = getattr(pl_module, "check_weights", None)
        if check_weights is not None:
            check_weights()
        print(f"exported weights: {shown(export_weights(model, directory))}")
        if self.onnx:
            num_features = model.linear_layer_stack[0].in_features
            print(f"exported onnx: {shown(export_onnx(model, directory / ONNX_NAME, num_features))}")
        val_report = _val_report(trainer, pl_module, model)
        if self.figures and trainer.datamodule is not None:
            print("drawing figures ...", flush=True)
            saved = _fit_figures(trainer, pl_module, model, directory, val_report)
            print(f"figures: {', '.join(shown(p) for p in saved.values())}")
            from blobclf.artifacts import skipped_figures

            note = skipped_figures(trainer.datamodule.num_features)
            if note:
                print(f"note: {note}")
        extra = self._metadata(trainer, pl_module, log_dir)
        if val_report is not None:  # each class's figures, as the test report gives them for the test split
            extra["val_report"] = {key: val_report[key] for key in ("n_samples", "macro_f1", "per_class")}
        metadata = write_metadata(model, directory, metrics=metrics, extra=extra)
        print(f"exported metadata: {shown(metadata)}")
        _log_hparams(trainer, extra, metrics)

    def _remove_stale_exports(self, directory: Path) -> None:
        """Remove the exports of the run as it was before (other weights) that this export does not write again:
        ``model.onnx`` with ``--export.onnx false``, the figures with ``--export.figures false``. Kept, they would
        stand beside the new ``model.pth`` and ``model.json`` as if of the same model."""
        from blobclf.artifacts import FIT_FIGURES

        stale = [] if self.onnx else [directory / ONNX_NAME]
        if not self.figures:
            stale += [directory / f"{name}.png" for name in FIT_FIGURES]
        removed = []
        for path in stale:
            if path.is_file() and not path.is_symlink():
                path.unlink()
                removed.append(path)
        if removed:
            options = [option for option, off in (("--export.onnx false", not self.onnx),
                                                  ("--export.figures false", not self.figures)) if off]
            print("note: removed what the run exported earlier, of other weights, and this export does not write "
                  f"again ({', '.join(options)}): {', '.join(shown(path) for path in removed)}")

    def _metadata(self, trainer: L.Trainer, pl_module: L.LightningModule, log_dir: str | None) -> dict[str, Any]:
        datamodule = trainer.datamodule
        extra: dict[str, Any] = {
            "epochs": trainer.current_epoch,
            "global_step": trainer.global_step,
            "data": public_hparams(datamodule.hparams) if datamodule is not None else {},
            "model": public_hparams(pl_module.hparams),
            **names_metadata(pl_module.model, getattr(pl_module, "classes", []), getattr(pl_module, "features", []),
                             getattr(datamodule, "encoding", None)),
            **self.training,
            "log_dir": log_dir,
        }
        checkpoint = run_checkpoint(trainer)
        if checkpoint is not None:
            extra["checkpoints"] = {"best": checkpoint.best_model_path, "last": checkpoint.last_model_path}
        return extra


HPARAM_METRIC_PREFIX = "hp/"
"""TensorBoard tags of a run's final metrics in the HParams dashboard (``hp/val_acc``, ...): tags of
their own, so that the curves keep one point per epoch."""


def _best_shown(trainer: L.Trainer, checkpoint: RunCheckpoint) -> str:
    """The best checkpoint's path as printed, or why there is none."""
    if checkpoint.best_model_path:
        return shown(checkpoint.best_model_path)
    if checkpoint.save_top_k == 0:
        return "none (--checkpoint.save_top_k 0)"
    if checkpoint.monitor not in trainer.callback_metrics:
        return f"none ({checkpoint.monitor} was never logged: no validation ran)"
    return "none"


def hparams_of(extra: dict[str, Any]) -> dict[str, Any]:
    """The settings shown in TensorBoard's HParams dashboard, from ``model.json``'s: model and data
    settings, optimizer and scheduler (class and arguments), epochs and seed, as flat scalars."""
    shown_params: dict[str, Any] = {f"model/{k}": v for k, v in extra.get("model", {}).items()}
    shown_params.update({f"data/{k}": v for k, v in extra.get("data", {}).items()})
    for key in ("optimizer", "lr_scheduler"):
        setting = extra.get(key)
        if isinstance(setting, dict):
            shown_params[key] = setting.get("class_path", "").rsplit(".", 1)[-1]
            shown_params.update({f"{key}/{k}": v for k, v in (setting.get("init_args") or {}).items()})
    settings = extra.get("settings") or {}
    for key in ("trainer.max_epochs", "seed_everything"):
        if key in settings:
            shown_params[key.replace(".", "/")] = settings[key]
    shown_params["epochs"] = extra.get("epochs")
    shown = {key: hparam_value(value) for key, value in shown_params.items()}
    return {key: value for key, value in shown.items() if value is not None}


def hparam_value(value: Any) -> int | float | str | None:
    """A setting as the HParams dashboard shows it: a number or text as it is; a boolean as ``true`` or ``false``
    (torch's writer stores a boolean as the number 1 or 0); a list or mapping as a config file writes it
    (``[x0, x1]``, not Python's ``['x0', 'x1']``); ``None`` (not set) as no value, a blank cell, not ``'None'``."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, (int, float, str)):
        return value
    return yaml.safe_dump(_plain(value), default_flow_style=True, width=float("inf")).strip()


def _plain(value: Any) -> Any:
    """``value`` as data YAML writes: lists for sequences, dicts for mappings, text for anything else."""
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def _log_hparams(trainer: L.Trainer, extra: dict[str, Any], metrics: dict[str, float]) -> None:
    """Add the run to TensorBoard's HParams dashboard with its settings and final metrics."""
    final = {HPARAM_METRIC_PREFIX + k.replace("/", "_"): v for k, v in metrics.items()}
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger) and final:
            logger.log_hyperparams(hparams_of(extra), metrics=final, step=trainer.current_epoch)
            logger.save()


def _relog_exports(trainer: L.Trainer, directory: Path) -> None:
    """Log a finished run's figures and final metrics again, from its exports, to each TensorBoard
    logger whose purge step hides them: a resume hides the earlier events from the checkpoint's
    epoch on, and one that trains nothing logs no new figures or final metrics of its own."""
    from blobclf.artifacts import log_figures, read_fit_figures

    try:
        metadata = json.loads(_read_metadata(directory))
    except (OSError, ValueError, UserError):
        return
    step = metadata.get("epochs") if isinstance(metadata, dict) else None
    if not isinstance(step, int):
        return
    final = {HPARAM_METRIC_PREFIX + k.replace("/", "_"): v for k, v in (metadata.get("metrics") or {}).items()}
    for logger in trainer.loggers:
        purge_step = getattr(logger, "purge_step", None)
        if isinstance(logger, TensorBoardLogger) and purge_step is not None and purge_step <= step:
            log_figures(logger.experiment, read_fit_figures(directory), step)
            if final:
                logger.log_hyperparams(hparams_of(metadata), metrics=final, step=step)
            logger.save()


def shown(path: str | os.PathLike[str] | None) -> str:
    """``path`` as a user would type it: relative to the working folder when it lies inside it, control
    characters in its names written as escapes (see :func:`blobclf.errors.printable`)."""
    if not path:
        return ""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return printable(absolute if relative.startswith(os.pardir) else relative)


def exported_step(directory: Path) -> int | None:
    """The training step whose exports ``directory`` holds complete: ``global_step`` of its
    ``model.json`` (``None`` without one, or one that does not say)."""
    try:
        step = json.loads(_read_metadata(directory)).get("global_step")
    except (OSError, ValueError, AttributeError, UserError):
        return None
    return step if isinstance(step, int) else None


def _earlier_export(directory: Path, step: int) -> bool:
    """Whether the exports in ``directory`` may be of other weights than the run's at ``step``: its ``model.json``
    says another training step, or is missing or unreadable (an export a kill cut short removed it first)."""
    try:
        metadata = json.loads(_read_metadata(directory))
    except (OSError, ValueError, UserError):
        return True
    step_of = metadata.get("global_step") if isinstance(metadata, dict) else None
    return step_of != step


def _read_metadata(directory: Path) -> bytes:
    """The run's ``model.json``, read only up to :func:`~blobclf.safeload.max_metadata_bytes` (``UserError`` above)."""
    return read_capped(directory / METADATA_NAME, max_metadata_bytes(), "metadata file", "not read")


def _run_folder(trainer: L.Trainer) -> Path:
    checkpoint = run_checkpoint(trainer)
    return Path(checkpoint.dirpath) if checkpoint is not None and checkpoint.dirpath else Path(".")


def _val_report(trainer: L.Trainer, pl_module: L.LightningModule, model: torch.nn.Module) -> dict[str, Any] | None:
    """The classification report of ``model`` (the trained model, in float32) on the validation split, as the test
    report's (``None`` for a data module without one)."""
    splits = getattr(trainer.datamodule, "splits", None)
    if not isinstance(splits, dict) or "val" not in splits:
        return None
    from blobclf import artifacts

    return artifacts.evaluate(model, *splits["val"], class_names=getattr(pl_module, "classes", None))


def _fit_figures(
    trainer: L.Trainer, pl_module: L.LightningModule, model: torch.nn.Module, folder: Path,
    val_report: dict[str, Any] | None = None,
) -> dict[str, Path]:
    """Draw the run's figures of ``model`` (the trained model, in float32) into ``folder`` and the logger's
    TensorBoard run (the validation split's from ``val_report``, where given)."""
    from blobclf import artifacts

    for logger in trainer.loggers:
        if isinstance(logger, RunLogger):
            logger.flush()  # the values it keeps until a checkpoint or save_interval (a run without checkpoints)
    # the curves are read from the TensorBoard logger's folder, which need not be the first logger's
    board = _tensorboard_logger(trainer)
    experiment = board.experiment if board is not None else None
    if experiment is not None:
        experiment.flush()  # the curves are read back from the event files
    datamodule = trainer.datamodule
    curves = artifacts.read_curves(board.log_dir) if board is not None and board.log_dir else {}
    if board is None:
        print("note: loss_curves.png and accuracy_curves.png are drawn from TensorBoard's logs; with no "
              "TensorBoardLogger among the loggers they are not drawn")
    names = getattr(pl_module, "classes", None)
    # a table's model inputs (its feature columns, categorical ones one-hot); blobs have none
    columns = datamodule.feature_names if datamodule.hparams.get("features") else None
    drawn = artifacts.fit_figures(model, datamodule.splits, datamodule.num_classes, curves, names, columns)
    val_report = val_report or artifacts.evaluate(model, *datamodule.splits["val"], class_names=names)
    drawn.update(artifacts.evaluation_figures(val_report, "val"))
    rendered = artifacts.render_figures(drawn, experiment, trainer.current_epoch)
    if experiment is not None:
        experiment.flush()
    return artifacts.save_figures(rendered, folder)


def _tensorboard_logger(trainer: L.Trainer) -> TensorBoardLogger | None:
    """The trainer's first ``TensorBoardLogger`` (a :class:`~blobclf.logger.RunLogger` too), if it has one."""
    return next((logger for logger in trainer.loggers if isinstance(logger, TensorBoardLogger)), None)


def _tensorboard(trainer: L.Trainer) -> Any:
    """The TensorBoard ``SummaryWriter`` of the trainer's logger, if it has one."""
    board = _tensorboard_logger(trainer)
    return board.experiment if board is not None else None


class TestReport(Callback):
    """After ``test``, write the test figures and then ``test_report-<checkpoint>.json`` beside the checkpoint.

    The report is removed first and written last: its presence means the figures beside it are of
    the same evaluation (a test stopped in between leaves no report).

    The report holds test loss, accuracy, per-class precision / recall / F1, macro F1, the
    confusion matrix and the expected calibration error; the same numbers and figures go to the
    logger. It covers the points Lightning tested: with ``--trainer.limit_test_batches``, the first
    batches of the split (test loaders never shuffle), as the printed ``test/acc`` does.
    """

    def __init__(self) -> None:
        self._tested = 0
        self.written: list[Path] = []
        """The figures and report the last test wrote."""

    @override
    def on_test_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._tested, self.written = 0, []
        test_path = getattr(trainer.datamodule, "hparams", {}).get("test_path") if trainer.datamodule else None
        tag = checkpoint_tag(trainer.ckpt_path) + (f"-{table_stem(test_path)}" if test_path else "")
        longest = f"confusion_matrix_test-{tag}.png"  # the longest name a test writes (see on_test_end)
        if name_too_long(longest):  # refused at the end, after the whole test, with the report removed
            source = f" and the test table {shown(test_path)!r}" if test_path else ""
            raise UserError(f"the test's outputs would be named after the checkpoint {shown(trainer.ckpt_path)!r}"
                            f"{source}, and {shown(longest)!r} is longer than a file name may be; give the "
                            f"{'table' if test_path else 'checkpoint'} a shorter name")

    @override
    def on_test_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        self._tested += len(batch[1])

    @override
    def on_test_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.is_global_zero or trainer.datamodule is None:
            return
        from blobclf import artifacts

        folder = Path(trainer.ckpt_path).parent if trainer.ckpt_path else Path(".")
        features, labels = trainer.datamodule.splits["test"]
        total = len(labels)
        if trainer.world_size == 1 and self._tested < total:
            if self._tested == 0:
                return  # nothing was tested (Lightning skips a test of no batches before this hook)
            features, labels = features[: self._tested], labels[: self._tested]
            print(f"note: the first {self._tested} of the split's {total} points were tested, as "
                  "--trainer.limit_test_batches asks; the report covers those points")
        loss = trainer.callback_metrics.get("test/loss")
        report = artifacts.evaluate(in_float32(pl_module.model), features, labels,
                                    loss=float(loss) if loss is not None else None,
                                    class_names=getattr(pl_module, "classes", None))
        report["checkpoint"] = str(trainer.ckpt_path) if trainer.ckpt_path else None
        # a separate test table gives its own report: testing one checkpoint on two tables keeps both
        test_path = getattr(trainer.datamodule, "hparams", {}).get("test_path")
        source = table_stem(test_path) if test_path else None  # as its figures and log folder are named
        if test_path:  # so that another table of the same name is told apart (see refuse_other_table)
            report["test_table"] = table_record(test_path)
        # the report goes first and comes back last, as a run's model.json does: a test stopped before its
        # end (a kill, a full disk) never leaves a report beside figures of another evaluation
        path = folder / report_name(trainer.ckpt_path, source)
        path.unlink(missing_ok=True)
        rendered = artifacts.render_figures(artifacts.evaluation_figures(report, "test"))
        tag = checkpoint_tag(trainer.ckpt_path) + (f"-{source}" if source else "")
        saved = artifacts.save_figures({f"{name}-{tag}": png for name, png in rendered.items()}, folder)
        for logger in trainer.loggers:
            logger.log_metrics(artifacts.report_scalars(report, "test"), step=trainer.current_epoch)
            logger.save()
        experiment = _tensorboard(trainer)
        if experiment is not None:
            artifacts.log_figures(experiment, rendered, values_step(trainer))
            experiment.flush()
        write_report(report, path)
        self.written = [*saved.values(), path]
        print(
            f"test report: {shown(path)} (accuracy {report['accuracy']:.5f}, macro F1 {report['macro_f1']:.5f}, "
            f"ECE {report['expected_calibration_error']:.5f})"
        )
        absent = [row.get("name", str(row["class"])) for row in report["per_class"] if row["support"] == 0]
        if absent:
            shown_names = ", ".join(printable(repr(name)) for name in absent[:5]) + (" ..." if len(absent) > 5 else "")
            have, their = ("has", "its") if len(absent) == 1 else ("have", "their")
            print(f"note: {len(absent)} of the model's {report['num_classes']} classes {have} no row in this data "
                  f"({shown_names}): {their} F1 counts as 0 in the macro F1 (see per_class in the report)")
        print(f"figures: {', '.join(shown(p) for p in saved.values())}")


class RngState(Callback):
    """Store the random number generators' state in checkpoints and restore it on resume.

    Without it a resumed run would continue from the seed's state rather than from where the
    killed run stood, and could end with different weights.
    """

    @override
    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"torch": torch.get_rng_state(), "python": list(random.getstate()[1])}
        state["python_version"] = random.getstate()[0]
        state["python_gauss"] = random.getstate()[2]
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state["cuda"] = torch.cuda.get_rng_state_all()
        return state

    @override
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        try:
            torch.set_rng_state(state_dict["torch"])
            random.setstate((state_dict["python_version"], tuple(state_dict["python"]), state_dict["python_gauss"]))
            if "cuda" in state_dict and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(state_dict["cuda"])
        except (KeyError, TypeError, ValueError, RuntimeError) as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            raise UserError(f"the checkpoint's random number generator state does not load ({reason}): it was edited "
                            "or written by another program; use another checkpoint") from None
