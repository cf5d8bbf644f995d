"""Writing files so that a reader, or a process killed mid-write, never sees a partial file."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

try:
    import fcntl
except ImportError:  # Windows: temporaries are not locked, and remove_leftovers takes every one
    fcntl = None  # type: ignore[assignment]

TEMP_SUFFIX = ".tmp"
NAME_MAX = 255
"""Longest file name, in bytes, that Linux, macOS and Windows file systems take."""


def name_too_long(name: str) -> bool:
    """Whether a file ``name`` is too long to write with :func:`atomic_write`, whose temporary
    (``.NAME.XXXXXXXX.tmp``) is 14 bytes longer than the name."""
    return len(os.fsencode(name)) + 10 + len(TEMP_SUFFIX) > NAME_MAX


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], object], replace: bool = True) -> Path:
    """Write ``path`` through a temporary file in the same folder, then rename it into place.

    The temporary file lives beside the destination, so the final rename never crosses a
    filesystem boundary (a rename across filesystems is a copy, and a copy can be cut short).
    The data is flushed and fsynced before the rename and the folder after it, so readers see
    either the old file or the complete new one, even after a crash. Missing folders are made,
    and temporaries of earlier writes of ``path`` that a kill cut short are removed.

    Args:
        path: Destination file.
        write: Called once with the open temporary file (binary mode).
        replace: Replace an existing ``path``; ``False`` raises ``FileExistsError`` instead, also
            when another process made ``path`` while this one wrote (the file is linked into
            place, which fails on an existing name, rather than renamed over it).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        OSError: If the machine refuses the write; one that names no file (a full disk, a file
            size limit, also when ``torch.save`` wraps it in a ``RuntimeError``) is raised again
            naming ``path``.
    """

    def fill(fd: int, tmp: str) -> None:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())

    return _through_temporary(Path(path), fill, replace)


def atomic_save(path: str | os.PathLike[str], save: Callable[[str], object]) -> Path:
    """:func:`atomic_write` for a library function that writes a file given its path (``save(temporary)``).

    The temporary is named and held as :func:`atomic_write`'s, so a kill's leftover is removed by
    the next write of ``path`` and a live write's is kept.
    """

    def fill(fd: int, tmp: str) -> None:
        os.close(fd)
        save(tmp)
        with open(tmp, "rb") as written:
            os.fsync(written.fileno())

    return _through_temporary(Path(path), fill, replace=True)


def _through_temporary(path: Path, fill: Callable[[int, str], None], replace: bool) -> Path:
    """Make a held temporary beside ``path``, ``fill(fd, temporary)`` it (``fd`` is the caller's to
    close), then rename or link it into place (see :func:`atomic_write`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fcntl is not None:  # a live write's temporary is locked, and kept
        with contextlib.suppress(OSError):
            remove_leftovers(path.parent, path.name)  # of earlier writes of this file that a kill cut short
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    except OSError as error:  # a read-only folder, a name too long: said of the file, not of its temporary
        raise OSError(error.errno, error.strerror, os.fspath(path)) from error
    held = _hold(fd)  # until the file has its name: remove_leftovers leaves a live write's temporary alone
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file the usual mode
        fill(fd, tmp)
        if replace:
            os.replace(tmp, path)
        else:
            _link_new(tmp, path)
    except BaseException as error:
        Path(tmp).unlink(missing_ok=True)
        refused = _os_error(error)
        if refused is not None and refused.filename is None:
            raise OSError(refused.errno, refused.strerror or str(refused), os.fspath(path)) from error
        raise
    finally:
        if held is not None:
            os.close(held)
    _fsync_folder(path.parent)
    return path


def _hold(fd: int) -> int | None:
    """A second descriptor of ``fd``'s file holding an exclusive ``flock`` on it (``None`` without ``fcntl``).

    The lock lasts until that descriptor is closed, or the process ends however it ends, so a
    temporary whose lock can be taken was left by a write that will never finish.
    """
    if fcntl is None:
        return None
    held = os.dup(fd)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
    except OSError:  # a file system without locks: written unlocked, as without fcntl
        os.close(held)
        return None
    return held


def _abandoned(path: Path) -> bool:
    """Whether no live :func:`atomic_write` holds the temporary ``path`` (its lock can be taken)."""
    if fcntl is None:
        return True
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:  # held by a write in progress
        return False
    except OSError:  # a file system without locks: as without fcntl
        return True
    finally:
        os.close(fd)
    return True


def _link_new(tmp: str, path: Path) -> None:
    """Give the written ``tmp`` the name ``path`` only if no file has it (``FileExistsError`` otherwise)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), os.fspath(path)) from None
    except OSError:  # a file system without hard links: check, then rename (a race stays possible there)
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), os.fspath(path)) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def _os_error(error: BaseException) -> OSError | None:
    """``error`` if it is an ``OSError``, or the ``OSError`` behind the ``RuntimeError`` torch raises for it."""
    seen: set[int] = set()
    current: BaseException | None = error
    while isinstance(current, RuntimeError) and id(current) not in seen:
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return current if isinstance(current, OSError) else None


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """:func:`atomic_write` of ``text`` encoded as UTF-8."""
    data = text.encode("utf-8")
    return atomic_write(path, lambda handle: handle.write(data))


def remove_leftovers(folder: str | os.PathLike[str], name: str | None = None) -> list[Path]:
    """Delete the temporary files that writes killed mid-way left in ``folder``; return them.

    Only files named as this module and blobclf's writers name their temporaries
    (``.NAME.*.tmp``, or of ``name`` only) are touched, and of those only the ones no live write
    holds: a ``test`` or ``predict`` writing its report into a run folder while a ``fit`` starts
    there keeps its file.
    """
    prefix = f".{name}." if name is not None else "."
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith(prefix) and entry.name.endswith(TEMP_SUFFIX) and entry.is_file() and _abandoned(entry):
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


def abandoned_temporaries(folder: str | os.PathLike[str], suffix: str = "") -> list[Path]:
    """The temporaries in ``folder`` of files named ``*suffix`` that writes killed mid-way left (see
    :func:`remove_leftovers`, which removes them), without removing any: none a live write holds."""
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return []
    return [entry for entry in entries
            if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX)
            and entry.name[1:-len(TEMP_SUFFIX)].rpartition(".")[0].endswith(suffix)
            and entry.is_file() and not entry.is_symlink() and _abandoned(entry)]


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not every platform opens folders
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
