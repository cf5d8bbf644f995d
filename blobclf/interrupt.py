"""Stopping ``fit`` on SIGINT (Ctrl-C) or SIGTERM (schedulers, ``docker stop``) without losing the run."""

from __future__ import annotations

import os
import shlex
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import lightning as L
from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch.callbacks import Callback
from typing_extensions import override

from blobclf.runcheckpoint import run_checkpoint
from blobclf.errors import SIGPIPE, Stopped, UserError
from blobclf.optionnames import typed_program
from blobclf.unstarted import remove_unstarted_run

SIGNALS = (signal.SIGINT, signal.SIGTERM)


def stop_at_once(signum: int, frame: FrameType | None) -> None:
    """The handler outside training's epochs: stop now (everything blobclf writes is atomic)."""
    raise Stopped(signum)


@contextmanager
def signals_stop_the_command() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise :class:`Stopped` (set from the main thread only).

    SIGTERM's default would end the process without a word and SIGINT's ``KeyboardInterrupt``
    reaches Lightning, which prints its own notice and exits 1; :class:`Stopped` lets the command
    line say what was stopped and exit ``128 + signal``. :class:`GracefulStop` takes over while a
    run trains. The previous handlers are restored on leaving.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # a signal the caller ignores (SIGINT of a shell's background job) stays ignored
    previous = {signum: signal.signal(signum, stop_at_once) for signum in SIGNALS
                if signal.getsignal(signum) is not signal.SIG_IGN}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def ignore_signals_from_now() -> None:
    """Ignore SIGINT / SIGTERM from here on: the program is ending, with the command's status.

    For the program's own end only (``python -m blobclf``), never in a caller's process: the
    command is done (its outputs closed, its lines printed) and the interpreter shuts down, which
    takes a moment. A signal then (a second Ctrl-C, a scheduler's repeated SIGTERM right after a
    stopped fit printed its resume command) would raise inside a library's finalizer and print a
    traceback, print a second "stopped" line, or end the process by the signal instead of the
    command's exit status.
    """
    if threading.current_thread() is threading.main_thread():
        for signum in SIGNALS:
            signal.signal(signum, signal.SIG_IGN)


class GracefulStop(Callback):
    """On SIGINT or SIGTERM during ``fit``, finish the running epoch, save ``last.ckpt`` and stop.

    The first signal lets the epoch end (its checkpoint is then exactly what an uninterrupted run
    has at that point, so a resume continues bit for bit); a second one stops at once, losing
    what was trained since the last checkpoint. Nothing is exported for a stopped run: it is not
    finished. A signal after training, while the run is exported, stops the exports at once (each
    file is written atomically: whole or absent); the resume command completes them. ``blobclf``
    then prints the checkpoint and the resume command and exits with ``128 + signal`` (130 for
    SIGINT, 143 for SIGTERM). Under DDP, a signal to any process stops every process after the
    same epoch.
    """

    def __init__(self) -> None:
        self.signal: int | None = None
        """The signal that stopped training (``None`` while none did)."""
        self.stopped_after_epoch: int | None = None
        """The last epoch that ended before the stop (``None``: stopped at once, mid-epoch)."""
        self.run_folder: str | None = None
        """The checkpoint folder of the run being trained."""
        self.exporting = False
        """Whether training had ended when the signal came (the run was being exported)."""
        self.started = False
        """Whether the running ``fit`` reached its training loop."""
        self.at_once = False
        """Whether a second signal stopped training at once."""
        self._checkpoint: Any = None
        """The run's checkpoint callback (it knows the epoch of the ``last.ckpt`` it wrote)."""
        self.unstarted: tuple[str | None, str | None, tuple[str, ...]] | None = None
        """The checkpoint and logger folders of a new run a signal or a user error stopped before it trained."""
        self.new_run: tuple[str | None, str | None, tuple[str, ...]] | None = None
        """Set by the command line for a new run (never a resume): the folders this ``fit`` made,
        as :func:`~blobclf.unstarted.remove_unstarted_run` takes them (``None`` for one that was there)."""
        self._previous: dict[int, Any] = {}
        self._processes = 1

    @override
    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.started = False
        self.unstarted = None

    @override
    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.started = True
        self.signal = None
        self.stopped_after_epoch = None
        self.exporting = False
        self.at_once = False
        self._processes = trainer.world_size
        checkpoint = self._checkpoint = run_checkpoint(trainer)
        self.run_folder = getattr(checkpoint, "dirpath", None)
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread
        for signum in SIGNALS:
            self._previous[signum] = signal.getsignal(signum)
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.signal is None:
            self.signal = signum
            sys.stderr.write(f"\nblobclf: {name} received: finishing this epoch, then saving last.ckpt "
                             f"(send {name} again to stop at once)\n")
            return
        self._restore()
        self.at_once = True
        if self._processes > 1:
            raise KeyboardInterrupt  # Lightning's shutdown, which also ends a DDP run's other processes
        raise Stopped(signum)  # Lightning's shutdown without its notice: no checkpoint of a half-done epoch

    def reader_left(self) -> None:
        """Standard output was closed while training (``fit | head``): stop as a first signal does,
        SIGPIPE's (the run keeps its ``last.ckpt`` and can be resumed, instead of a traceback that lost it)."""
        if self.signal is None:
            self.signal = SIGPIPE
            sys.stderr.write("\nblobclf: standard output was closed (the reader of the pipe left): finishing this "
                             "epoch, then saving last.ckpt\n")

    @override
    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.strategy.reduce_boolean_decision(self.signal is not None, all=False):
            self.signal = self.signal or signal.SIGTERM  # another process was told
            self.stopped_after_epoch = trainer.current_epoch
            trainer.should_stop = True  # last.ckpt is written when training ends

    @override
    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # the run is exported next; a signal then reaches the command line's handler, which
        # stops at once (see signals_stop_the_command) and names the resume that completes it
        self.exporting = self.signal is None
        self._restore()

    def stopped_exporting(self, signum: int) -> None:
        """Record that ``signum`` stopped the exports after training (see :meth:`report`)."""
        self.signal = signum

    @override
    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        self._restore()
        # not trainer.ckpt_path: a resume's is unset until Lightning restores it, after the data's setup
        # a signal or a refusal (a user error found in the data's setup, Lightning's refusal of a batch limit) before
        # training: nothing to keep
        refused = isinstance(exception, (Stopped, UserError, MisconfigurationException))
        # the machine refusing a write (a path over the system's limit, a full disk) in the first epoch, its first
        # checkpoint's included: a new run that saved none has nothing to resume, test or predict with (later,
        # or once exporting, a run kept without checkpoints keeps its curves)
        unsaved = (isinstance(exception, OSError) and trainer.current_epoch == 0 and not self.exporting
                   and self.new_run is not None and _empty_folder(self.new_run[0]))
        if (refused and not self.started or unsaved) and self.new_run is not None and trainer.is_global_zero:
            self.unstarted = self.new_run

    def remove_unstarted(self) -> None:
        """Remove the folders of a new run stopped before it trained (see :mod:`blobclf.unstarted`)."""
        if self.unstarted is not None:
            remove_unstarted_run(*self.unstarted)
            self.unstarted = None

    def _restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    def stopped(self) -> bool:
        """Whether a signal stopped the last ``fit``."""
        return self.signal is not None

    def report(self) -> str:
        """What was saved and the command that resumes the run, for the user."""
        name = signal.Signals(self.signal).name if self.signal else "a signal"
        when = (f"after epoch {self.stopped_after_epoch}" if self.stopped_after_epoch is not None
                else "after training, during the exports" if self.exporting
                else "at once, in the middle of an epoch")
        last = Path(self.run_folder) / "last.ckpt" if self.run_folder else None
        if last is None or not last.is_file():
            return f"blobclf: stopped by {name} {when}, before any checkpoint was written; nothing to resume"
        shown = os.path.relpath(last) if not os.path.relpath(last).startswith(os.pardir) else os.fspath(last)
        # the checkpoint carries every setting of the run: resuming needs no config; the command is
        # quoted as a shell reads it (a project or --checkpoint.root with spaces in its path)
        completes = " (it completes the exports)" if self.exporting else ""
        saved = getattr(self._checkpoint, "last_saved_epoch", None)
        if self.at_once and self.stopped_after_epoch is not None and saved != self.stopped_after_epoch:
            # the second signal came after the epoch ended but before its last.ckpt was written: that epoch is not saved
            when = f"at once, before epoch {self.stopped_after_epoch} was saved"
            shown_epoch = f" (after epoch {saved})" if saved is not None else ""
            return (f"blobclf: stopped by {name} {when}; last checkpoint: {shown}{shown_epoch}\n"
                    f"resume with: {typed_program()} fit --ckpt_path {shlex.quote(shown)}")
        return (f"blobclf: stopped by {name} {when}; last checkpoint: {shown}\n"
                f"resume with: {typed_program()} fit --ckpt_path {shlex.quote(shown)}{completes}")


def _empty_folder(path: str | None) -> bool:
    """Whether ``path`` is a folder (not a link to one) holding nothing (but the ``config.yaml`` a run without a
    logger writes there)."""
    try:
        return path is not None and not os.path.islink(path) and not set(os.listdir(path)) - {"config.yaml"}
    except OSError:
        return False


LOST_PEER = ("Connection closed by peer", "Connection reset by peer")
"""gloo's words for a collective whose other process is gone."""


def lost_process_zero(error: BaseException, parent: int, rank: int, run_folder: str | None = None) -> str | None:
    """The line for a process of a DDP run (``rank`` 1 and up, started by process 0 as Lightning's launcher does, or
    by torchrun's agent, which sets ``TORCHELASTIC_RUN_ID``; ``parent`` its process id then) whose collective failed
    because the process that started it is gone: killed (SIGKILL, the
    out-of-memory killer) or ended by an error it printed itself. gloo's traceback ("Connection closed by peer ...
    typically caused by a remote worker crashing") said nothing of that. ``None`` for anything else, or while
    process 0 is alive: that keeps its traceback. ``run_folder`` is the run's checkpoint folder (see
    :attr:`GracefulStop.run_folder`): the line gives the command that resumes the run from its ``last.ckpt``."""
    if rank == 0 or not isinstance(error, RuntimeError) or not any(words in str(error) for words in LOST_PEER):
        return None
    for _ in range(40):  # a killed process closes its connections a moment before its children are handed on
        if os.getppid() != parent:
            break
        time.sleep(0.05)
    else:
        return None
    torchrun = bool(os.environ.get("TORCHELASTIC_RUN_ID"))  # torchrun's agent started it, not process 0
    starter = "torchrun, which started it," if torchrun else "process 0, which started it,"
    ended = (f"process {rank} of the distributed run stopped: {starter} has ended (killed, or stopped by the error it "
             "printed); what the run saved is kept")
    last = Path(run_folder) / "last.ckpt" if run_folder else None
    if last is None or not last.is_file():
        return f"{ended}, and no last.ckpt was written yet: nothing to resume"
    shown = os.path.relpath(last) if not os.path.relpath(last).startswith(os.pardir) else os.fspath(last)
    if torchrun:
        return (f"{ended}; resume with the torchrun command that started the run, its blobclf arguments replaced by: "
                f"fit --ckpt_path {shlex.quote(shown)}")
    return f"{ended}; resume with: {typed_program()} fit --ckpt_path {shlex.quote(shown)}"
