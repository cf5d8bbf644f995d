"""Reading a classification table from a CSV file: named columns, a target column, numeric features.

The fast path is :func:`numpy.loadtxt` (numpy's C parser) over every column of the file, so a
row with too few or too many cells is never silently cut to size. Only when that fails, or finds
a missing or non-finite value, is the file read again, row by row with the :mod:`csv` module, to
say in one line what is wrong and where (:func:`blobclf.tablehints.diagnose`). Nothing is ever dropped: a table
loads whole or not at all.

Line numbers in messages are the file's own (the header is line 1).
"""

from __future__ import annotations

import contextlib
import csv
import math
import os
import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from blobclf.errors import UserError
from blobclf.optionnames import option
from blobclf.tablecells import (
    DELIMITERS,
    Header,
    Table,
    feature_converters,
    is_missing,
    load,
    nfc,
    nonblank_rows,
    not_utf8,
    parse_number,
    rows,
)
from blobclf.tablehints import (
    SPREADSHEET_ERROR,
    SPREADSHEET_FIX,
    check_named,
    diagnose,
    empty_columns,
    header_hint,
    named_alike,
    shown_columns,
    unreadable,
    written_alike,
)
from blobclf.tablecategories import missing_category, stand_in, unknown_category
from blobclf.tablemissing import MissingValues, all_dropped, lines_of, missing_number, missing_rows, recode
from blobclf.tablefile import iconv_command, open_table, utf32
from blobclf.tablenan import NanFilled, Unfilled

SNIFF_BYTES = 64 * 1024
"""At most this much of the header and the rows after it is given to the delimiter sniffer."""
HEADER_BYTES = 4 * 1024 * 1024
"""A header line longer than this (4 MiB) is refused, and so are more blank lines than this before it: a file
without line breaks is not a table. 200,000 columns of 10-letter names take 2.2 MB (10 rows of them read in 1.8 s);
the bound was 64 MiB, and a 16 MB header of 2 million columns with no rows then took 12 s and 1.1 GB to be refused."""
BOM = b"\xef\xbb\xbf"
BINARY_FORMATS = {
    b"PAR1": "a Parquet file",
    b"\x1f\x8b": "a gzip-compressed file",
    b"PK\x03\x04": "a zip archive",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "an Excel (.xls) workbook",
    b"BZh": "a bzip2-compressed file",
    b"\xfd7zXZ\x00": "an xz-compressed file",
    b"\x28\xb5\x2f\xfd": "a zstd-compressed file",
}
"""First bytes of file formats that are not CSV text, and what each is called in the error."""
UNPACK = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz", b"\x28\xb5\x2f\xfd": "zstd"}
"""The program that decompresses a compressed file of :data:`BINARY_FORMATS`, for its refusal: zstd, which Python
3.11's standard library cannot read, or a file compressed twice (``t.csv.gz.gz``; gzip, bzip2 and xz are read
once: :mod:`blobclf.tablefile`)."""
EXCEL_SEP = re.compile(rb"sep=([\x21-\x7e\t])")
"""A first line stating the delimiter, ``sep=;``, as Excel reads and some tools write before the header."""


def read_header(path: str | os.PathLike[str], delimiter: str | None = None, decimal: str = ".") -> Header:
    """Read the header row of a CSV file (the first non-blank line) and find its delimiter.

    A first line ``sep=X`` (Excel's way of stating the delimiter) gives the delimiter, and the
    header is the next non-blank line; a different ``delimiter`` given is refused. With
    ``decimal`` ``,`` the delimiter is detected among the others, and a file delimited by ``,``
    is refused (a cell ``1,5`` could be two).

    The whole header line is read, up to :data:`HEADER_BYTES`; the delimiter is sniffed from at most
    :data:`SNIFF_BYTES` of it and the complete rows that follow within that bound.

    Raises:
        UserError: for a missing file, a folder, a file of another format (Parquet, gzip, zip or
            Excel), an empty file, a file that is not UTF-8, a header of numbers (a file without a
            header row) or a column name used twice.
    """
    name = os.fspath(path)
    file = Path(path)
    if file.is_dir():
        raise UserError(f"{name} is a folder, not a CSV file; give the path of the table file itself")
    if file.is_symlink() and not file.exists():
        raise UserError(f"{name} is a symbolic link to {os.readlink(file)}, which does not exist; give the table "
                        "itself")
    if file.exists() and not file.is_file():
        raise UserError(f"{name} is not a regular file (a pipe or device: reading it might never end); give the path "
                        "of the table file itself")
    if not file.is_file():
        raise UserError(f"{name}: no such file")
    with open_table(name) as handle:
        check_text_file(name, handle.peek(8)[:8])
        while handle.peek(len(BOM))[: len(BOM)] == BOM:  # a BOM twice: a BOM file saved again by a tool adding one
            handle.read(len(BOM))
        line, raw = _first_nonblank_line(name, handle)
        stated = EXCEL_SEP.fullmatch(raw.rstrip(b"\r\n")) if line is not None else None
        if stated is not None and line is not None:
            # Excel's "sep=;" line: it states the delimiter, and the header follows it
            if delimiter is not None and delimiter != stated[1].decode():
                raise UserError(
                    f"{name}:{line}: the file states its delimiter ({raw.decode().strip()}), but --data.delimiter is "
                    f"{delimiter!r}; give --data.delimiter {stated[1].decode()!r} or leave it out"
                )
            delimiter = stated[1].decode()
            skipped = line
            line, raw = _first_nonblank_line(name, handle)
            line = line + skipped if line is not None else None
        if line is not None:
            check_line_breaks(name, line, raw)
            line, raw = _whole_record(name, handle, line, raw, delimiter or DELIMITERS)
        following = handle.read(SNIFF_BYTES)
    if line is None:
        raise UserError(f"{name}: the file is empty; expected a header row naming the columns, then one row per sample")
    text = _utf8(name, line, raw, whole=True).rstrip("\r\n")
    if delimiter is None:
        cut = len(following) == SNIFF_BYTES
        rest = _utf8(name, line + 1, following, whole=not cut).splitlines()
        if cut and rest:
            rest.pop()  # a row cut at the sample's end would mislead the sniffer
        sample = text[:SNIFF_BYTES]
        for row in rest[:20]:
            if len(sample) + len(row) > SNIFF_BYTES:
                break
            sample += "\n" + row
        delimiter = sniff_delimiter(sample, DELIMITERS.replace(decimal, ""))
    if decimal == "," == delimiter:
        raise UserError(
            f"{name}:{line}: the columns are separated by {delimiter!r}, which --data.decimal {decimal!r} takes as the "
            "decimal point (a cell '1,5' could be two); give --data.decimal '.' for a file that writes '1.5', or save "
            "it with ';' between columns"
        )
    try:
        columns = [nfc(cell.strip()) for cell in next(csv.reader([text], delimiter=delimiter))]
    except csv.Error as error:  # a column name past the csv module's field limit (128 KiB)
        raise UserError(f"{name}:{line}: not a readable header row ({error}); is this a CSV file?") from None
    if all(parse_number(cell, decimal) is not None for cell in columns):
        raise UserError(
            f"{name}:{line}: the first row holds numbers ({columns[0]!r}, ...), not column names; "
            "add a header row naming the columns"
        )
    seen: dict[str, int] = {}
    header = Header(name, columns, delimiter, line, stated is not None, decimal)
    blank = columns.count("") > 1 and blank_unnamed(header)
    for position, column in enumerate(columns, start=1):
        if column == "" and blank:
            continue  # left out as one by name, or refused as unnamed (check_named)
        if column == "" and column in seen:
            raise UserError(
                f"{name}:{line}: columns {seen[column]} and {position} have no name (a saved index, a delimiter at the "
                "end of each line, empty columns a spreadsheet kept?); name them, or delete them"
            )
        if column in seen:
            raise UserError(
                f"{name}:{line}: column name {column!r} appears twice in the header (columns {seen[column]} and "
                f"{position}); rename one"
            )
        seen[column] = position
    return header


def blank_unnamed(header: Header) -> bool:
    """Whether every column without a name holds only blank cells (empty columns a spreadsheet kept, ``a,b,kind,,``):
    such columns can be left out as one (``--data.features``), though their names cannot tell them apart. Reads
    the whole file, for a header of two or more such columns only."""
    unnamed = [i for i, column in enumerate(header.columns) if column == ""]
    try:
        return all(not row[i].strip() for _, row in rows(header) for i in unnamed if i < len(row))
    except UserError:
        return False  # a row that cannot be read: the table's own checks name it


def check_text_file(name: str, start: bytes) -> None:
    """Refuse, naming its format, a file whose first bytes (decompressed, UTF-16 as UTF-8: :func:`open_table`) are
    those of a binary format (:data:`BINARY_FORMATS`) or of UTF-32 text.
    """
    if utf32(start):
        raise UserError(
            f"{name} is UTF-32 text; blobclf reads UTF-8 and UTF-16: save it as \"CSV UTF-8\", or convert it: "
            f"{iconv_command(name, 'UTF-32')}"
        )
    for magic, what in BINARY_FORMATS.items():
        if start.startswith(magic):
            fix = "save it as CSV (see docs/tables.md)"
            if magic == b"PK\x03\x04" and Path(name).suffix.lower() in (".xlsx", ".xlsm"):
                what = "an Excel workbook"
            elif magic == b"PK\x03\x04":
                fix = f"unpack it (unzip {shlex.quote(name)}) and give the CSV inside"
            elif magic in UNPACK:
                path = Path(name)
                out = path.with_suffix("") if path.suffix.lower() in (".gz", ".bz2", ".xz", ".zst") else "table.csv"
                fix = f"decompress it first: {UNPACK[magic]} -dc {shlex.quote(name)} > {shlex.quote(str(out))}"
            raise UserError(f"{name} is {what}; blobclf reads CSV text only: {fix}")


def check_line_breaks(name: str, line: int, raw: bytes) -> None:
    """Refuse a file whose lines end in a carriage return alone (``\\r``), read as one endless header line.

    Classic Mac OS, and Excel for Mac's "CSV (Macintosh)" format, end lines so; every reader here
    (numpy's, the :mod:`csv` module's row by row) splits lines at ``\\n``. ``raw`` is the header
    line as read, up to its first ``\\n``.
    """
    if b"\r" in raw.rstrip(b"\r\n"):
        raise UserError(
            f"{name}:{line}: the lines end in a carriage return alone (CR, as classic Mac OS and Excel's \"CSV "
            "(Macintosh)\" save); save the file with LF or CRLF line endings (\"CSV UTF-8\" in Excel)"
        )


def _first_nonblank_line(name: str, handle: Any) -> tuple[int | None, bytes]:
    """The number and bytes of the first line holding more than whitespace (``None`` if there is none).

    More than :data:`HEADER_BYTES` of blank lines before it are refused: read a line at a time, a file of a
    billion line breaks (a small compressed one expands to that) took minutes to be found empty."""
    blank = 0
    for number, raw in enumerate(iter(lambda: handle.readline(HEADER_BYTES + 1), b""), start=1):
        if len(raw) > HEADER_BYTES:
            check_line_breaks(name, number, raw)
            raise header_too_long(name, number)
        if raw.strip():
            return number, raw
        blank += len(raw)
        if blank > HEADER_BYTES:
            raise UserError(
                f"{name}: more than {HEADER_BYTES >> 20} MiB of blank lines and no header row; is this a CSV file?"
            )
    return None, b""


def header_too_long(name: str, line: int) -> UserError:
    """The refusal of a header line longer than :data:`HEADER_BYTES` (``line`` the line where it passes it)."""
    return UserError(
        f"{name}:{line}: the header line is longer than {HEADER_BYTES >> 20} MiB, the most blobclf reads; is this a "
        "CSV file? A table that wide: keep only the columns to train on (200,000 columns of 10-letter names take "
        "2.2 MB)"
    )


def _open_quote(record: bytes, delimiters: str) -> bool:
    """Whether ``record`` ends inside a quoted cell, as the :mod:`csv` module reads it: a ``"`` opens one at the
    start of a cell (after any of ``delimiters``), ``""`` inside it is a quote, a lone ``"`` closes it."""
    starts = {ord(d) for d in delimiters} | {ord("\n")}
    quoted, i = False, record.find(b'"')
    while i != -1:
        if quoted and record[i + 1 : i + 2] == b'"':
            i += 1  # an escaped quote
        elif quoted:
            quoted = False
        elif i == 0 or record[i - 1] in starts:
            quoted = True
        i = record.find(b'"', i + 1)
    return quoted


def _whole_record(name: str, handle: Any, line: int, raw: bytes, delimiters: str) -> tuple[int, bytes]:
    """The header row that starts with ``raw`` (on ``line``): with the lines that follow it while a quoted name
    holds a line break (a cell of two lines in Excel, ``"Weight<Alt+Enter>(kg)"``), and the number of its last
    line, after which the rows start."""
    first = line
    while _open_quote(raw, delimiters):
        more = handle.readline(HEADER_BYTES + 1)
        if not more:
            raise UserError(
                f"{name}:{first}: a quoted column name opens on this line and is not closed (the header runs on to "
                f"the end of the file, line {line}); close the quote"
            )
        raw, line = raw + more, line + 1
        if len(raw) > HEADER_BYTES:
            raise header_too_long(name, line)
    return line, raw


def _utf8(name: str, line: int, data: bytes, whole: bool) -> str:
    """``data`` (starting on ``line``) decoded; a character cut at the end is dropped unless ``whole``."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if whole or error.start < len(data) - 4:  # not just a character cut at the sample's end
            bad = line + data[: error.start].count(b"\n")
            raise not_utf8(name, bad, data[error.start]) from None
        return data[: error.start].decode("utf-8")


def sniff_delimiter(sample: str, delimiters: str = DELIMITERS) -> str:
    """The delimiter of ``sample`` (the header and first rows), one of ``delimiters``; ``,`` if unclear."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=delimiters).delimiter
    except csv.Error:
        return ","


def read_table(
    path: str | os.PathLike[str],
    target: str | None,
    features: Sequence[str] | None = None,
    classes: Sequence[str] | None = None,
    delimiter: str | None = None,
    decimal: str = ".",
    selection: str | None = None,
    categorical: Sequence[str] = (),
    categories: Mapping[str, Sequence[str]] | None = None,
    missing: MissingValues = "refuse",
) -> Table:
    """Read a CSV table with a header row: numeric feature columns and (optionally) a target column.

    Args:
        path: The CSV file.
        target: Name of the column holding the class of each row; ``None`` reads features only.
        features: Names of the feature columns; ``None`` takes every column but the target.
            Columns that are neither features nor the target are read past (any text).
        classes: The known class names, in order; a target value outside them is refused.
            ``None`` takes the values found, ordered by :func:`class_order`.
        delimiter: The column delimiter; ``None`` detects it from the first rows.
        decimal: The decimal point of the feature cells, ``.`` or ``,``: ``14,23`` is then read
            exactly as ``14.23`` is with ``.``.
        selection: The option the user chose the features with, ``"features"``, ``"exclude"`` or ``"neither"``
            (a refusal offers that one, or the shorter: see :func:`leave_out_option`); ``None`` takes
            ``"features"`` when ``features`` is given, else ``"neither"``.
        categorical: Feature columns read as categories (text), not numbers (:mod:`blobclf.tablecategories`).
        categories: The known categories of each of ``categorical``, in order; a value outside them is refused.
            ``None`` takes the values found (``Table.categories``: in the order first found).
        missing: What a row with a missing value in a feature or the target gets: ``"refuse"``d with the table, or
            ``"drop"``ped, the lines left out recorded in ``Table.dropped_lines`` (:mod:`blobclf.tablemissing`).

    Raises:
        UserError: one line naming the file, line, column and value, for anything that would
            make the table load only in part or differently from what it says.
    """
    header = read_header(path, delimiter, decimal)
    name, columns = header.path, header.columns
    target = nfc(target) if target is not None else None
    features = [nfc(column) for column in features] if features is not None else None
    classes = [nfc(value) for value in classes] if classes is not None else None
    if target is not None and target not in columns:
        alike = named_alike(target, columns, f"give {option('target', '{alike}')}")
        raise UserError(
            f"{name}: no target column {target!r}{alike}; the columns are: {shown_columns(columns)} (choose one with "
            f"{option('target')}){header_hint(header)}"
        )
    feature_names = list(features) if features is not None else [c for c in columns if c != target]
    # sets: lists made a 2 MB header of 200,000 columns run for minutes
    known, chosen = set(columns), set(feature_names)
    for column in feature_names:
        if column not in known:
            raise UserError(
                f"{name}: {option('features')} names {column!r}, which is not a column; the columns are: "
                f"{shown_columns(columns)}"
            )
    if target is not None and target in feature_names:
        raise UserError(f"{name}: the target column {target!r} is also listed in {option('features')}; leave it out "
                        "there")
    if len(chosen) != len(feature_names):
        twice = next(c for c in feature_names if feature_names.count(c) > 1)
        raise UserError(f"{name}: {option('features')} names {twice!r} twice")
    if not feature_names:
        raise UserError(f"{name}: no feature columns: the table has only the target column {target!r}")
    if selection is None:
        selection = "features" if features is not None else "neither"
    categorical = [nfc(column) for column in categorical]
    for column in categorical:
        if column not in feature_names:
            where = ("the target column" if column == target else "not a feature column" if column in columns
                     else "not a column")
            raise UserError(
                f"{name}: {option('categorical')} names {column!r}, {where}; the features are: "
                f"{shown_columns(feature_names)}"
            )
    check_named(header, feature_names, target, by_default=selection != "features", selection=selection,
                categorical=categorical)

    check_row_lengths(header)
    index = {column: i for i, column in enumerate(columns)}
    codes: dict[str, int] = {}
    # by position: columns without a name (left out, and blank) share the name ''
    converters: dict[int, Any] = {i: _zero for i, column in enumerate(columns) if column not in chosen}
    converters.update(feature_converters(header, [index[c] for c in feature_names if c not in categorical]))
    values: dict[str, dict[str, int]] = {column: {} for column in categorical}
    for column in categorical:
        converters[index[column]] = lambda cell, found=values[column]: found.setdefault(nfc(cell.strip()), len(found))
    if target is not None:
        converters[index[target]] = lambda cell: codes.setdefault(nfc(cell.strip()), len(codes))
    drop = missing == "drop"
    filled: NanFilled | None = None  # the rows read with missing cells written nan (drop)
    try:
        data = load(name, header, header.line, converters)
    except (ValueError, UnicodeDecodeError) as error:
        # lines of spaces, which numpy reads as one-cell rows, are no rows: read again without them
        # (before any row-by-row diagnosis, which is slow on a large table)
        codes.clear()
        for found_values in values.values():
            found_values.clear()
        try:
            if "changed from" not in str(error) and not drop:
                raise
            filled = NanFilled(header) if drop and header.decimal == "." else None
            data = _filled(header, converters, filled, codes, values) if filled is not None else None
            if data is None:
                filled = None
                if drop:  # read again, missing values as NaN, cell by cell in Python (a quote, a decimal comma)
                    numeric = [index[c] for c in feature_names if c not in categorical]
                    converters.update({i: missing_number(header.decimal) for i in numeric})
                data = load(nonblank_rows(header), header, 0, converters)
        except (ValueError, UnicodeDecodeError) as again:
            diagnose(header, feature_names, target, selection, trained=classes is not None, categorical=categorical,
                     missing=missing)
            raise unreadable(header, again) from None
    if data.shape[0] == 0:
        raise UserError(f"{name}: the file has a header but no rows")
    if data.shape[1] != len(columns):  # every row has the same other number of cells
        diagnose(header, feature_names, target, selection, trained=classes is not None, categorical=categorical,
                 missing=missing)
        raise UserError(f"{name}: {data.shape[1]} columns in every row, expected {len(columns)} as in the header")
    dropped_lines: list[int] = []
    kept_rows = None
    if drop:
        numeric_columns = [index[c] for c in feature_names if c not in categorical]
        coded = [(data[:, index[c]], values[c]) for c in categorical]
        coded += [(data[:, index[target]], codes)] if target is not None else []
        gaps = missing_rows(data, numeric_columns, coded)
        if gaps.any():
            total = len(data)
            dropped = np.flatnonzero(gaps)
            dropped_lines = (lines_of(header, dropped) if filled is None or filled.blank_lines
                             else (dropped + header.line + 1).tolist())  # no blank line: a row's line is its place
            empty = {c: [0, int(np.isnan(data[:, index[c]]).sum())] for c in feature_names if c not in categorical}
            empty_columns(header, feature_names, target, selection, empty, total, trained=classes is not None)
            if gaps.all():
                raise all_dropped(name, total, dropped_lines[0])
            kept_rows = np.flatnonzero(~gaps)
            data = data[kept_rows]
            for column in [*categorical, *([target] if target is not None else [])]:
                recode(values[column] if column in values else codes, data[:, index[column]])
    positions = [index[c] for c in feature_names]
    if positions == list(range(positions[0], positions[0] + len(positions))):
        x = data[:, positions[0] : positions[0] + len(positions)]  # a view: no copy of the largest array
    else:
        x = data[:, positions]
    if not np.isfinite(x).all():
        diagnose(header, feature_names, target, selection, trained=classes is not None, categorical=categorical,
                 missing=missing)
        raise AssertionError(f"{name}: a non-finite feature value that the row-by-row check did not find")
    found_categories: dict[str, list[str]] = {}
    for column in categorical:
        found_values = list(values[column])
        gap = next((value for value in found_values if is_missing(value)), None)
        if gap is not None and categories is not None and stand_in(categories[column]) is not None:
            raise missing_category(name, first_line_of(header, column, gap), column, gap, categories[column])
        if gap is not None:
            diagnose(header, feature_names, target, selection, trained=classes is not None, categorical=categorical,
                     missing=missing)
        if categories is None:
            found_categories[column] = found_values
            continue
        known = {value: i for i, value in enumerate(categories[column])}
        unknown = next((value for value in found_values if value not in known), None)
        if unknown is not None:
            raise unknown_category(name, first_line_of(header, column, unknown), column, unknown, categories[column])
        j = feature_names.index(column)
        remap = np.array([known[value] for value in found_values], dtype=np.float32)
        x[:, j] = remap[x[:, j].astype(np.int64)]
        found_categories[column] = list(categories[column])
    labels = None
    found: list[str] = []
    if target is not None:
        found = list(codes)
        if any(is_missing(value) or "\ufeff" in value for value in found):  # a BOM: two files joined (diagnose)
            diagnose(header, feature_names, target, selection, trained=classes is not None, categorical=categorical,
                     missing=missing)
        error = next((value for value in found if SPREADSHEET_ERROR.fullmatch(value)), None)
        if error is not None:
            raise UserError(
                f"{name}:{first_line_of(header, target, error)}: the target column {target!r} holds {error!r}, not a "
                f"class but {SPREADSHEET_FIX}"
            )
        order = list(classes) if classes is not None else class_order(found)
        position = {value: i for i, value in enumerate(order)}
        unknown = [value for value in found if value not in position]
        if unknown:
            line = first_line_of(header, target, unknown[0])
            fix = written_alike(unknown[0], order) or (
                "; remove its rows (the model never saw the class), or train on a table that has it")
            raise UserError(
                f"{name}:{line}: {target}={unknown[0]!r} is not one of the model's classes "
                f"({shown_columns(order)}){fix}"
            )
        remap = np.array([position[value] for value in found], dtype=np.int64)
        labels = remap[data[:, index[target]].astype(np.int64)]
        found = order
    return Table(name, columns, feature_names, x, target, labels, found, found_categories, dropped_lines, kept_rows)


def _filled(header: Header, converters: dict[int, Any], filled: NanFilled, codes: dict[str, int],
            values: dict[str, dict[str, int]]) -> np.ndarray | None:
    """The table read by numpy from its rows with missing cells written ``nan`` (:mod:`blobclf.tablenan`), or
    ``None`` where that does not apply or numpy refuses it (the codes found so far then cleared)."""
    try:
        with contextlib.closing(filled.lines()) as lines:
            return load(lines, header, 0, converters)
    except (ValueError, UnicodeDecodeError, Unfilled):
        codes.clear()
        for found_values in values.values():
            found_values.clear()
        return None


def check_row_lengths(header: Header) -> None:
    """Refuse a row longer than its cells can be (:data:`HEADER_BYTES`, or the :mod:`csv` module's limit per cell,
    128 KiB, times the header's columns where that is more), found in one pass of 1 MiB chunks before numpy reads it:
    numpy took a 200 MB row of two columns whole (1.4 GB, 9 s) before the row-by-row check refused it."""
    width = len(header.columns)
    bound = max(HEADER_BYTES, width * (csv.field_size_limit() + 1))
    line, since = 0, 0  # the lines read, and the bytes since the last line break
    with open_table(header.path) as handle:
        while chunk := handle.read(1 << 20):
            first = chunk.find(b"\n")
            if first == -1 or since + first > bound:
                since += len(chunk) if first == -1 else first
                if since > bound and line >= header.line:
                    raise UserError(
                        f"{header.path}:{line + 1}: a row is longer than {bound:,} bytes, more than its {width} "
                        "cells can hold (128 KiB each); is this a CSV file of the header's columns?"
                    )
            if first != -1:
                line += chunk.count(b"\n")
                since = len(chunk) - chunk.rfind(b"\n") - 1
    if since > bound:
        raise UserError(
            f"{header.path}:{line + 1}: a row is longer than {bound:,} bytes, more than its {width} cells can hold "
            "(128 KiB each); is this a CSV file of the header's columns?"
        )


def class_order(values: Sequence[str]) -> list[str]:
    """Class names in the order their indices are given: by value if all are numbers, else sorted as text.

    Numbers are those a feature cell may hold (``parse_number``), finite; equal values written
    differently (``1`` and ``1.0``) stay distinct classes, ordered as text.

    Example:
        >>> class_order(["10", "2", "1"])
        ['1', '2', '10']
        >>> class_order(["10.0", "2.5", "-1e3"])
        ['-1e3', '2.5', '10.0']
        >>> class_order(["virginica", "setosa"])
        ['setosa', 'virginica']
    """
    numbers = [parse_number(value) for value in values]
    if all(number is not None and math.isfinite(number) for number in numbers):
        return [value for _, value in sorted(zip(numbers, values, strict=True))]
    return sorted(values)


def first_line_of(header: Header, column: str, value: str) -> int:
    """The line of the file of ``header`` where ``column`` first holds ``value`` (a cell stripped and composed, as
    classes and categories are read), for a refusal naming it; the header's line if no row does."""
    position = header.columns.index(column)
    for line, row in rows(header):
        if len(row) > position and nfc(row[position].strip()) == value:
            return line
    return header.line


def _zero(cell: str) -> float:
    return 0.0


def count_lines(path: str | os.PathLike[str], beyond: int | None = None) -> int:
    """Number of line breaks in a file, counted in 1 MiB chunks; 0 for anything but a regular file (a pipe or
    a device such as ``/dev/zero`` never ends, and opening a pipe waits for a writer). With ``beyond``, counting
    stops at the first chunk that passes it (a count above ``beyond``, not the whole file's): a compressed
    table is then not decompressed whole only to be told large."""
    if not Path(path).is_file():
        return 0
    count = 0
    with open_table(path) as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
            if beyond is not None and count > beyond:
                break
    return count
