"""The metrics a callback may monitor during ``fit``, checked before anything runs.

Lightning finds out only at the end of the first epoch that ``EarlyStopping(monitor="val_loss")``
watches a metric nobody logs, and then stops with a traceback (``ModelCheckpoint``: a long
message) and leaves a started run behind. The metrics a fit logs are known in advance.
"""

from __future__ import annotations

from typing import Any

from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

from blobclf.classrefs import loaded_class
from blobclf.errors import UserError
from blobclf.recorded import callback_list

FIT_METRICS = ("val/loss", "val/acc", "train/loss", "train/acc")
"""What ``BlobClassifier`` logs during ``fit`` (``self.log`` of each stage's loss and accuracy)."""
MONITORING = (EarlyStopping, ModelCheckpoint)
BETTER = {"acc": "max", "loss": "min"}
"""Which way each metric improves: a ``mode`` the other way keeps or stops on the worst epochs."""


def _refuse(option: str, monitor: Any, of: str = "") -> None:
    raise UserError(f"{option}={monitor!r}{of} is not a metric blobclf logs while fitting; "
                    f"use one of {', '.join(FIT_METRICS)}")


def not_a_mode(option: str, monitor: str | None, mode: Any, where: str = "") -> str:
    """The line for a ``mode`` that is neither ``min`` nor ``max`` (a typo, not the other direction), with the mode
    that ``monitor`` needs where it is one of :data:`FIT_METRICS`.

    Args:
        option: The option as the line names it (``--checkpoint.mode``).
        monitor: The metric the mode is for, where known.
        mode: The value given.
        where: The config file that gave ``mode`` (``--config run.yaml``); empty for the command line.
    """
    said = f"{option.removeprefix('--')}={mode!r} in {where}" if where else f"{option}={mode!r}"
    if monitor not in FIT_METRICS:
        fix = "set it to min or max there" if where else f"use {option} min or max"
        return f"{said} is not a mode (min or max); {fix}"
    better = BETTER[monitor.rsplit("/", 1)[-1]]
    fix = f"set it to {better} there" if where else f"use {option} {better}"
    grows = "grows" if better == "max" else "falls"
    return f"{said} is not a mode (min or max); {fix} ({monitor} improves as it {grows})"


def _check_mode(option: str, monitor: str, mode: Any) -> None:
    better = BETTER[monitor.rsplit("/", 1)[-1]]
    grows = "grows" if better == "max" else "falls"
    if mode is not None and mode not in BETTER.values():
        raise UserError(not_a_mode(option, monitor, mode))
    if mode is not None and mode != better:
        raise UserError(f"{option}={mode!r} with monitor {monitor!r} counts the worst epochs as the best ({monitor} "
                        f"improves as it {grows}); use {option} {better}")


def check_monitors(config: Any) -> None:
    """Refuse a ``--checkpoint.monitor`` or a monitoring callback's ``monitor`` that no metric matches,
    or whose ``mode`` points the wrong way (``EarlyStopping``'s default ``min`` for ``val/acc``).

    Args:
        config: The ``fit`` subcommand's parsed config (``checkpoint`` and ``trainer.callbacks``).
    """
    checkpoint = config.get("checkpoint")
    monitor = checkpoint.get("monitor") if checkpoint is not None else None
    if monitor is not None and monitor not in FIT_METRICS:
        _refuse("--checkpoint.monitor", monitor)
    if monitor is not None:
        _check_mode("--checkpoint.mode", monitor, checkpoint.get("mode"))
    for callback in callback_list(config.trainer.get("callbacks")):
        class_path = callback.get("class_path") if hasattr(callback, "get") else None
        cls = loaded_class(class_path) if class_path else None
        init = callback.get("init_args") if cls is not None else None
        monitor = init.get("monitor") if hasattr(init, "get") else None
        if not issubclass(cls or object, MONITORING) or monitor is None:
            continue
        if monitor not in FIT_METRICS:
            _refuse("--trainer.callbacks.monitor", monitor, f" ({cls.__name__})")
        _check_mode("--trainer.callbacks.mode", monitor, init.get("mode"))
