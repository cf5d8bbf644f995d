"""The exception type for mistakes a user can make and fix, and the switch that shows their details."""

import os
import unicodedata

DEBUG_ENV = "BLOBCLF_DEBUG"


def debugging() -> bool:
    """Whether ``BLOBCLF_DEBUG`` (set to anything but empty, 0, false, no or off) asks for tracebacks."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no", "off")


_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_JOINERS = frozenset("\u200c\u200d")
"""Invisible format characters that some scripts (Persian, Indic) and emoji sequences need: kept."""
_ESCAPED_CATEGORIES = frozenset(("Cc", "Cf", "Zl", "Zp"))
"""Controls; invisible format characters (a zero-width space, a BOM, a soft hyphen, Unicode tags: a name
that shows as another); line and paragraph separators."""


def printable(text: str, keep: str = "") -> str:
    """``text`` with control characters (``\\x1b``, ``\\r``, ...), bidirectional overrides and invisible
    characters written as escapes.

    Names in messages come from files a user may have been handed (a class in a table, a checkpoint's
    file name): written raw, ``\\x1b]0;...\\x07`` would retitle the terminal, ``\\x1b[2J`` clear it,
    ``\\r`` or ``\\u202e`` make a line read as something else, and ``g\\u200b`` (a zero-width space)
    would read as ``g``. Zero-width joiners, which scripts and emoji need, are kept. ``keep`` names
    characters left as they are (a log record's line breaks).
    """
    if text.isprintable():
        return text
    return "".join(repr(c)[1:-1] if c not in keep and c not in _JOINERS
                   and (unicodedata.category(c) in _ESCAPED_CATEGORIES or c in _BIDI_CONTROLS) else c
                   for c in text)


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
