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


class Stopped(BaseException):
    """A signal (SIGINT, SIGTERM) stopped a command at once; it exits with ``128 + signal``.

    A ``BaseException`` but no ``KeyboardInterrupt``: Lightning then runs its usual shutdown
    (callbacks' ``on_exception``, teardown) and passes it on, without its own exit.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
