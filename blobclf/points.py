"""Reading the points to predict from a CSV file, matching its columns to the model's by name."""

from __future__ import annotations

import math
import os
from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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
    texts: list[str] | None = None
    """Each row's numeric feature cells as the file writes them (stripped), joined by NUL (``None``: not read from a
    file), so that predictions echo ``40`` as ``40``, not as its float32 value's ``40.0``."""


def read_points(
    path: str | os.PathLike[str],
    feature_names: Sequence[str],
    classes: Sequence[str] | None = None,
    label_column: str = LABEL_COLUMN,
    delimiter: str | None = None,
    decimal: str = ".",
    categories: Mapping[str, Sequence[str]] | None = None,
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
    for feature in feature_names:
        if feature not in columns:
            raise UserError(
                f"{name}:{header.line}: no column {feature!r}, which the model needs{named_alike(feature, columns)}; "
                "the columns are: "
                f"{shown_columns(columns)} (the model's features: {shown_columns(feature_names)}){header_hint(header)}"
            )
    index = {column: i for i, column in enumerate(columns)}
    wanted = [index[f] for f in feature_names]
    label_at = index.get(label_column)
    carried_at = [(column, i) for column, i in index.items() if column not in feature_names and i != label_at]
    added = output_columns(classes)
    for column, i in carried_at:
        if column in added:
            raise UserError(
                f"{name}:{header.line}: column {i + 1} is named {column!r}, a column the predictions add (is this "
                "an earlier predictions file?); rename it or drop it"
            )
    known = {c: i for i, c in enumerate(classes)} if classes is not None else None
    categories = {nfc(column): [nfc(value) for value in values] for column, values in (categories or {}).items()}
    positions = {column: {value: i for i, value in enumerate(values)} for column, values in categories.items()}
    values = array("f")  # 4 bytes a value, however long the file
    labels = array("q")
    carried: dict[str, list[str]] = {column: [] for column, _ in carried_at}
    numeric = [i for feature, i in zip(feature_names, wanted, strict=True) if feature not in positions]
    texts: list[str] = []  # one string a row (not one a cell): a million rows of 10 features hold about 140 MB
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
            texts.append("\0".join(row[i].strip() for i in numeric))
        if label_at is not None:
            try:
                labels.append(_label(row[label_at], name, line, label_column, known))
            except UserError as error:
                raise joined_tables(header, line, row) or error from None
        for column, i in carried_at:
            carried[column].append(row[i])
    count = len(values) // max(len(feature_names), 1)
    if count == 0:
        raise UserError(f"{name}: the file has a header but no points")
    features = torch.frombuffer(values, dtype=torch.float32).clone().reshape(count, len(feature_names))
    columns = list(feature_names)
    if categories:
        check_inputs_memory(name, count, len(encoded_names(feature_names, categories)))
        features = torch.from_numpy(encode(features.numpy(), feature_names, categories))
        feature_names = encoded_names(feature_names, categories)
    if label_at is not None:
        y = torch.frombuffer(labels, dtype=torch.int64).clone()
    else:
        y = torch.full((count,), -1, dtype=torch.int64)
    return Points(features, y, list(feature_names), carried, columns, categories, texts if numeric else None)


def check_inputs_memory(path: str, rows: int, inputs: int) -> None:
    """Refuse, before they are made, the one-hot inputs of a file's ``rows`` (to test or predict) that the memory
    available cannot hold: ``rows * inputs`` float32 values, made at once. A model of many categories is as it was
    trained; the file is what can be smaller.

    Raises:
        UserError: naming the sizes and the rows per file that fit.
    """
    from blobclf.data import available_memory, memory_size  # blobclf.data imports this module

    needed = rows * inputs * 4
    available = available_memory()
    if available is not None and needed > available:
        # a third: a full batch's standardization, (x - mean) / scale, makes two more of them (measured: 100,000
        # rows of 2,001 inputs, 0.8 GB, predicted at a 2.8 GB peak)
        fit = max(available // (inputs * 4 * 3), 1)
        raise UserError(
            f"{path}: {rows:,} rows of the model's {inputs:,} inputs (its categories one-hot) need about "
            f"{memory_size(needed)} of memory and {memory_size(available)} is available; split the file into files of "
            f"at most {fit:,} rows"
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
        shown = ", ".join(known)
        fix = written_alike(text, known) or (
            f"; remove its rows (the model never saw the class), or the {column!r} column to predict without known "
            "classes")
        raise UserError(f"{name}:{line}: {column}={shown_cell(cell)} is not one of the model's classes ({shown}){fix}")
    return known[text]
