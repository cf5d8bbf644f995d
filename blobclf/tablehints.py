"""What is wrong with a table, and how to fix it, in one line: the diagnosis of rows numpy could not read
(:func:`diagnose`: the line and column of a missing, non-numeric or non-finite cell), the checks of a table
read (named columns, identifier columns, classes too few or too alike, a target that looks continuous,
features float32 cannot hold), and the advice they give: a delimiter, comment or header hint, how to write a
cell as a number, and the ``--data.features`` / ``--data.exclude`` option that leaves columns out. It reads
files only through :mod:`blobclf.tablecells`; :mod:`blobclf.table` calls it when a table fails to load."""

from __future__ import annotations

import json
import math
import re
import shlex
import unicodedata
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import numpy as np

from blobclf import optionnames
from blobclf.errors import UserError
from blobclf.tablefile import open_table
from blobclf.tablemissing import drop_option, missing_number
from blobclf.tablecells import (
    DELIMITERS,
    Header,
    Table,
    feature_converters,
    is_missing,
    load,
    nonblank_rows,
    parse_number,
    rows,
)

SPREADSHEET_ERROR = re.compile(
    r"#(?:div/0!|value!|ref!|name\?|num!|null!|spill!|calc!|field!|blocked!|connect!|busy!|unknown!|getting_data)"
    r"|err:\d{3}",
    re.IGNORECASE,
)
"""A formula's error value as Excel (``#DIV/0!``) or LibreOffice (``Err:502``) writes it into a CSV cell (``#N/A`` is
a missing value, as pandas reads it)."""
SPREADSHEET_FIX = ("a spreadsheet's error value (its formula failed): correct the formula, or fill the cell in or "
                   "remove the row (blobclf drops no row itself)")


ID_NAME = re.compile(
    r"#|ids?|index|idx|uuid|guid|row[ _.]?(?:id|names?|numbers?)|unnamed: ?\d+|[\w .-]*[ _.-]id"
    r"|(?-i:\w*[a-z](?:Id|ID))", re.IGNORECASE,
)
"""Column names of row identifiers: ``id``, ``ID``, ``patient_id``, ``sample id``, ``#``, ``index``, ``rownames``,
pandas' ``Unnamed: 0`` (an index saved and read back), and camel case: Kaggle's ``PassengerId``, ``customerID``."""
CONTINUOUS_VALUES = 20
"""A numeric target with at least this many distinct values, most rows a value of their own, looks continuous."""
FLOAT32_MAX = float(np.finfo(np.float32).max)
FLOAT32_STEPS = 256
"""A feature whose range float32 divides into fewer steps than this is read again in float64 to see what it lost."""
FINITE_FIX = "; write a number between -3.4e38 and 3.4e38, or remove the row (blobclf drops no row itself)"
"""The fix an infinite or too large feature value is refused with."""
DECIMAL_COMMA = re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d*),\d+")
"""A number written with a decimal comma (``1,5``, ``-1.234,5``)."""
COMMA_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d*)?")
"""A number written with ``.`` between thousands, as with a decimal comma (``1.234,5``, ``1.234``)."""
THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
"""A number written with ``,`` between thousands (``1,234.5``, ``12,345,678``; ``1,234`` could be a decimal comma)."""
SPACE_GROUPS = re.compile(r"[+\-\u2212]?\d{1,3}(?:[ \u00a0\u202f\u2009]\d{3})+(?:[.,]\d+)?")
"""A number whose digits are grouped in thousands by spaces (a no-break or thin one too): ``1 234,5``."""
UNIT = re.compile(r"([+-]?)\s*([$€£¥]?)\s*(\d[\d.,]*|\.\d+)\s*([%$€£¥]?)")
"""A number with a percent or currency sign (``12%``, ``$5``, ``-$1,234.50``, ``5,50 €``): groups sign, leading
currency, digits, trailing sign."""
BOOLEANS = frozenset({"true", "false"})
"""Cells (compared stripped and lower-cased) that are booleans as pandas (``True``) and R (``TRUE``) write them."""
PLAIN_NAME = re.compile(r"[^\W\d][\w .()/-]*(?<! )")
"""A column name that a YAML list on the command line reads back as that text unquoted."""
YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
"""Words YAML reads as a boolean or null rather than as text."""
TEXT_SCAN_ROWS = 10_000
"""Rows :func:`text_columns` looks at for the feature columns a refusal's ``--data.features`` leaves out."""
MAX_SHOWN_OPTION = 1000
"""A ``--data.features`` value longer than this is described in a message, not printed. A table of a few
dozen named features (scikit-learn's breast cancer: 30 names, 504 characters; digits: 64, 657) gets the
list to paste, which a long line is still worth: described, it had to be typed by hand."""


def unreadable(header: Header, error: Exception) -> UserError:
    """The one line for a table numpy cannot read although :func:`diagnose` found no fault in it.

    numpy's message names a data row (0-based in "could not convert", 1-based otherwise, blank
    lines not counted) and a 1-based column; both are turned into the file's line and column name.
    """
    message = str(error).split(";")[0]
    found = re.search(r"at row (\d+)(?:, column (\d+))?", message)
    if found is None:
        return UserError(f"{header.path}: numpy cannot read the table ({message}); check the file's rows")
    row = int(found[1]) + (1 if message.startswith("could not convert") else 0)
    line = header.line
    with open_table(header.path) as handle:
        for number, raw in enumerate(handle, start=1):
            if number > header.line and raw.strip():
                row -= 1
                if row == 0:
                    line = number
                    break
    where = ""
    if found[2] is not None and 0 < int(found[2]) <= len(header.columns):
        where = f" column {header.columns[int(found[2]) - 1]!r}:"
    return UserError(f"{header.path}:{line}:{where} numpy cannot read the row ({message}); check that row")


def check_named(
    header: Header, used: Sequence[str], target: str | None, by_default: bool = True, selection: str | None = None,
    categorical: Sequence[str] = (), missing: str = "refuse",
) -> None:
    """Refuse a column without a name among the ``used`` ones.

    Often an index column pandas saved (the first), or an empty last column: a delimiter at the end of
    every line, as some spreadsheets save.

    Args:
        header: The table's header.
        used: The feature columns.
        target: The target column (not offered as a feature).
        by_default: Whether ``used`` is every column but the target (no ``--data.features``): the
            list offered then also leaves out the columns the next checks would refuse, row
            identifiers and text, so that following it once is enough (a list given names them
            on purpose, and keeps them).
        selection: The option the user chose the features with, as :func:`leave_out_option` takes it.
        categorical: The feature columns of categories (``--data.categorical``): text, but kept.
        missing: ``"drop"`` (``--data.missing drop``): missing values in the columns kept are not named.

    Raises:
        UserError: naming the header line and the column's position, and the ``--data.features``
            or ``--data.exclude`` that leaves it out.
    """
    if "" in used:
        position = header.columns.index("") + 1
        guess = "a delimiter at the end of each line?" if position == len(header.columns) else "a saved index?"
        unnamed = [str(i) for i, column in enumerate(header.columns, start=1) if column == ""]
        if len(unnamed) > 1:  # only blank ones get past read_header
            named = [column for column in used if column]
            option = leave_out_option(header, target, named, selection)
            raise UserError(
                f"{header.path}:{header.line}: columns {', '.join(unnamed[:-1])} and {unnamed[-1]} have no name and no "
                f"values (empty columns a spreadsheet kept?); delete them, or leave them out: {option}"
            )
        named = [column for column in used if column]
        ids = [column for column in named if ID_NAME.fullmatch(column)] if by_default else []
        text = text_columns(header, [column for column in named if column not in ids and column not in categorical]
                            ) if by_default else []
        kept = [column for column in named if column not in ids and column not in text]
        option = leave_out_option(header, target, kept, selection)
        leave = (f", or leave it out: {option}{left_out_too(ids, text)}"
                 f"{encode_too(header, target, [*kept, *categorical], text, selection, categorical)}" if kept else "")
        gaps = missing_too(header, kept, target) if kept and missing != "drop" else ""
        raise UserError(f"{header.path}:{header.line}: column {position} has no name ({guess}); name it{leave}{gaps}")


def check_identifiers(header: Header, features: Sequence[str], target: str, selection: str | None = None,
                      categorical: Sequence[str] = (), missing: str = "refuse") -> None:
    """Refuse an identifier column taken as a feature by default (every column but the target).

    An id (``id``, ``patient_id``, ``#``, ``index``, pandas' ``Unnamed: 0``, R's ``rownames``) is a
    number, so it would be read as a feature without a word; but it says where a row sits in the
    file, not what the row is, and files sorted by class would let the model learn that order. The
    names are recognized by :data:`ID_NAME`; listing the column in ``--data.features`` keeps it.
    ``selection`` is the option the user chose the features with, as :func:`leave_out_option` takes it;
    ``categorical`` columns hold text and are kept. Missing values in the columns kept are named too
    (:func:`missing_too`), unless ``missing`` is ``"drop"``.

    Raises:
        UserError: naming the column, with the ``--data.features`` or ``--data.exclude`` that leaves it out.
    """
    ids = [column for column in features if ID_NAME.fullmatch(column)]
    if not ids:
        return
    text = text_columns(header, [column for column in features if column not in ids and column not in categorical])
    others = [column for column in features if column not in ids and column not in text]
    position = header.columns.index(ids[0]) + 1
    option = leave_out_option(header, target, others, selection)
    leave = (f"leave it out with {option}{left_out_too(ids[1:], text)}, or" if others
             else f"the table has no other feature{' of numbers' if text else ''}:")
    encode = encode_too(header, target, [*others, *categorical], text, selection, categorical)
    raise UserError(
        f"{header.path}:{header.line}: column {position}, {ids[0]!r}, is named like a row identifier and would be a "
        f"feature (every column but the target is); {leave} list it in {optionnames.option('features')} to keep it"
        f"{encode}{missing_too(header, others, target) if others and missing != 'drop' else ''}"
    )


def delimiter_hint(header: Header) -> str:
    """``"; ..."`` saying which delimiter to give when the header is one column holding another delimiter, else ``""``.

    A file split at the wrong delimiter (one given with ``--data.delimiter``, or recorded in a checkpoint, for a
    file with another) has a single column named like the whole header line.

    Example:
        >>> with optionnames.command_line():
        ...     delimiter_hint(Header("p.csv", ["a,b,kind"], ";", 1))
        "; the header was split at ';' but holds ',': give --data.delimiter ',' (or null to detect it)"
        >>> delimiter_hint(Header("p.csv", ["a,b,kind"], ";", 1))
        "; the header was split at ';' but holds ',': give TableDataModule(delimiter=',') (or None to detect it)"
    """
    if len(header.columns) != 1:
        return ""
    other = next((d for d in DELIMITERS if d != header.delimiter and d in header.columns[0]), None)
    if other is None:
        return ""
    if header.stated:
        return (f"; the header was split at {header.delimiter!r}, as the file's first line (sep={header.delimiter}) "
                f"states, but holds {other!r}: correct that line or delete it")
    none = "null" if optionnames.on_command_line() else "None"
    return (f"; the header was split at {header.delimiter!r} but holds {other!r}: give "
            f"{optionnames.option('delimiter', repr(other))} (or {none} to detect it)")


def comment_hint(header: Header) -> str:
    """``"; ..."`` saying to remove comment lines when the header line starts with ``#``, else ``""``.

    Some exporters write a comment line or a few (``# exported by ...``) before the header; blobclf
    reads none, so the first such line is taken for the header and the real columns are not found.

    Example:
        >>> comment_hint(Header("p.csv", ["# exported by X"], ",", 1))
        "; line 1 starts with '#': blobclf reads no comment lines, remove them so that the header is the first line"
    """
    if not header.columns or not header.columns[0].startswith("#"):
        return ""
    return (f"; line {header.line} starts with '#': blobclf reads no comment lines, remove them so that the header is "
            "the first line")


def space_hint(header: Header) -> str:
    """``"; ..."`` saying that columns are not split at spaces, when the header is one column of several words.

    R's ``write.table`` (whose default separator is a space) and fixed-width text line their columns
    up with spaces; a space is no delimiter here (names may hold spaces), so such a header is one column.

    Example:
        >>> space_hint(Header("p.txt", ['a "b" kind'], ",", 1))  # doctest: +NORMALIZE_WHITESPACE
        "; the header's columns are separated by spaces, which blobclf does not split at (R's write.table,
        fixed-width text): save the table with ',' between columns (R: write.csv)"
    """
    if len(header.columns) != 1 or len(header.columns[0].split()) < 2:
        return ""
    return ("; the header's columns are separated by spaces, which blobclf does not split at (R's write.table, "
            "fixed-width text): save the table with ',' between columns (R: write.csv)")


def header_hint(header: Header) -> str:
    """What a header that lacks a needed column may be instead: split at the wrong delimiter, a comment line, or
    columns separated by spaces."""
    return delimiter_hint(header) or comment_hint(header) or space_hint(header)


def named_alike(name: str, columns: Sequence[str], fix: str = "rename it") -> str:
    """``" (the file has 'Species': rename it)"`` for a column of ``columns`` named as ``name`` but for letter case
    and spaces, the likely cause of ``name`` not being found (column names are compared exactly); else ``""``.
    ``fix`` may name the column found as ``{alike}``.

    Example:
        >>> named_alike("species", ["a", "Species "]), named_alike("kind", ["a", "b"])
        (" (the file has 'Species ': rename it)", '')
        >>> named_alike("Species", ["species"], "give --data.target {alike}")
        " (the file has 'species': give --data.target 'species')"
    """
    key = " ".join(name.split()).casefold()
    alike = next((c for c in columns if c != name and " ".join(c.split()).casefold() == key), None)
    return f" (the file has {alike!r}: {fix.format(alike=repr(alike))})" if alike is not None else ""


def shown_columns(columns: Sequence[str], count: int | None = None, limit: int = 20) -> str:
    """Column names for a message: the first ``limit``, then how many more there are (of ``count`` in all, where
    ``columns`` holds only the first of them).

    Example:
        >>> shown_columns(["a", "b", "c"], limit=2), shown_columns(["a", "b", "c"], 10, limit=2)
        ('a, b, ... (1 more)', 'a, b, ... (8 more)')
    """
    count = len(columns) if count is None else count
    shown = ", ".join(columns[:limit])
    return shown if count <= limit else f"{shown}, ... ({count - limit} more)"


def look_alike_classes(classes: Sequence[str]) -> tuple[str, str] | None:
    """Two class names that are likely one class written two ways: ``True``/``true``, ``yes ``/``yes``, ``1``/``01``.

    Names equal but for letter case or spaces, or numbers of equal value, are returned as the
    first such pair in ``classes``' order; ``None`` when there is none. They stay distinct classes
    (a table may mean ``A`` and ``a`` as two); the caller tells the user.

    Example:
        >>> look_alike_classes(["False", "True", "true"]), look_alike_classes(["1", "01", "2"])
        (('True', 'true'), ('1', '01'))
        >>> look_alike_classes(["setosa", "virginica"]) is None
        True
    """
    seen: dict[Any, str] = {}
    for name in classes:
        number = parse_number(name)
        finite = number is not None and math.isfinite(number)
        key = ("number", number) if finite else ("text", " ".join(name.split()).casefold())
        if key in seen:
            return seen[key], name
        seen[key] = name
    return None


def written_alike(value: str, classes: Sequence[str]) -> str:
    """``"; ..."`` naming the class of ``classes`` that ``value`` is written like (as :func:`look_alike_classes` pairs
    them: ``1.0`` and ``1``, ``Yes`` and ``yes``), for the refusal of a class the model does not know; else ``""``.

    Example:
        >>> written_alike("0.0", ["0", "1"]), written_alike("maybe", ["0", "1"])
        ("; it is the class '0' written another way: write the classes as the training table does", '')
    """
    for known in classes:
        if look_alike_classes([known, value]) is not None:
            return f"; it is the class {known!r} written another way: write the classes as the training table does"
    return ""


def looks_continuous(classes: Sequence[str], rows: int) -> bool:
    """Whether a target's values look like a measurement (a regression target) rather than classes.

    They do when every value is a number and most rows hold a value of their own (more distinct
    values than half the rows, and at least :data:`CONTINUOUS_VALUES`): then some class has a
    single row, and a stratified split is impossible anyway; this names the likelier cause.

    Example:
        >>> values = [str(i / 4) for i in range(30)]
        >>> looks_continuous(values, 40), looks_continuous(values, 60), looks_continuous(["0", "1", "2"], 4)
        (True, False, False)
    """
    if len(classes) * 2 <= rows or len(classes) < CONTINUOUS_VALUES:
        return False
    return all(parse_number(value) is not None for value in classes)


def check_float32_precision(header: Header, table: Table) -> None:
    """Refuse a feature whose values float32, the type of the model's inputs, cannot tell apart.

    float32 keeps about 7 significant digits: Unix times (``1700000000``, ``1700000007``) and other
    large numbers that differ only in their last digits become one value, and the model trains on
    a constant column without a word. A column is looked at again, in float64 (numpy's reader,
    that column alone), only when float32 holds fewer than :data:`FLOAT32_STEPS` values across its
    range; it is refused when the file's values are more (and are whole numbers, or differ by more
    than float64's rounding noise, as ``0.1`` and ``0.30000000000000004 - 0.2`` do).

    Raises:
        UserError: naming the column, its values and an offset to subtract.
    """
    x = table.features
    if x.shape[0] < 2:
        return
    low, high = x.min(axis=0).astype(np.float64), x.max(axis=0).astype(np.float64)
    size = np.maximum(np.abs(low), np.abs(high)).astype(np.float32)
    steps = (high - low) / np.spacing(size).astype(np.float64)
    suspects = [j for j in range(x.shape[1]) if steps[j] < FLOAT32_STEPS and size[j] > 0]
    if not suspects:
        return
    positions = [header.columns.index(table.feature_names[j]) for j in suspects]
    converters = feature_converters(header, positions)
    if table.kept_rows is not None:  # rows left out for a missing value (--data.missing drop): read, then left out
        converters = {i: missing_number(header.decimal) for i in positions}
    try:
        exact = load(header.path, header, header.line, converters, positions, np.float64)
    except ValueError:  # lines of spaces: read again without them, as read_table does
        exact = load(nonblank_rows(header), header, 0, converters, positions, np.float64)
    if table.kept_rows is not None:
        exact = exact[table.kept_rows]
    for j, values in zip(suspects, exact.T, strict=True):
        low64, high64 = float(values.min()), float(values.max())
        whole = bool((values == np.round(values)).all())  # whole numbers (ids, nanoseconds) differ for real
        if high64 - low64 <= 1e-10 * max(abs(low64), abs(high64)) and not whole:
            continue  # float64 rounding noise, not values
        kept, written = len(np.unique(x[:, j])), len(np.unique(values))
        if written > kept:
            offset = math.floor(low64) if abs(low64) >= 1 else low64

            def shown(value: float, whole: bool = whole) -> str:  # whole numbers in full, not 1.23456789012346e+17
                return str(int(value)) if whole and abs(value) < 2.0**63 else f"{value:.15g}"

            raise UserError(
                f"{header.path}: feature column {table.feature_names[j]!r} holds values from {shown(low64)} to "
                f"{shown(high64)} that float32, the type of the model's inputs, cannot tell apart ({written} distinct "
                f"values in the file, {kept} as float32); subtract an offset (such as {shown(offset)}) from the column "
                "so that its values are small, and the same from the rows you predict"
            )


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
    present = [c for c, n in zip(table.classes, counts, strict=True) if n > 0]
    if len(present) < 2:
        only = repr(present[0]) if present else "none"
        raise UserError(
            f"{table.path}: the target column {table.target!r} holds a single class ({only}); a classifier needs at "
            "least 2"
        )
    splits = ["train"] + (["test"] if not separate_test else []) + (["validation"] if val_size is not None else [])
    rarest = int(counts.argmin())
    if counts[rarest] < len(splits) and looks_continuous(table.classes, len(table.labels)):
        numbers = sorted(float(value) for value in table.classes)
        raise UserError(
            f"{table.path}: the target column {table.target!r} holds {len(table.classes)} distinct numbers in "
            f"{len(table.labels)} rows (from {numbers[0]:g} to {numbers[-1]:g}): a measured value, not classes? "
            f"blobclf classifies; choose a column of classes with {optionnames.option('target')}, or bin the values "
            "into classes"
        )
    if counts[rarest] < len(splits):
        raise UserError(
            f"{table.path}: class {table.classes[rarest]!r} has only {int(counts[rarest])} row(s); a stratified "
            f"split into {' and '.join(splits)} needs at least {len(splits)} of every class (add rows of it or remove "
            "them)"
        )


def joined_tables(header: Header, line: int, row: Sequence[str]) -> UserError | None:
    """The refusal of a row that is the header again, or holds a byte-order mark (U+FEFF): what two tables joined
    with ``cat`` leave where the second one starts (each cell would be read as data, the mark as part of a cell);
    ``None`` for any other row."""
    marked = next((i for i, cell in enumerate(row) if "\ufeff" in cell), None)
    cells = [cell.replace("\ufeff", "").strip() for cell in row]
    if cells == [column.strip() for column in header.columns]:
        mark = " after a byte-order mark (U+FEFF)" if marked is not None else ""
        return UserError(f"{header.path}:{line}: the header row again{mark}, read as data (were two tables joined, "
                         f"as by cat a.csv b.csv?); delete line {line}")
    if marked is not None:
        return UserError(f"{header.path}:{line}: a byte-order mark (U+FEFF) inside the table, in the cell "
                         f"{shown_cell(row[marked])} (were two files joined, as by cat?); remove it: a UTF-8 BOM "
                         "belongs only at a file's start")
    return None


def diagnose(header: Header, feature_names: Sequence[str], target: str | None, selection: str | None = None,
             trained: bool = False, categorical: Sequence[str] = (), missing: str = "refuse") -> None:
    """Read the table row by row and raise a one-line :class:`UserError` for its first problem.

    The problems, in the order they are looked for: a row that is not UTF-8 or not CSV (an unclosed
    quote among them), a row with another number of cells than the header, a feature cell that is
    not a number as numpy reads numbers (:func:`parse_number`) or not finite (raised at once), and
    missing values (feature or target, a row of empty cells included; reported after the whole
    file is read, with their count). Returns only if the file has none of these. ``selection`` is the option
    the user chose the features with, as :func:`leave_out_option` takes it; ``trained``: the table is read for a model
    whose features are set (a test table), which a column left out no longer fits; ``categorical``: the feature
    columns read as categories, which hold text (their missing values are refused, as the target's); ``missing``:
    ``"drop"`` (``--data.missing drop``) refuses only a feature column missing on every row, the rows with missing
    values being left out (:mod:`blobclf.tablemissing`); a refusal of another fault then names no missing values.
    """
    name = header.path
    width = len(header.columns)
    index = {column: i for i, column in enumerate(header.columns)}
    numeric = [(index[c], c) for c in feature_names]
    checked = numeric + ([(index[target], target)] if target is not None else [])
    text = {target, *categorical}
    gaps: dict[str, list[int]] = {}
    first: str | None = None  # the column of the first missing value: the one the message is about
    apart: dict[str, list[int]] = {}  # other columns' missing values on rows where `first` has none
    spelled: set[str] = set()  # how the target's missing values are written
    numbered: set[int] = set()  # the feature columns that held a number on an earlier row
    total = 0  # rows read
    for line, row in rows(header):
        total += 1
        joined = joined_tables(header, line, row)
        if joined is not None:
            raise joined
        if len(row) != width:
            raise comment_line(name, line, row, width) or UserError(
                f"{name}:{line}: {len(row)} columns, expected {width} as in the header"
            )
        first_gap = first is not None and is_missing(row[index[first]])
        for i, column in checked:
            cell = row[i].strip()
            if is_missing(cell):
                gaps.setdefault(column, [line, 0])[1] += 1
                if first is None:
                    first, first_gap = column, True
                elif not first_gap:
                    apart.setdefault(column, [line, 0])[1] += 1
                if column == target:
                    spelled.add(cell)
                continue
            if column in text:
                continue
            value = parse_number(cell, header.decimal)
            if value is None:
                if i == 0 and (comment := comment_line(name, line, row, width)):
                    raise comment
                fix = cell_fix(header, cell)
                if not fix and trained:  # the model's feature: leaving it out is no longer a choice
                    fix = "; write a number there: the model takes the column as a feature"
                elif not fix:
                    fix = leave_out_text(header, feature_names, column, target, selection, categorical,
                                         encode=i not in numbered)
                    if missing != "drop":
                        fix += missing_too(header, [c for c in feature_names if c not in text_columns(
                            header, [c for c in feature_names if c not in categorical])], target)
                    if i in numbered:  # a stray cell in a column of numbers, more likely a typo than a text column
                        fix = f"; correct the cell if it is a typo (the column's earlier rows hold numbers){fix}"
                raise UserError(f"{name}:{line}: feature column {column!r} holds {shown_cell(cell)}, not a number{fix}")
            numbered.add(i)
            if not math.isfinite(value) or abs(value) > FLOAT32_MAX:
                raise UserError(
                    f"{name}:{line}: column {column!r} holds {shown_cell(cell)}, not a finite float32 "
                    f"number{FINITE_FIX}"
                )
    if first is not None:
        empty_columns(header, feature_names, target, selection, gaps, total, trained)
        if missing == "drop":
            return
        line, count = gaps[first]
        # the columns whose gaps removing the first column's rows leaves: one look at the file finds them all
        others = sorted(apart.items(), key=lambda item: item[1][0])
        shown = ([f"{other!r} ({n})" for other, (_, n) in others[:3]]
                 + ([f"{len(others) - 3} more"] if len(others) > 3 else []))
        also = (f"; so do {shown[0] if len(shown) == 1 else ', '.join(shown[:-1]) + ' and ' + shown[-1]} in other rows"
                if others else "")
        # a class named 'None' or 'NA' (a severity, a category) reads as missing, as in pandas: say how to keep it
        word = next(iter(spelled)) if len(spelled) == 1 else ""
        class_hint = (f"; if {word!r} in the target column {target!r} is a class, rename it in the file (blobclf reads "
                      f"{word!r} as a missing value in every column)") if word.isalpha() else ""
        if first in categorical:
            class_hint = (f"; in the categorical column {first!r}, a word such as 'unknown' in those cells makes them "
                          "a category of their own")
        raise UserError(
            f"{name}: column {first!r} has {count} missing value{'s' if count > 1 else ''} (first on line {line})"
            f"{also}; fill them in or remove those rows, or leave those rows out with {drop_option()}{class_hint}"
        )


def empty_columns(header: Header, feature_names: Sequence[str], target: str | None, selection: str | None,
                  missing: dict[str, list[int]], total: int, trained: bool = False) -> None:
    """Refuse feature columns that are missing on every one of the ``total`` rows (``missing``: a column's first line
    and count), if any, with the option that leaves them out: "remove those rows" would remove the table."""
    empty = [c for c in feature_names if missing.get(c, [0, 0])[1] == total]
    if not empty:
        return
    others = [c for c in feature_names if c not in empty]
    more = f" and {len(empty) - 3} more" if len(empty) > 3 else ""
    what = (f"feature column {empty[0]!r} is" if len(empty) == 1 else
            f"feature columns {', '.join(repr(c) for c in empty[:3])}{more} are")
    them = "it" if len(empty) == 1 else "them"
    if trained:
        fix = f"fill {them} in: the model takes {them} as {'a feature' if len(empty) == 1 else 'features'}"
    elif others:
        fix = f"to leave {them} out, give {leave_out_option(header, target, others, selection)}"
    else:
        fix = "fill it in: features must be numbers, and the table has no other feature column"
    raise UserError(f"{header.path}: {what} empty (a missing value on every one of the {total} rows); {fix}")


def missing_too(header: Header, columns: Sequence[str], target: str | None) -> str:
    """``"; columns 'a' and 'b' also have missing values (first on line 7): ..."``: for a refusal whose fix keeps
    ``columns`` (and the ``target``), the missing values they hold in the first :data:`TEXT_SCAN_ROWS` rows and the
    two ways past them, so that following one refusal fixes the table in one go; ``""`` when they hold none. A
    longer table is said to have been looked at only so far (``first on line 7 of the first 10,000 rows looked at``):
    a gap further down is named by the next refusal. Reading it whole row by row would make every refusal of a
    large table slow (:func:`rows`, the :mod:`csv` module: 0.24 s of CPU for 200,000 rows of 9 cells, 2.4 s on 2
    shared CPUs; a refusal of a 5-million-row table would wait some 6 s of CPU for it).
    """
    used = [*columns, *([target] if target is not None else [])]
    position = {c: header.columns.index(c) for c in used}
    width, first, found, stopped = len(header.columns), 0, [], False
    try:
        for count, (line, row) in enumerate(rows(header)):
            if count == TEXT_SCAN_ROWS:
                stopped = True
                break
            if len(row) != width:
                continue
            gaps = [c for c in used if c not in found and is_missing(row[position[c]])]
            first = first or (line if gaps else 0)
            found.extend(gaps)
    except UserError:
        pass  # a row that cannot be read: the table's own checks name it
    if not found:
        return ""
    shown = [repr(c) for c in found[:3]] + ([f"{len(found) - 3} more"] if len(found) > 3 else [])
    names = shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"
    what = f"column {names} also has" if len(found) == 1 else f"columns {names} also have"
    scanned = f" of the first {TEXT_SCAN_ROWS:,} rows looked at" if stopped else ""
    return (f"; {what} missing values (first on line {first}{scanned}): fill them in, or add {drop_option()} to leave "
            "those rows out")


def comment_line(name: str, line: int, row: Sequence[str], width: int) -> UserError | None:
    """The refusal of a faulty row that starts with ``#``: a comment line (a note, an exporter's footer), which
    blobclf does not read, rather than a row to fix by leaving a column out; ``None`` for another row. A row of
    ``width`` cells is one only if it starts with ``#`` and a space (``#1`` is a cell of a column of numbers)."""
    first = row[0].strip() if row else ""
    if not first.startswith("#") or is_missing(first) or SPREADSHEET_ERROR.fullmatch(first):
        return None  # #N/A, #DIV/0! are cells
    if len(row) == width and not re.match(r"#(\s|$)", first):
        return None
    return UserError(f"{name}:{line}: the line starts with '#' ({shown_cell(first)}): blobclf reads no comment lines, "
                     "remove it")


def text_columns(header: Header, candidates: Sequence[str]) -> list[str]:
    """The ``candidates`` (in their order) that hold text in the first :data:`TEXT_SCAN_ROWS` rows: a cell
    that is neither a number, a missing value nor a number written another way (:func:`number_fix` has
    advice for those, so their columns are not text). A column of text shows it from its first rows;
    one stray word further down is more likely a typo than a text column, and is named on its own
    line when the table is read, while the scan keeps a refusal of a million-row file as quick as
    before. Rows of another width, and anything after a row that cannot be read, are for the table's
    own checks to name."""
    text: set[str] = set()
    for name, cell in first_cells(header, candidates):
        if name not in text and not is_missing(cell) and parse_number(cell) is None and not number_fix(cell):
            text.add(name)
    return [c for c in candidates if c in text]


def first_cells(header: Header, columns: Sequence[str]) -> Iterator[tuple[str, str]]:
    """``(column, cell)`` for each of ``columns`` in the table's first :data:`TEXT_SCAN_ROWS` rows, row by row:
    what the hints judge a column by. Rows of another width, and anything after a row that cannot be read, are
    left for the table's own checks to name."""
    width = len(header.columns)
    position = {c: header.columns.index(c) for c in columns}
    try:
        for count, (_, row) in enumerate(rows(header)):
            if count == TEXT_SCAN_ROWS:
                return
            if len(row) == width:
                yield from ((name, row[position[name]]) for name in columns)
    except UserError:
        return


DATE_LIKE = re.compile(
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[T ].*)?|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(?: .*)?"
    r"|\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?|\d{1,2}[ -][a-z]{3,9}\.?[ -]\d{2,4}|[a-z]{3,9}\.? \d{1,2},? \d{4}",
    re.IGNORECASE,
)
"""A cell holding a date or a time: ``2024-01-31``, ``2024-01-31 12:00``, ``31/01/2024``, ``12:30``, ``31 Jan 2024``,
``Jan 31, 2024``."""
FREE_TEXT = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+|(?:https?://|www\.)\S+|\S+(?:\s+\S+){4,}", re.IGNORECASE)
"""A cell holding an e-mail address, a web address or free text (five words or more): no category."""
NAME_WORDS = frozenset({
    "firstname", "lastname", "fullname", "surname", "forename", "email", "mail", "comment", "comments", "note", "notes",
    "remark", "remarks", "description", "review", "message", "text", "address", "phone", "url",
})
"""Words of a column name (split at anything but letters and digits, and where a lower-case letter meets a capital)
that say its cells are each row's own (an e-mail address, free text) rather than categories, even where the first
rows repeat them (a customer's e-mail on each order)."""
PERSON_WORDS = frozenset({
    "first", "last", "full", "given", "middle", "sur", "nick", "maiden", "customer", "client", "user", "person",
    "employee", "patient", "contact", "owner", "author", "student", "member", "passenger", "buyer", "seller", "sender",
    "recipient", "manager", "agent", "rep", "staff", "driver", "player", "teacher", "doctor", "account", "holder",
})
"""Words that, beside ``name``, say a column holds people's names (``first_name``, ``Customer Name``), which repeat
in the first rows as categories do (first names, a customer on each order) but are no categories."""
NAME_CATEGORIES = 100
"""The most values a column named ``name`` without a person's word (``product_name``, ``city_name``, ``Name``) may
have to be offered as categories, each on ten rows or more on average: a catalog's products or a shop's cities
repeat so, a table's people seldom."""


def name_words(column: str) -> list[str]:
    """The words of a column name: split at anything but letters and digits, and where a lower-case letter meets a
    capital (``customerName``: ``customer``, ``name``)."""
    return re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", column).lower())


def named_like_text(column: str) -> bool:
    """Whether ``column``'s name says it holds people's names, addresses or free text (:data:`NAME_WORDS`, or
    ``name`` beside one of :data:`PERSON_WORDS`).

    Example:
        >>> [named_like_text(c) for c in ("first_name", "customerName", "E-mail", "Customer Name", "product_name")]
        [True, True, True, True, False]
    """
    words = name_words(column)
    if NAME_WORDS.intersection(words) or "".join(words) in NAME_WORDS:
        return True
    return bool({"name", "names"}.intersection(words) and PERSON_WORDS.intersection(words))


def named_like_names(column: str) -> bool:
    """Whether ``column`` is named ``name`` without a person's word (``product_name``, ``Name``): its values decide
    whether it holds categories (:data:`NAME_CATEGORIES`).

    Example:
        >>> [named_like_names(c) for c in ("product_name", "Name", "brandName", "first_name", "Country")]
        [True, True, True, False, False]
    """
    words = name_words(column)
    return bool({"name", "names"}.intersection(words)) and not named_like_text(column)


def categorical_text(header: Header, text: Sequence[str], dates_only: bool = False) -> list[str]:
    """The columns of ``text`` (columns holding text, in their order) that look like categories, to offer encoding
    with ``--data.categorical``: in their first :data:`TEXT_SCAN_ROWS` rows, each value on two rows or more on
    average, and fewer than half of the values on one row each (not a name or a code of a row of its own), and not
    dates or times (most values written as :data:`DATE_LIKE` dates: as categories, a day never seen in training
    could not be predicted), nor names, addresses or free text (a column named so, :func:`named_like_text`, one named
    ``name`` of many values, :func:`named_like_names`, or most
    values :data:`FREE_TEXT`: e-mail and web addresses, five words or more); a column of one value, which one-hot
    encoding leaves constant, is not offered. With ``dates_only``, only those columns of dates, times, names,
    addresses and free text are told apart (the columns of text that are not).

    Example:
        >>> [bool(DATE_LIKE.fullmatch(cell)) for cell in ("2024-01-31", "31/01/2024 12:00", "Jan 31, 2024", "FR")]
        [True, True, True, False]
    """
    if not text:
        return []
    counts: dict[str, dict[str, int]] = {c: {} for c in text}
    for name, cell in first_cells(header, text):
        cell = cell.strip()
        if not is_missing(cell):
            seen = counts[name]
            seen[cell] = seen.get(cell, 0) + 1
    found = []
    for name in text:
        seen = counts[name]
        once = sum(1 for n in seen.values() if n == 1)
        dates = sum(1 for value in seen if DATE_LIKE.fullmatch(value) or FREE_TEXT.fullmatch(value))
        if named_like_text(name):
            continue
        if named_like_names(name) and (len(seen) > NAME_CATEGORIES or 10 * len(seen) > sum(seen.values())):
            continue  # a person's name, a product's of a long catalog: no categories
        if dates_only and 2 * dates <= len(seen):
            found.append(name)
        elif len(seen) > 1 and 2 * len(seen) <= sum(seen.values()) and 2 * once < len(seen) and 2 * dates <= len(seen):
            found.append(name)
    return found


def encode_too(header: Header, target: str | None, kept: Sequence[str], text: Sequence[str],
               selection: str | None = None, categorical: Sequence[str] = ()) -> str:
    """``"; or, to one-hot encode ... as categories, give ..."``: for a refusal whose option leaves out the ``text``
    columns, the options that keep those of them that look like categories (:func:`categorical_text`) and encode
    them with ``--data.categorical`` (beside the ``categorical`` columns given), so that a user who wants them does
    not follow the first option and lose them without a word; ``""`` when none looks like categories."""
    encode = categorical_text(header, text)
    if not encode:
        return ""
    features = [c for c in header.columns if c in kept or c in encode]
    option = leave_out_option(header, target, features, selection)
    named = [repr(c) for c in encode[:3]] + ([f"{len(encode) - 3} more"] if len(encode) > 3 else [])
    shown = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    with_categories = names_option("categorical", [*categorical, *encode], "encode")
    them = "it" if len(encode) == 1 else "them"
    return f"; to one-hot encode {shown} as categories rather than leave {them} out, give {option} {with_categories}"


def left_out_too(ids: Sequence[str], text: Sequence[str]) -> str:
    """`` (which also leaves out ...)`` naming the row identifiers and text columns a suggested list leaves out.

    Example:
        >>> left_out_too(["ID"], ["sex", "island"])
        " (which also leaves out 'ID', named like a row identifier, and 'sex' and 'island', which hold text)"
    """
    def named(columns: Sequence[str]) -> str:
        shown = [repr(c) for c in columns[:3]] + ([f"{len(columns) - 3} more"] if len(columns) > 3 else [])
        return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} and {shown[-1]}"

    parts = [f"{named(ids)}, named like a row identifier" if ids else "",
             f"{named(text)}, which {'holds' if len(text) == 1 else 'hold'} text" if text else ""]
    parts = [part for part in parts if part]
    return f" (which also leaves out {', and '.join(parts)})" if parts else ""


OWN_VALUES_ROWS = 20
"""The fewest values a column must show before :func:`own_values` judges that most are each on a row of its own."""


def own_values(header: Header, columns: Sequence[str]) -> list[str]:
    """The ``columns`` whose values, in the first :data:`TEXT_SCAN_ROWS` rows, are mostly each on a row of its own (a
    ticket or order number, a name), among :data:`OWN_VALUES_ROWS` values or more: no categories, whatever their
    header (a table of a few rows cannot tell, and keeps the offer).

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp(), "t.csv")
        >>> _ = path.write_text("ticket,sex,kind\\n" + "".join(f"A{i},{'mf'[i % 2]},x\\n" for i in range(20)))
        >>> own_values(Header(str(path), ["ticket", "sex", "kind"], ",", 1), ["ticket", "sex"])
        ['ticket']
    """
    counts: dict[str, dict[str, int]] = {c: {} for c in columns}
    for name, cell in first_cells(header, columns):
        cell = cell.strip()
        if not is_missing(cell):
            counts[name][cell] = counts[name].get(cell, 0) + 1
    found = []
    for name in columns:
        seen = counts[name]
        once = sum(1 for n in seen.values() if n == 1)
        if sum(seen.values()) >= OWN_VALUES_ROWS and 2 * once > len(seen):
            found.append(name)
    return found


def leave_out_text(
    header: Header, feature_names: Sequence[str], column: str, target: str | None = None, selection: str | None = None,
    categorical: Sequence[str] = (), encode: bool = True,
) -> str:
    """The advice for a text cell in feature ``column``: the ``--data.features`` or ``--data.exclude``
    (:func:`leave_out_option`) that leaves out every feature column holding text (:func:`text_columns`), this one
    and any other in the file, so that following it once is enough; with ``encode``, also the
    ``--data.categorical`` that encodes them as categories instead (with the ``categorical`` columns given)."""
    text = [column, *text_columns(header, [c for c in feature_names if c != column and c not in categorical])]
    others = [c for c in feature_names if c not in text]
    also = text[1:]
    listed = [repr(c) for c in also[:3]] + ([f"{len(also) - 3} more"] if len(also) > 3 else [])
    shown = f"{', '.join(listed[:-1])} and {listed[-1]}" if len(listed) > 1 else "".join(listed)
    so_do = f"; {'column' if len(also) == 1 else 'columns'} {shown} {'holds' if len(also) == 1 else 'hold'} text too" \
        if also else ""
    # a date is no category; nor is another column of a value on each row (titanic's Ticket), which the split then
    # refused as a category only in held-out rows
    offered = categorical_text(header, text, dates_only=True) if encode else []
    own = own_values(header, also) if offered else []
    encoded = [c for c in offered if c not in own]
    named = [repr(c) for c in encoded[:3]] + ([f"{len(encoded) - 3} more"] if len(encoded) > 3 else [])
    them = ("them" if len(encoded) > 1 else "it") if encoded == text else (
        named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}") if encoded else ""
    with_categories = names_option("categorical", [*categorical, *encoded], "encode")
    if encoded and encoded != text:  # the dates left out in the same step
        kept = leave_out_option(header, target, [c for c in feature_names if c not in text or c in encoded], selection)
        with_categories = f"{kept} {with_categories}"
    as_categories = f"; to one-hot encode {them} as categories, give {with_categories}" if encoded else ""
    if not others:
        return f"{so_do}; features must be numbers, and the table has no other feature column" + (
            " of numbers" if also else "") + as_categories
    option = leave_out_option(header, target, others, selection)
    how = "list the features:" if option.startswith(("--data.features", "TableDataModule(features=")) else "give"
    instead = as_categories.replace("; to one-hot", ", or to one-hot")
    return f"{so_do}; to leave {'these columns' if also else 'the column'} out, {how} {option}{instead}"


def cell_fix(header: Header, cell: str) -> str:
    """How to write a feature cell of ``header``'s file that is not a number as ``header.decimal`` reads numbers:
    :func:`number_fix`'s advice, or, for a decimal point written the other way, the ``--data.decimal`` that reads it.

    Example:
        >>> cell_fix(Header("t.csv", ["a", "kind"], ";", 1), "14,23")  # doctest: +NORMALIZE_WHITESPACE
        "; numbers take '.' as the decimal point: give --data.decimal ',' to read the file's decimal commas
        (or write it as '14.23')"
        >>> cell_fix(Header("t.csv", ["a", "kind"], ";", 1, decimal=","), "14.23")  # doctest: +NORMALIZE_WHITESPACE
        "; with --data.decimal ',' numbers take ',' as the decimal point: write it as '14,23', or give
        --data.decimal '.' for a file that writes '14.23'"
        >>> cell_fix(Header("t.csv", ["a", "kind"], ";", 1, decimal=","), "-1.234,5")
        "; with --data.decimal ',' numbers take no thousands separators: write it as '-1234,5'"
    """
    text = cell.strip()
    if header.decimal == "," and "." in text and text.isascii() and "_" not in text:
        if COMMA_THOUSANDS.fullmatch(text):
            if "," in text:
                return (f"; with --data.decimal ',' numbers take no thousands separators: write it as "
                        f"{text.replace('.', '')!r}")
            return (f"; with --data.decimal ',' numbers take ',' as the decimal point and no thousands separators: "
                    f"write it as {text.replace('.', ',')!r} (a decimal point) or {text.replace('.', '')!r} "
                    "(thousands)")
        if parse_number(text) is not None:
            return (f"; with --data.decimal ',' numbers take ',' as the decimal point: write it as "
                    f"{text.replace('.', ',')!r}, or give --data.decimal '.' for a file that writes {text!r}")
    if header.decimal == "." and header.delimiter != "," and "." not in text and DECIMAL_COMMA.fullmatch(text):
        plain = text.replace(",", ".")
        if THOUSANDS.fullmatch(text):  # 1,234: a decimal comma or a thousands separator
            return (f"; numbers take '.' as the decimal point and no thousands separators: give --data.decimal ',' "
                    f"if ',' is the file's decimal point (or write it as {plain!r}), or write it as "
                    f"{text.replace(',', '')!r} if it separates thousands")
        return (f"; numbers take '.' as the decimal point: give --data.decimal ',' to read the file's decimal commas "
                f"(or write it as {plain!r})")
    return number_fix(cell)


def number_fix(cell: str) -> str:
    """How to write a cell that Python reads as a number but numpy does not, or a number or boolean
    written as a spreadsheet or data frame writes it (``""`` for any other cell).

    A decimal comma (``1,5``, ``1.234,5``: a file saved with a comma as the decimal point) is
    told to be written with a ``.``; thousands separators (``1,234.5``) to be left out (``1,234``,
    either, is given both ways); a boolean (``True``, ``FALSE``) to be written as 1 or 0; a
    typographic minus (``\u2212``) and digits grouped by spaces (``1 234,5``, as spreadsheets in
    French and other languages write numbers) to be written plainly.

    Example:
        >>> number_fix("1_000")
        "; write it as '1000' (ASCII digits 0-9, no '_')"
        >>> number_fix("5,1")
        "; numbers take '.' as the decimal point: write it as '5.1' (no thousands separators)"
        >>> number_fix("1,234.5")
        "; numbers take no thousands separators: write it as '1234.5'"
        >>> number_fix("TRUE")
        '; write booleans as 1 and 0'
        >>> number_fix("12.5%")
        "; write percentages as plain numbers: '12.5' (or '0.125' as a fraction, the same way in every row)"
        >>> number_fix("-$1,234.50")
        "; write it as '-1234.50' (no currency sign)"
        >>> number_fix("\u22121\u202f234,5")  # as French spreadsheets write -1234.5
        "; write it as '-1234.5' (an ASCII '-', no spaces between digits, '.' as the decimal point)"
    """
    text = cell.strip()
    if SPREADSHEET_ERROR.fullmatch(text):
        return f"; it is {SPREADSHEET_FIX}"
    if "\u2212" in text or SPACE_GROUPS.fullmatch(text):  # a typographic minus, digits grouped by spaces
        plain = re.sub(r"(?<=\d)\s+(?=\d{3})", "", text.replace("\u2212", "-"))
        if DECIMAL_COMMA.fullmatch(plain):
            plain = plain.replace(".", "").replace(",", ".")
        if parse_number(plain) is not None:
            return f"; write it as {plain!r} (an ASCII '-', no spaces between digits, '.' as the decimal point)"
    unit = UNIT.fullmatch(text)
    if unit and bool(unit[2]) + bool(unit[4]) == 1:  # one sign: before the number (currency) or after it
        digits = unit[1] + unit[3]
        if THOUSANDS.fullmatch(digits) and DECIMAL_COMMA.fullmatch(digits):  # 1,234: either
            plain = None
        elif THOUSANDS.fullmatch(digits):
            plain = digits.replace(",", "")
        elif DECIMAL_COMMA.fullmatch(digits):
            plain = digits.replace(".", "").replace(",", ".")
        else:
            plain = digits if parse_number(digits) is not None else None
        if unit[4] == "%":
            if plain is None:
                return "; write percentages as plain numbers ('.' as the decimal point, no thousands separators)"
            return (f"; write percentages as plain numbers: {plain!r} (or {str(Decimal(plain) / 100)!r} as a fraction, "
                    "the same way in every row)")
        if plain is None:
            return "; write it as a plain number (no currency sign, '.' as the decimal point, no thousands separators)"
        return f"; write it as {plain!r} (no currency sign)"
    thousands = THOUSANDS.fullmatch(text) is not None
    if DECIMAL_COMMA.fullmatch(text):
        plain = text.replace(".", "").replace(",", ".")
        if thousands:  # 1,234: a decimal comma or a thousands separator
            return (f"; numbers take '.' as the decimal point and no thousands separators: write it as {plain!r} "
                    f"(a decimal comma) or {text.replace(',', '')!r} (thousands)")
        return f"; numbers take '.' as the decimal point: write it as {plain!r} (no thousands separators)"
    if thousands:
        return f"; numbers take no thousands separators: write it as {text.replace(',', '')!r}"
    if text.lower() in BOOLEANS:
        return "; write booleans as 1 and 0"
    try:
        float(text)
    except ValueError:
        return ""
    plain = "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text).replace("_", "")
    return f"; write it as {plain!r} (ASCII digits 0-9, no '_')"


def leave_out_option(header: Header, target: str | None, kept: Sequence[str], selection: str | None = None) -> str:
    """The option that makes ``kept`` the features: ``--data.features`` listing them, or ``--data.exclude``
    listing the other columns but the target.

    ``selection`` is the option the user already gave (``"features"`` or ``"exclude"``), which the advice then
    replaces (giving both is refused); with ``"neither"`` or ``None``, the one of fewer names and characters, for a list
    that fits on a line
    (``--data.exclude '[id]'`` rather than 30 names; 99 names cannot be pasted, their complement can), but a list
    of features rather than an unnamed column excluded (``'[""]'``) unless the features are too many to show.
    """
    left = list(dict.fromkeys(c for c in header.columns if c not in kept and c != target))
    with optionnames.command_line():  # chosen by the command line's lengths, whoever reads it
        features, exclude = features_option(kept), names_option("exclude", left, "leave out")
    if selection in ("features", "exclude"):
        chosen = selection
    elif names_described(features):
        chosen = "exclude"
    else:
        # an unnamed column is better named than excluded as '[""]'
        shorter = len(left) < len(kept) and len(exclude) < len(features) and "" not in left
        chosen = "exclude" if shorter and not names_described(exclude) else "features"
    return names_option("exclude", left, "leave out") if chosen == "exclude" else features_option(kept)


def names_described(option: str) -> bool:
    """Whether an option of :func:`names_option` describes its list rather than giving it."""
    return " listing the " in option


def features_option(names: Sequence[str]) -> str:
    """``--data.features '[a,b]'`` for a message: the option that selects ``names``, as a shell and YAML take it back.

    A name YAML would read as something else (``01``, ``yes``, ``null``, ``x, y``) is written in
    double quotes, and the whole value in single quotes for the shell.

    Example:
        >>> with optionnames.command_line():
        ...     features_option(["a", "b"])
        "--data.features '[a,b]'"
        >>> with optionnames.command_line():
        ...     print(features_option(["01", "sepal length (cm)"]))
        --data.features '["01",sepal length (cm)]'
        >>> with optionnames.command_line():
        ...     features_option([f"x{i}" for i in range(2000)])
        '--data.features listing the 2000 columns to keep (in a --config file, for a list this long)'
        >>> features_option(["a", "b"])
        "TableDataModule(features=['a', 'b'])"
    """
    return names_option("features", names, "keep")


def names_option(name: str, names: Sequence[str], verb: str) -> str:
    """``--data.NAME '[a,b]'`` quoted as :func:`features_option` quotes it, or described (``verb`` the columns) if long;
    ``TableDataModule(NAME=['a', 'b'])`` for a data module built in Python (:mod:`blobclf.optionnames`)."""
    if not optionnames.on_command_line():
        if len(repr(list(names))) > MAX_SHOWN_OPTION:
            return f"{optionnames.option(name)} listing the {len(names)} columns to {verb}"
        return optionnames.option(name, repr(list(names)))
    items = [column if PLAIN_NAME.fullmatch(column) and column.lower() not in YAML_WORDS
             else json.dumps(column, ensure_ascii=False) for column in names]
    value = f"[{','.join(items)}]"
    if len(value) > MAX_SHOWN_OPTION:
        return (f"{optionnames.option(name)} listing the {len(names)} columns to {verb} (in a --config file, for a "
                "list this long)")
    # quoted even as [a,b]: a glob pattern, which zsh (macOS's shell) refuses ("no matches found") and bash replaces
    # by a file named a or b if there is one
    return optionnames.option(name, shlex.quote(value))


def shown_cell(cell: str) -> str:
    """The cell as it appears in a message: stripped, quoted, and cut short if long."""
    text = cell.strip()
    return repr(text if len(text) <= 40 else text[:37] + "...")
