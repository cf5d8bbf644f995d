"""``python -m blobclf`` and the ``blobclf`` command."""

from __future__ import annotations

import gc
import os
import signal
import sys
from types import FrameType


_started = False


def _stop_starting(signum: int, frame: FrameType | None) -> None:
    """A signal outside the command line's own handlers: while the libraries load, or at the very end."""
    name = signal.Signals(signum).name
    sys.stderr.write(f"blobclf: stopped by {name}\n" if _started
                     else f"blobclf: stopped by {name} while starting; nothing was done\n")
    sys.exit(128 + signum)


def main() -> None:
    """Run the command line, with the garbage collector kept off the imported libraries.

    Importing torch, Lightning, torchmetrics and scikit-learn creates hundreds of thousands of
    long-lived objects that the collector would walk again and again, with nothing to free: the
    collector is paused while they are imported and they are then frozen (kept out of later
    collections). Collection runs as usual for everything the command itself creates. Only the
    parser of the subcommand given is built (see :func:`blobclf.cli.cli_for`). This is the
    program's start-up only; importing :mod:`blobclf.cli` as a library changes nothing.
    """
    signal.signal(signal.SIGTERM, _stop_starting)  # until the command line sets its own handlers
    # a signal must not land inside the imports: numpy and scipy, interrupted half-imported, fail
    # later with unrelated tracebacks; it is held and acted on once they are done
    held = {signal.SIGINT, signal.SIGTERM}
    hold = getattr(signal, "pthread_sigmask", None)  # not on Windows
    if hold is not None:
        hold(signal.SIG_BLOCK, held)
    gc.disable()
    try:
        from blobclf.cli import cli_main
    finally:
        gc.freeze()
        gc.enable()
    first = sys.argv[1] if len(sys.argv) > 1 else None
    global _started
    status = 1  # an unexpected exception
    try:
        try:
            if hold is not None:
                hold(signal.SIG_UNBLOCK, held)  # a signal held meanwhile is handled here
            _started = True
            cli_main(only=first)
            status = 0
        except KeyboardInterrupt:  # outside the command line's own handlers
            _stop_starting(signal.SIGINT, None)
    except SystemExit as exiting:
        status = exiting.code if isinstance(exiting.code, int) else 0 if exiting.code is None else 1
        raise
    finally:
        # The program ends next: every output is closed (files are written atomically, the
        # logger finalized), so spare the interpreter's final collections over the same objects.
        gc.freeze()
        _end_at_once_on_signals(status)


def _end_at_once_on_signals(status: int) -> None:
    """Let SIGINT / SIGTERM end the program at once, with ``status``, from here on.

    The command is done (its outputs closed, its lines printed) and the interpreter shuts down:
    a signal now (a second Ctrl-C, a scheduler's repeated SIGTERM right after a stopped fit
    printed its resume command) would raise inside a library's finalizer and print a traceback,
    or end the process by the signal instead of ``status``. A signal the caller ignores stays
    ignored.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # closed, or replaced by a caller
            pass

    def end(signum: int, frame: FrameType | None) -> None:
        os._exit(status)

    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, end)


if __name__ == "__main__":
    main()
