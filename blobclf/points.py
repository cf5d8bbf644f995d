"""Reading the points to predict from a CSV file, matching its columns to the model's by name."""

from __future__ import annotations

import math
import os
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from blobclf.errors import UserError
from blobclf.table import check_row_lengths, read_header
from blobclf.tablecategories import encode, encoded_names, missing_category, unknown_category
from blobclf.tablecells import Header, is_missing, nfc, parse_number, rows
from blobclf.tablehints import (
    FINITE_FIX,
    FLOAT32_MAX,
    cell_fix,
    comment_line,
    header_hint,
    joined_tables,
    named_alike,
    shown_cell,
    shown_columns,
    written_alike,
)

LABEL_COLUMN = "label"
"""The column of known classes in a blob run's prediction input."""
PREDICTED_COLUMN = "predicted"
"""The column of predicted classes that ``predict`` adds to its output."""


class WrittenCells(Sequence[tuple[str, ...]]):
    """Each row's numeric feature cells as a file writes them, stripped: ``cells[i]`` is row ``i``'s, a tuple of
    strings (``("40", "1.50")``), made when asked for.

    Held as one string a row, its cells joined by NUL, which no number holds: a million rows of 10 features take
    about 125 MB so, 680 MB as tuples of strings (tracemalloc). A row not yet given (:meth:`put`) is ``None``.

    Args:
        rows: The rows' cells, in order; or a number of rows, each given later with :meth:`put`.

    Example:
        >>> cells = WrittenCells([["40", "1.50"], ["+7", "-2e1"]])
        >>> cells[1], len(cells), list(cells) == [("40", "1.50"), ("+7", "-2e1")]
        (('+7', '-2e1'), 2, True)
    """

    def __init__(self, rows: Iterable[Iterable[str]] | int = ()) -> None:
        self._joined: list[str | None] = ([None] * rows if isinstance(rows, int) else
                                          [_JOIN.join(cells) for cells in rows])

    def append(self, cells: Iterable[str]) -> None:
        """Add a row's cells at the end."""
        self._joined.append(_JOIN.join(cells))

    def put(self, index: int, cells: Iterable[str]) -> None:
        """Give row ``index``'s cells."""
        self._joined[index] = _JOIN.join(cells)

    def complete(self) -> bool:
        """Whether every row's cells were given."""
        return all(joined is not None for joined in self._joined)

    def __len__(self) -> int:
        return len(self._joined)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        joined = self._joined[index]
        return None if joined is None else tuple(joined.split(_JOIN))

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        return (self[i] for i in range(len(self)))

    def __repr__(self) -> str:
        return f"WrittenCells({list(self)!r})"


_JOIN = "\0"


@dataclass
class Points:
    """Points to predict: features in the model's column order, labels where known, other columns as text.

    ``labels`` holds class indices, ``-1`` where the class is unknown. ``carried`` maps each column
    that is neither a feature nor the label to its cells, in row order: ``predict`` writes them
    back beside the predictions (an id column, for instance).
    """

    features: Tensor
    labels: Tensor
    feature_names: list[str]
    carried: dict[str, list[str]] = field(default_factory=dict)
    columns: list[str] | None = None
    """The table's feature columns, where a categorical one became several inputs (``None``: ``feature_names``)."""
    categories: dict[str, list[str]] = field(default_factory=dict)
    """The categories of each categorical column of ``columns``, in the order of its one-hot inputs."""
    texts: WrittenCells | None = None
    """Each row's numeric feature cells as the file writes them (``None``: not read from a file), so that predictions
    echo ``40`` as ``40``, not as its float32 value's ``40.0``."""


def read_points(
    path: str | os.PathLike[str],
    feature_names: Sequence[str],
    classes: Sequence[str] | None = None,
    label_column: str = LABEL_COLUMN,
    delimiter: str | None = None,
    decimal: str = ".",
    categories: Mapping[str, Sequence[str]] | None = None,
    batch_rows: int | None = None,
) -> Points:
    """Read a CSV of points: a header row naming the columns, then one row per point.

    Columns are found by name, in any order: every one of ``feature_names`` must be there; a
    ``label_column`` column, if present, holds known classes (one of ``classes``); any other
    column is kept as text and carried through. The file is read as a stream: memory holds 4
    bytes per feature value plus the carried text and the numeric cells as written (one string a row).

    Args:
        path: The CSV file.
        feature_names: The model's feature columns, in the model's order.
        classes: The model's class names (the label column must hold one of them); ``None``
            accepts integer class indices ``0, 1, ...``.
        label_column: Name of the column with known classes.
        delimiter: The column delimiter; ``None`` detects it.
        decimal: The decimal point of the feature cells, ``.`` or ``,`` (read as the training table's reader does).
        categories: The categories of the categorical feature columns, in order: their cells are one-hot
            encoded (:mod:`blobclf.tablecategories`), and ``Points.feature_names`` are the model's inputs.
        batch_rows: The rows the model standardizes at once (``None``: all; ``0``: it does not standardize), for
            the memory the inputs of ``categories`` need (:func:`check_inputs_memory`).

    Raises:
        UserError: naming the file and line, for a missing or empty file, a file that is not
            UTF-8 text, a row longer than its cells can hold (:func:`blobclf.table.check_row_lengths`), a header
            without a feature the model needs, a column named like one the
            predictions add (``predicted``, ``prob_<class>``: an earlier predictions file), a wrong
            cell count, a row of empty cells, a feature that is missing, not a number as the
            training table's reader takes numbers (:func:`blobclf.tablecells.parse_number`) or not
            finite, or a label that is not one of the model's classes. Blank lines are skipped,
            as in training tables.
    """
    header = read_header(path, delimiter, decimal)
    name, columns = header.path, header.columns
    feature_names = [nfc(feature) for feature in feature_names]
    classes = [nfc(value) for value in classes] if classes is not None else None
    label_column = nfc(label_column)
    _refuse_missing_features(header, feature_names)
    index = {column: i for i, column in enumerate(columns)}
    wanted = [index[f] for f in feature_names]
    label_at = index.get(label_column)
    carried_at = [(column, i) for column, i in index.items() if column not in feature_names and i != label_at]
    _refuse_output_columns(header, carried_at, classes)
    known = {c: i for i, c in enumerate(classes)} if classes is not None else None
    categories = {nfc(column): [nfc(value) for value in values] for column, values in (categories or {}).items()}
    positions = {column: {value: i for i, value in enumerate(values)} for column, values in categories.items()}
    values, labels, carried, texts, numeric = _read_rows(header, feature_names, wanted, label_at, label_column, known,
                                                         positions, carried_at)
    count = len(values) // max(len(feature_names), 1)
    if count == 0:
        raise UserError(f"{name}: the file has a header but no points")
    features = torch.frombuffer(values, dtype=torch.float32).clone().reshape(count, len(feature_names))
    columns = list(feature_names)
    if categories:
        check_inputs_memory(name, count, len(encoded_names(feature_names, categories)), batch_rows)
        features = torch.from_numpy(encode(features.numpy(), feature_names, categories))
        feature_names = encoded_names(feature_names, categories)
    if label_at is not None:
        y = torch.frombuffer(labels, dtype=torch.int64).clone()
    else:
        y = torch.full((count,), -1, dtype=torch.int64)
    return Points(features, y, list(feature_names), carried, columns, categories, texts if numeric else None)


def _refuse_missing_features(header: Header, feature_names: Sequence[str]) -> None:
    """Refuse a header without a column of each of the model's features (``feature_names``, NFC)."""
    name, columns = header.path, header.columns
    for feature in feature_names:
        if feature not in columns:
            raise UserError(
                f"{name}:{header.line}: no column {feature!r}, which the model needs{named_alike(feature, columns)}; "
                "the columns are: "
                f"{shown_columns(columns)} (the model's features: {shown_columns(feature_names)}){header_hint(header)}"
            )


def _refuse_output_columns(header: Header, carried_at: Sequence[tuple[str, int]], classes: Sequence[str] | None
                           ) -> None:
    """Refuse a carried column (``carried_at``: name and index) named like one the predictions add (``predicted``,
    ``prob_<class>``): the file is probably an earlier predictions file."""
    name = header.path
    added = output_columns(classes)
    for column, i in carried_at:
        if column in added:
            raise UserError(
                f"{name}:{header.line}: column {i + 1} is named {column!r}, a column the predictions add (is this "
                "an earlier predictions file?); rename it or drop it"
            )


def _read_rows(
    header: Header, feature_names: Sequence[str], wanted: Sequence[int], label_at: int | None, label_column: str,
    known: Mapping[str, int] | None, positions: Mapping[str, Mapping[str, int]], carried_at: Sequence[tuple[str, int]],
) -> tuple[array[float], array[int], dict[str, list[str]], WrittenCells, list[int]]:
    """Read the rows after ``header``, checking each cell: the feature values (4 bytes each, a categorical one's as
    its category's index in ``positions``), the labels (the column at ``label_at``: indices into ``known``), the
    carried columns' cells (``carried_at``), the numeric cells as written, and the indices of the numeric columns.

    Args:
        header: The file's header (:func:`blobclf.table.read_header`).
        feature_names: The model's feature columns (NFC), in the model's order.
        wanted: The column index of each of ``feature_names``.
        label_at: The label column's index; ``None`` without one.
        label_column: The label column's name.
        known: Each class name's index; ``None`` takes integer class indices.
        positions: Each categorical feature column's categories, with their indices.
        carried_at: The columns carried through, with their indices.
    """
    name, columns = header.path, header.columns
    values = array("f")  # 4 bytes a value, however long the file
    labels = array("q")
    carried: dict[str, list[str]] = {column: [] for column, _ in carried_at}
    numeric = [i for feature, i in zip(feature_names, wanted, strict=True) if feature not in positions]
    texts = WrittenCells()  # one string a row (not one a cell): a million rows of 10 features hold about 125 MB
    width = len(columns)
    check_row_lengths(header)  # before the csv module splits a 200 MB row into millions of cells
    for line, row in rows(header):
        if len(row) != width:
            raise comment_line(name, line, row, width) or UserError(
                f"{name}:{line}: {len(row)} columns, expected {width} as in the header"
            )
        if not any(cell.strip() for cell in row):
            raise UserError(
                f"{name}:{line}: a row of empty cells (missing values); fill it in or remove it (blobclf drops no "
                "row itself)"
            )
        for feature, i in zip(feature_names, wanted, strict=True):
            try:
                if feature in positions:
                    values.append(_category(row[i], header, line, feature, positions[feature]))
                    continue
                values.append(_number(row[i], header, line, feature))
            except UserError:
                comment = (comment_line(name, line, row, width) if i == 0 else None) or joined_tables(header, line, row)
                if comment is None:
                    raise
                raise comment from None
        if numeric:
            texts.append(row[i].strip() for i in numeric)
        if label_at is not None:
            try:
                labels.append(_label(row[label_at], name, line, label_column, known))
            except UserError as error:
                raise joined_tables(header, line, row) or error from None
        for column, i in carried_at:
            carried[column].append(row[i])
    return values, labels, carried, texts, numeric


def check_inputs_memory(path: str, rows: int, inputs: int, batch_rows: int | None = None,
                        fix: str = "split the file into files of at most {rows:,} rows") -> None:
    """Refuse, before they are made, the one-hot inputs of a file's ``rows`` (to test or predict) that the memory
    available cannot hold at their peak: ``rows * inputs`` float32 values, made at once, and the model's
    standardization of each batch, ``(x - mean) / scale``, one more of the batch's size
    (:class:`~blobclf.model.ScaledBlobModel`). Measured with ``/usr/bin/time -v``: 40,000 rows of 5,002 inputs
    (763 MiB) predicted full-batch at 1.57 GiB above the 0.5 GiB of a 100-row file, twice the inputs; with batches of
    4,096 rows at 0.85 GiB above it. A model of many categories is as it was trained; the file is what can be
    smaller.

    Args:
        path: The file, for the message.
        rows: Its rows.
        inputs: The model's inputs (its categories one-hot).
        batch_rows: The rows the model standardizes at once: ``None`` for all of them (full-batch), ``0`` for a
            model that does not standardize.
        fix: What to do, ``{rows}`` the rows that fit.

    Raises:
        UserError: naming the sizes and the rows per file that fit.
    """
    from blobclf.data import available_memory, memory_size  # blobclf.data imports this module

    row_bytes = inputs * 4
    batch = rows if batch_rows is None else min(rows, batch_rows)
    needed = (rows + batch) * row_bytes
    available = available_memory()
    if available is not None and needed > available:
        fit = max(available // (row_bytes * (1 if batch_rows == 0 else 2)), 1)
        if batch_rows:
            fit = max((available - batch * row_bytes) // row_bytes, 1)
        copy = "" if not batch else " (with their standardized copy)" if batch == rows else (
            f" (with a standardized batch of {batch:,} rows)")
        raise UserError(
            f"{path}: {rows:,} rows of the model's {inputs:,} inputs (its categories one-hot) need about "
            f"{memory_size(needed)} of memory{copy} and {memory_size(available)} is available; "
            + fix.format(rows=fit)
        )


def output_columns(classes: Sequence[str] | None) -> set[str]:
    """The columns ``predict`` adds to its output: ``prob_<class>`` for each class and ``predicted``.

    With ``classes`` unknown (``None``) only ``predicted``.
    """
    return {PREDICTED_COLUMN, *(f"prob_{c}" for c in classes or ())}


def _number(cell: str, header: Header, line: int, column: str) -> float:
    name = header.path
    value = parse_number(cell, header.decimal)
    if is_missing(cell):  # nan included, as in training tables
        raise UserError(
            f"{name}:{line}: {column}={shown_cell(cell)} is a missing value; fill it in or remove the row "
            "(blobclf drops no row itself)"
        )
    if value is None:
        fix = cell_fix(header, cell) or "; write a number there: the model was trained on numbers in this column"
        raise UserError(f"{name}:{line}: {column}={shown_cell(cell)} is not a number{fix}")
    if not math.isfinite(value) or abs(value) > FLOAT32_MAX:
        raise UserError(f"{name}:{line}: {column}={shown_cell(cell)} is not a finite number{FINITE_FIX}")
    return value


def _category(cell: str, header: Header, line: int, column: str, known: dict[str, int]) -> float:
    text = nfc(cell.strip())
    if is_missing(text):
        raise missing_category(header.path, line, column, cell, list(known))
    if text not in known:
        raise unknown_category(header.path, line, column, text, list(known))
    return float(known[text])


def _label(cell: str, name: str, line: int, column: str, known: dict[str, int] | None) -> int:
    text = nfc(cell.strip())
    if known is None:
        if text.isascii() and text.isdigit() and len(text) <= 9:
            return int(text)
        raise UserError(f"{name}:{line}: {column}={shown_cell(cell)} is not a class index (0, 1, ...)")
    if text not in known and is_missing(text):
        raise UserError(
            f"{name}:{line}: {column}={shown_cell(cell)} is a missing class; give every row's class, or remove the "
            f"{column!r} column to predict without known classes (blobclf drops no row itself)"
        )
    if text not in known:
        shown = shown_columns(list(known))  # a model of 100,000 classes: the first 20 and how many more
        fix = written_alike(text, known) or (
            f"; remove its rows (the model never saw the class), or the {column!r} column to predict without known "
            "classes")
        raise UserError(f"{name}:{line}: {column}={shown_cell(cell)} is not one of the model's classes ({shown}){fix}")
    return known[text]
