"""Reading a classification table from a CSV file: named columns, a target column, numeric features.

The fast path is :func:`numpy.loadtxt` (numpy's C parser) over every column of the file, so a
row with too few or too many cells is never silently cut to size. Only when that fails, or finds
a missing or non-finite value, is the file read again, row by row with the :mod:`csv` module, to
say in one line what is wrong and where (:func:`diagnose`). Nothing is ever dropped: a table
loads whole or not at all.

Line numbers in messages are the file's own (the header is line 1).
"""

from __future__ import annotations

import csv
import math
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from blobclf.errors import UserError

DELIMITERS = ",;\t|"
"""Delimiters the sniffer chooses from when none is given."""
MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
"""Cells (compared stripped and lower-cased) that count as a missing value rather than a bad one."""
SNIFF_BYTES = 64 * 1024
FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass
class Header:
    """The column names of a CSV file and how to read its rows."""

    path: str
    columns: list[str]
    delimiter: str
    line: int
    """Line number of the header row (rows follow it)."""


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


def read_header(path: str | os.PathLike[str], delimiter: str | None = None) -> Header:
    """Read the header row of a CSV file (the first non-blank line) and find its delimiter.

    Raises:
        UserError: for a missing or empty file, a file that is not UTF-8, a header of numbers
            (a file without a header row) or a column name used twice.
    """
    name = os.fspath(path)
    file = Path(path)
    if not file.is_file():
        raise UserError(f"{name}: no such file")
    with file.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    try:
        text = sample.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if error.start < len(sample) - 4:  # not just a character cut at the sample's end
            line = sample[: error.start].count(b"\n") + 1
            raise UserError(
                f"{name}:{line}: not UTF-8 text (byte 0x{sample[error.start]:02x}); save the file as UTF-8"
            ) from None
        text = sample[: error.start].decode("utf-8-sig")
    lines = text.splitlines()
    line = next((i for i, row in enumerate(lines, start=1) if row.strip()), None)
    if line is None:
        raise UserError(f"{name}: the file is empty; expected a header row naming the columns, then one row per sample")
    if delimiter is None:
        delimiter = sniff_delimiter("\n".join(lines[line - 1 : line + 20]))
    columns = [cell.strip() for cell in next(csv.reader([lines[line - 1]], delimiter=delimiter))]
    if all(_is_number(cell) for cell in columns):
        raise UserError(
            f"{name}:{line}: the first row holds numbers ({columns[0]!r}, ...), not column names; "
            "add a header row naming the columns"
        )
    seen: dict[str, int] = {}
    for position, column in enumerate(columns, start=1):
        if column in seen:
            raise UserError(
                f"{name}:{line}: column name {column!r} appears twice in the header (columns {seen[column]} and "
                f"{position}); rename one"
            )
        seen[column] = position
    return Header(name, columns, delimiter, line)


def sniff_delimiter(sample: str) -> str:
    """The delimiter of ``sample`` (the header and first rows), one of :data:`DELIMITERS`; ``,`` if unclear."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def read_table(
    path: str | os.PathLike[str],
    target: str | None,
    features: Sequence[str] | None = None,
    classes: Sequence[str] | None = None,
    delimiter: str | None = None,
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

    Raises:
        UserError: one line naming the file, line, column and value, for anything that would
            make the table load only in part or differently from what it says.
    """
    header = read_header(path, delimiter)
    name, columns = header.path, header.columns
    if target is not None and target not in columns:
        raise UserError(
            f"{name}: no target column {target!r}; the columns are: {', '.join(columns)} (choose one with --data.target)"
        )
    feature_names = list(features) if features is not None else [c for c in columns if c != target]
    for column in feature_names:
        if column not in columns:
            raise UserError(
                f"{name}: --data.features names {column!r}, which is not a column; the columns are: {', '.join(columns)}"
            )
    if target is not None and target in feature_names:
        raise UserError(f"{name}: the target column {target!r} is also listed in --data.features; leave it out there")
    if len(set(feature_names)) != len(feature_names):
        twice = next(c for c in feature_names if feature_names.count(c) > 1)
        raise UserError(f"{name}: --data.features names {twice!r} twice")
    if not feature_names:
        raise UserError(f"{name}: no feature columns: the table has only the target column {target!r}")

    index = {column: i for i, column in enumerate(columns)}
    codes: dict[str, int] = {}
    converters: dict[int, Any] = {i: _zero for column, i in index.items() if column not in feature_names}
    if target is not None:
        converters[index[target]] = lambda cell: codes.setdefault(cell.strip(), len(codes))
    try:
        with warnings.catch_warnings():
            # a header-only file is refused below in one line; numpy's own notice would repeat it
            warnings.filterwarnings("ignore", message="loadtxt: input contained no data", category=UserWarning)
            data = np.loadtxt(
                name, delimiter=header.delimiter, skiprows=header.line, dtype=np.float32, comments=None,
                quotechar='"', encoding="utf-8-sig", ndmin=2, converters=converters or None,
            )
    except (ValueError, UnicodeDecodeError):
        diagnose(header, feature_names, target)
        raise  # diagnose found nothing wrong: a bug, not the user's file
    if data.shape[0] == 0:
        raise UserError(f"{name}: the file has a header but no rows")
    positions = [index[c] for c in feature_names]
    if positions == list(range(positions[0], positions[0] + len(positions))):
        x = data[:, positions[0] : positions[0] + len(positions)]  # a view: no copy of the largest array
    else:
        x = data[:, positions]
    if not np.isfinite(x).all():
        diagnose(header, feature_names, target)
        raise AssertionError(f"{name}: a non-finite feature value that the row-by-row check did not find")
    labels = None
    found: list[str] = []
    if target is not None:
        found = list(codes)
        if any(value.lower() in MISSING for value in found):
            diagnose(header, feature_names, target)
        order = list(classes) if classes is not None else class_order(found)
        position = {value: i for i, value in enumerate(order)}
        unknown = [value for value in found if value not in position]
        if unknown:
            line = _first_line(header, target, unknown[0])
            raise UserError(
                f"{name}:{line}: {target}={unknown[0]!r} is not one of the model's classes ({', '.join(order)})"
            )
        remap = np.array([position[value] for value in found], dtype=np.int64)
        labels = remap[data[:, index[target]].astype(np.int64)]
        found = order
    return Table(name, columns, feature_names, x, target, labels, found)


def class_order(values: Sequence[str]) -> list[str]:
    """Class names in the order their indices are given: by value if all are integers, else sorted as text.

    Example:
        >>> class_order(["10", "2", "1"])
        ['1', '2', '10']
        >>> class_order(["virginica", "setosa"])
        ['setosa', 'virginica']
    """
    if all(_is_integer(value) for value in values):
        return sorted(values, key=int)
    return sorted(values)


def check_classes(table: Table, test_size: float, val_size: float | None = None, separate_test: bool = False) -> None:
    """Refuse a target with one class, or a class too rare for a stratified split.

    Args:
        table: The training table.
        test_size: The fraction held out for testing (unused with ``separate_test``).
        val_size: The fraction of the training split held out for validation, if any.
        separate_test: The test split is another table, so this one is split only for validation.

    Raises:
        UserError: naming the class and its count.
    """
    assert table.labels is not None
    counts = np.bincount(table.labels, minlength=len(table.classes))
    present = [c for c, n in zip(table.classes, counts) if n > 0]
    if len(present) < 2:
        only = repr(present[0]) if present else "none"
        raise UserError(
            f"{table.path}: the target column {table.target!r} holds a single class ({only}); a classifier needs at least 2"
        )
    splits = ["train"] + (["test"] if not separate_test else []) + (["validation"] if val_size is not None else [])
    rarest = int(counts.argmin())
    if counts[rarest] < len(splits):
        raise UserError(
            f"{table.path}: class {table.classes[rarest]!r} has only {int(counts[rarest])} row(s); a stratified "
            f"split into {' and '.join(splits)} needs at least {len(splits)} of every class (add rows of it or remove them)"
        )


def diagnose(header: Header, feature_names: Sequence[str], target: str | None) -> None:
    """Read the table row by row and raise a one-line :class:`UserError` for its first problem.

    The problems, in the order they are looked for: a row that is not UTF-8 or not CSV, a row with
    another number of cells than the header, a feature cell that is not a number or not finite
    (raised at once), and missing values (feature or target; reported after the whole file is
    read, with their count). Returns only if the file has none of these.
    """
    name = header.path
    width = len(header.columns)
    index = {column: i for i, column in enumerate(header.columns)}
    numeric = [(index[c], c) for c in feature_names]
    checked = numeric + ([(index[target], target)] if target is not None else [])
    missing: dict[str, list[int]] = {}
    for line, row in rows(header):
        if len(row) != width:
            raise UserError(f"{name}:{line}: {len(row)} columns, expected {width} as in the header")
        for i, column in checked:
            cell = row[i].strip()
            if cell.lower() in MISSING:
                missing.setdefault(column, [line, 0])[1] += 1
                continue
            if column == target:
                continue
            try:
                value = float(cell)
            except ValueError:
                others = [c for c in feature_names if c != column]
                raise UserError(
                    f"{name}:{line}: feature column {column!r} holds {shown_cell(cell)}, not a number; to leave the column "
                    f"out, list the features: --data.features [{','.join(others)}]"
                ) from None
            if not math.isfinite(value) or abs(value) > FLOAT32_MAX:
                raise UserError(f"{name}:{line}: column {column!r} holds {shown_cell(cell)}, not a finite float32 number")
    if missing:
        column, (line, count) = min(missing.items(), key=lambda item: item[1][0])
        raise UserError(
            f"{name}: column {column!r} has {count} missing value{'s' if count > 1 else ''} (first on line {line}); "
            "fill them in or remove those rows (blobclf drops no row itself)"
        )


def rows(header: Header) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` of every non-blank row after the header, with one-line errors for unreadable text."""
    name = header.path
    physical = 0

    def decoded(handle: Any) -> Iterator[str]:
        nonlocal physical
        for physical, raw in enumerate(handle, start=1):  # noqa: B007 - read by the error message
            if physical > header.line:
                yield raw.decode("utf-8")

    with open(name, "rb") as handle:
        reader = csv.reader(decoded(handle), delimiter=header.delimiter)
        try:
            for row in reader:
                if any(cell.strip() for cell in row):
                    yield header.line + reader.line_num, row
        except UnicodeDecodeError as error:
            raise UserError(
                f"{name}:{physical}: not UTF-8 text (byte 0x{error.object[error.start]:02x}); save the file as UTF-8"
            ) from None
        except csv.Error as error:
            raise UserError(f"{name}:{header.line + reader.line_num + 1}: not a readable CSV row ({error})") from None


def _first_line(header: Header, column: str, value: str) -> int:
    position = header.columns.index(column)
    for line, row in rows(header):
        if len(row) > position and row[position].strip() == value:
            return line
    return header.line


def _zero(cell: str) -> float:
    return 0.0


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _is_integer(cell: str) -> bool:
    text = cell.strip()
    return text.lstrip("+-").isdigit() and text.isascii()


def shown_cell(cell: str) -> str:
    """The cell as it appears in a message: stripped, quoted, and cut short if long."""
    text = cell.strip()
    return repr(text if len(text) <= 40 else text[:37] + "...")


def count_lines(path: str | os.PathLike[str]) -> int:
    """Number of line breaks in a file, counted in 1 MiB chunks."""
    count = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
    return count
