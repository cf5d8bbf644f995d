"""Reading points to predict from a CSV file, with errors that name the file and line."""

from __future__ import annotations

import csv
import math
import os
import re
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from blobclf.errors import UserError

LABEL_COLUMN = "label"
_CLASS_INDEX = re.compile(r"[0-9]{1,9}")


def read_points(
    path: str | os.PathLike[str], n_features: int, num_classes: int | None = None
) -> tuple[Tensor, Tensor | None, list[str]]:
    """Read a CSV of points: a header row, then one row per point, one column per feature.

    An extra last column named ``label`` holds known class indices (``0`` to ``num_classes - 1``).
    Returns the features as a float32 tensor, the labels as an int64 tensor (or ``None``), and the
    feature column names. The file is read as a stream into compact arrays: memory stays well
    under the file's own size (4 bytes per value plus one copy at the end), however long the file.

    Raises:
        UserError: naming the file and line, for a missing or empty file, a file that is not
            UTF-8 text, a wrong column count, a value that is not a finite number, or a label
            that is not one of the model's classes.
    """
    name = os.fspath(path)
    file = Path(path)
    if not file.is_file():
        raise UserError(f"{name}: no such file")
    features = array("f")
    labels = array("q")
    header: list[str] | None = None
    header_line = 0
    line = 0
    physical = 0

    def decoded(handle: Any) -> Iterator[str]:
        nonlocal physical
        for physical, raw in enumerate(handle, start=1):  # noqa: B007 - read by the error message
            yield raw.decode("utf-8")

    try:
        with file.open("rb") as handle:
            reader = csv.reader(decoded(handle))
            for row in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in row):
                    continue
                if header is None:
                    header, header_line = [cell.strip() for cell in row], line
                    has_label = header[-1:] == [LABEL_COLUMN]
                    expected = n_features + int(has_label)
                    if len(header) != expected:
                        raise UserError(
                            f"{name}:{header_line}: the header has {len(header)} columns, expected {n_features} "
                            f"feature columns (plus an optional '{LABEL_COLUMN}' column)"
                        )
                    continue
                if len(row) != expected:
                    raise UserError(f"{name}:{line}: {len(row)} columns, expected {expected} as in the header")
                for column, cell in zip(header, row[:n_features]):
                    features.append(_number(cell, name, line, column))
                if has_label:
                    labels.append(_label(row[-1], name, line, num_classes))
    except UnicodeDecodeError as error:
        raise UserError(
            f"{name}:{physical}: not UTF-8 text (byte 0x{error.object[error.start]:02x}); save the file as UTF-8"
        ) from None
    except csv.Error as error:
        raise UserError(f"{name}:{line + 1}: not a readable CSV row ({error})") from None
    if header is None:
        raise UserError(f"{name}: the file is empty; expected a header row and one row per point")
    if not features:
        raise UserError(f"{name}: the file has a header but no points")
    x = torch.frombuffer(features, dtype=torch.float32).clone().reshape(-1, n_features)
    y = torch.frombuffer(labels, dtype=torch.int64).clone() if has_label else None
    return x, y, header[:n_features]


def _number(cell: str, name: str, line: int, column: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise UserError(f"{name}:{line}: {column}={_shown(cell)} is not a number") from None
    if not math.isfinite(value) or abs(value) > 3.4e38:
        raise UserError(f"{name}:{line}: {column}={_shown(cell)} is not a finite number")
    return value


def _label(cell: str, name: str, line: int, num_classes: int | None) -> int:
    text = cell.strip()
    classes = f"0 to {num_classes - 1}" if num_classes else "0, 1, ..."
    if not _CLASS_INDEX.fullmatch(text) or (num_classes is not None and int(text) >= num_classes):
        raise UserError(f"{name}:{line}: {LABEL_COLUMN}={_shown(cell)} is not a class index ({classes})")
    return int(text)


def _shown(cell: str) -> str:
    """The cell as it appears in a message: stripped, quoted, and cut short if long."""
    text = cell.strip()
    return repr(text if len(text) <= 40 else text[:37] + "...")
