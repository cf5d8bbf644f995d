"""The end-of-fit export: ``model.pth``, ``model.onnx``, ``model.json`` and the run's figures."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.loggers import TensorBoardLogger
from typing_extensions import override

from blobclf.atomic import remove_leftovers
from blobclf.errors import UserError
from blobclf.export import (
    METADATA_NAME,
    ONNX_NAME,
    export_onnx,
    export_weights,
    in_float32,
    names_metadata,
    write_metadata,
)
from blobclf.hparams import HPARAM_METRIC_PREFIX, hparams_of, log_hparams
from blobclf.logger import RunLogger
from blobclf.recorded import in_signature_order, public_hparams
from blobclf.runcheckpoint import RunCheckpoint, run_checkpoint, signalled
from blobclf.safeload import max_metadata_bytes, read_capped
from blobclf.shownpath import shown
from blobclf.tensorboards import tensorboard_logger


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
        if signalled(trainer):
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
        log_hparams(trainer, extra, metrics)

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
            "data": (in_signature_order(public_hparams(datamodule.hparams), datamodule)
                     if datamodule is not None else {}),
            "model": in_signature_order(public_hparams(pl_module.hparams), pl_module),
            **names_metadata(pl_module.model, getattr(pl_module, "classes", []), getattr(pl_module, "features", []),
                             getattr(datamodule, "encoding", None)),
            **self.training,
            "log_dir": log_dir,
        }
        checkpoint = run_checkpoint(trainer)
        if checkpoint is not None:
            extra["checkpoints"] = {"best": checkpoint.best_model_path, "last": checkpoint.last_model_path}
        return extra


def _best_shown(trainer: L.Trainer, checkpoint: RunCheckpoint) -> str:
    """The best checkpoint's path as printed, or why there is none."""
    if checkpoint.best_model_path:
        return shown(checkpoint.best_model_path)
    if checkpoint.save_top_k == 0:
        return "none (--checkpoint.save_top_k 0)"
    if checkpoint.monitor not in trainer.callback_metrics:
        return f"none ({checkpoint.monitor} was never logged: no validation ran)"
    return "none"


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
    board = tensorboard_logger(trainer)
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
