"""Remove the folders of a new run that a signal stopped before its first epoch.

Such a run trained nothing and has no checkpoint, but its start already claimed
``checkpoints/version_N`` (empty) and wrote the logger's start files (``hparams.yaml``,
``config.yaml``, a TensorBoard events file of its settings). Left there, they would take the next
version number and show in TensorBoard as a run that never was.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path

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
