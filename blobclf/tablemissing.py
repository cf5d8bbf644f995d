"""Rows with empty cells, left out on request: ``--data.missing drop``, as a scikit-learn user calls ``dropna()``
before ``train_test_split``.

By default (``refuse``) a missing value (an empty cell, ``NA``, ``?``, ``nan``: :data:`blobclf.tablecells.MISSING`)
in a column used (a feature or the target) is refused with the whole table, naming its lines and columns. With
``drop``, :func:`blobclf.table.read_table` leaves such rows out as it reads the table, before any split, so the
same seed draws the same splits from the same rows; the lines left out are reported by :func:`dropped_note`.
Cells of columns not used (an id, a date left out) never count. Nothing else is dropped: a cell that is not a
number, an infinite one, a class the model does not know are refused as before.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from blobclf.errors import UserError
from blobclf.optionnames import option
from blobclf.tablecells import Header, is_missing, parse_number, rows

MissingValues = Literal["refuse", "drop"]
"""What a table's rows with a missing value in a column used get: refused (the default), or left out."""
SHOWN_LINES = 10
"""The most lines a note of rows left out names (then how many more)."""


def drop_option() -> str:
    """The option that leaves out rows with missing values, as its user gives it (``--data.missing drop``)."""
    return option("missing", "drop") if option("missing").startswith("--") else option("missing", "'drop'")


def missing_number(decimal: str) -> Any:
    """numpy's converter for a numeric feature cell when rows with missing values are dropped: NaN for a missing value
    (:func:`is_missing`), the number as :func:`parse_number` reads it, else ``ValueError`` (the row-by-row diagnosis
    then names the cell)."""

    def convert(cell: str) -> float:
        value = parse_number(cell, decimal)  # first: most cells are numbers (a NaN read is a missing value too)
        if value is not None:
            return value
        if is_missing(cell):
            return math.nan
        raise ValueError(f"could not convert string {cell!r} to float")

    return convert


def missing_rows(features: np.ndarray, numeric: Sequence[int], coded: Sequence[tuple[np.ndarray, dict[str, int]]]
                 ) -> np.ndarray:
    """Whether each row holds a missing value: NaN in a ``numeric`` column of ``features``, or, in a column of
    codes (the target, a categorical feature: ``(codes, value → code)``), the code of a missing value."""
    mask = np.isnan(features[:, list(numeric)]).any(axis=1) if len(numeric) else np.zeros(len(features), dtype=bool)
    for codes, found in coded:
        gaps = [code for value, code in found.items() if is_missing(value)]
        if gaps:
            mask |= np.isin(codes, gaps)
    return mask


def recode(found: dict[str, int], codes: np.ndarray) -> None:
    """Remove the missing values from ``found`` (value → code, in the order first found) and renumber ``codes`` in
    place to match (the rows holding them are gone)."""
    kept = [value for value in found if not is_missing(value)]
    new = np.array([kept.index(value) if not is_missing(value) else -1 for value in found], dtype=codes.dtype)
    codes[:] = new[codes.astype(np.int64)]
    found.clear()
    found.update((value, i) for i, value in enumerate(kept))


def lines_of(header: Header, indices: np.ndarray) -> list[int]:
    """The file's lines where the data rows at ``indices`` (0-based, sorted, blank lines not counted) start."""
    wanted, lines = set(int(i) for i in indices), []
    last = int(indices[-1]) if len(indices) else -1
    for number, (line, _) in enumerate(rows(header)):
        if number in wanted:
            lines.append(line)
        if number >= last:
            break
    return lines


def all_dropped(path: str, total: int, line: int) -> UserError:
    """The refusal of a table whose every row has a missing value in a column used."""
    return UserError(
        f"{path}: every one of the {total} rows has a missing value in a feature or the target (first on line {line}), "
        f"so {drop_option()} leaves no row; fill them in, or leave out the columns that are mostly empty"
    )


def dropped_note(path: str, lines: Sequence[int], total: int) -> str:
    """The note of the rows left out: ``note: t.csv: left out 3 of 590 rows with missing values (lines 12, 40,
    77) (--data.missing drop)``."""
    shown = ", ".join(str(line) for line in lines[:SHOWN_LINES])
    more = f" and {len(lines) - SHOWN_LINES} more" if len(lines) > SHOWN_LINES else ""
    word = "line" if len(lines) == 1 else "lines"
    return (f"note: {path}: left out {len(lines)} of {total} rows with missing values ({word} {shown}{more}) "
            f"({drop_option()})")
