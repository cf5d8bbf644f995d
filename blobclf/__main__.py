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
    from blobclf.deathsignal import end_with_process_zero

    end_with_process_zero(os.getppid())  # first: process 0 may be killed while this one imports
    signal.signal(signal.SIGTERM, _stop_starting)  # until the command line sets its own handlers
    from blobclf.errors import encodable_output

    encodable_output()
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
    try:
        if hold is not None:
            hold(signal.SIG_UNBLOCK, held)  # a signal held meanwhile is handled here
        _started = True
        cli_main(only=first)
    except KeyboardInterrupt:  # outside the command line's own handlers
        _stop_starting(signal.SIGINT, None)
    finally:
        # The program ends next: every output is closed (files are written atomically, the
        # logger finalized), so spare the interpreter's final collections over the same objects.
        gc.freeze()
        from blobclf.interrupt import ignore_signals_from_now  # loaded with the command line

        ignore_signals_from_now()  # the program is ending with the command's status


if __name__ == "__main__":
    main()
