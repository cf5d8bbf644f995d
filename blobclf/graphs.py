"""The ``K`` minibatch steps of a training step replayed as one captured CUDA graph.

With ``steps_per_execution = K`` a training step runs ``K`` minibatch optimizer steps (see
:mod:`blobclf.execution`). Run eagerly, each step launches some forty small kernels from Python;
with this small model and batches of thousands of points the GPU then mostly waits for the host.
:class:`StepGraph` records the ``K`` steps once (forward, loss, backward, optimizer step and the
epoch metrics' arithmetic, for every minibatch) and then replays the recording for each group
of ``K`` minibatches: one launch instead of hundreds, no host synchronisation inside.

A replay computes what the eager steps compute, with the same kernels on the same values: the
minibatches are copied into the graph's fixed input tensors, the loss metric's state is copied in
and out around the replay, and the optimizer's hyperparameters (a learning rate is recorded in the
graph as a constant) are compared before every replay: when a scheduler changed them, or anything
replaced a parameter or optimizer-state tensor, the steps are recorded again. Lightning's own
bookkeeping of the ``K`` optimizer steps (``global_step``) is advanced after each replay.

Eager steps are used instead, with one line saying why, when recording cannot give the eager
result: not a CUDA device, several processes (DDP), a precision other than 32-true, an optimizer
that cannot be captured (``torch.optim.SGD`` can; others need ``capturable=True``), a scheduler that
steps every minibatch, or a callback or the model overriding the per-minibatch hooks
(``on_before_backward``, ``on_after_backward``, ``on_before_optimizer_step``), which a replay does not
call, or the model overriding ``backward``, ``training_step`` or ``_shared_step``. Groups that differ from the
recorded shape (the last, shorter group of an epoch) and groups cut short by ``max_steps`` run
eagerly too. A recording that fails stops the run with one line naming ``--model.cuda_graphs
false``: torch cannot promise a sound state after CUDA invalidated a capture. Optimizer step
hooks registered on the optimizer and Python hooks on modules or tensors run once, at recording,
not at each replay. After an eager group ``.grad`` holds that group's gradients; replays write
theirs into the recording's own memory.

Recording follows torch.cuda.graphs' recipe: the first group runs the very same step function
eagerly on a side stream (its real training steps are the warm-up), the second is recorded and
replayed. The recording backend is replaceable: :class:`ReplayEmulation` runs the step function
eagerly at every "replay", with the hyperparameters frozen at "recording" as a CUDA graph freezes
them, so the tests exercise this module's bookkeeping on a CPU.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import lightning as L
import torch
from torch import Tensor

from blobclf.errors import RecordingFailed
from blobclf.metrics import BatchMeanLoss

Batch = tuple[Tensor, Tensor]
PER_MINIBATCH_HOOKS = ("on_before_backward", "on_after_backward", "on_before_optimizer_step")
"""Hooks Lightning calls around every optimizer step; a replay calls none of them."""
OWN_STEP_METHODS = ("training_step", "_shared_step")
"""The model class's methods whose work the recorded steps reproduce; a subclass overriding one runs eagerly."""


class CaptureBackend(Protocol):
    """Records a step function once and replays it."""

    def warm_up(self, step: Callable[[], None]) -> None:
        """Run ``step`` eagerly, as the warm-up before recording it."""

    def record(self, step: Callable[[], None], optimizer: torch.optim.Optimizer) -> Callable[[], None]:
        """Record ``step``; return the function that replays the recording."""


class CudaGraphCapture:
    """CUDA graphs (``torch.cuda.CUDAGraph``), recorded after a warm-up on a side stream."""

    def warm_up(self, step: Callable[[], None]) -> None:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            step()
        torch.cuda.current_stream().wait_stream(side)

    def record(self, step: Callable[[], None], optimizer: torch.optim.Optimizer) -> Callable[[], None]:
        graph = torch.cuda.CUDAGraph()
        # thread_local: the loader's thread drawing the next epoch's order may pin host memory
        # meanwhile, which the default ("global") mode forbids to every thread during a capture
        with torch.cuda.graph(graph, capture_error_mode="thread_local"):
            step()
        return graph.replay


class ReplayEmulation:
    """Eager "replays" that see the optimizer's hyperparameters as they were when "recorded".

    A CUDA graph keeps the learning rate it was recorded with; so does this emulation, so a test
    on a CPU fails if :class:`StepGraph` replayed a recording made before a scheduler's change.
    """

    def __init__(self) -> None:
        self.recordings = 0

    def warm_up(self, step: Callable[[], None]) -> None:
        step()

    def record(self, step: Callable[[], None], optimizer: torch.optim.Optimizer) -> Callable[[], None]:
        self.recordings += 1
        frozen = [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups]

        def replay() -> None:
            current = [{k: v for k, v in group.items() if k != "params"} for group in optimizer.param_groups]
            for group, values in zip(optimizer.param_groups, frozen, strict=True):
                group.update(values)
            try:
                step()
            finally:
                for group, values in zip(optimizer.param_groups, current, strict=True):
                    group.update(values)

        return replay


def why_not_captured(
    system: Any, optimizer: torch.optim.Optimizer, backend: CaptureBackend | None, model_base: type
) -> str | None:
    """Why the run's steps cannot be recorded (``None`` when they can).

    Args:
        system: The LightningModule, attached to its Trainer, with ``steps_per_execution > 1``.
        optimizer: The run's (only) optimizer, unwrapped.
        backend: The recording backend the run asked for; ``None`` means CUDA graphs.
        model_base: The class whose ``training_step`` and ``_shared_step`` the recorded steps
            reproduce (:class:`~blobclf.system.BlobClassifier`); a subclass overriding one runs eagerly.
    """
    trainer = system.trainer
    if not system.hparams.get("cuda_graphs", True):
        return "--model.cuda_graphs false"
    if backend is None and system.device.type != "cuda":
        return f"the model is on {system.device.type}, not a CUDA device"
    if trainer.world_size > 1:
        return f"{trainer.world_size} processes (DDP) average gradients between steps"
    if str(trainer.precision) != "32-true":
        return f"--trainer.precision {trainer.precision} (only 32-true is recorded)"
    if any(config.interval == "step" for config in trainer.lr_scheduler_configs):
        return "a learning-rate scheduler steps every minibatch"
    if not type(optimizer).__module__.startswith("torch.optim"):
        return f"{type(optimizer).__name__} is not one of torch.optim's optimizers, known to record as they run"
    if not isinstance(optimizer, torch.optim.SGD) and not all(g.get("capturable") for g in optimizer.param_groups):
        return (f"{type(optimizer).__name__} is recorded only with capturable=True "
                f"(--optimizer.capturable true, where {type(optimizer).__name__} has it)")
    if any(g.get("differentiable") for g in optimizer.param_groups):
        return "differentiable=True optimizers are not recorded"
    for method, base in [(m, L.LightningModule) for m in (*PER_MINIBATCH_HOOKS, "backward")] + [
        (m, model_base) for m in OWN_STEP_METHODS
    ]:
        if getattr(type(system), method) is not getattr(base, method):
            return f"the model overrides {method}, which a replay would not call"
    for hook in PER_MINIBATCH_HOOKS:
        for callback in trainer.callbacks:
            if getattr(type(callback), hook) is not getattr(L.Callback, hook):
                return f"callback {type(callback).__name__} uses {hook}, which a replay would not call"
    if torch.is_anomaly_enabled():
        return "anomaly detection is on"
    return None


class StepGraph:
    """Runs groups of ``K`` full minibatches as replays of one recording of the ``K`` steps.

    Args:
        system: The :class:`~blobclf.system.BlobClassifier`, attached to its Trainer, with
            ``steps_per_execution = K > 1`` and its training metrics ``train_loss``
            (:class:`~blobclf.metrics.BatchMeanLoss`) and ``train_acc``.
        optimizer: The run's optimizer, unwrapped (the torch optimizer itself).
        backend: Records and replays; :class:`CudaGraphCapture` on a GPU.
    """

    def __init__(self, system: Any, optimizer: torch.optim.Optimizer, backend: CaptureBackend) -> None:
        self.system = system
        self.optimizer = optimizer
        self.backend = backend
        self.steps = int(system.steps_per_execution)
        self.replay: Callable[[], None] | None = None
        self.key: tuple | None = None
        self.warmed_up = False
        self.replays = 0
        self.shape: tuple | None = None

    def _fingerprint(self) -> tuple:
        """What a recording depends on besides its input tensors: hyperparameters and tensor identities."""
        hyper = tuple(
            tuple(sorted((k, repr(v) if not isinstance(v, Tensor) else v.data_ptr())
                         for k, v in g.items() if k != "params"))
            for g in self.optimizer.param_groups
        )
        tensors = []
        for group in self.optimizer.param_groups:
            for p in group["params"]:
                tensors.append(p.data_ptr())
                for value in self.optimizer.state.get(p, {}).values():
                    if isinstance(value, Tensor):
                        tensors.append(value.data_ptr())
        return hyper, tuple(tensors)

    @staticmethod
    def _shape_of(minibatches: Sequence[Batch]) -> tuple:
        """Batch size, feature shape, dtypes and device of a group's first minibatch."""
        features, labels = minibatches[0]
        return labels.shape[0], tuple(features.shape[1:]), features.dtype, labels.dtype, str(labels.device)

    def _allocate(self, minibatches: Sequence[Batch]) -> None:
        features, labels = minibatches[0]
        size, device = labels.shape[0], labels.device
        self.shape = self._shape_of(minibatches)
        total = size * self.steps
        self.features = torch.empty((total, *features.shape[1:]), dtype=features.dtype, device=device)
        self.labels = torch.empty(total, dtype=labels.dtype, device=device)
        self.predictions = torch.empty(total, dtype=torch.long, device=device)
        loss_metric = self.system.metrics["train_loss"]
        self.mean = torch.zeros_like(loss_metric.mean)
        self.count = torch.zeros_like(loss_metric.count)
        self.weight = torch.full((), float(size), dtype=self.count.dtype, device=device)

    def _step(self) -> None:
        """The ``K`` minibatch steps on the fixed tensors: what :func:`~blobclf.execution.run_steps` computes."""
        system, optimizer = self.system, self.optimizer
        size = self.labels.shape[0] // self.steps
        for i in range(self.steps):
            features, labels = self.features[i * size : (i + 1) * size], self.labels[i * size : (i + 1) * size]
            optimizer.zero_grad(set_to_none=True)
            logits = system(features)
            loss = system.loss_fn(logits, labels)
            weight = self.weight if system.loss_fn.weight is None else system.loss_weight(loss, labels)
            BatchMeanLoss.accumulate(self.mean, self.count, loss.detach(), weight)
            self.predictions[i * size : (i + 1) * size].copy_(logits.detach().max(dim=1).indices)
            loss.backward()
            optimizer.step()

    def fits(self, minibatches: Sequence[Batch]) -> bool:
        """Whether this group can be replayed: ``K`` minibatches of the recorded (or first) shape."""
        if len(minibatches) != self.steps:
            return False
        size = minibatches[0][1].shape[0]
        if any(y.shape[0] != size for _, y in minibatches):
            return False
        return self.shape is None or self.shape == self._shape_of(minibatches)

    def run(self, minibatches: Sequence[Batch]) -> None:
        """Run the group's ``K`` steps: warm-up, recording or replay; then the metrics and step count."""
        if self.shape is None:
            self._allocate(minibatches)
        torch.cat([x for x, _ in minibatches], out=self.features)
        torch.cat([y for _, y in minibatches], out=self.labels)
        loss_metric = self.system.metrics["train_loss"]
        self.mean.copy_(loss_metric.mean)
        self.count.copy_(loss_metric.count)
        if not self.warmed_up:
            self.backend.warm_up(self._step)
            self.warmed_up = True
        else:
            key = self._fingerprint()
            if self.replay is None or key != self.key:
                self.replay = None  # frees the previous recording first
                try:
                    self.replay, self.key = self.backend.record(self._step, self.optimizer), key
                except RuntimeError as error:
                    # a capture that CUDA invalidated can leave torch's allocators mid-capture, so
                    # the run cannot safely go on eagerly in this process: stop with the way out
                    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                    raise RecordingFailed(
                        f"CUDA graphs: recording the training steps failed ({first}); run again with "
                        "--model.cuda_graphs false (a resume of the run's last.ckpt, if one was written, may add it)"
                    ) from None
            self.replay()
            self.replays += 1
        loss_metric.update(state=(self.mean, self.count))
        self.system.metrics["train_acc"].update(self.predictions, self.labels)
        count_optimizer_steps(self.system.trainer, self.steps)


def count_optimizer_steps(trainer: Any, steps: int) -> None:
    """Advance Lightning's count of optimizer steps (``global_step``) by ``steps``.

    Lightning counts a manual-optimization step when its optimizer wrapper's ``step`` runs; a
    replay steps the torch optimizer inside the recording, so the count is advanced here, through
    the loop's progress tracker (public attributes of Lightning's fit loop, not a documented API:
    ``tests/test_step_graphs.py`` checks ``global_step`` against eager steps).
    """
    progress = trainer.fit_loop.epoch_loop.manual_optimization.optim_step_progress
    for _ in range(steps):
        progress.increment_ready()
        progress.increment_completed()
