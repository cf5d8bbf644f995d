"""A process of a DDP run that Lightning's launcher started ends with its process 0 while they connect.

Standard library only: :mod:`blobclf.__main__` calls :func:`end_with_process_zero` before the slow imports.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1
"""Linux's prctl option: the signal the kernel sends a process when the thread that started it ends."""
_ARMED: list[bool] = []


def _prctl_death_signal(signum: int) -> bool:
    """Ask Linux to send ``signum`` (0: nothing) to this process when its parent ends; whether it took it."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) == 0
    except (OSError, AttributeError):  # not Linux (no prctl): the process waits as before
        return False


def _cmdline(pid: int | str) -> bytes | None:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None


def end_with_process_zero(parent: int) -> bool:
    """In a process of a DDP run that Lightning's launcher started (``LOCAL_RANK`` 1 and up, its parent given the
    same arguments: process 0), end it with SIGKILL if process 0 ends before the processes have connected.

    Killed then (SIGKILL, the out-of-memory killer), process 0 left it waiting to connect for the process group's
    30 minutes, deaf to SIGTERM (gloo's connect holds the interpreter; no Python handler runs). Nothing of a run is
    written by such a process before it connects. :func:`process_zero_connected` takes the signal back once
    connected, so that a lost process 0 is then said in one line (:func:`blobclf.interrupt.lost_process_zero`).
    Whether it was set.
    """
    try:
        rank = int(os.environ.get("LOCAL_RANK", "0"))
    except ValueError:
        return False
    # Lightning starts [python, -m, blobclf.__main__, *process 0's arguments]: its arguments end the parent's
    args = [arg.encode() for arg in sys.argv[1:]]
    started = (_cmdline(parent) or b"").split(b"\0")[:-1]
    if rank < 1 or not args or started[-len(args):] != args or not _prctl_death_signal(signal.SIGKILL):
        return False
    if os.getppid() != parent:  # process 0 ended before the signal was set
        sys.exit(1)
    _ARMED.append(True)
    return True


def process_zero_connected() -> None:
    """Take back :func:`end_with_process_zero`'s signal: the processes are connected (a no-op where it was not
    set, as in a user's own Trainer)."""
    if _ARMED and _prctl_death_signal(0):
        _ARMED.clear()
