"""Run folders: claiming a new run's version (or the ``--checkpoint.dirpath`` given), and finding runs, their
checkpoints and the ``config.yaml`` they recorded.

A run ``N`` keeps its checkpoints and exports in ``{checkpoint root}/version_N`` and its logs in
``{log root}/version_N``. A new run claims ``N`` by creating its checkpoint folder with an
exclusive ``mkdir``, so any number of runs started at once in one folder get distinct versions.
"""

from __future__ import annotations

import difflib
import errno
import os
import re
import shlex
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: runs are not locked there
    fcntl = None  # type: ignore[assignment]

import yaml

from blobclf.atomic import abandoned_temporaries, remove_leftovers
from blobclf.configfiles import MAX_CONFIG_BYTES, YAML_LOADER, check_config_text
from blobclf.errors import UserError
from blobclf.optionnames import typed_program
from blobclf.safeload import load_checkpoint, read_capped
from blobclf.unstarted import abandoned_start, remove_start_files

CHECKPOINT_ROOT = "checkpoints"
LOG_ROOT = "lightning_logs"
LAST_NAME = "last.ckpt"
_VERSION = re.compile(r"^version_(\d+)$")


def run_name(version: int | str) -> str:
    """``version_N`` for a number, the string itself otherwise (Lightning's convention)."""
    return version if isinstance(version, str) else f"version_{version}"


def _versions(root: str | os.PathLike[str]) -> list[int]:
    try:
        entries = os.listdir(root)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return [int(m.group(1)) for entry in entries if (m := _VERSION.match(entry))]


def claim_run(checkpoint_root: str | os.PathLike[str], *log_dirs: str | os.PathLike[str],
              removed: list[Path] | None = None, version: int | str | None = None) -> int | str:
    """Create ``{checkpoint_root}/version_N`` for the smallest free ``N``, hold it (:func:`lock_run`) and return ``N``.

    ``N`` is above every version found under ``checkpoint_root`` and each of ``log_dirs`` (so a
    run never shares a name with older logs, even after its checkpoints were deleted). The folder
    is created with an exclusive ``mkdir``: when another process takes ``N`` first, the next
    number is tried.

    With ``version`` (one the user chose: ``--trainer.logger.init_args.version``), that run's folder
    (:func:`run_name`) is created and held the same way, or ``FileExistsError`` raised (naming the
    folder) if it exists or a folder of that name exists in one of ``log_dirs``: two runs given one
    version, or one given the version another run takes at that moment, never share a folder; one
    that a run killed while it started left is removed first (with ``removed``), as for a free version.

    With ``removed`` (a list) and ``log_dirs``, runs abandoned while they started are removed first
    and their folders added to it: a run killed (SIGKILL, a crash) before it trained leaves an empty
    checkpoint folder and only start files in its log folders (see
    :func:`~blobclf.unstarted.abandoned_start`), which would otherwise stay for ever and take a
    version number. A run is removed only while no process holds its folder (:func:`lock_run`),
    never one another process is starting: claims and removals take turns (a lock on
    ``checkpoint_root`` held for the moment of a claim), and a claimed folder is held from the
    moment it is made. Where folders cannot be locked, nothing is removed.

    Raises:
        UserError: If ``checkpoint_root`` (or a folder above it) is a file or cannot be written.
        FileExistsError: If the ``version`` given exists.
    """
    root = Path(checkpoint_root)
    for folder in (root, *map(Path, log_dirs)):
        if folder.exists() and not folder.is_dir():
            raise UserError(f"{os.fspath(folder)!r} is a file, but blobclf keeps its runs in a folder of that name; "
                            "move the file or choose another folder")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create the run folder {os.fspath(root)!r}: {error.strerror or error}") from None
    with _claiming(root) as exclusive:
        if removed is not None and exclusive:
            removed += _remove_abandoned(root, log_dirs)
        chosen = version is not None
        if version is None:
            version = max([-1, *_versions(root), *(v for d in log_dirs for v in _versions(d))]) + 1
        for taken in (Path(d) / run_name(version) for d in log_dirs if chosen):
            if os.path.lexists(taken):
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), os.fspath(taken))
        while True:
            try:
                (root / run_name(version)).mkdir()
                break
            except FileExistsError:
                if chosen:
                    raise
                version += 1
            except OSError as error:
                raise UserError(
                    f"cannot create a run folder in {os.fspath(root)!r}: {error.strerror or error}"
                ) from None
        lock_run(root / run_name(version))
    return version


@contextmanager
def _claiming(root: Path) -> Iterator[bool]:
    """Hold ``root``'s claim lock within the block (waiting for another claim to end); whether it is held."""
    if fcntl is None:
        yield False
        return
    try:
        fd = os.open(root, os.O_RDONLY)
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # a file system without locks: claims as before, nothing removed
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


def _remove_abandoned(root: Path, log_dirs: tuple[str | os.PathLike[str], ...]) -> list[Path]:
    """Remove the runs under ``root`` abandoned while they started (see :func:`claim_run`); the folders removed."""
    removed: list[Path] = []
    if not log_dirs:
        return removed  # without its log folders, a run's curves could stay behind under the number a new run takes
    for folder in run_folders(root):
        if os.path.realpath(folder) in _LOCKS or folder.is_symlink():
            continue
        logs = [Path(d) / folder.name for d in log_dirs]
        if not abandoned_start(folder, logs):
            continue
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # no live fit holds it; none can start while this is held
            if not abandoned_start(folder, logs):
                continue  # written meanwhile
            gone = remove_start_files(logs)
            folder.rmdir()
            removed += [folder, *gone]
        except OSError:  # held by a live process, or a file system without locks: kept
            continue
        finally:
            os.close(fd)
    return removed


def release_run(checkpoint_root: str | os.PathLike[str], version: int, remove_root: bool = False) -> None:
    """Remove a claimed run folder again if nothing was written into it (and then the root
    folder too, if ``remove_root`` and it is empty: a refused command leaves no folder behind)."""
    for folder in (Path(checkpoint_root) / run_name(version), *([Path(checkpoint_root)] if remove_root else [])):
        key = os.path.realpath(folder)
        try:
            folder.rmdir()
        except OSError:
            return  # not empty (something was written: keep it) or already gone
        if key in _LOCKS:  # a folder made again under this name is another one, held by whoever makes it
            os.close(_LOCKS.pop(key))


_LOCKS: dict[str, int] = {}
"""Run folders this process trains in, each with the open descriptor that holds its lock."""


def lock_run(folder: str | os.PathLike[str]) -> None:
    """Hold an exclusive lock on a run folder until this process ends.

    Two processes must never train into one run folder (two resumes of one run, or two new runs
    given the same ``--checkpoint.dirpath``): they would write the same ``last.ckpt`` and delete
    each other's temporary files. The lock is ``flock`` on the folder itself (no lock file); the
    operating system releases it when the process ends, however it ends. On platforms without
    ``fcntl`` (Windows) nothing is locked.

    Raises:
        UserError: If another process holds the folder.
    """
    key = os.path.realpath(folder)
    if fcntl is None or key in _LOCKS:
        return
    fd = os.open(key, os.O_RDONLY)
    try:
        _flock_retrying(fd, fcntl.LOCK_EX)
    except BlockingIOError:
        os.close(fd)
        raise UserError(
            f"the run folder {os.fspath(folder)!r} is in use by another blobclf fit (two at once would overwrite "
            "each other's checkpoints); wait for it to end, or start a new run"
        ) from None
    except OSError:  # a file system without locks: run unlocked, as before
        os.close(fd)
        return
    _LOCKS[key] = fd


def lock_resumed_run(folder: str | os.PathLike[str], given: str,
                     root: str | os.PathLike[str] = CHECKPOINT_ROOT) -> None:
    """:func:`lock_run` for a resume of the run in ``folder``, which ``--ckpt_path given`` named.

    ``last`` and ``best`` name the newest run, which may be one another ``fit`` is training
    while the user means to resume an earlier (killed) run: the refusal then names the
    checkpoint that resumes the newest run no fit holds (if there is one).

    Raises:
        UserError: If another process holds the folder.
    """
    try:
        lock_run(folder)
    except UserError:
        if given not in ("last", "best"):
            raise
        here = os.path.realpath(folder)
        other = next((run / LAST_NAME for run in reversed(run_folders(root)) if (run / LAST_NAME).is_file()
                      and os.path.realpath(run) != here and not in_training(run)), None)
        if other is None:
            raise  # no other run to resume: wait for that one, or start a new one
        raise UserError(
            f"--ckpt_path {given} names the newest run {os.fspath(folder)!r}, which another blobclf fit is training "
            f"right now; to resume an earlier run, pass its checkpoint: --ckpt_path {shlex.quote(os.fspath(other))}"
        ) from None


def claim_folder(dirpath: str) -> tuple[bool, bool]:
    """Take ``--checkpoint.dirpath`` for a new run: locked, and empty once locked; whether it, and the
    folder above it, were created."""
    folder = Path(dirpath)
    created, above = not folder.exists(), not folder.parent.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create --checkpoint.dirpath={dirpath!r}: {error.strerror or error}") from None
    try:
        lock_run(folder)
        if any(folder.iterdir()):
            raise UserError(
                f"--checkpoint.dirpath={dirpath!r} already holds another run's files; choose an empty or new "
                "folder (or resume that run with --ckpt_path)"
            )
    except UserError:
        if created:
            release_run(folder.parent, folder.name)
        raise
    return created, above


def _flock_retrying(fd: int, operation: int, tries: int = 10) -> None:
    """``flock(fd, operation)`` without blocking, tried again for a moment (0.1 s in all) while a
    lookup (:func:`in_training`) holds the folder's lock for an instant.

    Raises:
        BlockingIOError: If another process still holds the lock after the last try.
    """
    for attempt in range(tries):
        try:
            fcntl.flock(fd, operation | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if attempt == tries - 1:
                raise
            time.sleep(0.01)


def in_training(folder: str | os.PathLike[str]) -> bool:
    """Whether a ``fit`` holds the run folder (see :func:`lock_run`) at this moment.

    The lookup takes a shared lock for an instant and releases it at once; ``False`` where
    folders cannot be locked or ``folder`` cannot be opened.
    """
    if os.path.realpath(folder) in _LOCKS:
        return True  # this process trains in it
    if fcntl is None:
        return False
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        os.close(fd)  # closing releases the shared lock, if taken
    return False


def unlock_runs() -> None:
    """Release every run folder this process locked (at the end of a command run in-process)."""
    while _LOCKS:
        os.close(_LOCKS.popitem()[1])


def remove_run_leftovers(folder: str | os.PathLike[str]) -> None:
    """Remove the temporaries that killed writes left in a run folder (``version_N``), however named.

    A ``predict`` killed while it wrote a large CSV leaves a temporary of its size, which only the
    next write of that same file removed; every command of a checkpoint in the run folder now
    does. Temporaries that a live command holds are kept (see :func:`blobclf.atomic.remove_leftovers`);
    where files cannot be locked, and in folders not named as run folders (a user's own), none is removed.
    """
    if fcntl is not None and _VERSION.match(Path(folder).name):
        remove_leftovers(folder)


def run_folders(root: str | os.PathLike[str] = CHECKPOINT_ROOT) -> list[Path]:
    """Run folders under ``root``, oldest (lowest version) first."""
    root = Path(root)
    return [root / run_name(v) for v in sorted(_versions(root)) if (root / run_name(v)).is_dir()]


def newest_run(root: str | os.PathLike[str] = CHECKPOINT_ROOT) -> Path:
    """The run folder with the highest version number that holds a checkpoint."""
    runs = run_folders(root)
    if not runs:
        named = sorted((folder for folder in Path(root).glob(f"*/{LAST_NAME}")), key=_mtime)
        if named:
            # a run whose logger was given its own version (--trainer.logger.init_args.version NAME)
            raise UserError(
                f"no numbered runs (version_N) under {os.fspath(root)!r}, which 'last' and 'best' look for; the run "
                f"{os.fspath(named[-1].parent)!r} is named by its logger's version: pass its checkpoint, "
                f"--ckpt_path {shlex.quote(os.fspath(named[-1]))}"
            )
        raise UserError(f"no runs found under {os.fspath(root)!r}; train one first with '{typed_program()} fit'")
    finished = [run for run in runs if (run / LAST_NAME).is_file()]
    return finished[-1] if finished else runs[-1]


def named_runs(root: str | os.PathLike[str] = CHECKPOINT_ROOT) -> list[Path]:
    """The run folders under ``root`` not named ``version_N`` that hold a ``last.ckpt`` (a run whose logger
    was given its own version, ``checkpoints/NAME``), the one whose ``last.ckpt`` was written last at the end."""
    try:
        folders = [entry for entry in Path(root).iterdir() if not _VERSION.match(entry.name)]
    except OSError:
        return []
    return sorted((folder for folder in folders if (folder / LAST_NAME).is_file()), key=lambda f: _mtime(f / LAST_NAME))


def _newer_named_run(run: Path, root: str | os.PathLike[str]) -> Path | None:
    """The named run (see :func:`named_runs`) whose ``last.ckpt`` was written after ``run`` last wrote one (or,
    without one, anything), if there is one: ``last`` and ``best``, which take ``run``, would pass it over."""
    named = named_runs(root)
    if not named:
        return None
    written = _mtime(run / LAST_NAME) if (run / LAST_NAME).is_file() else _mtime(run)
    return named[-1] if _mtime(named[-1] / LAST_NAME) > written else None


def newer_without_last(run: str | os.PathLike[str], root: str | os.PathLike[str] = CHECKPOINT_ROOT) -> list[Path]:
    """Run folders under ``root`` newer than ``run`` that hold no ``last.ckpt``, which ``last`` and
    ``best`` pass over: a run stopped or diverged before writing one, or one still training.

    Args:
        run: The run folder ``last`` / ``best`` resolved to.
        root: The folder holding the run folders.
    """
    runs = run_folders(root)
    chosen = Path(run)
    if chosen not in runs:
        return []
    return [folder for folder in runs[runs.index(chosen) + 1:] if not (folder / LAST_NAME).is_file()]


def resolve_checkpoint(value: str, root: str | os.PathLike[str] = CHECKPOINT_ROOT) -> str:
    """Turn ``last`` / ``best`` into the newest run's checkpoint path; return other paths unchanged.

    The newest run may be training at this very moment: ``best`` then names the best checkpoint
    it has written, even one newer than its ``last.ckpt`` records (see :func:`saved_best`).

    Raises:
        UserError: If there is no run, or the newest run has no such checkpoint (yet).
    """
    if value not in ("last", "best"):
        meant = difflib.get_close_matches(value.lower().removesuffix(".ckpt"), ["last", "best"], n=1, cutoff=0.7)
        if meant and not os.path.lexists(value):  # 'lats', 'Last', 'last.ckpt' typed where no such file is
            raise UserError(f"checkpoint {value!r} does not exist; did you mean --ckpt_path {meant[0]} "
                            f"(the newest run's {meant[0]} checkpoint)?")
        return value
    run = newest_run(root)
    last = run / LAST_NAME
    named = _newer_named_run(run, root)
    if named is not None:
        # which run the user means is not known: the newest by number, or the one trained last
        paths = " or ".join(f"--ckpt_path {shlex.quote(path)}"
                            for path in (_shortcut(named, value), _shortcut(run, value)) if path is not None)
        raise UserError(
            f"--ckpt_path {value}: {os.fspath(named)!r} (a run named by its logger's version, not version_N) wrote its "
            f"{LAST_NAME} after the newest numbered run {os.fspath(run)!r}, which '{value}' takes; pass the one you "
            f"mean: {paths}"
        )
    if last.is_symlink() and not last.is_file():
        return os.fspath(last)  # a link reaching no checkpoint (a loop, a target gone): the loader's line names it
    if not last.is_file():
        best = saved_best(run) if value == "best" else None
        if best is not None:
            return best
        saved = [path for path in sorted(run.glob("*.ckpt"), key=_mtime) if path.is_file()]
        if in_training(run) and saved:
            raise UserError(
                f"--ckpt_path {value}: the newest run {os.fspath(run)!r} is training (a fit holds it right now) and "
                "has "
                f"written no {LAST_NAME} yet (one is written at an epoch's end, at most once every "
                f"--checkpoint.last_interval seconds); wait for it, or pass the checkpoint it has: "
                f"--ckpt_path {shlex.quote(os.fspath(saved[-1]))}"
            )
        if in_training(run):
            raise UserError(
                f"--ckpt_path {value}: the newest run {os.fspath(run)!r} is in its first epoch (a fit is training it "
                f"right now) and has no {LAST_NAME} yet; wait until that epoch ends, or pass a checkpoint path"
            )
        if saved:
            raise UserError(
                f"--ckpt_path {value}: the newest run {os.fspath(run)!r} has no {LAST_NAME} (it was stopped before "
                f"writing one); pass the checkpoint it has: --ckpt_path {shlex.quote(os.fspath(saved[-1]))}"
            )
        why = ("it was killed while it wrote its first checkpoint: only that write's temporary file is there"
               if abandoned_temporaries(run, ".ckpt") else "it stopped before its first epoch ended")
        raise UserError(
            f"--ckpt_path {value}: the newest run {os.fspath(run)!r} has no {LAST_NAME} ({why}); pass a checkpoint "
            "path, or start a new run without --ckpt_path"
        )
    if value == "last":
        return os.fspath(last)
    best = best_checkpoint(last) or saved_best(run)
    if best is None:
        raise UserError(f"--ckpt_path best: {os.fspath(run)!r} records no best checkpoint; pass a path")
    return best


def _shortcut(run: Path, value: str) -> str | None:
    """The checkpoint ``--ckpt_path value`` (``last`` or ``best``) would name in ``run``, if it has one."""
    last = run / LAST_NAME
    if not last.is_file():
        return None
    if value == "last":
        return os.fspath(last)
    try:
        return best_checkpoint(last) or saved_best(run)
    except UserError:  # an unreadable last.ckpt: its best is not known
        return None


def best_checkpoint(last: str | os.PathLike[str]) -> str | None:
    """The best checkpoint recorded by the checkpoint callback's state in ``last``."""
    checkpoint = load_checkpoint(last)
    for state in _checkpoint_states(checkpoint):
        if state.get("best_model_path"):
            # the best checkpoint lies beside last.ckpt: a stored path elsewhere (a run folder
            # copied or moved, or an edited checkpoint) is never followed out of the run's folder
            local = Path(last).parent / Path(str(state["best_model_path"])).name
            if local.is_file():
                return os.fspath(local)
    return None


def _checkpoint_states(checkpoint: dict[str, Any]) -> list[dict[str, Any]]:
    """The states of a checkpoint's checkpoint callbacks, the run's own (``RunCheckpoint``) first:
    a ``ModelCheckpoint`` the user added records its own best, elsewhere."""
    states = [(key, state) for key, state in checkpoint.get("callbacks", {}).items()
              if "Checkpoint" in str(key) and isinstance(state, dict)]
    return [state for key, state in sorted(states, key=lambda item: not str(item[0]).startswith("RunCheckpoint"))]


def saved_best(run: str | os.PathLike[str]) -> str | None:
    """The run's best checkpoint as the newest checkpoint in ``run`` (other than ``last.ckpt``) records it.

    A run in training writes each new best checkpoint (and deletes the one it replaces) at once,
    but rewrites ``last.ckpt``, which records the best, at most once a ``last_interval``: in
    between, the best that ``last.ckpt`` names is gone. Every checkpoint records the best at the
    time it was written (a new best names itself), so the newest checkpoint whose record still
    exists beside it names the run's best.
    """
    saved = [path for path in Path(run).glob("*.ckpt") if path.name != LAST_NAME]
    for path in sorted(saved, key=_mtime, reverse=True):
        try:
            checkpoint = load_checkpoint(path)
        except UserError:
            continue  # not a checkpoint of this run (or deleted meanwhile): look further
        for state in _checkpoint_states(checkpoint):
            if state.get("best_model_path"):
                recorded = Path(run) / Path(str(state["best_model_path"])).name  # never out of the run's folder
                if recorded.is_file() and recorded.name != LAST_NAME:
                    return os.fspath(recorded)
    return None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0  # deleted meanwhile


def own_root(checkpoint_path: str | os.PathLike[str], checkpoint: dict[str, Any]) -> str | None:
    """The checkpoint root of the run that wrote ``checkpoint``, if its folder is still where it was.

    A run started with ``--checkpoint.root DIR`` lies in ``DIR/version_N``; its resume command
    names just the checkpoint. The checkpoint callback's state records the run folder it wrote
    to: when that is the folder ``checkpoint_path`` lies in (the run was not moved), the folder
    above it is the run's root, as the path reaches it (``DIR``). ``None`` for a folder moved or
    copied elsewhere, or one not named ``version_N``.
    """
    folder = Path(checkpoint_path).parent
    if not _VERSION.match(folder.resolve().name):
        return None
    for key, state in checkpoint.get("callbacks", {}).items():
        if "Checkpoint" in key and isinstance(state, dict) and isinstance(state.get("dirpath"), str):
            if os.path.realpath(state["dirpath"]) == os.path.realpath(folder):
                return os.fspath(folder.parent)
    return None


def names_resumed_run(version: str, root: str | os.PathLike[str], checkpoint: str | os.PathLike[str] | None) -> bool:
    """Whether a logger ``version`` holding a path separator names the folder of the run that ``checkpoint`` resumes.

    Such versions (``exp/1``) are refused for new runs, whose folder ``{root}/{version}`` they would put elsewhere;
    runs made with one before that, in ``{root}/exp/1``, go on in their own folders when resumed with their
    ``config.yaml`` (``--config lightning_logs/exp/1/config.yaml --ckpt_path checkpoints/exp/1/last.ckpt``).
    """
    if not checkpoint or version in ("", ".", ".."):
        return False
    return (Path(root) / version).resolve() == Path(checkpoint).resolve().parent


def lone_checkpoint(checkpoint: str | os.PathLike[str]) -> bool:
    """Whether ``checkpoint`` lies in the folder the command runs in with none of a run's other files beside it
    (``last.ckpt``, ``best-*.ckpt``, ``model.json``): a checkpoint copied or downloaded there, not a run folder
    (blobclf gives each run a folder of its own)."""
    path = Path(checkpoint).resolve()
    if path.parent != Path.cwd().resolve():
        return False
    return not any(other != path and (other.name in (LAST_NAME, "model.json")
                                      or (other.name.startswith("best-") and other.suffix == ".ckpt"))
                   for other in path.parent.iterdir())


def run_version(checkpoint: str | os.PathLike[str], root: str | os.PathLike[str] = CHECKPOINT_ROOT) -> int | None:
    """The version ``N`` if ``checkpoint`` lies directly in ``{root}/version_N``, else ``None``."""
    path = Path(checkpoint).resolve()
    match = _VERSION.match(path.parent.name)
    if match and path.parent.parent == Path(root).resolve():
        return int(match.group(1))
    return None


def recorded_save_dir(checkpoint: dict[str, Any]) -> str:
    """The log root a checkpoint's run was given (as given: relative to where it started)."""
    save_dir = _recorded_logger_argument(checkpoint, "save_dir")
    return save_dir if save_dir is not None else LOG_ROOT


def recorded_log_name(checkpoint: dict[str, Any]) -> str:
    """The logger ``name`` a checkpoint's run was given (the sub-folders of the log root that hold its
    ``version_N``: ``exp/a``), or ``""``."""
    return _recorded_logger_argument(checkpoint, "name") or ""


def recorded_without_logger(checkpoint: dict[str, Any]) -> bool:
    """Whether a checkpoint's run was trained without a logger (``--trainer.logger false``, or ``'[]'``, an empty
    list of loggers): it has no log folder."""
    return any(state["training"]["settings"].get("trainer.logger") in (False, [])
               for state in checkpoint.get("callbacks", {}).values()
               if isinstance(state, dict) and isinstance(state.get("training"), dict)
               and isinstance(state["training"].get("settings"), dict))


def _recorded_logger_argument(checkpoint: dict[str, Any], key: str) -> str | None:
    for state in checkpoint.get("callbacks", {}).values():
        training = state.get("training") if isinstance(state, dict) else None
        settings = training.get("settings") if isinstance(training, dict) else None
        logger = settings.get("trainer.logger") if isinstance(settings, dict) else None
        init = logger.get("init_args") if isinstance(logger, dict) else None
        if isinstance(init, dict) and isinstance(init.get("save_dir"), str):
            return init.get(key) if isinstance(init.get(key), str) else None
    return None


def recorded_checkpointing(config: Path, key: str) -> str | None:
    """The ``checkpoint.{key}`` (``root``, ``dirpath``) a run's ``config.yaml`` names, as given:
    relative to the folder the run started in; ``None`` if it names none or cannot be read."""
    try:
        # a huge file: not the run's
        text = read_capped(config, MAX_CONFIG_BYTES, "run config", "not read").decode("utf-8")
        check_config_text(text, os.fspath(config))
        recorded = yaml.load(text, Loader=YAML_LOADER)
    except (OSError, UnicodeDecodeError, UserError, yaml.YAMLError):
        return None
    checkpoint = recorded.get("checkpoint") if isinstance(recorded, dict) else None
    value = checkpoint.get(key) if isinstance(checkpoint, dict) else None
    return value if isinstance(value, str) and "\0" not in value else None  # no path holds a NUL


def recorded_root(config: Path) -> str | None:
    """The checkpoint root a run's ``config.yaml`` names (as given: relative to where the run started)."""
    return recorded_checkpointing(config, "root")


def run_config(stored: dict[str, Any], path: str, root: str) -> str | None:
    """The ``config.yaml`` of the run a checkpoint belongs to, if it is where the run's logger put it."""
    version = run_version(path, root)
    logger = stored.get("trainer.logger")
    init = logger.get("init_args") if isinstance(logger, dict) and isinstance(logger.get("init_args"), dict) else {}
    candidate = Path(str(init.get("save_dir") or LOG_ROOT)) / run_name(version) / "config.yaml"
    return str(candidate) if version is not None and candidate.is_file() else None


def logs_record_root(stored: dict[str, Any], path: str, root: str) -> bool:
    """Whether the log folder that a resume of the run in ``root`` would go on in (``lightning_logs/version_N``
    here) is that run's: its ``config.yaml`` names ``root`` as the checkpoint root.

    A run's logs lie under the folder it was started from; a run resumed by its path from another
    folder (another project's, whose ``lightning_logs/version_N`` is a run of its own) goes on in a
    new TensorBoard run instead.
    """
    config = run_config(stored, path, root)
    value = None if config is None else recorded_root(Path(config))
    return value is not None and os.path.realpath(value) == os.path.realpath(root)


def logs_where_started(path: str, save_dir: str, name: str = "") -> tuple[str, str, int] | None:
    """The log root, checkpoint root and version of the run whose folder holds checkpoint ``path``,
    found from the folder the run was started in, wherever the command runs.

    A run's logs lie under the folder it was started from (``save_dir``, as its logger was given
    it, relative to that folder), and its ``config.yaml`` there names its checkpoint root the same
    way. The folder is the one above the run folder whose ``{save_dir}/version_N/config.yaml``
    names a root that, from there, is the run folder's parent. Call it only for a run folder still
    where the run wrote it (:func:`own_root`), so a copy is never taken for its run. A run given a logger
    ``name`` (``exp/a``) has its ``version_N`` in ``{save_dir}/{name}``; the log root returned is ``save_dir``'s.
    """
    folder = Path(path).resolve().parent
    match = _VERSION.match(folder.name)
    if match is None:
        return None
    version = int(match.group(1))
    for start in (folder.parent, *folder.parent.parents):
        logs = start / save_dir
        root = recorded_root(logs / name / run_name(version) / "config.yaml")
        if root is not None and (start / root).resolve() == folder.parent:
            return os.fspath(logs), os.fspath(start / root), version
    return None
