"""Several optimizer steps in one training step of Lightning's loop (``steps_per_execution``).

Lightning's own loop takes one optimizer step per training step and pays its per-step work
(hooks, progress, logging bookkeeping) each time; with minibatches of a few thousand points of
this small model, that work is a large part of a step. Running ``K`` minibatch steps inside one
training step (manual optimization) pays it once per ``K`` minibatches and computes exactly what
``K`` automatic steps would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from torch import Tensor

from blobclf.errors import UserError
from blobclf.graphs import StepGraph

Batch = tuple[Tensor, Tensor]


def run_steps(
    system: Any,
    step: Callable[[Batch], Tensor],
    minibatches: Sequence[Batch],
    batch_idx: int,
    graph: StepGraph | None = None,
) -> None:
    """Run one optimizer step per minibatch, as Lightning's automatic optimization would.

    Each step zeroes the gradients, computes the loss with ``step`` (which also updates the
    epoch metrics), back-propagates with ``manual_backward`` and steps the optimizer through
    Lightning's optimizer wrapper, so ``global_step`` counts minibatches, precision plugins and
    DDP's gradient averaging apply, and the ``on_before_backward`` / ``on_after_backward`` /
    ``on_before_optimizer_step`` hooks run per minibatch. Learning-rate schedulers step where
    Lightning steps them: ``interval="step"`` ones after every ``frequency``-th minibatch of the
    epoch, ``interval="epoch"`` ones after the epoch's last minibatch. No more steps run than
    ``max_steps`` leaves.

    Args:
        system: The LightningModule (``automatic_optimization`` off), attached to a Trainer.
        step: Returns the loss of one minibatch and updates the training metrics.
        minibatches: Consecutive minibatches, the ``batch_idx``-th group of the epoch.
        batch_idx: Index of this group in the epoch; every earlier group held
            ``system.steps_per_execution`` minibatches.
        graph: Replays a recording of the ``K`` steps instead (:mod:`blobclf.graphs`) when the
            group holds ``K`` minibatches of its shape and ``max_steps`` leaves them all; it then
            updates the training metrics itself and ``step`` is not called.
    """
    trainer = system.trainer
    optimizer = system.optimizers()
    if isinstance(optimizer, list):
        raise UserError(f"steps_per_execution={system.steps_per_execution} needs exactly one optimizer, "
                        f"got {len(optimizer)}")
    configs = trainer.lr_scheduler_configs
    if any(config.reduce_on_plateau for config in configs):
        raise UserError(
            f"ReduceLROnPlateau needs steps_per_execution=1 (got {system.steps_per_execution}): it steps on a "
            "monitored metric between Lightning's own steps; use --model.steps_per_execution 1"
        )
    per_step = [config for config in configs if config.interval == "step"]
    todo = list(minibatches)
    if trainer.max_steps is not None and trainer.max_steps >= 0:
        todo = todo[: max(0, trainer.max_steps - trainer.global_step)]
    first = batch_idx * system.steps_per_execution  # index of todo[0] among the epoch's minibatches
    if graph is not None and len(todo) == len(minibatches) and graph.fits(todo):
        graph.run(todo)  # no per-step scheduler: a recording is refused with one
    else:
        for offset, batch in enumerate(todo):
            optimizer.zero_grad()
            loss = step(batch)
            system.manual_backward(loss)
            optimizer.step()
            for config in per_step:
                if (first + offset + 1) % config.frequency == 0:
                    system.lr_scheduler_step(config.scheduler, None)
    if len(todo) == len(minibatches) and batch_idx + 1 == trainer.num_training_batches:
        for config in configs:
            if config.interval == "epoch" and (trainer.current_epoch + 1) % config.frequency == 0:
                system.lr_scheduler_step(config.scheduler, None)


def check_trainer_settings(steps_per_execution: int, trainer: Any, lr_scheduler: Any = None) -> None:
    """Refuse, in one line, settings that cannot work with ``steps_per_execution > 1``.

    Args:
        steps_per_execution: The model's ``steps_per_execution``.
        trainer: The ``trainer`` settings (a mapping with ``get``).
        lr_scheduler: The ``lr_scheduler`` setting (``class_path`` and ``init_args``), if any.
    """
    if steps_per_execution == 1:
        return
    need = f"needs --model.steps_per_execution 1 (got {steps_per_execution})"
    accumulate = trainer.get("accumulate_grad_batches")
    if accumulate not in (None, 1):
        raise UserError(f"--trainer.accumulate_grad_batches={accumulate} {need}: each minibatch takes its own step")
    clip = trainer.get("gradient_clip_val")
    if clip not in (None, 0, 0.0):
        raise UserError(f"--trainer.gradient_clip_val={clip} {need}: Lightning clips only its own optimizer steps")
    for name in ("limit_train_batches", "val_check_interval"):
        value = trainer.get(name)
        if not (value is None or isinstance(value, float) and value == 1.0):  # an int counts batches
            raise UserError(f"--trainer.{name}={value} {need}: Lightning would count groups of minibatches")
    class_path = lr_scheduler.get("class_path") if hasattr(lr_scheduler, "get") else None
    if class_path and class_path.rsplit(".", 1)[-1] == "ReduceLROnPlateau":
        raise UserError(f"--lr_scheduler {class_path} {need}: it steps on a metric between Lightning's own steps")
