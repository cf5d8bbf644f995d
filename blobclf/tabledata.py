"""The user's own table as a data module: ``--data TableDataModule --data.path train.csv --data.target species``."""

from __future__ import annotations

import hashlib
import math
import os
from typing import Any

import numpy as np
import torch
from lightning.pytorch.utilities import rank_zero_info
from sklearn.model_selection import train_test_split
from torch import Tensor

from blobclf.argtypes import integer_at_least
from blobclf.data import (SplitDataModule, SplitName, available_memory, check_random_state, check_split_name, is_number,
                          memory_size)
from blobclf.errors import ArgumentValueError, UserError
from blobclf.optionnames import option
from blobclf.points import Points, WrittenCells, check_inputs_memory, output_columns, read_points
from blobclf.table import class_order, first_line_of, read_header, read_table
from blobclf.tablecategories import (
    check_names, description, encode, encoded_names, look_alike_note, one_hot_inputs,
)
from blobclf.tablecells import Table, nfc
from blobclf.tablemissing import MissingValues, dropped_note
from blobclf.tablecells import rows as table_rows
from blobclf.tablehints import (
    check_classes,
    check_float32_precision,
    check_identifiers,
    check_named,
    header_hint,
    look_alike_classes,
    named_alike,
    shown_columns,
)
from blobclf.argtypes import DecimalPoint, NameList, NonNegativeInt, OpenUnitInterval, PositiveInt

SCALING_BLOCK = 1 << 16
DIGEST_BLOCK = 1 << 20


def file_sha256(path: str) -> str:
    """The SHA-256 of a file's bytes, as hex (computed once per file version in a process)."""
    stat = os.stat(path)
    key = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while block := handle.read(DIGEST_BLOCK):
                digest.update(block)
        _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


_DIGESTS: dict[tuple[str, int, int], str] = {}
"""SHA-256 of the tables hashed so far, by real path, size and modification time."""


TEST_ELSEWHERE = "restore the table, or test on another table with --data.test_path"
"""What an evaluation (``test``, ``validate``) of a run whose training table changed can do."""
PREDICT_ELSEWHERE = "restore the table, or predict another table's rows with --data.predict_file"
"""What a ``predict`` of a run whose training table changed can do."""
RESUME_ELSEWHERE = "restore the table to resume this run, or train a new run on the changed table (no --ckpt_path)"
"""What a resume (``fit --ckpt_path``) of a run whose training table changed can do."""


def given_file(name: str, path: Any) -> None:
    """Refuse, naming its option, a file that option ``name`` gives and that is not there (``--data.path 'x.csv':
    no such file``); a broken link, a folder and the like are named by :func:`blobclf.table.read_header`."""
    if path is not None and not os.path.lexists(path):
        raise UserError(f"{option(name, repr(os.fspath(path)))}: no such file")


def check_table_unchanged(state: Any, path: str, fix: str = TEST_ELSEWHERE) -> None:
    """Refuse, in one line, a training table whose bytes differ from those a checkpoint was trained on.

    Args:
        state: The :class:`TableDataModule` state stored in the checkpoint (``{"sha256": ...}``);
            anything else (a checkpoint from before the fingerprint) is accepted.
        path: The training table about to be read and split again.
        fix: What the user can do instead (:data:`TEST_ELSEWHERE`, :data:`RESUME_ELSEWHERE`).
    """
    recorded = state.get("sha256") if isinstance(state, dict) else None
    if not recorded or file_sha256(path) == recorded:
        return
    raise UserError(
        f"{path} changed since the checkpoint was trained on it (its SHA-256 differs): its splits would hold "
        f"other rows, the test split maybe training rows; {fix}"
    )
"""Rows per block when the standardization statistics are computed."""


def recorded_data_class(hparams: dict[str, Any]) -> str:
    """The class path of the data module whose hyperparameters (``datamodule_hyper_parameters``) a checkpoint holds.

    LightningCLI records it (``_class_path``). A checkpoint a script's own ``Trainer`` wrote does not: a
    table's settings (``path`` and ``target``) then name a :class:`TableDataModule`; other settings are
    blobs' (as for blobclf's first runs, before the data class could be chosen).
    """
    if "_class_path" in hparams:
        return str(hparams["_class_path"])
    table = "path" in hparams and "target" in hparams
    return f"{__name__}.{TableDataModule.__name__}" if table else "blobclf.data.BlobDataModule"


def check_split(path: str, rows: int, classes: int, fraction: float, setting: str, split: str) -> None:
    """Refuse a stratified split of ``rows`` rows that leaves either part fewer rows than ``classes``.

    The sizes are scikit-learn's (``ceil(fraction * rows)`` held out, the rest kept), whose own
    error would name its parameters rather than blobclf's options.

    Args:
        path: The training table, for the message.
        rows: Rows to split (the table, or its training split for validation).
        classes: The number of classes; each part must hold every one.
        fraction: The fraction held out.
        setting: The argument that sets ``fraction`` (``test_size``, ``val_size``), named in the message as its
            user gives it (:func:`blobclf.optionnames.option`).
        split: What the held-out part is called (``test``, ``validation``).

    Raises:
        UserError: with a fraction that works, or the rows needed if none does.
    """
    held = math.ceil(fraction * rows)
    if held >= classes and rows - held >= classes:
        return
    if rows < 2 * classes:
        raise UserError(
            f"{path}: {rows} rows cannot be split into a {split} part and a training part that each hold all "
            f"{classes} classes; that needs at least {2 * classes} rows"
        )
    if held < classes:
        good = math.ceil(classes / rows * 100) / 100
        while math.ceil(good * rows) < classes:
            good += 0.01
        problem = f"{option(setting, str(fraction))} holds out {held} of {rows} rows, fewer than the {classes} classes"
    else:
        good = math.floor((rows - classes) / rows * 100) / 100
        while rows - math.ceil(good * rows) < classes:
            good -= 0.01
        problem = (f"{option(setting, str(fraction))} keeps {rows - held} of {rows} rows for training, fewer than the "
                   f"{classes} classes")
    raise UserError(
        f"{path}: {problem}; a stratified split needs every class in each part: try {option(setting, f'{good:.2f}')}")


def check_every_class(
    table: Table, rows: np.ndarray, kept: np.ndarray, held: np.ndarray, fraction: float, seed: int, setting: str,
    split: str,
) -> None:
    """Refuse a stratified split that leaves a class out of a part, with a fraction that keeps it in both.

    scikit-learn gives each class its share of each part, rounded: a class of 2 rows in 102 gets
    0.4 of the 21 test rows, and so none. The test or validation split would then say nothing of
    that class, and its scores there would be empty.

    Args:
        table: The training table.
        rows: The rows that were split (the table, or its training split for validation).
        kept: The rows kept for training.
        held: The rows held out.
        fraction: The fraction held out.
        seed: The split's random state.
        setting: The argument that sets ``fraction``, as :func:`check_split` takes it.
        split: What the held-out part is called.

    Raises:
        UserError: naming the class and the part it is missing from.
    """
    assert table.labels is not None
    classes = len(table.classes)
    for part, name in ((held, split), (kept, "training")):
        counts = np.bincount(table.labels[part], minlength=classes)
        if counts.min() > 0:
            continue
        absent = int(counts.argmin())
        total = int((table.labels[rows] == absent).sum())
        good = _fraction_keeping_every_class(table.labels, rows, fraction, seed)
        fix = (f"try {option(setting, f'{good:.2f}')}, or add rows of it" if good is not None
               else "add rows of it or remove them")
        raise UserError(
            f"{table.path}: the stratified split leaves class {table.classes[absent]!r} ({total} rows"
            f"{'' if len(rows) == len(table.labels) else ' in the training split'}) out of the "
            f"{name} split ({option(setting, str(fraction))} gives each class its share of {len(held)} held-out "
            "rows, rounded), "
            f"which would then say nothing of it; {fix}"
        )


def _fraction_keeping_every_class(labels: np.ndarray, rows: np.ndarray, fraction: float, seed: int) -> float | None:
    """The held-out fraction nearest ``fraction`` (0.05 to 0.95, by 0.01) whose split of ``rows`` keeps every class in
    both parts, found by splitting; ``None`` if there is none within 0.3 of it."""
    classes = len(np.unique(labels[rows]))
    candidates = sorted((c / 100 for c in range(5, 96)), key=lambda c: (abs(c - fraction), c))
    for candidate in candidates:
        if abs(candidate - fraction) > 0.3:
            break
        try:
            kept, held = train_test_split(rows, test_size=candidate, random_state=seed, stratify=labels[rows])
        except ValueError:
            continue
        if len(np.unique(labels[kept])) == classes == len(np.unique(labels[held])):
            return candidate
    return None


def check_one_hot_memory(path: str, rows: int, inputs: int, categories: dict[str, list[str]],
                         batch_rows: int | None = None) -> None:
    """Refuse, in one line and before they are made, one-hot inputs that the memory available cannot hold while the
    model trains (a column of a million ids): the splits hold ``rows * inputs`` float32 values, 4 bytes each, and
    the model's standardization of each training batch makes one more of the batch's size
    (:class:`~blobclf.model.ScaledBlobModel`): ``batch_rows`` rows (``None``: the training split, full-batch; ``0``:
    a model that does not standardize), counted as ``rows``. Measured with ``/usr/bin/time``: ``fit`` of 20,000 rows
    of about 2,001 inputs (153 MiB; 3 full-batch epochs, no figures) peaked 290 MiB, 1.9 times the inputs, above a
    200-row table's 481 MiB; the check counted them once, and now twice."""
    batch = rows if batch_rows is None else min(rows, batch_rows)
    needed = (rows + batch) * inputs * 4
    available = available_memory()
    if available is not None and needed > available:
        column = max(categories, key=lambda name: len(categories[name]))
        copy = "" if not batch else " (with the standardized copy of full-batch training)" if batch == rows else (
            f" (with a standardized batch of {batch:,} rows)")
        raise UserError(
            f"{path}: the categorical column {column!r} has {len(categories[column]):,} categories: {rows:,} rows of "
            f"{inputs:,} inputs need about {memory_size(needed)} of memory{copy} and {memory_size(available)} is "
            "available; group its rare categories into one (such as 'other'), or leave the column out of "
            f"{option('categorical')} and the features"
        )


def _mean_and_scale(features: Tensor) -> tuple[Tensor, Tensor]:
    """Mean and standard deviation of each column of ``features`` in float64 (a constant column's is 1)."""
    # two passes in float64 over row blocks: exact enough for millions of rows, and no
    # float64 copy of the whole split
    blocks = range(0, features.shape[0], SCALING_BLOCK)
    total = sum(features[i : i + SCALING_BLOCK].double().sum(dim=0) for i in blocks)
    mean = total / features.shape[0]
    squares = sum(((features[i : i + SCALING_BLOCK].double() - mean) ** 2).sum(dim=0) for i in blocks)
    scale = (squares / features.shape[0]).sqrt()
    return mean, torch.where(scale > 0, scale, torch.ones_like(scale))


class TableDataModule(SplitDataModule):
    """A classification table read from a CSV file with a header row.

    One column holds each row's class (``target``: any text or numbers; the class names are
    the distinct values, ordered numerically when all are numbers and alphabetically
    otherwise); the features are every other column, or those listed in ``features``, and must
    be numbers. Without ``test_path`` the table is split into train / test (and validation with
    ``val_size``) by ``train_test_split(..., stratify=labels, random_state=random_state)``, so
    every split holds each class in proportion; as for blobs, validation runs on the test split
    when there is no ``val_size``.

    The table is read when its shape is first needed (the command line links feature and class
    names into the model while building it), once. The feature and class names found are then
    recorded in this module's hyperparameters, so a checkpoint carries them and ``test`` /
    ``predict`` with it use exactly the trained model's columns and classes. The delimiter is
    not: unless ``delimiter`` is given, every file (training, test, predict) has its own detected.

    Args:
        path: CSV file of the training table (a header row naming the columns, then one row per sample).
        target: Name of the column holding the class of each row.
        features: Names of the feature columns, as a list (``[a,b]``); ``null`` takes every column but the target
            (and those in ``exclude``).
        exclude: Names of columns that are not features (an id, a text column), as a list (``[id,name]``):
            the features are every other column but the target. Give this or ``features``, not both; once the
            table is read, the features found are recorded as ``features`` (and this as ``null``), so a
            checkpoint holds the same settings as with ``features``.
        categorical: Names of feature columns of categories (text such as ``island`` or ``sex``), as a list
            (``[island,sex]``): each is one-hot encoded, one model input ``<column>_<category>`` per category of
            the training split (sorted; numerically when all are numbers). A missing value in them is refused.
        categories: The categories of each ``categorical`` column, in the order of its inputs, as a mapping of
            column to list; ``null`` takes those of the training split (recorded after reading, so that ``test`` and
            ``predict`` encode every file alike and refuse a category the model was not trained on).
        test_path: CSV file of a separate test table with the same columns; ``null`` holds out
            ``test_size`` of ``path``.
        predict_file: CSV file of rows to predict: columns found by name (any order); columns that
            are not features are copied to the output. ``null`` predicts the test split.
        delimiter: Column delimiter of the CSV files; ``null`` detects it (``,`` ``;`` tab or ``|``).
        decimal: Decimal point of the feature cells: ``'.'``, or ``','`` for a table that spreadsheets in German,
            French and other languages save (``14,23;1,71;0``, read exactly as ``14.23,1.71,0``); the delimiter
            must then be another than ``','``, and a cell holding a ``'.'`` (``1.234,5``) is refused. Recorded with
            the run: ``test`` and ``predict`` read every file (``test_path``, ``predict_file``) with it unless given.
        classes: Class names in the order of the model's outputs, as a list; ``null`` takes those found in
            ``path`` (recorded after reading).
        standardize: Standardize each feature with the training split's mean and standard
            deviation, inside the model (checkpoints, ``model.pth`` and ONNX take raw values).
        test_size: Fraction of the table held out as the test split (without ``test_path``).
        val_size: Fraction of the training split held out for validation; ``null`` validates on
            the test split.
        random_state: Seed of the split and of the shuffled batch order (0 to 2**32 - 1).
        batch_size: Training batch size; ``null`` trains full-batch.
        eval_batch_size: Batch size for validation, test and predict; ``null`` uses one batch per split.
        shuffle: Reshuffle training batches every epoch (no effect when training full-batch).
        missing: Rows with a missing value (an empty cell, ``NA``, ``?``, ...) in a feature or the target column:
            ``refuse`` the table (naming them), or ``drop`` those rows from the training table (before it is split:
            the same seed draws the same splits) and from ``test_path``, with a note naming their lines. Recorded
            with the run, so ``test`` and ``predict`` of its checkpoint read the tables alike; ``predict_file``
            rows are never dropped (each gets a prediction, or the file is refused naming the row).
    """

    def __init__(
        self,
        path: str,
        target: str,
        features: NameList | None = None,
        exclude: NameList | None = None,
        categorical: NameList | None = None,
        categories: dict[str, NameList] | None = None,
        test_path: str | None = None,
        predict_file: str | None = None,
        delimiter: str | None = None,
        decimal: DecimalPoint = ".",
        classes: NameList | None = None,
        standardize: bool = True,
        test_size: OpenUnitInterval = 0.2,
        val_size: OpenUnitInterval | None = None,
        random_state: NonNegativeInt = 42,
        batch_size: PositiveInt | None = None,
        eval_batch_size: PositiveInt | None = None,
        shuffle: bool = True,
        missing: MissingValues = "refuse",
    ) -> None:
        super().__init__()
        for name, fraction in (("test_size", test_size), ("val_size", val_size)):
            if fraction is not None and not (is_number(fraction) and 0 < fraction < 1):
                raise ArgumentValueError(f"{name} must be strictly between 0 and 1, got {fraction!r}")
        check_random_state(random_state)
        batch_size = None if batch_size is None else integer_at_least("batch_size", batch_size, 1)
        eval_batch_size = None if eval_batch_size is None else integer_at_least("eval_batch_size", eval_batch_size, 1)
        if delimiter is not None and len(delimiter) != 1:
            raise ArgumentValueError(f"delimiter must be one character, got {delimiter!r}")
        if decimal not in (".", ","):
            raise ArgumentValueError(
                f"{option('decimal')} must be '.' or ',' (the decimal point of the feature cells), got {decimal!r}")
        if decimal == "," == delimiter:
            raise ArgumentValueError(
                f"{option('decimal', repr(','))} with {option('delimiter', repr(','))} is ambiguous (a cell '1,5' "
                "could "
                f"be two); give the file's other delimiter ({option('delimiter', repr(';'))}), or leave "
                f"{option('delimiter')} out to detect it"
            )
        for name, names in (("features", features), ("exclude", exclude), ("categorical", categorical),
                            ("classes", classes)):
            if isinstance(names, str):  # would be taken letter by letter
                raise ArgumentValueError(f"{option(name)} takes a list of names, got the text {names!r}; give a list: "
                                         f"{option(name, repr([names]))}")
        if features is not None and not features:
            raise ArgumentValueError(
                f"{option('features')} is an empty list; list at least one feature column, or leave it out to use "
                "every column but the target"
            )
        if features is not None and exclude is not None:
            raise ArgumentValueError(
                f"{option('features')} and {option('exclude')} are both given; give one: {option('features')} lists "
                f"the feature columns, {option('exclude')} the columns that are not features"
            )
        # names and classes are compared composed (NFC), however the command line or the files write accents
        # a name in double quotes is the name inside: --data.target '"null"' names a column null, which a bare
        # null (YAML's no value) cannot; a header writes a quote in a name only by doubling it ('"""a"""')
        if len(target) >= 2 and target[0] == target[-1] == '"':
            target = target[1:-1]
        target = nfc(target)
        features = [nfc(column) for column in features] if features is not None else None
        exclude = [nfc(column) for column in exclude] if exclude is not None else None
        classes = [nfc(value) for value in classes] if classes is not None else None
        categorical = [nfc(column) for column in categorical] if categorical is not None else None
        if categorical is not None and len(set(categorical)) != len(categorical):
            raise ArgumentValueError(f"{option('categorical')} names a column twice, got {categorical!r}")
        if categories is not None:
            categories = {nfc(column): [nfc(value) for value in values] for column, values in categories.items()}
            if sorted(categories) != sorted(categorical or []) or not all(categories.values()):
                raise ArgumentValueError(
                    f"{option('categories')} must give the categories of each {option('categorical')} column and no "
                    f"other, got {categories!r} for {option('categorical')} {categorical!r}"
                )
        if classes is not None and len(set(classes)) != len(classes):
            raise ArgumentValueError(f"classes must be distinct, got {classes!r}")
        self.save_hyperparameters()
        # LightningCLI has save_hyperparameters record the values as parsed, before the unquoting above
        self.hparams.target = target
        self.hparams.categorical = categorical or None
        self.hparams.categories = categories
        self._columns: list[str] | None = None
        self._test_cells: tuple[int, WrittenCells | None] | None = None  # (rows, _test_texts of them), once read
        self._test_rows: np.ndarray | None = None
        """The training table's rows (0-based, blank lines not counted) held out as the test split, in its order."""
        self._test_file_rows: np.ndarray | None = None
        """The ``test_path`` table's rows read (as :attr:`Table.kept_rows`), when some were left out (``missing``)."""
        self._selection = "features" if features is not None else "exclude" if exclude is not None else "neither"
        """The option the user chose the features with, which a refusal's advice replaces
        (see :func:`blobclf.tablehints.leave_out_option`)."""
        self.table_sha256: str | None = None
        """SHA-256 of the training table's bytes, once read: kept in checkpoints (:meth:`state_dict`)."""

    @property
    def feature_names(self) -> list[str]:
        """The model's inputs, in order (linked into the model): the feature columns, a categorical one replaced by
        its one-hot inputs (:func:`blobclf.tablecategories.encoded_names`)."""
        columns = self.feature_columns()
        if not self.hparams.categorical:
            return columns
        if self.hparams.categories is None:
            self._fit_splits()
        return encoded_names(columns, self.hparams.categories)

    @property
    def encoding(self) -> dict[str, Any] | None:
        """How the feature columns become the model's inputs, for ``model.json`` (``None`` without categorical
        columns: the inputs are the columns)."""
        if not self.hparams.categorical:
            return None
        return description(self.feature_columns(), self.categories())

    def categories(self) -> dict[str, list[str]]:
        """The categories of each categorical column (those of the training split, once read)."""
        if not self.hparams.categorical:
            return {}
        if self.hparams.categories is None:
            self._fit_splits()
        return {column: list(values) for column, values in self.hparams.categories.items()}

    def feature_columns(self) -> list[str]:
        """The table's feature columns, in order (a categorical one before its encoding)."""
        if self.hparams.features is None:
            # the delimiter sniffed here is not recorded: each later file (test, predict) is sniffed
            # on its own unless --data.delimiter was given
            given_file("path", self.hparams.path)
            header = read_header(self.hparams.path, self.hparams.delimiter, self.hparams.decimal)
            self._columns = header.columns
            target, exclude = self.hparams.target, self.hparams.exclude or []
            if target not in header.columns:
                read_table(self.hparams.path, target, delimiter=header.delimiter)  # raises the error
            self._check_exclude(header.columns, exclude)
            features = [c for c in header.columns if c != target and c not in exclude]
            if not features:
                raise UserError(
                    f"{self.hparams.path}: {option('exclude')} leaves no feature column (the columns are "
                    f"{shown_columns(header.columns)}); exclude fewer"
                )
            categorical = self.hparams.categorical or ()
            missing = self.hparams.missing
            check_named(header, features, target, selection=self._selection, categorical=categorical, missing=missing)
            check_identifiers(header, features, target, self._selection, categorical, missing)
            # recorded as if given: a checkpoint's test, predict or resume reads exactly these columns
            self.hparams.features, self.hparams.exclude = features, None
        return list(self.hparams.features)

    def _check_exclude(self, columns: list[str], exclude: list[str]) -> None:
        """Refuse an excluded name that is not a column, the target, or a name given twice."""
        path, target = self.hparams.path, self.hparams.target
        for column in exclude:
            if column not in columns:
                raise UserError(f"{path}: {option('exclude')} names {column!r}, which is not a column; the columns "
                                f"are: {shown_columns(columns)}")
        if target in exclude:
            raise UserError(f"{path}: {option('exclude')} names the target column {target!r}; leave it out there (the "
                            "target is never a feature)")
        if len(set(exclude)) != len(exclude):
            raise UserError(f"{path}: {option('exclude')} names "
                            f"{next(c for c in exclude if exclude.count(c) > 1)!r} twice")

    @property
    def class_names(self) -> list[str]:
        """The class names, in the order of the model's outputs (linked into the model)."""
        if self.hparams.classes is None:
            self._fit_splits()
        return list(self.hparams.classes)

    @property
    def num_features(self) -> int:
        """Number of feature columns (linked into the model)."""
        return len(self.feature_names)

    @property
    def num_classes(self) -> int:
        """Number of classes (linked into the model)."""
        return len(self.class_names)

    @property
    def standardize(self) -> bool:
        """Whether the model standardizes its inputs (linked into the model)."""
        return bool(self.hparams.standardize)

    @property
    def label_column(self) -> str:
        """The target column: a prediction table may hold it, for known classes."""
        return str(self.hparams.target)

    def setup(self, stage: str | None = None) -> None:
        """Read and split what ``stage`` uses: the training table for ``fit``, the test split for ``test``."""
        if stage in (None, "fit", "validate"):
            self._fit_splits()
        if stage in (None, "test"):
            self.split("test")

    def split(self, name: SplitName) -> tuple[Tensor, Tensor]:
        check_split_name(name)
        if name not in self.splits:
            if name == "test" and self.hparams.test_path is not None:
                self.splits["test"] = self._test_table()
                if self.hparams.val_size is None and "train" in self.splits:
                    self.splits["val"] = self.splits["test"]
            else:
                self._fit_splits()
        return self.splits[name]

    def feature_scaling(self) -> tuple[Tensor, Tensor]:
        """Mean and standard deviation of each feature over the training split (a constant feature's is 1)."""
        features = self.split("train")[0]
        one_hot = (torch.from_numpy(one_hot_inputs(self.feature_columns(), self.categories()))
                   if self.hparams.categorical else torch.zeros(features.shape[1], dtype=torch.bool))
        # one-hot inputs are not standardized (mean 0, scale 1) and not computed: thousands of them took seconds
        numeric = (~one_hot).nonzero().flatten()
        mean = torch.zeros(features.shape[1], dtype=torch.float64)
        scale = torch.ones(features.shape[1], dtype=torch.float64)
        if len(numeric):
            mean[numeric], scale[numeric] = _mean_and_scale(features[:, numeric] if one_hot.any() else features)
        return mean.float(), scale.float()

    def predict_points(self) -> Points:
        """The rows ``predict`` runs on: ``predict_file`` matched by column name, or the test split."""
        if self.hparams.predict_file is None:
            features, labels = self.split("test")
            return Points(features, labels, self.feature_names, columns=self.feature_columns(),
                          categories={column: list(values) for column, values in self.categories().items()},
                          texts=self._test_texts(len(labels)))  # read once: predict asks twice (loader, writer)
        if self.points is None:
            given_file("predict_file", self.hparams.predict_file)
            self.points = read_points(
                self.hparams.predict_file, self.feature_columns(), self.class_names, self.label_column,
                self.hparams.delimiter, self.hparams.decimal, categories=self.categories() or None,
                batch_rows=self._batch_rows(),
            )
        return self.points

    def _test_texts(self, count: int) -> WrittenCells | None:
        """The test split's numeric feature cells as the table writes them (as :attr:`Points.texts` holds a file's),
        so that predictions of the test split echo ``40`` as ``40``, as those of a ``predict_file`` do: the table
        read again, only those rows' cells kept (one string a row). ``None`` (the float32 values are written) where
        the features are all categorical or the rows do not match the split."""
        if self._test_cells is None or self._test_cells[0] != count:
            self._test_cells = (count, self._read_test_texts(count))
        return self._test_cells[1]

    def _read_test_texts(self, count: int) -> WrittenCells | None:
        """:meth:`_test_texts`, read from the file."""
        hp = self.hparams
        categorical = set(hp.categorical or ())
        numeric = [column for column in self.feature_columns() if column not in categorical]
        separate = hp.test_path is not None
        if not numeric or (not separate and self._test_rows is None):
            return None
        header = read_header(hp.test_path if separate else hp.path, hp.delimiter, hp.decimal)
        index = {column: i for i, column in enumerate(header.columns)}
        positions = [index[column] for column in numeric]
        kept = self._test_file_rows if separate else self._test_rows
        order = {int(row): k for k, row in enumerate(kept)} if kept is not None else None
        texts = WrittenCells(count)
        for number, (_, row) in enumerate(table_rows(header)):
            k = number if order is None else order.get(number)
            if k is not None and k < count:
                texts.put(k, (row[i].strip() for i in positions))
        return texts if texts.complete() else None

    def _batch_rows(self) -> int | None:
        """The rows the model standardizes at once when it tests or predicts (``0``: it does not standardize)."""
        return self.hparams.eval_batch_size if self.hparams.standardize else 0

    def _read(self, path: str) -> Table:
        hp = self.hparams
        given_file("path" if path == hp.path else "test_path", path)
        table = read_table(path, hp.target, self.feature_columns(), hp.classes, hp.delimiter, decimal=hp.decimal,
                          selection=self._selection, categorical=hp.categorical or (), categories=hp.categories,
                          missing=hp.missing)
        if table.dropped_lines:
            total = len(table.dropped_lines) + len(table.features)
            rank_zero_info(dropped_note(path, table.dropped_lines, total))
        return table

    def _fit_splits(self) -> None:
        """Read the training table once and split it; record the class names found (and categories).

        A failed read or split records nothing and keeps no split: called again (a file fixed in the meantime),
        it reads and checks every table again as the first call did."""
        if "train" in self.splits:
            return
        recorded = (self.hparams.classes, self.hparams.categories)
        try:
            self._read_and_split()
        except BaseException:
            self.hparams.classes, self.hparams.categories = recorded
            for name in ("train", "val", "test"):
                self.splits.pop(name, None)
            raise

    def _read_and_split(self) -> None:
        hp = self.hparams
        table = self._read(hp.path)
        self.table_sha256 = file_sha256(hp.path)
        self._columns = table.columns
        new_run = hp.classes is None  # a resumed or evaluated run keeps the table and splits it trained on
        if new_run:
            check_float32_precision(read_header(hp.path, hp.delimiter, hp.decimal), table)
            hp.classes = table.classes
            pair = look_alike_classes(table.classes)
            if pair:
                rank_zero_info(f"note: {hp.path}: the target column {hp.target!r} holds the classes {pair[0]!r} and "
                               f"{pair[1]!r}, which differ only in case, spaces or how a number is written; they are "
                               "trained as two classes (make them one in the file if they are one)")
        clash = sorted(set(table.feature_names) & output_columns(hp.classes))
        if clash:
            raise UserError(
                f"{hp.path}: feature column {clash[0]!r} has the name of a column the predictions add; rename it "
                "(predictions could not hold both)"
            )
        assert table.labels is not None
        separate_test = hp.test_path is not None
        if (new_run and separate_test and os.path.isfile(hp.test_path)
                and file_sha256(hp.test_path) == self.table_sha256):
            raise UserError(
                f"--data.test_path {hp.test_path!r} is the training table {hp.path!r} (the same bytes): validation and "
                "the test would run on the rows trained on; give a table of other rows, or leave --data.test_path out "
                "to hold out --data.test_size of the table"
            )
        check_classes(table, hp.test_size, hp.val_size if not separate_test else None, separate_test)
        y = torch.from_numpy(table.labels)
        train = np.arange(len(y))
        test = val = None
        if not separate_test:
            check_split(hp.path, len(y), len(table.classes), hp.test_size, "test_size", "test")
        if hp.val_size is not None:
            n_train = len(y) - (math.ceil(hp.test_size * len(y)) if not separate_test else 0)
            check_split(hp.path, n_train, len(table.classes), hp.val_size, "val_size", "validation")
        try:
            if not separate_test:
                train, test = train_test_split(
                    train, test_size=hp.test_size, random_state=hp.random_state, stratify=table.labels
                )
                if new_run:
                    check_every_class(table, np.arange(len(y)), train, test, hp.test_size, hp.random_state,
                                      "test_size", "test")
            if hp.val_size is not None:
                kept = train
                train, val = train_test_split(
                    train, test_size=hp.val_size, random_state=hp.random_state, stratify=table.labels[train]
                )
                if new_run:
                    check_every_class(table, kept, train, val, hp.val_size, hp.random_state, "val_size",
                                      "validation")
        except ValueError as error:  # too few rows for a stratified split of this size
            raise UserError(
                f"{hp.path}: cannot split {len(y)} rows into {len(table.classes)} classes: {error}"
            ) from None
        if hp.categorical and hp.categories is None:
            hp.categories = self._fit_categories(table, train)
            note = look_alike_note(hp.path, hp.categories)
            if note:
                rank_zero_info(note)
        if hp.categorical:
            check_names(hp.path, table.columns, encoded_names(table.feature_names, hp.categories), hp.categories)
            inputs = len(encoded_names(table.feature_names, hp.categories))
            if new_run:
                check_one_hot_memory(hp.path, len(y), inputs, hp.categories,
                                     hp.batch_size if hp.standardize else 0)
            else:  # the model's categories are as trained, not to be grouped: other files can be tested or predicted
                check_inputs_memory(hp.path, len(y), inputs, 0, (
                    "the splits of the training table are made whole: test or predict files of at most {rows:,} rows "
                    f"instead ({option('test_path')}, {option('predict_file')}), or run on a machine with more memory"))

        def inputs(rows: np.ndarray) -> Tensor:  # each split encoded from its own rows: the table's never held whole
            return torch.from_numpy(encode(table.features[rows], table.feature_names, table.categories))

        if test is not None:
            self.splits["test"] = (inputs(test), y[test])
            self._test_rows = table.kept_rows[test] if table.kept_rows is not None else test
        if val is not None:
            self.splits["val"] = (inputs(val), y[val])
        if separate_test and "test" not in self.splits:
            self.splits["test"] = self._test_table()
        self.splits["train"] = (inputs(train), y[train])
        if hp.val_size is None:
            self.splits["val"] = self.splits["test"]

    def _fit_categories(self, table: Table, train: np.ndarray) -> dict[str, list[str]]:
        """The categories of each categorical column in the ``train`` rows (sorted as classes are), with
        ``table``'s columns of category indices made indices into them. A category found only in held-out rows is
        refused: the model would have no input for it."""
        categories: dict[str, list[str]] = {}
        for column, values in table.categories.items():
            j = table.feature_names.index(column)
            codes = table.features[:, j].astype(np.int64)
            seen = np.zeros(len(values), dtype=bool)
            seen[codes[train]] = True
            if not seen.all():
                value = values[int(np.argmin(seen))]
                rows = int((codes == int(np.argmin(seen))).sum())
                header = read_header(table.path, self.hparams.delimiter, self.hparams.decimal)
                once = int((np.bincount(codes, minlength=len(values)) == 1).sum())
                fix = ("add rows of it, write it as another category, or remove those rows" if 2 * once <= len(values)
                       else f"{once:,} of its {len(values):,} categories are on one row each (an id?), which a model "
                       "cannot learn from: group the rare categories into one (such as 'other'), or leave the column "
                       "out")
                raise UserError(
                    f"{table.path}:{first_line_of(header, column, value)}: the categorical column {column!r} holds "
                    f"{value!r} only in rows held out from training ({rows} row{'s' if rows > 1 else ''}), so the "
                    f"model would have no input for it; {fix}"
                )
            order = class_order(values)
            index = {value: i for i, value in enumerate(order)}
            position = np.array([index[value] for value in values], dtype=np.float32)
            table.features[:, j] = position[codes]
            table.categories[column] = order
            categories[column] = order
        return categories

    def state_dict(self) -> dict[str, Any]:
        """The training table's SHA-256, so that a checkpoint's splits are never drawn from another table."""
        return {"sha256": self.table_sha256} if self.table_sha256 is not None else {}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Refuse a training table that changed since the checkpoint (the command line checks first)."""
        if self.table_sha256 is not None and state_dict.get("sha256") not in (None, self.table_sha256):
            check_table_unchanged(state_dict, self.hparams.path)

    def _test_table(self) -> tuple[Tensor, Tensor]:
        hp = self.hparams
        given_file("test_path", hp.test_path)
        header = read_header(hp.test_path, hp.delimiter, hp.decimal)
        columns = header.columns
        # with the training table read, the columns must be the same (in any order); testing a
        # checkpoint without it, the model's features and the target must be there
        same = self._columns is not None
        expected = self._columns if same else [*self.feature_columns(), hp.target]
        known, wanted = set(columns), set(expected)  # sets: tables of 100,000 columns
        missing = [c for c in expected if c not in known]
        extra = [c for c in columns if c not in wanted] if same else []
        if missing or extra:
            what = "; ".join(
                part for part in (
                    f"missing {shown_columns([repr(c) + named_alike(c, columns) for c in missing[:21]], len(missing))}"
                    if missing else "",
                    f"extra {shown_columns([repr(c) for c in extra[:21]], len(extra))}" if extra else "",
                ) if part
            )
            raise UserError(
                f"{hp.test_path}: its columns differ from the training table {hp.path}'s: {what}{header_hint(header)}"
            )
        table = self._read(hp.test_path)
        self._test_file_rows = table.kept_rows
        assert table.labels is not None
        if self.categories():
            check_inputs_memory(hp.test_path, len(table.labels),
                                len(encoded_names(table.feature_names, self.categories())), self._batch_rows())
        x = encode(table.features, table.feature_names, self.categories())
        return torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(table.labels)
