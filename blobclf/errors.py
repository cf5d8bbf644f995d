"""The exception type for mistakes a user can make and fix, and the switch that shows their details."""

import codecs
import io
import os
import re
import sys
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


LONGEST_WORD = 1000
"""Most characters of one word (a run without spaces) an error line shows whole; a longer one, such as a
class name of 200 MB from a table's one long line, is cut to its ends and its length."""


LONGEST_LINE = 10_000
"""Most characters of an error line shown whole; a longer one is cut to its ends and its length."""


def error_line(line: str) -> str:
    """An error ``line`` as printed: :func:`printable`, each word longer than :data:`LONGEST_WORD` cut short, a line
    longer than :data:`LONGEST_LINE` too."""
    if len(line) > LONGEST_WORD:
        line = re.sub(r"\S{%d,}" % (LONGEST_WORD + 1),
                      lambda word: f"{word[0][:200]}…[{len(word[0]):,} characters]…{word[0][-40:]}", line)
    if len(line) > LONGEST_LINE:  # many words: a list of millions of names a file gave
        line = f"{line[:LONGEST_LINE // 2]}…[{len(line):,} characters]…{line[-200:]}"
    return printable(line)


def encodable_output() -> None:
    """Let standard output write any text, as standard error does: a character its encoding lacks
    becomes an escape (``\\xe9``) rather than a ``UnicodeEncodeError`` traceback.

    Class and column names come from the user's tables: printed under an encoding that is not UTF-8
    (``PYTHONIOENCODING=ascii``, ``PYTHONUTF8=0`` in the C locale, a Latin-1 terminal and ``Ω``),
    ``--print_config`` ended in a traceback with nothing printed. For the program's start-up only.

    A standard output or error closed when the program started (``>&-``, some service managers) is
    ``None`` in Python, which blobclf's progress lines and Lightning's result table wrote to in an
    ``AttributeError`` traceback; what would go there goes nowhere instead.
    """
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # the program's own, open to its end
    stream = sys.stdout
    if isinstance(stream, io.TextIOWrapper) and codecs.lookup(stream.encoding).name != "utf-8":
        stream.reconfigure(errors="backslashreplace")


SIGPIPE = 13
"""The signal number of a write to a pipe whose reader left (``signal.SIGPIPE``; not on Windows): Python
raises ``BrokenPipeError`` instead, and blobclf exits ``128 + SIGPIPE`` as other programs end by it."""


def silence_stdout() -> None:
    """Send what is still written to standard output nowhere: its reader left (``| head``, a closed ``less``).

    Else every later line, and the interpreter's final flush, would raise ``BrokenPipeError`` again.
    Standard error goes nowhere too where it is the same pipe (``fit 2>&1 | head``): its reader left as well, and
    the next line on it (the stop's own) would end the command in a ``BrokenPipeError`` before ``last.ckpt``.
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (a caller's capture): it is the caller's
        return
    try:
        err = sys.stderr.fileno()
        same = err != fd and os.path.samestat(os.fstat(fd), os.fstat(err))
    except (AttributeError, OSError, ValueError):
        same = False
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        if same:
            os.dup2(devnull, err)
    finally:
        os.close(devnull)


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
