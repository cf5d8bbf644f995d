"""Remove the folders of a new run that stopped before its first epoch.

Such a run trained nothing and has no checkpoint, but its start already claimed
``checkpoints/version_N`` (empty) and wrote the logger's start files (``hparams.yaml``,
``config.yaml``, a TensorBoard events file of its settings). Left there, they would take the next
version number and show in TensorBoard as a run that never was. A signal's stop removes them at
once (:func:`remove_unstarted_run`); after a kill (SIGKILL, a crash, a power cut) the next new run
in the project removes them (:func:`abandoned_start`, :func:`blobclf.runs.claim_run`).
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

from blobclf.atomic import TEMP_SUFFIX

START_FILES = ("hparams.yaml", "config.yaml")
"""Files a run's logger folder holds from its start, before any epoch."""
EVENTS_PREFIX = "events.out.tfevents."


def _only_start_files(folder: Path) -> bool:
    """Whether ``folder`` holds nothing but regular files a run writes at its start."""
    return all(entry.is_file() and not entry.is_symlink()
               and (entry.name in START_FILES or entry.name.startswith(EVENTS_PREFIX))
               for entry in folder.iterdir())


def remove_unstarted_run(checkpoint_dir: str | os.PathLike[str] | None,
                         log_dir: str | os.PathLike[str] | None,
                         new_roots: Collection[str | os.PathLike[str]] = ()) -> None:
    """Remove a stopped new run's folders, if they hold only what its start wrote; keep anything else.

    Args:
        checkpoint_dir: The run's checkpoint folder (``checkpoints/version_N``): removed if empty.
        log_dir: The run's logger folder (``lightning_logs/version_N``): its start files and the
            folder are removed if it holds nothing else.
        new_roots: The folders above those two that the run created (``checkpoints`` in a new
            project): removed too if empty; a folder that was there before the run stays.
    """
    if log_dir is not None and Path(log_dir).is_dir() and _only_start_files(Path(log_dir)):
        for entry in Path(log_dir).iterdir():
            entry.unlink(missing_ok=True)
    for folder in (checkpoint_dir, log_dir):
        if folder is None:
            continue
        above = Path(folder).parent
        made = any(os.path.realpath(above) == os.path.realpath(root) for root in new_roots)
        for empty in (Path(folder), *([above] if made else [])):  # the run's folder, then the root it made
            try:
                empty.rmdir()
            except OSError:
                break  # not empty (kept), or already gone


def abandoned_start(checkpoint_dir: str | os.PathLike[str], log_dirs: Collection[str | os.PathLike[str]]) -> bool:
    """Whether a run's folders hold nothing but what a start writes, so that a run whose process is
    gone (see :func:`blobclf.runs.in_training`) trained nothing that could be kept.

    ``checkpoint_dir`` must be an empty folder, and each of ``log_dirs`` absent or a folder of
    :data:`START_FILES`, temporaries of them (a kill while they were written) and TensorBoard
    event files that hold no value (only their header): a run's logger writes scalars, images or
    hyperparameters with values only once it has trained, so any of those, a ``resume-K.yaml``,
    an evaluation's log folder or a file of the user's keeps the run.
    """
    folder = Path(checkpoint_dir)
    if folder.is_symlink() or not folder.is_dir() or any(folder.iterdir()):
        return False
    for log_dir in map(Path, log_dirs):
        if not os.path.lexists(log_dir):
            continue
        if log_dir.is_symlink() or not log_dir.is_dir():
            return False
        for entry in log_dir.iterdir():
            if entry.is_symlink() or not entry.is_file():
                return False
            temporary = entry.name.endswith(TEMP_SUFFIX) and entry.name.startswith(tuple(f".{n}." for n in START_FILES))
            if entry.name.startswith(EVENTS_PREFIX):
                if not _empty_events(entry):
                    return False
            elif entry.name not in START_FILES and not temporary:
                return False
    return True


def _empty_events(path: Path) -> bool:
    """Whether a TensorBoard event file holds only records without values (its header, a session start)."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader  # only when needed

    try:
        return all(event.WhichOneof("what") in ("file_version", "session_log")
                   for event in EventFileLoader(str(path)).Load())
    except Exception:  # unreadable: not known to be empty, so kept
        return False


def remove_start_files(log_dirs: Collection[str | os.PathLike[str]]) -> list[Path]:
    """Remove the start files of an abandoned run (see :func:`abandoned_start`) and its log folders; return those
    removed."""
    removed = []
    for log_dir in map(Path, log_dirs):
        if not log_dir.is_dir():
            continue
        for entry in log_dir.iterdir():
            if entry.name in START_FILES or entry.name.startswith(EVENTS_PREFIX) or entry.name.endswith(TEMP_SUFFIX):
                entry.unlink(missing_ok=True)
        try:
            log_dir.rmdir()
        except OSError:
            continue  # a file came meanwhile: kept
        removed.append(log_dir)
    return removed
