"""Reading points to predict from a CSV file, with errors that name the file and line."""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path

import torch
from torch import Tensor

from blobclf.errors import UserError

LABEL_COLUMN = "label"


def read_points(path: str | os.PathLike[str], n_features: int) -> tuple[Tensor, Tensor | None, list[str]]:
    """Read a CSV of points: a header row, then one row per point, one column per feature.

    An extra last column named ``label`` holds known class indices. Returns the features as a
    float32 tensor, the labels as an int64 tensor (or ``None``), and the feature column names.

    Raises:
        UserError: naming the file and line, for a missing or empty file, a wrong column count,
            or a value that is not a finite number.
    """
    name = os.fspath(path)
    file = Path(path)
    if not file.is_file():
        raise UserError(f"{name}: no such file")
    with file.open(newline="") as handle:
        rows = list(csv.reader(handle))
    rows = [(number, row) for number, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not rows:
        raise UserError(f"{name}: the file is empty; expected a header row and one row per point")
    header_line, header = rows[0]
    header = [cell.strip() for cell in header]
    has_label = header[-1:] == [LABEL_COLUMN]
    expected = n_features + int(has_label)
    if len(header) != expected:
        raise UserError(
            f"{name}:{header_line}: the header has {len(header)} columns, expected {n_features} feature columns"
            f" (plus an optional '{LABEL_COLUMN}' column)"
        )
    if len(rows) == 1:
        raise UserError(f"{name}: the file has a header but no points")
    features: list[list[float]] = []
    labels: list[int] = []
    for line, row in rows[1:]:
        if len(row) != expected:
            raise UserError(f"{name}:{line}: {len(row)} columns, expected {expected} as in the header")
        values = []
        for column, cell in zip(header[:n_features], row[:n_features]):
            try:
                value = float(cell)
            except ValueError:
                raise UserError(f"{name}:{line}: {column}={cell.strip()!r} is not a number") from None
            if not math.isfinite(value):
                raise UserError(f"{name}:{line}: {column}={cell.strip()!r} is not a finite number")
            values.append(value)
        features.append(values)
        if has_label:
            cell = row[-1].strip()
            if not cell.isdigit():
                raise UserError(f"{name}:{line}: {LABEL_COLUMN}={cell!r} is not a class index (0, 1, ...)")
            labels.append(int(cell))
    x = torch.tensor(features, dtype=torch.float32)
    y = torch.tensor(labels, dtype=torch.long) if has_label else None
    return x, y, header[:n_features]
