"""A table file's text as UTF-8 bytes, however it is stored: plain, compressed (gzip, bzip2, xz) or UTF-16.

pandas writes ``to_csv("t.csv.gz")`` compressed, and Excel's "Unicode Text" is UTF-16. Every reader of a table
(its header, numpy's fast path, the row-by-row checks, prediction inputs) opens it with :func:`open_table`, which
decides by the file's first bytes, never by its name, and decompresses and transcodes as it reads: nothing is
written to disk and memory holds a chunk at a time. A compressed file expands to at most :func:`expansion_limit`
(a small file that expands to many gigabytes, a "decompression bomb", is refused once it has, in one line); a
damaged or cut-short one is refused naming the file. The SHA-256 a checkpoint records is that of the file's own
bytes, compressed or not (:func:`blobclf.tabledata.file_sha256`).
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import itertools
import lzma
import os
import shlex
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from blobclf.errors import UserError

COMPRESSED = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz"}
"""First bytes of the compressed files read (the standard library's :mod:`gzip`, :mod:`bz2`, :mod:`lzma`), and
the program named in their messages. zstd is not in Python 3.11's standard library: it is refused."""
_OPENERS: dict[str, Any] = {"gzip": gzip.GzipFile, "bzip2": bz2.BZ2File, "xz": lzma.LZMAFile}
EXPANSION = 100
"""A compressed table may expand to this many times its file's size (or :data:`EXPANDED_FLOOR`): CSV text
compresses 2 to 10 times (a million rows of 10 random features: 2.4), and gzip at most about 1,000 times, so a
small file of gigabytes (a "decompression bomb") is stopped at a tenth of it. There is no ceiling: a large real
table compressed is read as its plain file would be (which has no limit), taking that file's time and memory
(1 GB of text, 10.3 million rows of 10 features: 44 s and 0.63 GB)."""
EXPANDED_FLOOR = 64 << 20
"""The text a compressed table may always expand to (64 MiB), however small the file."""
CHUNK = 1 << 20
"""Bytes decompressed or transcoded at a time."""
_NUMPY_SUFFIXES = (".gz", ".bz2", ".xz", ".lzma")
"""Names that :func:`numpy.loadtxt`, given a name, opens compressed whatever the file holds."""


def utf16_encoding(start: bytes) -> str | None:
    """The UTF-16 encoding of a file's first bytes, as iconv names it, or ``None`` for text that is not UTF-16.

    Excel's "Unicode Text" saves UTF-16 with a byte order mark (``UTF-16``: the mark gives the byte order);
    without one, a header's ASCII letters alternate with NUL bytes (``a\\0b\\0``: ``UTF-16LE``, or
    ``\\0a\\0b``: ``UTF-16BE``), which no UTF-8 text starts with.

    Example:
        >>> utf16_encoding("a\\tb".encode("utf-16")), utf16_encoding("ab".encode("utf-16-be")), utf16_encoding(b"a,b")
        ('UTF-16', 'UTF-16BE', None)
    """
    if start.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    if len(start) < 4:
        return None
    if start[1] == 0 == start[3] and 0 < start[0] < 0x80 and 0 < start[2] < 0x80:
        return "UTF-16LE"
    if start[0] == 0 == start[2] and 0 < start[1] < 0x80 and 0 < start[3] < 0x80:
        return "UTF-16BE"
    return None


def utf32(start: bytes) -> bool:
    """Whether a file starts with UTF-32's byte order mark (``FF FE 00 00`` would otherwise read as UTF-16)."""
    return start.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"))


def stored_as(path: str | os.PathLike[str]) -> str | None:
    """How a file's text is stored, from its first bytes: ``"gzip"``, ``"bzip2"``, ``"xz"``, a UTF-16 encoding
    (:func:`utf16_encoding`), or ``None`` for plain bytes (UTF-8, or anything else: the readers name it)."""
    with open(path, "rb") as handle:
        start = handle.read(8)
    kind = next((kind for magic, kind in COMPRESSED.items() if start.startswith(magic)), None)
    return kind or (None if utf32(start) else utf16_encoding(start))


def iconv_command(name: str, source: str) -> str:
    """The shell command that converts the table ``name`` from the ``source`` encoding to a UTF-8 file beside it.

    A compressed table is decompressed first (iconv given the gzip file itself fails, leaving a file of neither),
    and the converted file is plain: ``gzip -dc t.csv.gz | iconv -f WINDOWS-1252 -t UTF-8 > t-utf8.csv``.

    Example:
        >>> iconv_command("data/t.csv", "WINDOWS-1252")
        'iconv -f WINDOWS-1252 -t UTF-8 data/t.csv > data/t-utf8.csv'
    """
    try:
        kind = stored_as(name)
    except OSError:
        kind = None
    path = Path(name)
    if kind in _OPENERS:
        inner = path.with_suffix("") if path.suffix.lower() in (".gz", ".bz2", ".xz", ".lzma") else path
        out = path.with_name(f"{inner.stem}-utf8{inner.suffix or '.csv'}")
        return f"{kind} -dc {shlex.quote(name)} | iconv -f {source} -t UTF-8 > {shlex.quote(str(out))}"
    out = path.with_name(f"{path.stem}-utf8{path.suffix}")
    return f"iconv -f {source} -t UTF-8 {shlex.quote(name)} > {shlex.quote(str(out))}"


def table_stem(path: str | os.PathLike[str]) -> str:
    """A table's name without its folder, type and compression, to name what is written from it (``t`` for
    ``data/t.csv.gz``, as for ``data/t.csv``).

    Example:
        >>> table_stem("data/t.csv.gz"), table_stem("t.csv"), table_stem("t.tsv.XZ")
        ('t', 't', 't')
    """
    file = Path(path)
    return Path(file.stem).stem if file.suffix.lower() in (".gz", ".bz2", ".xz") else file.stem


def open_table(path: str | os.PathLike[str]) -> BinaryIO:
    """The file's text as UTF-8 bytes, decompressed and transcoded as it is read (see the module's notes).

    Line breaks are kept as they are (a CR alone is still one), so line numbers are the file's own. Reading raises
    :class:`UserError` for a compressed file that is damaged or cut short, one that expands past
    :func:`expansion_limit`, or UTF-16 that is not valid.
    """
    name = os.fspath(path)
    handle = open(path, "rb")
    try:
        chunks: Iterator[bytes] = iter(lambda: handle.read(CHUNK), b"")
        start, chunks = _head(chunks)
        kind = next((kind for magic, kind in COMPRESSED.items() if start.startswith(magic)), None)
        if kind is not None:
            handle.seek(0)
            start, chunks = _head(_expanded(name, kind, handle))
        encoding = None if utf32(start) else utf16_encoding(start)
        if encoding is not None:
            start, chunks = _head(_transcoded(name, encoding, chunks))
        if kind is None and encoding is None:
            handle.seek(0)
            return handle  # plain bytes: the file itself
        return io.BufferedReader(_Chunks(chunks, handle), CHUNK)
    except BaseException:
        handle.close()
        raise


def open_text(path: str | os.PathLike[str]) -> io.TextIOWrapper:
    """The file's text as :func:`open` reads it in text mode (``utf-8-sig``, universal newlines), however stored."""
    return io.TextIOWrapper(open_table(path), encoding="utf-8-sig")


def numpy_source(path: str) -> Any:
    """What :func:`numpy.loadtxt` is given to read the table at ``path``: its name for a plain file (numpy's
    fastest path), else its text (:func:`open_text`); a plain file named ``.gz`` is read as the text it is."""
    if stored_as(path) is None and not path.endswith(_NUMPY_SUFFIXES):
        return path
    return open_text(path)


def _head(chunks: Iterator[bytes]) -> tuple[bytes, Iterator[bytes]]:
    """At least the first 8 bytes of ``chunks`` (fewer only at the end), and all the chunks, those bytes first."""
    start = b""
    for chunk in chunks:
        start += chunk
        if len(start) >= 8:
            break
    return start, itertools.chain([start], chunks)


def expansion_limit(size: int) -> int:
    """The most text a compressed file of ``size`` bytes is read to: :data:`EXPANSION` times its size, at least
    :data:`EXPANDED_FLOOR`."""
    return max(EXPANDED_FLOOR, EXPANSION * size)


def _expanded(name: str, kind: str, handle: BinaryIO) -> Iterator[bytes]:
    """The decompressed bytes of ``handle``, refused past :func:`expansion_limit` or where the data is damaged."""
    total = 0
    limit = expansion_limit(os.fstat(handle.fileno()).st_size)
    with _OPENERS[kind](fileobj=handle, mode="rb") if kind == "gzip" else _OPENERS[kind](handle) as inner:
        while True:
            try:
                chunk = inner.read(CHUNK)
            except (EOFError, OSError, zlib.error, lzma.LZMAError) as error:
                raise damaged(name, kind, error) from None
            if not chunk:
                return
            total += len(chunk)
            if total > limit:
                raise too_large(name, kind, limit)
            yield chunk


def _suggested(name: str) -> str:
    """The decompressed file's name a command writes: the name without ``.gz``, ``.bz2``, ``.xz``, else
    ``table.csv``."""
    path = Path(name)
    out = path.with_suffix("") if path.suffix.lower() in (".gz", ".bz2", ".xz") else Path("table.csv")
    return shlex.quote(str(out))


def damaged(name: str, kind: str, error: Exception) -> UserError:
    """The one line for a compressed table that is damaged or cut short (``error`` the decompressor's)."""
    detail = str(error) or type(error).__name__
    return UserError(
        f"{name}: the {kind}-compressed file is damaged or cut short ({detail}); copy or download it again "
        f"({kind} -t {shlex.quote(name)} tests it)"
    )


def too_large(name: str, kind: str, limit: int) -> UserError:
    """The one line for a compressed table whose text passes ``limit`` (:func:`expansion_limit`)."""
    size = os.path.getsize(name)
    return UserError(
        f"{name}: the {size:,}-byte {kind}-compressed file expands to more than {_size(limit)}, the most blobclf "
        f"decompresses of a file this size ({EXPANSION} times it, at least {_size(EXPANDED_FLOOR)}); "
        f"if it is a table that large, decompress it first ({kind} -dc "
        f"{shlex.quote(name)} > {_suggested(name)}) and give that file"
    )


def _size(size: int) -> str:
    """``size`` bytes in GiB or MiB when a whole number of them (``1 GiB``), else in bytes."""
    for unit, shift in (("GiB", 30), ("MiB", 20)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size:,} bytes"


def _transcoded(name: str, encoding: str, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """``chunks`` of UTF-16 text as UTF-8; text that is not valid UTF-16 is refused naming its line."""
    codec = {"UTF-16": "utf-16", "UTF-16LE": "utf-16-le", "UTF-16BE": "utf-16-be"}[encoding]
    decoder = codecs.getincrementaldecoder(codec)()
    line = 1
    try:
        for chunk in chunks:
            text = decoder.decode(chunk)
            line += text.count("\n")
            yield text.encode("utf-8")
        yield decoder.decode(b"", final=True).encode("utf-8")
    except UnicodeDecodeError as error:
        before = error.object[: error.start]
        line += before.decode(error.encoding, "replace").count("\n")
        raise UserError(
            f"{name}:{line}: not valid {encoding} text ({error.reason}); save the file again, as \"CSV UTF-8\" "
            "if you can"
        ) from None


class _Chunks(io.RawIOBase):
    """A readable stream of ``chunks``; closing it closes ``handle``, the file they come from."""

    def __init__(self, chunks: Iterator[bytes], handle: BinaryIO) -> None:
        super().__init__()
        self._data = memoryview(b"")
        self._chunks = chunks
        self._handle = handle

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._data:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._data = memoryview(chunk)
        size = min(len(buffer), len(self._data))
        buffer[:size] = self._data[:size]
        self._data = self._data[size:]
        return size

    def close(self) -> None:
        if not self.closed:
            self._handle.close()
        super().close()
