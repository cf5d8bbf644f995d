"""The Lightning system: ``BlobModel`` trained with cross-entropy, logged with torchmetrics."""

from __future__ import annotations

import contextlib
import contextvars
import copy
import inspect
import math
import os
import re
import warnings
from collections.abc import Iterator
from typing import Any, Literal

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_info
from lightning.pytorch.utilities.migration import migrate_checkpoint
from torch import Tensor, nn
from torchmetrics.classification import MulticlassAccuracy

from blobclf.data import available_memory, memory_size
from blobclf.errors import ArgumentValueError, TrainingDiverged, UserError, printable
from blobclf.execution import run_steps
from blobclf.graphs import CaptureBackend, CudaGraphCapture, StepGraph, why_not_captured
from blobclf.metrics import BatchMeanLoss
from blobclf.model import BlobModel, ScaledBlobModel
from blobclf.optionnames import model_option, model_option_name
from blobclf.recorded import epoch_progress, in_signature_order, public_hparams, recorded_text_error
from blobclf.safeload import check_weights, load_checkpoint, local_file
from blobclf.argtypes import AtLeastTwoInt, NameList, PositiveInt, WeightList, integer_at_least

STAGES = ("train", "val", "test")
SHAPE = ("num_features", "num_classes", "hidden_units")
OTHER_MODULE_FIX = ("blobclf evaluates only the models 'blobclf fit' trains: pass a .ckpt of a blobclf run ('last' or "
                    "'best' for the newest one); test a LightningModule of your own with your own script's Trainer")
"""What to do with a checkpoint of another LightningModule (a user's own), which blobclf cannot load."""
TRAINING_STATE = {"epoch": int, "global_step": int, "loops": dict, "callbacks": dict, "optimizer_states": list,
                  "lr_schedulers": list, "datamodule_hyper_parameters": dict}
"""What Lightning's checkpoint holds beside the model, by type: an edited value would end a resume in a traceback
(the data module's settings a list: test and predict too)."""
DEFAULT_LR = 0.1
"""The tutorial's SGD learning rate, used when no optimizer is configured."""
DEFAULT_STEPS_PER_EXECUTION = 16
"""Minibatch steps per training step of Lightning's loop, chosen by measurement (benchmarks/RESULTS.md)."""
LEGACY_SGD = ("lr", "momentum", "weight_decay")
"""Model settings of the checkpoints blobclf wrote before 2026-11-28, whose model trained ``SGD`` with
them; the optimizer is ``--optimizer`` since (``optimizer.lr`` ...)."""


def model_settings(hparams: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint's model hyperparameters as :class:`BlobClassifier` takes them: without Lightning's
    private entries, and without an old checkpoint's SGD settings (see :func:`legacy_optimizer`)."""
    return {k: v for k, v in public_hparams(hparams).items() if k not in LEGACY_SGD}


def legacy_optimizer(hparams: dict[str, Any]) -> dict[str, Any] | None:
    """The optimizer of a checkpoint written before 2026-11-28 (``SGD`` with its model's ``lr``,
    ``momentum`` and ``weight_decay``) as ``--optimizer`` records it; ``None`` for a newer one."""
    if not any(k in hparams for k in LEGACY_SGD):
        return None
    # every argument, as --optimizer records them: SGD's defaults where the old model took none
    init = {name: parameter.default for name, parameter in inspect.signature(torch.optim.SGD).parameters.items()
            if parameter.default is not inspect.Parameter.empty}
    init.update({k: hparams[k] for k in LEGACY_SGD if k in hparams})
    return {"class_path": "torch.optim.SGD", "init_args": init}


def _whole(text: str) -> int | None:
    """The whole number ``text`` reads as (``'8'``: 8), else None."""
    try:
        return int(text)
    except ValueError:
        return None


WEIGHT_RANGE = (1e-30, 1e30)
"""The class weights taken: a float32 weight past 3.4e38 is inf and one under 1.4e-45 is 0, and the loss sums weights
over a batch and an epoch (a weight of 1e30 over 300 million rows still sums to a finite float32)."""


def class_weights(value: Any, num_classes: int) -> str | list[float] | None:
    """``class_weight`` as a checkpoint records it: ``None``, ``"balanced"`` or a plain list of ``num_classes``
    finite weights > 0 (from any sequence of numbers); anything else is a one-line error naming the value."""
    if value is None or (isinstance(value, str) and value == "balanced"):
        return value
    value = list(value) if isinstance(value, tuple) else value  # the command line's (a tuple: WeightList)
    usage = f"give 'balanced', null or a list of {num_classes} weights > 0, one per class in the model's class order"
    try:
        weights = [float(w) for w in value] if not isinstance(value, (str, bytes)) else None
    except (TypeError, ValueError):
        weights = None
    if weights is None or any(isinstance(w, bool) for w in value):
        raise ArgumentValueError(f"{model_option('class_weight', value)} is not a list of weights: {usage}")
    if len(weights) != num_classes:
        raise ArgumentValueError(
            f"{model_option('class_weight', value)} has {len(weights)} weights for {num_classes} classes: {usage}")
    if not all(math.isfinite(w) and w >= 0 for w in weights):
        raise ArgumentValueError(
            f"{model_option('class_weight', value)} holds a weight that is not a finite number > 0: {usage}")
    if 0 in weights:  # scikit-learn takes it; a loss that is each batch's weighted mean cannot
        raise ArgumentValueError(
            f"{model_option('class_weight', value)} holds a weight of 0, which cannot work here: the loss is each "
            "batch's weighted mean, and a batch of only weight-0 rows has none (0/0 = NaN, which ends training); give "
            "every class a weight > 0, or leave a class out by removing its rows from the table")
    if not all(WEIGHT_RANGE[0] <= w <= WEIGHT_RANGE[1] for w in weights):
        raise ArgumentValueError(
            f"{model_option('class_weight', value)} holds a weight outside 1e-30 to 1e30, which the loss's float32 "
            "cannot hold safely "
            "(1e39 is inf there, 1e-50 is 0, and sums overflow past 3.4e38); only the weights' ratios count (the loss "
            "is their weighted mean): scale them, e.g. divide each by the largest"
        )
    return weights


def balanced_weights(labels: Tensor, class_names: list[str]) -> Tensor:
    """scikit-learn's ``class_weight="balanced"``: ``n_samples / (n_classes * count)`` for each class of ``labels``
    (a training split's); a class without a row there is a one-line error naming it."""
    counts = torch.bincount(labels.flatten().long().cpu(), minlength=len(class_names))[: len(class_names)]
    absent = [name for name, count in zip(class_names, counts.tolist(), strict=True) if count == 0]
    if absent:
        raise UserError(
            f"{model_option('class_weight', 'balanced')} needs a row of every class in the training split, which has "
            f"none of class {absent[0]!r}{f' (and {len(absent) - 1} more)' if len(absent) > 1 else ''}; "
            "add rows of it, "
            f"or give {model_option_name('class_weight')} as a list of {len(class_names)} weights"
        )
    return labels.numel() / (len(class_names) * counts.double())


_EVALUATING = contextvars.ContextVar("evaluating", default=False)


class ModelTooLarge(ArgumentValueError):
    """A model whose weights would not fit in the memory available; ``args[0]`` names the sizes, ``str()`` adds the fix
    for a model the user sizes (the command line rewords it for a checkpoint's model, whose size is not the user's)."""

    def __init__(self, sizes: str, fix: str) -> None:
        super().__init__(sizes, fix)

    def __str__(self) -> str:
        return f"{self.args[0]}; use a smaller {self.args[1]}"


@contextlib.contextmanager
def evaluating() -> Iterator[None]:
    """Within: the models built are evaluated (test, validate, predict), so their weights need no gradients or
    optimizer states (see :func:`check_model_memory`)."""
    token = _EVALUATING.set(True)
    try:
        yield
    finally:
        _EVALUATING.reset(token)


def check_model_memory(num_features: int, num_classes: int, hidden_units: int) -> None:
    """Refuse, in one line, a model whose weights would not fit in the memory available.

    Training keeps about four float32 numbers per weight: the weight, its gradient and an
    optimizer's two states (Adam's); an evaluation (within :class:`evaluating`) only the weight.
    ``--model.hidden_units 1000000000000`` was a traceback from the allocator, after the data was drawn.
    """
    weights = num_features * hidden_units + hidden_units * hidden_units + hidden_units * num_classes \
        + 2 * hidden_units + num_classes
    per_weight, use = ((4, "evaluate") if _EVALUATING.get()
                       else (16, "train (with their gradients and optimizer states)"))
    needed, available = per_weight * weights, available_memory()
    if available is not None and needed > available:
        fix = ("--model.hidden_units" if hidden_units >= max(num_features, num_classes)
               else "number of features or classes")
        raise ModelTooLarge(
            f"BlobClassifier(num_features={num_features:,}, num_classes={num_classes:,}, "
            f"hidden_units={hidden_units:,}) "
            f"has {weights:,} weights, which need about {memory_size(needed)} of memory to {use} and "
            f"{memory_size(available)} is available", fix)


class BlobClassifier(L.LightningModule):
    """Trains a :class:`~blobclf.model.BlobModel` as the tutorial does.

    Cross-entropy on logits and micro-averaged accuracy (the tutorial's ``correct / total``), with
    one metric object per stage (the loss a :class:`~blobclf.metrics.BatchMeanLoss`: the mean over
    samples, whatever the batch sizes): each step updates them, and each epoch's end logs the objects
    with ``self.log`` as ``{stage}/loss`` and ``{stage}/acc`` (Lightning computes and resets them).
    Logging at the epoch's end rather than in every step keeps Lightning's per-call logging work
    out of the steps. Train metrics come from the forward pass before the optimizer step, exactly
    as the tutorial computes them.

    The optimizer is chosen on the command line (``--optimizer``, ``--lr_scheduler``, as in any
    LightningCLI program); :meth:`configure_optimizers` is the tutorial's plain SGD with lr 0.1,
    used when the class is trained without the command line.

    ``class_weight`` weights each class's samples in the cross-entropy (``CrossEntropyLoss(weight=...)``), as
    scikit-learn's ``class_weight`` does, for tables whose classes are imbalanced: ``"balanced"`` gives class
    ``c`` the weight ``n_samples / (n_classes * count_c)`` over the training split, computed when ``fit``
    starts (until then every weight is 1). The weights are a buffer (``loss_fn.weight``), so checkpoints carry
    them and ``test``, ``validate`` and ``load_from_checkpoint`` compute the same loss. Every stage's loss is
    then the weighted mean, ``sum(w[y_i] * loss_i) / sum(w[y_i])`` over the split, whatever the batch sizes;
    accuracy is not weighted.

    ``steps_per_execution`` (Keras's name) is a pure speed setting: with ``K > 1`` the data
    module's loader hands each training step a list of up to ``K`` consecutive minibatches and the
    step runs one optimizer step per minibatch (manual optimization), so Lightning's per-step work
    is paid once per ``K`` minibatches. The minibatches, their order, the updates, the epoch
    metrics and the checkpoints' weights are those of ``K = 1`` (bit-identical on CPU).
    ``global_step`` and ``--trainer.max_steps`` still count optimizer steps, i.e. minibatches
    (a step stops early so that ``max_steps`` is met exactly); the ``batch_idx`` of Lightning's
    hooks, the progress bar, the batch counters of a checkpoint's loop state and
    ``limit_train_batches`` / ``val_check_interval`` count groups of up to ``K`` minibatches (the
    command line refuses the last two with ``K > 1``). Schedulers
    with ``interval="step"`` step after every ``frequency`` minibatches, epoch ones after the
    epoch's last minibatch, as Lightning's own loop does them; ``ReduceLROnPlateau``, gradient
    accumulation and Trainer-side gradient clipping need ``K = 1``. With one batch per epoch
    (full-batch training, as the tutorial) ``K`` changes nothing. In DDP every process runs ``K``
    steps on its own shard, and every shard has as many minibatches.

    Args:
        num_features: Input features per point (linked from the data module by the CLI).
        num_classes: Number of classes, at least 2 (linked from the data module by the CLI).
        hidden_units: Width of both hidden layers.
        class_weight: Weight of each class in the loss, for imbalanced classes: ``balanced`` (scikit-learn's
            n_samples / (n_classes * count of the class), over the training split), a list of one weight > 0
            per class in class order, or null (every class 1, the tutorial's loss). Recorded with the run:
            a resume keeps it; the logged val and test losses are weighted the same way.
        standardize: Standardize inputs inside the model (a :class:`~blobclf.model.ScaledBlobModel`),
            with the training split's statistics, set when ``fit`` starts (linked from the data module).
        class_names: Name of each class, in output order; ``null`` names them ``0, 1, ...``
            (linked from the data module).
        feature_names: Name of each input feature, in input order; ``null`` names them
            ``x0, x1, ...`` (linked from the data module).
        steps_per_execution: Minibatch optimizer steps run by each training step of Lightning's
            loop: a speed setting, results identical to 1; global_step and max_steps still count
            minibatches (what else it changes: docs/configuration.md).
        cuda_graphs: On a CUDA device with steps_per_execution > 1, record the steps of a
            training step once as a CUDA graph and replay it for every group of minibatches
            (a speed setting: the same kernels on the same values; when it cannot apply, a line
            says why and the steps run eagerly); false always runs them eagerly.

    Example:
        >>> system = BlobClassifier(num_features=2, num_classes=4)
        >>> system(torch.zeros(3, 2)).shape
        torch.Size([3, 4])
    """

    step_capture: CaptureBackend | None = None
    """Records and replays the steps of a training step; ``None``: CUDA graphs, on a CUDA device only
    (tests set a :class:`~blobclf.graphs.ReplayEmulation` to run the recorded path on a CPU)."""

    def __init__(
        self,
        num_features: PositiveInt = 2,
        num_classes: AtLeastTwoInt = 4,
        hidden_units: PositiveInt = 8,
        class_weight: Literal["balanced"] | WeightList | None = None,
        standardize: bool = False,
        class_names: NameList | None = None,
        feature_names: NameList | None = None,
        steps_per_execution: PositiveInt = DEFAULT_STEPS_PER_EXECUTION,
        cuda_graphs: bool = True,
    ) -> None:
        super().__init__()
        # plain ints in checkpoints (a numpy integer would make them load only with weights_only=False)
        num_features = integer_at_least("num_features", num_features, 1)
        num_classes = integer_at_least("num_classes", num_classes, 1)
        if num_classes < 2:
            raise ArgumentValueError(f"num_classes={num_classes} is refused: a classifier needs at least 2 classes")
        hidden_units = integer_at_least("hidden_units", hidden_units, 1)
        steps_per_execution = integer_at_least("steps_per_execution", steps_per_execution, 1)
        if torch.get_default_device().type != "meta":  # a checkpoint's shapes are checked on meta: nothing allocated
            check_model_memory(num_features, num_classes, hidden_units)
        for what, names, count in (("class_names", class_names, num_classes),
                                   ("feature_names", feature_names, num_features)):
            if names is not None and (isinstance(names, str) or len(names) != count or len(set(names)) != len(names)):
                shown = repr(names) if isinstance(names, str) or len(names) <= 20 else \
                    f"{len(names):,} names, starting {list(names)[:5]!r}"  # an edited checkpoint's list of millions
                raise ArgumentValueError(f"{what} must be {count} distinct names, got {shown}")
        class_names = list(class_names) if class_names is not None else None  # plain lists in checkpoints
        feature_names = list(feature_names) if feature_names is not None else None
        class_weight = class_weights(class_weight, num_classes)  # a plain list in checkpoints
        self.save_hyperparameters()
        # in the constructor's order, as the checkpoint's hyper_parameters: the arguments linked from the data
        # came in an order that changed from run to run
        ordered = in_signature_order(dict(self.hparams), self)
        self.hparams.clear()
        self.hparams.update(ordered)
        self.steps_per_execution = steps_per_execution
        # Lightning's automatic optimization takes one optimizer step per training step
        self.automatic_optimization = self.steps_per_execution == 1
        self._step_graph: StepGraph | None = None
        self._step_graph_decided = False
        network = ScaledBlobModel if standardize else BlobModel
        self.model = network(input_features=num_features, output_features=num_classes, hidden_units=hidden_units)
        # the weights are the loss's buffer (loss_fn.weight): checkpoints carry them, 'balanced' ones too
        weight = None if class_weight is None else torch.ones(num_classes) if class_weight == "balanced" else (
            torch.tensor(class_weight, dtype=torch.float32))
        self.loss_fn = nn.CrossEntropyLoss(weight=weight)
        # no per-batch checks that wait for the device (validate_args=False; BatchMeanLoss has none)
        self.metrics = nn.ModuleDict()
        for stage in STAGES:
            self.metrics[f"{stage}_loss"] = BatchMeanLoss()
            self.metrics[f"{stage}_acc"] = MulticlassAccuracy(
                num_classes=num_classes, average="micro", validate_args=False
            )

    @property
    def classes(self) -> list[str]:
        """The name of each class, in output order."""
        names = self.hparams.get("class_names")
        return list(names) if names is not None else [str(c) for c in range(int(self.hparams.num_classes))]

    @property
    def features(self) -> list[str]:
        """The name of each input feature, in input order."""
        names = self.hparams.get("feature_names")
        return list(names) if names is not None else [f"x{i}" for i in range(int(self.hparams.num_features))]

    def setup(self, stage: str) -> None:
        """Check that the model fits the trainer's data module; fit the input standardization on the
        training split when ``fit`` starts.

        A resumed run then gets the checkpoint's values, which are the same: the split is seeded.
        """
        from blobclf.deathsignal import process_zero_connected

        process_zero_connected()  # past Lightning's pre_setup barrier: a DDP run's processes have connected
        data = self.trainer.datamodule
        # the command line links these from the data; a model built by hand may disagree, which torch
        # reports deep in a step (a shape or target out of bounds) or, for standardize, not at all
        shape = ("num_features", "num_classes", "standardize") if stage == "fit" else ("num_features", "num_classes")
        for name in shape if data is not None else ():
            theirs = getattr(data, name, None)  # a data module of the user's own may have none of them
            if isinstance(theirs, int) and theirs != self.hparams[name]:
                raise ArgumentValueError(
                    f"{type(self).__name__}({name}={self.hparams[name]!r}) does not fit its data: "
                    f"{type(data).__name__} "
                    f"has {name}={theirs!r}; build the model from the data module: {type(self).__name__}(num_features="
                    "data.num_features, num_classes=data.num_classes, standardize=data.standardize)"
                )
        if stage == "fit" and self.hparams.get("class_weight") == "balanced":
            split = getattr(data, "split", None)
            if split is None:
                raise UserError(f"{model_option('class_weight', 'balanced')} needs a data module with split('train') "
                                "(e.g. "
                                f"TableDataModule); give {model_option_name('class_weight')} as a list of "
                                f"{self.hparams.num_classes} weights instead")
            self.loss_fn.weight.copy_(balanced_weights(split("train")[1], self.classes))
        if stage != "fit" or not isinstance(self.model, ScaledBlobModel):
            return
        scaling = getattr(self.trainer.datamodule, "feature_scaling", None)
        if scaling is None:
            raise UserError("standardize=True needs a data module with feature_scaling() (e.g. TableDataModule)")
        self.model.set_scaling(*scaling())

    def forward(self, x: Tensor) -> Tensor:
        """Return logits."""
        return self.model(x)

    def _shared_step(self, batch: tuple[Tensor, Tensor], stage: str, predictions: list[Tensor] | None = None) -> Tensor:
        """The loss of a batch; updates the stage's metrics (the accuracy later, if ``predictions`` is given)."""
        features, labels = batch
        logits = self(features)
        loss = self.loss_fn(logits, labels)
        self.metrics[f"{stage}_loss"].update(loss.detach(), weight=self.loss_weight(loss, labels))
        if predictions is None:
            self.metrics[f"{stage}_acc"].update(logits.detach(), labels)
        else:
            # counted by the caller for several batches in one update: the same integer counts
            # (the metric takes the argmax of logits itself), a fraction of the update's cost;
            # max().indices is the argmax (the first maximal index, NaN counted as maximal) and
            # faster on CPU
            predictions.append(logits.detach().max(dim=1).indices)
        return loss

    def loss_weight(self, loss: Tensor, labels: Tensor) -> Tensor:
        """What a batch's mean ``loss`` weighs in its epoch's: its number of samples or, with class weights (the
        loss is then their weighted mean), their sum over its labels; the epoch's is then the split's mean."""
        weight = self.loss_fn.weight
        if weight is None:
            # made on the loss's device: a Python number would be copied there every step
            return loss.new_full((), labels.shape[0])
        return weight[labels].sum()

    def _log_epoch(self, stage: str) -> None:
        """Log the stage's metric objects, epoch-level; Lightning computes, syncs and resets them."""
        mean_loss, accuracy = self.metrics[f"{stage}_loss"], self.metrics[f"{stage}_acc"]
        if mean_loss.update_count == 0:
            return  # no batch of this stage ran (e.g. an epoch without validation)
        if stage == "train":
            self._check_finite(mean_loss.compute())
        self.log(f"{stage}/loss", mean_loss, on_step=False, on_epoch=True, prog_bar=True)
        self.log(f"{stage}/acc", accuracy, on_step=False, on_epoch=True, prog_bar=True)

    def _check_finite(self, loss: Tensor) -> None:
        """Stop training with one line when the epoch's loss stopped being finite.

        Runs before the epoch's checkpoints are written, so no checkpoint, export or figure is made
        of a diverged model; the last checkpoint written is the last good one. One host sync per
        epoch, on a value Lightning computes for logging anyway. (Weights that turn non-finite in
        an epoch's last step show in the next epoch's loss; :meth:`check_weights` guards exports.)
        """
        if bool(loss.isfinite()):
            return
        what = f"train/loss is {float(loss)}"
        optimizers = self.trainer.optimizers if self._trainer_attached() else []
        now = f", now {optimizers[0].param_groups[0]['lr']:g}" if optimizers else ""
        raise TrainingDiverged(
            f"training diverged in epoch {self.current_epoch}: {what}; nothing of this epoch was saved or "
            f"exported (earlier checkpoints are kept); try a lower learning rate (--optimizer.lr{now})"
        )

    def check_weights(self) -> None:
        """Raise :class:`TrainingDiverged` if any weight is NaN or infinite (checked before exporting)."""
        if not all(bool(p.isfinite().all()) for p in self.model.parameters()):
            raise TrainingDiverged(
                "training diverged in its last epoch: the weights are no longer finite; nothing was exported "
                "(earlier checkpoints are kept); try a lower learning rate (--optimizer.lr)"
            )

    def _trainer_attached(self) -> bool:
        try:
            return self.trainer is not None
        except RuntimeError:  # not attached to a Trainer
            return False

    def training_step(
        self, batch: tuple[Tensor, Tensor] | list[tuple[Tensor, Tensor]], batch_idx: int
    ) -> Tensor | None:
        """One minibatch step (``steps_per_execution == 1``), or one per minibatch of the list."""
        if self.automatic_optimization:
            return self._shared_step(batch, "train")  # type: ignore[arg-type]
        # a group of K minibatches (blobclf's loader) is a list of pairs; a DataLoader's collated
        # batch is itself a list, [features, labels]: one minibatch
        grouped = isinstance(batch, list) and all(isinstance(item, (tuple, list)) for item in batch)
        minibatches = batch if grouped else [batch]
        predictions: list[Tensor] = []

        def step(minibatch: tuple[Tensor, Tensor]) -> Tensor:
            return self._shared_step(minibatch, "train", predictions)

        run_steps(self, step, minibatches, batch_idx, self._graph_for(minibatches))
        if predictions:
            labels = [labels for _, labels in minibatches[: len(predictions)]]
            self.metrics["train_acc"].update(torch.cat(predictions), torch.cat(labels))
        return None

    def on_train_start(self) -> None:
        self._step_graph, self._step_graph_decided = None, False

    def on_train_end(self) -> None:
        # the recording, its memory and its K-batch buffers are not needed by test, predict or exports
        self._step_graph, self._step_graph_decided = None, False

    def _graph_for(self, minibatches: list[tuple[Tensor, Tensor]]) -> StepGraph | None:
        """The run's :class:`~blobclf.graphs.StepGraph`, decided at its first group of ``K`` minibatches.

        Says in one line, on a CUDA device, whether the steps are recorded or why not.
        """
        if self._step_graph_decided or len(minibatches) < self.steps_per_execution:
            return self._step_graph
        self._step_graph_decided = True
        optimizer = self.optimizers()
        if isinstance(optimizer, list):
            return None  # refused by run_steps
        raw = optimizer.optimizer
        reason = why_not_captured(self, raw, self.step_capture, BlobClassifier)
        steps = f"the {self.steps_per_execution} minibatch steps of each training step"
        if reason is None:
            self._step_graph = StepGraph(self, raw, self.step_capture or CudaGraphCapture())
            rank_zero_info(f"CUDA graphs: {steps} are recorded once and replayed (--model.cuda_graphs false: eager)")
        elif self.device.type == "cuda" or self.step_capture is not None:
            rank_zero_info(f"CUDA graphs: off, {reason}; {steps} run eagerly")
        return self._step_graph

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._shared_step(batch, "val")

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._shared_step(batch, "test")

    def on_train_epoch_end(self) -> None:
        self._log_epoch("train")

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    def predict_step(self, batch: Any, batch_idx: int) -> dict[str, Tensor]:
        """Return class probabilities and predicted labels for a batch of features."""
        features = batch[0] if isinstance(batch, (tuple, list)) else batch
        probabilities = torch.softmax(self(features), dim=1)
        return {"probabilities": probabilities, "labels": probabilities.argmax(dim=1)}

    def configure_optimizers(self) -> torch.optim.Optimizer:
        """The tutorial's optimizer, ``SGD(lr=0.1)`` (the command line's ``--optimizer`` replaces it)."""
        return torch.optim.SGD(self.parameters(), lr=DEFAULT_LR)

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Keep the class weights this model was built with where they differ from the checkpoint's run
        (``load_from_checkpoint(path, class_weight=[1, 5])``, or ``None`` for a weighted run's checkpoint): the
        checkpoint's ``loss_fn.weight`` would otherwise replace the weights given, or be refused as missing (a run
        without weights has none) or unexpected. ``balanced`` weights come from the checkpoint where its run had
        them too (they are its training split's), else they are this model's. The command line refuses a change
        of weights before this."""
        state = checkpoint.get("state_dict")
        if not isinstance(state, dict):
            return
        mine = self.hparams.get("class_weight")
        recorded = (checkpoint.get("hyper_parameters") or {}).get("class_weight")
        if mine is None:
            state.pop("loss_fn.weight", None)
        elif mine != "balanced" or recorded != "balanced" or "loss_fn.weight" not in state:
            state["loss_fn.weight"] = self.loss_fn.weight.detach().clone()

    def to_onnx(self, file_path: Any = None, input_sample: Any = None, **kwargs: Any) -> Any:
        """Lightning's ``to_onnx`` (the logits of :meth:`forward`), with torch's TorchScript exporter unless
        ``dynamo=True`` is passed: the exporter ``fit``'s ``model.onnx`` is written with, which needs only
        ``onnx``; torch's default since 2.9, the dynamo exporter, needs ``onnxscript`` (not a blobclf
        dependency)."""
        kwargs.setdefault("dynamo", False)
        return super().to_onnx(file_path, input_sample, **kwargs)

    @classmethod
    def check_checkpoint(cls, checkpoint: dict[str, Any], path: str | os.PathLike[str]) -> BlobClassifier:
        """Check that a loaded checkpoint is one of this class with usable weights; return the system.

        Refuses, with one line each, a checkpoint written for another LightningModule or edited so
        that its hyperparameters and weights no longer fit, and one whose weights are not finite
        (a run that diverged).
        """
        name = os.fspath(path)
        hparams = checkpoint.get("hyper_parameters")
        state = checkpoint.get("state_dict")
        if not isinstance(hparams, dict) or not isinstance(state, dict):
            raise UserError(f"checkpoint {name!r} was not written by 'blobclf fit': it has no model hyperparameters; "
                            f"{OTHER_MODULE_FIX}")
        for key, kind in TRAINING_STATE.items():
            if key in checkpoint and not (isinstance(checkpoint[key], kind) and not isinstance(checkpoint[key], bool)):
                raise UserError(f"checkpoint {name!r} was not written by 'blobclf fit' (or was edited): its {key!r} is "
                                f"{type(checkpoint[key]).__name__}, not {kind.__name__}; use another checkpoint")
        check_lightning_version(checkpoint, name)
        progress = epoch_progress(checkpoint)
        if not isinstance(progress, dict) or not all(type(count) is int for count in progress.values()):
            raise UserError(f"checkpoint {name!r} was not written by 'blobclf fit' (or was edited): its training "
                            "loop's epoch counts are not whole numbers; use another checkpoint")
        settings = model_settings(hparams)
        text = next((recorded_text_error(name, f"model.{k}", v, _whole(v)) for k, v in settings.items()
                     if k in SHAPE and isinstance(v, str)), None)
        if text is not None:  # int() reads '8' as 8, the parser too: it was taken for a value given to the command
            raise UserError(text.replace(" was edited or written by another program:",
                                         " was not written by 'blobclf fit' (or was edited):", 1))
        try:
            # the sizes as int() reads them: this checks the shapes; a recorded value that the command line's
            # parser refuses (8.5) is then named there as the checkpoint's, and load_from_checkpoint's own
            # constructor refuses it too
            settings.update({k: int(v) for k, v in settings.items() if k in SHAPE})
            with torch.device("meta"):  # shapes only: settings edited to 10**9 units allocate nothing
                system = cls(**settings)
        except (TypeError, ValueError) as error:
            # an argument BlobClassifier does not take: the hyperparameters of another LightningModule
            fix = (f"; {OTHER_MODULE_FIX}" if re.search(r"unexpected keyword argument|missing \d+ required", str(error))
                   else "")
            raise UserError(
                f"checkpoint {name!r} was not written by 'blobclf fit' (or was edited): {error}{fix}") from None
        expected = {k: tuple(v.shape) for k, v in system.state_dict().items()}
        found = {k: tuple(v.shape) if isinstance(v, Tensor) else None for k, v in state.items()}
        if found != expected:
            shape = {k: v for k, v in system.hparams.items() if k in SHAPE or (k == "standardize" and v)}
            wrong = sorted(set(found) ^ set(expected)) or sorted(k for k in found if found[k] != expected[k])
            raise UserError(
                f"checkpoint {name!r} does not fit BlobClassifier({', '.join(f'{k}={v}' for k, v in shape.items())}):"
                f" {wrong[0]!r} is missing, extra or of another shape; it was written by another model or edited"
            )
        check_weights(state, name)
        if not all(bool(v.isfinite().all()) for v in state.values() if v.is_floating_point()):
            raise UserError(
                f"checkpoint {name!r} holds weights that are not finite (NaN or inf): the run that wrote it "
                "diverged; use an earlier checkpoint, or train again with a lower learning rate"
            )
        return cls(**settings)  # of the weights' own size

    @classmethod
    def load_from_checkpoint(  # type: ignore[override]
        cls,
        checkpoint_path: str | os.PathLike[str],
        map_location: Any = None,
        hparams_file: str | os.PathLike[str] | None = None,
        strict: bool | None = None,
        weights_only: bool | None = True,
        **kwargs: Any,
    ) -> BlobClassifier:
        """Lightning's ``load_from_checkpoint``, restricted to local files and ``weights_only=True``
        (``None``, Lightning's default, is torch's default: ``True``)."""
        if weights_only is not True and weights_only is not None:
            raise UserError(f"weights_only={weights_only!r} is refused: blobclf loads checkpoints with "
                            "weights_only=True only")
        path = local_file(checkpoint_path)
        cls.check_checkpoint(load_checkpoint(path), path)  # refuses unsafe, foreign or diverged files first
        return super().load_from_checkpoint(
            path, map_location=map_location, hparams_file=hparams_file, strict=strict, weights_only=True, **kwargs
        )


LIGHTNING_VERSION = "pytorch-lightning_version"
"""The key of the Lightning version that wrote a checkpoint, which Lightning upgrades the checkpoint from."""


def check_lightning_version(checkpoint: dict[str, Any], name: str) -> None:
    """Refuse a checkpoint that Lightning cannot upgrade to its own version: one without a version, or with one that is
    not a version, or whose contents are not those of the version it names (a Lightning 2.6 checkpoint edited to say
    1.2.0). Each ended in a traceback from Lightning's upgrade (``KeyError: 'pytorch-lightning_version'``,
    ``InvalidVersion``, ``KeyError: 'epoch_loop.batch_loop.optimizer_loop.optim_progress'``). The upgrade is tried
    on a copy (the weights and optimizer state shared, which no upgrade touches), only where the version differs."""
    version = checkpoint.get(LIGHTNING_VERSION)
    why = None
    if not isinstance(version, str):
        why = (f"it records no {LIGHTNING_VERSION!r}" if version is None
               else f"its {LIGHTNING_VERSION!r} is {printable(repr(version)[:100])}, not a version")
    elif version != L.__version__:
        shared = ("state_dict", "optimizer_states")
        trial = copy.deepcopy({k: v for k, v in checkpoint.items() if k not in shared})
        trial.update({k: checkpoint[k] for k in shared if k in checkpoint})
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a newer version's warning: Lightning gives it when it loads
                migrate_checkpoint(trial)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            detail = f"{type(error).__name__}: {printable(str(error)[:200])}"
            why = (f"it says Lightning {printable(version[:100])} wrote it, but Lightning {L.__version__} cannot "
                   f"upgrade it from that version ({detail})")
    if why is not None:
        raise UserError(f"checkpoint {name!r} was not written by 'blobclf fit' (or was edited): {why}; use another "
                        "checkpoint")
