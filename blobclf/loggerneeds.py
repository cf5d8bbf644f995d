"""Logger settings that cannot work, refused in one line before anything is made: a callback that logs (Lightning's
``LearningRateMonitor``, ``DeviceStatsMonitor``) in a fit without a logger, and a logger given to an evaluation that
has no log folder to give it.

Lightning refuses the first only once the trainer is set up ("Cannot use `LearningRateMonitor` callback with
`Trainer` that has no logger."), naming no fix; blobclf dropped the second without a word.
"""

from __future__ import annotations

import os
from typing import Any

from lightning.pytorch.callbacks import DeviceStatsMonitor, LearningRateMonitor

from blobclf.classrefs import loaded_class
from blobclf.errors import UserError
from blobclf.recorded import callback_list

NEED_A_LOGGER = (LearningRateMonitor, DeviceStatsMonitor)
"""Lightning's callbacks that log what they measure, and refuse a ``Trainer`` without a logger."""


def check_logging_callbacks(trainer: Any, resume: bool) -> None:
    """Refuse a callback of :data:`NEED_A_LOGGER` in a fit whose ``--trainer.logger`` is ``false`` or an empty list
    (``null`` is Lightning's default logger, blobclf's own).

    Args:
        trainer: The fit's ``trainer`` settings.
        resume: Whether the fit resumes a run (whose logger it keeps: the fix is to drop the callback).

    Raises:
        UserError: Naming the callback and the fix.
    """
    logger = trainer.get("logger")
    if logger is None or (logger is not False and callback_list(logger)):
        return  # None: Lightning's default logger (blobclf's lightning_logs/version_N)
    given = "false" if logger is False else "an empty list"
    for entry in callback_list(trainer.get("callbacks")):
        class_path = str(entry.get("class_path", "")) if hasattr(entry, "get") else ""
        cls = loaded_class(class_path) if class_path else type(entry)
        if isinstance(cls, type) and issubclass(cls, NEED_A_LOGGER):
            name = class_path.rsplit(".", 1)[-1] or cls.__name__
            if resume:
                raise UserError(f"--trainer.callbacks {name} logs to the run's logger, and the run was trained without "
                                "one (--trainer.logger false), which a resume keeps; drop the callback")
            raise UserError(f"--trainer.callbacks {name} logs to the run's logger, and --trainer.logger is {given}; "
                            f"drop --trainer.logger {'false' if logger is False else '[]'} (the run then logs to "
                            "lightning_logs/version_N), or the callback")


def refuse_unused_logger(class_path: str, subcommand: str, checkpoint: str | os.PathLike[str],
                         trained_without_logger: bool) -> None:
    """Refuse a logger of another class than blobclf's own given to an evaluation that logs nothing: of a run trained
    without a logger, or of a checkpoint outside any run folder (neither has a log folder for it).

    Args:
        class_path: The class of the command's ``--trainer.logger``.
        subcommand: ``test`` or ``validate``.
        checkpoint: The checkpoint evaluated.
        trained_without_logger: Whether its run was trained with ``--trainer.logger false``.

    Raises:
        UserError: Naming the logger, why it has no folder, and the fix.
    """
    if class_path.endswith(".RunLogger"):
        return  # the default: nothing was asked for
    why = ("is of a run trained without a logger (--trainer.logger false)" if trained_without_logger
           else "lies outside any run folder (checkpoints/version_N)")
    raise UserError(f"--trainer.logger {class_path.rsplit('.', 1)[-1]} has no log folder to write to: "
                    f"{os.fspath(checkpoint)!r} {why}, and {subcommand} logs beside its run; drop the option (the "
                    f"{'report' if subcommand == 'test' else 'printed table'} holds the results), or give the logger a "
                    "version of its own (--trainer.logger.init_args.version NAME)")
