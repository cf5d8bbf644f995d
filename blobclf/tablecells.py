"""What a table file is made of, below the reading of a whole table: its header (:class:`Header`) and the
table read (:class:`Table`), the rows as the :mod:`csv` module splits them, a cell as a number the way numpy
reads it (or a missing value), the numeric cells loaded by numpy, and text compared in Unicode's composed
form. :mod:`blobclf.table` reads tables with these; :mod:`blobclf.points` reads points to predict with them."""

from __future__ import annotations

import contextlib
import csv
import io
import math
import unicodedata
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from blobclf.errors import UserError
from blobclf.tablefile import iconv_command, numpy_source, open_table, open_text

DELIMITERS = ",;\t|"
"""Delimiters the sniffer chooses from when none is given."""
MISSING = frozenset({
    "", "na", "n/a", "nan", "null", "none", "?",
    # the rest of pandas' default na_values (read_csv), and MySQL's and PostgreSQL's text exports' NULL
    "#n/a", "#n/a n/a", "#na", "-nan", "-1.#ind", "-1.#qnan", "1.#ind", "1.#qnan", "<na>", "\\n",
})
"""Cells (compared stripped and lower-cased) that count as a missing value rather than a bad one; so does any
other spelling of NaN that numpy reads (``+nan``)."""


@dataclass
class Header:
    """The column names of a CSV file and how to read its rows."""

    path: str
    columns: list[str]
    delimiter: str
    line: int
    """Line number of the header row, its last line if a quoted name holds a line break (rows follow it)."""
    stated: bool = False
    """The delimiter is the one a first line ``sep=X`` states."""
    decimal: str = "."
    """The decimal point of the feature cells: ``.``, or ``,`` (as spreadsheets in German, French ... save)."""


@dataclass
class Table:
    """A table read by :func:`read_table`.

    ``features`` is float32 ``(n, len(feature_names))``; ``labels`` holds int64 indices into
    ``classes`` (``None`` when no target was read).
    """

    path: str
    columns: list[str]
    feature_names: list[str]
    features: np.ndarray
    target: str | None
    labels: np.ndarray | None
    classes: list[str] = field(default_factory=list)
    categories: dict[str, list[str]] = field(default_factory=dict)
    """The values of each categorical feature column (``--data.categorical``), whose column of ``features`` holds
    each cell's index into them."""
    dropped_lines: list[int] = field(default_factory=list)
    """The file's lines of the rows left out for a missing value (``--data.missing drop``:
    :mod:`blobclf.tablemissing`)."""
    kept_rows: np.ndarray | None = None
    """The rows read (0-based among the file's rows, blank lines not counted) when some were left out; ``None``: all."""


def not_utf8(name: str, line: int, byte: int) -> UserError:
    """The refusal of text that is not UTF-8 at ``line``, where ``byte`` is the first byte that is not.

    A letter of Windows-1252 (Excel's "CSV (Comma delimited)" on Windows in western languages,
    which Latin-1 mostly shares) is shown as that letter, with the ``iconv`` command that converts
    the file; the encoding is a guess, so it is named as one.

    Example:
        >>> str(not_utf8("t.csv", 3, 0xe9))  # doctest: +NORMALIZE_WHITESPACE
        't.csv:3: not UTF-8 text (byte 0xe9, \\'é\\' if the file is Windows-1252 / Latin-1); save it as UTF-8
        ("CSV UTF-8" in Excel), or convert it: iconv -f WINDOWS-1252 -t UTF-8 t.csv > t-utf8.csv'
    """
    try:
        letter = bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        letter = ""
    if not letter.isprintable() or not letter or byte < 0x80:
        return UserError(f"{name}:{line}: not UTF-8 text (byte 0x{byte:02x}); save the file as UTF-8")
    return UserError(
        f"{name}:{line}: not UTF-8 text (byte 0x{byte:02x}, {letter!r} if the file is Windows-1252 / Latin-1); save it "
        f"as UTF-8 (\"CSV UTF-8\" in Excel), or convert it: {iconv_command(name, 'WINDOWS-1252')}"
    )


def nfc(text: str) -> str:
    """``text`` in Unicode's composed form (NFC), as names and classes are compared.

    macOS and some tools write accented letters decomposed (``e`` then a combining accent, NFD);
    they look the same as the composed ``é`` a keyboard types, so a column ``espèce`` must be found
    by ``--data.target espèce`` and a class ``sétosa`` be one class however each file writes it.

    Example:
        >>> nfc("e\u0301") == "\u00e9"
        True
    """
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def load(
    source: Any, header: Header, skiprows: int, converters: dict[int, Any], usecols: Sequence[int] | None = None,
    dtype: Any = np.float32,
) -> np.ndarray:
    """Every cell of ``source`` (the file's name, or its lines) after ``skiprows`` lines, as float32 ``(rows, columns)``
    (or the ``usecols`` columns as ``dtype``)."""
    if isinstance(source, str):
        source = numpy_source(source)  # a compressed or UTF-16 file: its text
    with warnings.catch_warnings(), source if isinstance(source, io.IOBase) else contextlib.nullcontext():
        # a header-only file is refused in one line; numpy's own notice would repeat it
        warnings.filterwarnings("ignore", message="loadtxt: input contained no data", category=UserWarning)
        return np.loadtxt(
            source, delimiter=header.delimiter, skiprows=skiprows, dtype=dtype, comments=None, usecols=usecols,
            quotechar='"', encoding="utf-8-sig", ndmin=2, converters=converters or None,
        )


def feature_converters(header: Header, positions: Sequence[int]) -> dict[int, Any]:
    """numpy's converters for the feature columns at ``positions``: none for a decimal point ``.``, whose
    numbers numpy's C parser reads fastest, else :func:`comma_number` for each."""
    return {} if header.decimal == "." else {i: comma_number for i in positions}


def nonblank_rows(header: Header) -> Iterator[str]:
    """The lines after the header that hold more than whitespace (a blank line is no row)."""
    with open_text(header.path) as handle:
        for number, text in enumerate(handle, start=1):
            if number > header.line and text.strip():
                yield text


def rows(header: Header) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` of every row after the header, ``line`` being where the row starts.

    A blank line (empty, or only spaces and tabs) is no row and is skipped, as numpy skips an
    empty one; a line of delimiters between empty cells (``,,``) is a row, of missing values.
    Unreadable text is refused in one line: bytes that are not UTF-8, and a quoted cell that is not
    closed (a row running over several lines with another number of cells than the header,
    named by the line where the quote opens). A line break in a quoted cell, written CR, LF or
    CRLF, is read as LF, as the training table's reader (numpy's, in text mode) reads it: a class
    written ``"c<CR>d"`` is the same class in training and in prediction.
    """
    name = header.path
    width = len(header.columns)
    physical = header.line
    text = ""

    def decoded(handle: Any) -> Iterator[str]:
        nonlocal physical, text
        for raw in handle:
            physical += 1
            text = raw.decode("utf-8")
            yield text.replace("\r\n", "\n").replace("\r", "\n")

    def unclosed(start: int) -> UserError:
        return UserError(
            f"{name}:{start}: a quoted cell opens on this line and is not closed (the row runs on to line "
            f"{physical}); close the quote"
        )

    with open_table(name) as handle:
        for _ in range(header.line):
            handle.readline()
        reader = csv.reader(decoded(handle), delimiter=header.delimiter)
        start = physical + 1
        try:
            for row in reader:
                if physical > start and len(row) != width:
                    raise unclosed(start)
                if physical > start or text.strip():
                    yield start, row
                start = physical + 1
        except UnicodeDecodeError as error:
            raise not_utf8(name, physical, error.object[error.start]) from None
        except csv.Error as error:
            if physical > start:
                raise unclosed(start) from None
            raise UserError(f"{name}:{physical}: not a readable CSV row ({error})") from None


def is_missing(cell: str) -> bool:
    """Whether a cell is a missing value: one of :data:`MISSING`, or another spelling of NaN that numpy reads.

    Example:
        >>> [is_missing(cell) for cell in (" NA ", "+NaN", "#N/A", "0", "n")]
        [True, True, True, False, False]
    """
    text = cell.strip()
    if text.lower() in MISSING:
        return True
    value = parse_number(text) if "n" in text.lower() else None
    return value is not None and math.isnan(value)


def parse_number(cell: str, decimal: str = ".") -> float | None:
    """The cell's value if numpy's reader takes it for a number, else ``None``.

    That is ASCII digits with an optional sign, ``.`` and exponent (or ``inf`` / ``nan``),
    spaces around allowed. Python's ``float`` also takes ``1_000`` and other scripts' digits
    (``١٢``, ``１``); numpy does not, so neither does blobclf, for training and predicting alike.
    With ``decimal`` ``,`` the decimal point is a comma, read as numpy reads ``.``, and a cell
    with a ``.`` is no number (a thousands separator, or a decimal point written the other way).

    Example:
        >>> parse_number(" -1.5e3 "), parse_number("1_000"), parse_number("\u0661")
        (-1500.0, None, None)
        >>> parse_number("-1,5e3", ","), parse_number("1.5", ","), parse_number("1,5")
        (-1500.0, None, None)
    """
    text = cell.strip()  # numpy strips every kind of space, a no-break space too
    if not text.isascii() or "_" in text:
        return None
    if decimal != ".":
        if "." in text:
            return None
        text = text.replace(decimal, ".")
    try:
        return float(text)
    except ValueError:
        return None


def comma_number(cell: str) -> float:
    """numpy's converter for a feature cell written with a decimal comma (``--data.decimal ,``)."""
    value = parse_number(cell, ",")
    if value is None:
        raise ValueError(f"could not convert string {cell!r} to float")  # diagnose() then names the cell
    return value
