"""Categorical text features (``--data.categorical '[island,sex]'``): one-hot inputs, one per category.

A categorical column's cells are categories (text, or numbers taken as names). Its categories are those of the
training split, ordered as classes are (:func:`blobclf.table.class_order`: numerically when all are numbers,
alphabetically otherwise), and recorded with the run (``categories``), so that ``test`` and ``predict`` on
another file encode it identically. The column becomes, in its place among the features, one input per category,
named ``<column>_<category>`` (as scikit-learn's ``OneHotEncoder.get_feature_names_out`` names them): 1 where the
cell is that category, else 0. A category the model was not trained on, and a missing value, are refused in one
line naming the file, line, column and value.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from blobclf.errors import UserError
from blobclf.tablehints import look_alike_classes, shown_cell

SHOWN_CATEGORIES = 20
"""A refusal names at most this many of a column's categories."""


def encoded_names(columns: Sequence[str], categories: Mapping[str, Sequence[str]]) -> list[str]:
    """The model's input names: each of ``columns``, a categorical one replaced by ``<column>_<category>`` for each
    of its categories.

    Example:
        >>> encoded_names(["bill", "island", "sex"], {"island": ["Biscoe", "Dream"], "sex": ["f", "m"]})
        ['bill', 'island_Biscoe', 'island_Dream', 'sex_f', 'sex_m']
    """
    names: list[str] = []
    for column in columns:
        names += [f"{column}_{value}" for value in categories[column]] if column in categories else [column]
    return names


def one_hot_inputs(columns: Sequence[str], categories: Mapping[str, Sequence[str]]) -> np.ndarray:
    """Which of the model's inputs (:func:`encoded_names`) are one-hot (bool, one per input)."""
    flags: list[bool] = []
    for column in columns:
        flags += [True] * len(categories[column]) if column in categories else [False]
    return np.array(flags, dtype=bool)


def encode(x: np.ndarray, columns: Sequence[str], categories: Mapping[str, Sequence[str]]) -> np.ndarray:
    """``x`` (rows of ``columns``, a categorical column holding each cell's index in its categories) with each
    categorical column one-hot encoded in its place, as float32 (inputs named by :func:`encoded_names`)."""
    if not categories:
        return x
    # written straight into the one array of inputs, a 1 per row and categorical column set from the cell's index:
    # an identity matrix indexed by the cells, then joined to the other columns, held the inputs twice over (a
    # 50,000-row table of a 5,000-category column: 1 GB each) and took seconds
    widths = [len(categories[column]) if column in categories else 1 for column in columns]
    inputs = np.zeros((x.shape[0], sum(widths)), dtype=np.float32)
    rows = np.arange(x.shape[0])
    start = 0
    for j, (column, width) in enumerate(zip(columns, widths, strict=True)):
        if column in categories:
            inputs[rows, start + x[:, j].astype(np.int64)] = 1.0
        else:
            inputs[:, start] = x[:, j]
        start += width
    return inputs


def description(columns: Sequence[str], categories: Mapping[str, Sequence[str]]) -> dict[str, object]:
    """What ``model.json`` says of the encoding, so that the inputs can be made outside blobclf."""
    return {
        "columns": list(columns),
        "one_hot": {column: list(values) for column, values in categories.items()},
        "how": ("the table's feature columns in the order of columns; each column of one_hot is replaced, in its "
                "place, by one input per category, in the order given, named <column>_<category>: 1.0 where the "
                "cell is that category, else 0.0 (scikit-learn's OneHotEncoder(categories=...)); a cell of another "
                "category is refused; one-hot inputs are not standardized (mean 0, scale 1)"),
    }


def check_names(path: str, columns: Sequence[str], names: Sequence[str], categories: Mapping[str, Sequence[str]]
                ) -> None:
    """Refuse one-hot inputs (:func:`encoded_names`, ``names``) named like another column of the table or like each
    other (``a_b`` of ``a`` and a column ``a_b``), which model.json and predictions could not tell apart."""
    counts = Counter(names)  # a list's count per name took seconds for thousands of categories
    table_columns = set(columns)
    for column, values in categories.items():
        for value in values:
            name = f"{column}_{value}"
            if name in table_columns:
                raise UserError(f"{path}: the one-hot input {name!r} of the categorical column {column!r} has the name "
                                "of another column; rename that column")
            if counts[name] > 1:
                raise UserError(f"{path}: two one-hot inputs would be named {name!r}; rename a column or a category")


STAND_INS = frozenset({"unknown", "unk", "missing", "not known", "not given", "not stated", "not specified",
                       "unspecified", "undefined", "blank", "empty", "none given", "-", "--"})
"""Categories (compared stripped of spaces and brackets, in any case) that stand for a value not known: a cell the
model has no category for is pointed to the model's own, if it has one."""


def stand_in(known: Sequence[str]) -> str | None:
    """The first of ``known`` categories that stands for a value not known (:data:`STAND_INS`), else ``None``.

    Example:
        >>> stand_in(["Cherbourg", "Queenstown", "(Unknown)"]), stand_in(["female", "male"])
        ('(Unknown)', None)
    """
    return next((value for value in known if " ".join(value.strip(" ()[]<>").split()).casefold() in STAND_INS),
                None)


def missing_category(path: str, line: int, column: str, cell: str, known: Sequence[str]) -> UserError:
    """The refusal of a missing value (``NA``, ``?``, empty) in categorical ``column`` of a file to predict or test:
    pointed to the model's category for a value not known (:func:`stand_in`) where it has one."""
    own = stand_in(known)
    fix = (f"the model was trained with the category {own!r} for values not known: write {own!r} there if that "
           "is what it means, or fill it in or remove the row" if own is not None else "fill it in or remove the row")
    return UserError(f"{path}:{line}: {column}={shown_cell(cell)} is a missing value; {fix} (blobclf drops no row "
                     "itself)")


def look_alike_note(path: str, categories: Mapping[str, Sequence[str]]) -> str | None:
    """A ``note:`` naming the first two categories of a column written alike (``Male``/``male``, ``2134``/``02134``:
    :func:`blobclf.tablehints.look_alike_classes`), which are trained as two; ``None`` when there are none."""
    for column, values in categories.items():
        pair = look_alike_classes(values)
        if pair:
            return (f"note: {path}: the categorical column {column!r} holds the categories {pair[0]!r} and "
                    f"{pair[1]!r}, which differ only in case, spaces or how a number is written; they are two inputs "
                    "of the model (make them one in the file if they are one)")
    return None


def unknown_category(path: str, line: int, column: str, value: str, known: Sequence[str]) -> UserError:
    """The refusal of a cell of categorical ``column`` that is none of the categories the model was trained on."""
    shown = ", ".join(known[:SHOWN_CATEGORIES]) + (f", ... ({len(known) - SHOWN_CATEGORIES} more)"
                                                  if len(known) > SHOWN_CATEGORIES else "")
    alike = next((category for category in known if look_alike_classes([category, value]) is not None), None)
    own = stand_in(known)
    fix = (f"it is the category {alike!r} written another way (case, spaces or how a number is written): write it as "
           "the training table does" if alike is not None
           else f"write one of them ({own!r}, the model's category for values not known, if that is what it means), "
           "or remove the row (the model has no input for it)" if own is not None
           else "write one of them, or remove the row (the model has no input for it)")
    return UserError(
        f"{path}:{line}: {column}={shown_cell(value)} is not one of the categories the model was trained on "
        f"({shown}); {fix}"
    )
