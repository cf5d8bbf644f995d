"""The exception type for mistakes a user can make and fix, and the switch that shows their details."""

import os

DEBUG_ENV = "BLOBCLF_DEBUG"


def debugging() -> bool:
    """Whether ``BLOBCLF_DEBUG`` (set to anything but empty, 0, false, no or off) asks for tracebacks."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


class UserError(Exception):
    """A bad value or file given by the user; the CLI prints its message as one line and exits 2."""


class ArgumentValueError(UserError, ValueError):
    """An argument out of range: a ``ValueError`` for library callers, a one-line error in the CLI."""


class TrainingDiverged(UserError):
    """The loss or the weights stopped being finite: settings (usually the learning rate) to change."""


class RecordingFailed(UserError):
    """Recording the training steps as a CUDA graph failed (see :mod:`blobclf.graphs`).

    torch before 2.12 leaves its allocator counting the failed capture as under way
    (pytorch/pytorch#180395), so the ``torch.cuda.empty_cache()`` of Lightning's teardown, which
    runs while this error passes through ``Trainer.fit``, can fail in turn; the command line still
    reports this error, the cause.
    """


def recording_failure(error: BaseException) -> RecordingFailed | None:
    """The :class:`RecordingFailed` that ``error`` was raised while handling, if any."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, RecordingFailed):
            return error
        seen.add(id(error))
        error = error.__context__
    return None


class Stopped(BaseException):
    """A signal (SIGINT, SIGTERM) stopped a command at once; it exits with ``128 + signal``.

    A ``BaseException`` but no ``KeyboardInterrupt``: Lightning then runs its usual shutdown
    (callbacks' ``on_exception``, teardown) and passes it on, without its own exit.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
