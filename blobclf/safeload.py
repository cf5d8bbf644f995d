"""Loading checkpoints and weights files without ever executing code from them."""

from __future__ import annotations

import errno
import os
import pickle
import re
import stat
import struct
import sys
import zipfile
from pathlib import Path
from typing import Any

import torch

from blobclf.errors import UserError

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
SAFE_TORCH = "2.10"
"""The oldest torch whose ``weights_only=True`` loading has no known bypass or memory corruption
(CVE-2025-32434 was fixed in 2.6, CVE-2026-24747 in 2.10)."""


def check_torch(version: str | None = None) -> None:
    """Refuse to load files with a torch older than :data:`SAFE_TORCH`.

    Raises:
        UserError: naming the installed version, the advisories and the fix.
    """
    installed = torch.torch_version.TorchVersion(version if version is not None else torch.__version__)
    if installed < SAFE_TORCH:
        raise UserError(
            f"torch {installed} is installed, but loading checkpoints and weights safely needs torch >= {SAFE_TORCH} "
            "(weights_only=True loading is bypassable before 2.6, CVE-2025-32434, and can corrupt memory before "
            f"2.10, CVE-2026-24747); upgrade with: pip install 'torch>={SAFE_TORCH}'"
        )


def local_file(path: str | os.PathLike[str], what: str = "checkpoint") -> Path:
    """Return ``path`` as a ``Path`` if it names an existing local file; otherwise a ``UserError``.

    Remote URLs are refused: a downloaded file is no safer than its server, so fetch it yourself,
    check where it came from, and pass the local copy.
    """
    text = os.fspath(path)
    if _URL.match(text) and not text.startswith("file://"):
        raise UserError(f"{what} {text!r} is a URL; blobclf loads local files only (download it and pass the path)")
    local = Path(text.removeprefix("file://"))
    try:
        os.stat(local)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UserError(f"{what} {text!r} is a symbolic link loop (it never reaches a file); "
                            f"point it at a {what} or pass the {what}'s own path") from None
        if error.errno not in (errno.ENOENT, errno.ENOTDIR):
            raise  # e.g. permission denied: the CLI names the path and the reason
        if local.is_symlink():
            raise UserError(
                f"{what} {text!r} is a symbolic link to {os.readlink(local)!r}, which does not exist"
            ) from None
        raise UserError(f"{what} {text!r} does not exist") from None
    if local.is_dir():
        raise UserError(_folder_refusal(local, text, what))
    if not local.is_file():
        raise UserError(f"{what} {text!r} is not a file")
    return local


def _folder_refusal(folder: Path, text: str, what: str) -> str:
    """The one line that refuses a folder given as a checkpoint (a run folder, ``checkpoints/version_0``)."""
    if what != "checkpoint":
        return f"{what} {text!r} is a folder; pass the file itself"
    saved = sorted(folder.glob("*.ckpt"), key=lambda path: (path.name == "last.ckpt", path.name))
    if saved:
        return (f"checkpoint {text!r} is a folder, not a checkpoint file; pass a checkpoint in it, such as "
                f"{os.path.join(text, saved[-1].name)!r}")
    runs = sorted(folder.glob("*/*.ckpt"), key=lambda path: (path.stat().st_mtime, path.name == "last.ckpt"))
    if runs:  # a folder of runs (checkpoints/): the newest run's newest checkpoint
        return (f"checkpoint {text!r} is a folder of runs, not a checkpoint file; pass a checkpoint in one, such as "
                f"{os.path.join(text, runs[-1].parent.name, runs[-1].name)!r}")
    from blobclf.atomic import abandoned_temporaries

    why = (" (its run was killed while it wrote its first checkpoint: only that write's temporary file is there)"
           if abandoned_temporaries(folder, ".ckpt") else "")
    return f"checkpoint {text!r} is a folder that holds no checkpoint{why}; pass another checkpoint, or train a new run"


MAX_LOAD_ENV = "BLOBCLF_MAX_LOAD_BYTES"
DEFAULT_MAX_LOAD = 2**30
"""Default cap on the bytes a checkpoint or weights file may hold (1 GiB; blobclf's own are KiBs)."""


MAX_DIRECTORY_BYTES = 1 << 20
"""Largest zip directory read (1 MiB, some 15,000 entries; ``torch.save`` writes a few per tensor)."""
MAX_DEPTH = 100
"""Most levels a loaded file's containers may nest (blobclf's own checkpoints nest 8)."""
PICKLE_SHARE = 256
"""The pickled data (all but the tensors) may hold 4 MiB, or 1/PICKLE_SHARE of :func:`max_load_bytes` where that
is more (blobclf's own hold some 10 KiB): unpickling builds up to some 90 bytes of objects per byte, at about a
microsecond per byte."""


def max_load_bytes() -> int:
    """The cap on a file's content: ``BLOBCLF_MAX_LOAD_BYTES`` if set, else :data:`DEFAULT_MAX_LOAD`."""
    text = os.environ.get(MAX_LOAD_ENV, "").strip()
    if not text:
        return DEFAULT_MAX_LOAD
    try:
        value = int(float(text))
    except ValueError:
        raise UserError(f"{MAX_LOAD_ENV}={text!r} is not a number of bytes") from None
    return value


def max_pickle_bytes() -> int:
    """The cap on a file's pickled data (see :data:`PICKLE_SHARE`); also the most values it may expand to."""
    return max(DEFAULT_MAX_LOAD, max_load_bytes()) // PICKLE_SHARE


METADATA_SHARE = 64
"""A ``model.json`` may hold 16 MiB, or 1/METADATA_SHARE of :func:`max_load_bytes` where that is more (blobclf's own
hold a few KiB, more for a wide table: its feature names and standardization)."""


def max_metadata_bytes() -> int:
    """The cap on a ``model.json`` that blobclf reads (see :data:`METADATA_SHARE`)."""
    return max(DEFAULT_MAX_LOAD, max_load_bytes()) // METADATA_SHARE


def read_capped(path: str | os.PathLike[str], limit: int, what: str, fix: str) -> bytes:
    """The whole content of the regular file ``path``, refused in one line if it holds more than ``limit``
    bytes (at most ``limit`` are read: a small file's name on a huge file was read whole) or is not a
    regular file (a pipe was waited on for good).

    Args:
        path: The file.
        limit: The most bytes read.
        what: What the file is, for the message (``metadata file``).
        fix: What to do about a file too large, ending the message.

    Raises:
        UserError: If the file is larger than ``limit`` or not a regular file.
        OSError: If it cannot be opened or read.
    """
    name = os.fspath(path)
    fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a pipe opens without waiting for a writer
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"{what} {name!r} is not a regular file (a pipe or a device?); pass the file itself")
        data = handle.read(limit + 1) if info.st_size <= limit else b""  # the file may grow meanwhile
        if info.st_size > limit or len(data) > limit:
            size = max(os.fstat(fd).st_size, len(data))
            raise UserError(f"{what} {name!r} is {size:,} bytes, more than blobclf reads ({limit:,}); {fix}")
    return data


def check_archive(path: Path, what: str = "checkpoint") -> None:
    """Check that ``path`` is an archive as ``torch.save`` writes it, before torch reads any of it.

    ``torch.save`` writes an uncompressed zip archive. A file that is not one, that holds a
    compressed entry (which could inflate to far more memory than its size on disk), or that
    declares more content than :func:`max_load_bytes` is refused with one line.
    """
    name = os.fspath(path)
    with path.open("rb") as handle:
        head = handle.read(4)
    if head != b"PK\x03\x04":
        raise UserError(f"{what} {name!r} is not a PyTorch file: torch.save writes a zip archive, and this is not one")
    directory = directory_size(path)
    if directory is None:
        raise UserError(f"{what} {name!r} is not a readable PyTorch file (truncated or corrupt?): File is not a zip "
                        "file")
    if directory > MAX_DIRECTORY_BYTES:
        raise UserError(f"{what} {name!r} is refused: its zip directory is {directory:,} bytes, more than blobclf "
                        f"reads ({MAX_DIRECTORY_BYTES:,}); torch.save writes a few entries per tensor")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as error:
        raise UserError(
            f"{what} {name!r} is not a readable PyTorch file (truncated or corrupt?): {error}"
        ) from None
    size = path.stat().st_size
    for entry in entries:
        if entry.compress_type != zipfile.ZIP_STORED or entry.file_size != entry.compress_size:
            raise UserError(f"{what} {name!r} is refused: its entry {entry.filename!r} is compressed, "
                            "which torch.save never writes")
        if entry.header_offset + entry.compress_size > size:
            raise UserError(f"{what} {name!r} is not a readable PyTorch file (truncated or corrupt?): "
                            f"entry {entry.filename!r} reaches past the end of the file")
    declared, cap = sum(entry.file_size for entry in entries), max_load_bytes()
    if declared > cap:
        raise UserError(f"{what} {name!r} holds {declared:,} bytes, more than blobclf loads ({cap:,}); "
                        f"if you trust it, raise the limit with {MAX_LOAD_ENV}")
    pickled = max((entry.file_size for entry in entries if entry.filename.endswith("data.pkl")), default=0)
    if pickled > max_pickle_bytes():
        raise UserError(f"{what} {name!r} holds {pickled:,} bytes of pickled data besides its tensors, more than "
                        f"blobclf unpickles ({max_pickle_bytes():,}); if you trust it, raise the limit with "
                        f"{MAX_LOAD_ENV} (this one is 1/{PICKLE_SHARE} of it)")
    check_crcs(path, what)


_END = struct.Struct("<4s4H2LH")  # the zip end-of-central-directory record
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L2Q2Q")


def directory_size(path: Path) -> int | None:
    """The size of the zip directory that :mod:`zipfile` would read from ``path`` (``None``: no end record
    at the very end, where ``torch.save`` writes it, without a comment).

    ``zipfile`` reads the whole directory the end record states and builds an object per entry
    before anything can be counted: a file of a million empty entries takes minutes and gigabytes.
    This reads the same end records as ``zipfile`` (the zip64 one where it is present) and nothing else.
    """
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        tail_size = min(size, _END.size + _END64_LOCATOR.size + _END64.size)
        handle.seek(size - tail_size)
        tail = handle.read(tail_size)
    if len(tail) < _END.size:
        return None
    end = _END.unpack(tail[-_END.size:])
    if end[0] != b"PK\x05\x06" or end[-1] != 0:
        return None
    directory = end[5]
    locator = tail[-_END.size - _END64_LOCATOR.size: -_END.size]
    record = tail[: -_END.size - _END64_LOCATOR.size][-_END64.size:]
    if locator[:4] == b"PK\x06\x07" and len(record) == _END64.size and record[:4] == b"PK\x06\x06":
        directory = _END64.unpack(record)[8]  # zipfile takes the zip64 record's size when it is there
    return directory


def check_crcs(path: Path, what: str = "checkpoint") -> None:
    """Check every entry of the zip archive ``path`` against the CRC-32 its directory records.

    torch reads its entries without checking them, so one flipped bit in a weight (a bad copy or
    disk) would load silently as another number. ``torch.save`` records correct CRCs; reading the
    entries once more costs a fraction of what ``torch.load`` takes (see docs/safety.md).
    """
    name = os.fspath(path)
    try:
        stat = os.stat(path)
        key = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
        if key in _CRC_CHECKED:
            return  # one command loads its checkpoint more than once: checked once is enough
        with zipfile.ZipFile(path) as archive:
            for entry in archive.infolist():
                if entry.flag_bits & 0x1:
                    raise UserError(f"{what} {name!r} is refused: its entry {entry.filename!r} is encrypted, "
                                    "which torch.save never writes")
                with archive.open(entry) as member:  # raises BadZipFile at the end on a CRC mismatch
                    try:
                        while member.read(1 << 20):
                            pass
                    except zipfile.BadZipFile as error:
                        if "CRC" not in str(error):
                            raise
                        raise UserError(
                            f"{what} {name!r} is damaged: member {entry.filename!r} fails its CRC check "
                            f"(a bad copy or disk?); use another {what}"
                        ) from None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        # NotImplementedError: a directory entry edited to need a zip feature torch.save never uses
        raise UserError(f"{what} {name!r} is not a readable PyTorch file (truncated or corrupt?): {error}") from None
    _CRC_CHECKED.add(key)


_CRC_CHECKED: set[tuple[str, int, int]] = set()
"""Files whose CRCs were checked, by real path, size and modification time (a rewrite changes them)."""


def safe_load(path: str | os.PathLike[str], what: str = "checkpoint") -> Any:
    """``torch.load`` with ``weights_only=True`` passed explicitly, with one-line errors.

    Passing ``weights_only=True`` explicitly means ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` cannot turn
    it off. A file whose unpickling needs anything but tensors and plain containers is refused,
    naming the global it asked for; nothing from it is executed. The archive is checked first
    (:func:`check_archive`), so nothing large is allocated for a file that only claims to be small.
    """
    local = local_file(path, what)
    check_torch()
    check_archive(local, what)
    try:
        loaded = torch.load(local, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise UserError(unpickling_refusal(str(error), os.fspath(path), what)) from None
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 - a damaged pickle fails in any way (IndexError, KeyError ...)
        # the archive was checked whole (check_archive), so what fails now is the data inside it
        text = " ".join(str(error).split())
        raise UserError(damaged(os.fspath(path), what, f"{type(error).__name__}: {text}" if text else
                                type(error).__name__)) from None
    check_structure(loaded, os.fspath(path), what)
    return loaded


def check_structure(loaded: Any, name: str, what: str = "checkpoint") -> None:
    """Refuse loaded data that code reading it would choke on, without recursion.

    A pickle can nest containers deeper than Python's recursion limit (a traceback in whatever
    walks them: ``copy.deepcopy``, ``repr``, ``json.dumps``), refer to one list from many places so
    that a 20 KB file expands to 2**40 values (a walk that does not share them never ends), refer to
    itself, or hold a tensor of 10**10 elements over one stored element (stride 0: legal, and
    allocated in full by the first comparison or copy). Each is refused in one line: nesting
    deeper than :data:`MAX_DEPTH`, more values than pickled bytes allowed once shared ones are
    counted where they occur, a cycle, or tensors whose elements, counted where they occur, add
    up to more than :func:`max_load_bytes`.
    """
    cap, most_values = max_load_bytes(), max_pickle_bytes()
    sizes: dict[int, tuple[int, int]] = {}  # id -> (values, tensor bytes), counted where shared ones occur
    open_ids: set[int] = set()
    refused = f"{what} {name!r} is refused: its data "
    stack: list[tuple[Any, int, bool]] = [(loaded, 1, False)]
    while stack:
        value, depth, done = stack.pop()
        key = id(value)
        if done:
            open_ids.discard(key)
            inner = [sizes[id(item)] for item in _items(value)]
            sizes[key] = (1 + sum(v for v, _ in inner), sum(b for _, b in inner))
            if sizes[key][0] > most_values:
                raise UserError(f"{refused}expands to more than {most_values:,} values (one part referred to from "
                                "many places); it was edited or written by another program")
            if sizes[key][1] > cap:
                raise UserError(f"{refused}holds tensors of {sizes[key][1]:,} bytes once expanded, more than blobclf "
                                f"loads ({cap:,}); it was edited or written by another program")
            continue
        if key in sizes:
            continue
        if key in open_ids:
            raise UserError(f"{refused}contains itself; it was edited or written by another program")
        if isinstance(value, torch.Tensor):
            sizes[key] = (1, value.numel() * value.element_size())
            if sizes[key][1] > cap:
                raise UserError(f"{refused}holds a tensor of {sizes[key][1]:,} bytes (shape {tuple(value.shape)}), "
                                f"more than blobclf loads ({cap:,}); it was edited or written by another program")
            continue
        items = _items(value)
        if not items:
            sizes[key] = (1, 0)
            continue
        if depth > MAX_DEPTH:
            raise UserError(f"{refused}nests more than {MAX_DEPTH} levels deep; it was edited or written by another "
                            "program")
        open_ids.add(key)
        stack.append((value, depth, True))
        stack.extend((item, depth + 1, False) for item in items)


def _items(value: Any) -> list[Any]:
    """What a loaded container holds (a dict's keys and values); nothing for anything else."""
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return []


_FORBIDDEN = (
    re.compile(r"Unsupported global: GLOBAL (\S+) was not an allowed global"),
    re.compile(r"unsupported GLOBAL (\S+) whose module \S+ is blocked"),
)
_FORBIDDEN_CALL = re.compile(
    r"(?:call reduce for unrecognized function|create new object for nn\.Parameter or classes allowlisted "
    r"via `add_safe_globals` but got) <(?:class|function|built-in function|built-in method|bound method|method) "
    r"'?([\w.]+)"
)
_MAX_REASON = 120


def damaged(name: str, what: str, reason: str) -> str:
    """The line for a file whose archive is whole but whose data does not decode."""
    reason = " ".join(reason.split())
    if len(reason) > _MAX_REASON:
        reason = reason[: _MAX_REASON - 3] + "..."
    advice = "e.g. the run's best-*.ckpt" if what == "checkpoint" else "e.g. export it again"
    return f"{what} {name!r} is damaged (its data does not decode: {reason}); use another {what}, {advice}"


def unpickling_refusal(message: str, name: str, what: str) -> str:
    """One line for torch's ``weights_only`` unpickling error ``message``, without torch's advice.

    Only a request for a callable that is not allowlisted (a GLOBAL or a call of one) means that
    loading would run code; any other failure of the unpickler is a damaged file.
    """
    for pattern in (*_FORBIDDEN, _FORBIDDEN_CALL):
        wanted = pattern.search(message)
        if wanted:
            needed = wanted.group(1)
            module, _, attribute = needed.rpartition(".")
            if module == "__main__":
                return (f"{what} {name!r} is refused: it holds an object of the class {attribute} of the script that "
                        "saved it (torch.save(model) pickles the whole model), and loading it would run code; save "
                        "model.state_dict() instead")
            if module in sys.modules and not hasattr(sys.modules[module], attribute):
                # e.g. collections.OrderedDicu: a damaged name, nothing that could run (nothing is imported)
                return damaged(name, what, f"it names {needed}, which does not exist")
            return f"{what} {name!r} is refused: loading it would run code (it needs {needed})"
    reason = message.split("WeightsUnpickler error:", 1)[-1] if "WeightsUnpickler error:" in message else message
    reason = reason.split("Check the documentation of torch.load", 1)[0]
    if "weights_only" in reason:  # torch's own advice, never the reason
        lines = [line for line in reason.splitlines() if line.strip() and "weights_only" not in line]
        reason = lines[-1] if lines else "the unpickler refused it"
    return damaged(name, what, reason.strip() or "the unpickler refused it")


LIGHTNING_KEYS = ("state_dict", "pytorch-lightning_version", "epoch", "global_step", "hyper_parameters")
"""Keys every checkpoint Lightning writes of a LightningModule has (``hyper_parameters`` once it saved any)."""


def not_a_checkpoint(loaded: Any) -> str:
    """What ``loaded``, read from a file given as a checkpoint but without a ``state_dict``, is, said after the
    file's name: a plain state_dict (all tensors), else a dict named by its keys and the Lightning checkpoint's keys it
    lacks, else its type.

    Example:
        >>> not_a_checkpoint({"a": 1})
        "is not a Lightning checkpoint: it is a dict with the key 'a' and none of the keys one has (state_dict, \
pytorch-lightning_version, epoch, global_step, hyper_parameters)"
    """
    if isinstance(loaded, dict) and loaded and all(isinstance(value, torch.Tensor) for value in loaded.values()):
        return "is a plain state_dict (an exported .pth?), not a Lightning checkpoint"
    if not isinstance(loaded, dict):
        return f"is not a Lightning checkpoint: it is a {type(loaded).__name__}, where one is a dict"
    if not loaded:
        return ("is not a Lightning checkpoint: it is an empty dict, without the keys one has "
                f"({', '.join(LIGHTNING_KEYS)})")
    keys = [repr(key)[:40] for key in list(loaded)[:5]]
    more = f" and {len(loaded) - 5} more" if len(loaded) > 5 else ""
    held = f"the key{'s' if len(loaded) > 1 else ''} {', '.join(keys)}{more}"
    missing = [key for key in LIGHTNING_KEYS if key not in loaded]
    if len(missing) == len(LIGHTNING_KEYS):
        return f"is not a Lightning checkpoint: it is a dict with {held} and none of the keys one has " \
               f"({', '.join(LIGHTNING_KEYS)})"
    return f"is not a Lightning checkpoint: it is a dict with {held} but without {', '.join(missing)}"


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a Lightning checkpoint safely and check that it is one."""
    checkpoint = safe_load(path, "checkpoint")
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise UserError(f"checkpoint {os.fspath(path)!r} {not_a_checkpoint(checkpoint)}; pass a .ckpt file written "
                        "by 'blobclf fit'")
    return checkpoint


def check_weights(state: Any, name: str, what: str = "checkpoint") -> None:
    """Refuse weights that are not dense tensors of real floating-point numbers with values.

    ``load_state_dict`` copies any tensor of the right shape: integers or booleans (another
    program's) became weights rounded to whole numbers without a word, a complex tensor lost its
    imaginary part, and a sparse, quantized or meta tensor (a shape without values) ended in a
    traceback. The check for finite weights that follows needs values too.
    """
    for key, value in state.items() if isinstance(state, dict) else ():
        if not isinstance(value, torch.Tensor):
            continue
        kind = ("a meta tensor (a shape without values)" if value.is_meta
                else f"a {str(value.layout).removeprefix('torch.')} tensor" if value.layout is not torch.strided
                else None if value.is_floating_point() else f"a tensor of {str(value.dtype).removeprefix('torch.')}")
        if kind is not None:
            raise UserError(f"{what} {name!r} holds {key!r} as {kind}, where weights are floating-point numbers; it "
                            f"was written by another program or edited: use another {what}")
