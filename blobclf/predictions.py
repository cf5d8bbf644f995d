"""Writing ``predict``'s output to a CSV file instead of throwing it away."""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, Any

import lightning as L
import torch
from lightning.pytorch.callbacks import BasePredictionWriter
from typing_extensions import override

from blobclf.argtypes import NonNegativeInt
from blobclf.atomic import atomic_write, name_too_long
from blobclf.errors import UserError, printable
from blobclf.export import checkpoint_tag
from blobclf.outputnames import refuse_case_twin
from blobclf.points import PREDICTED_COLUMN
from blobclf.tablefile import table_stem

PROTECTED_SUFFIXES = (".ckpt", ".pth", ".pt", ".onnx", ".yaml", ".yml", ".json", ".png")
PROTECTED_NAMES = ("model.json", "config.yaml", "hparams.yaml")
RUN_FOLDER = re.compile(r"^version_\d+$")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""First characters that make Excel, LibreOffice Calc or Google Sheets read a CSV cell as a formula (OWASP's
"CSV Injection": ``=``, ``+``, ``-``, ``@``, tab, CR; also LF and the fullwidth forms, read so in some locales)."""
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
BLOCK_ROWS = 1 << 14
"""Prediction rows made at a time (their features and probabilities turned into Python values): the output is never
all held as text."""


@dataclass(frozen=True)
class Ranked:
    """Predictions reduced to what ``--prediction.top_k`` writes: each row's most probable class (``predicted``, the
    argmax), its ``k`` most probable classes (``order``, most probable first; of equal probabilities the class listed
    first) and their probabilities (``values``), of a model of ``num_classes`` classes. Made batch by batch
    (:func:`ranked`), they hold ``k`` columns where the probabilities hold one per class."""

    predicted: torch.Tensor
    order: torch.Tensor
    values: torch.Tensor
    num_classes: int

    def __len__(self) -> int:
        return self.predicted.shape[0]

    def rows(self, start: int, stop: int) -> Ranked:
        """Rows ``start`` to ``stop`` (not included)."""
        return Ranked(self.predicted[start:stop], self.order[start:stop], self.values[start:stop], self.num_classes)

    def cpu(self) -> Ranked:
        return Ranked(self.predicted.cpu(), self.order.cpu(), self.values.cpu(), self.num_classes)


def ranked(probabilities: torch.Tensor, top_k: int) -> Ranked:
    """The :class:`Ranked` reduction of ``probabilities`` (one row per point, one column per class) to ``top_k``,
    sorted :data:`BLOCK_ROWS` rows at a time (a sort of them all at once would hold three times their size)."""
    rows, classes = probabilities.shape
    order = torch.empty((rows, top_k), dtype=torch.int64, device=probabilities.device)
    values = torch.empty((rows, top_k), dtype=probabilities.dtype, device=probabilities.device)
    for start in range(0, rows, BLOCK_ROWS):
        # a stable sort: of equal probabilities the class listed first comes first, as argmax picks it
        block_values, block_order = torch.sort(probabilities[start : start + BLOCK_ROWS], dim=1, descending=True,
                                               stable=True)
        values[start : start + BLOCK_ROWS] = block_values[:, :top_k]
        order[start : start + BLOCK_ROWS] = block_order[:, :top_k]
    return Ranked(probabilities.argmax(dim=1), order, values, classes)


def spreadsheet_safe(cell: str) -> str:
    """``cell`` with a ``'`` in front if a spreadsheet would read it as a formula; anything else as it is.

    A class or column name from a table (``=HYPERLINK("http://x","y")``, ``=cmd|' /C calc'!A0``) is
    text to blobclf, but a predictions file is opened in Excel, which runs a cell starting with
    ``=``, ``+``, ``-`` or ``@`` (OWASP's advice: prefix such a cell with ``'``, which Excel shows as
    text). Numbers (``-1``, ``+2.5e3``) stay as they are.

    Example:
        >>> [spreadsheet_safe(c) for c in ("=1+2", "-1", "-x", "@SUM(A1)", "setosa", "+2.5e3")]
        ["'=1+2", '-1', "'-x", "'@SUM(A1)", 'setosa', '+2.5e3']
    """
    if cell.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


def prediction_rows(
    features: torch.Tensor,
    probabilities: torch.Tensor,
    labels: torch.Tensor,
    names: list[str],
    class_names: list[str] | None = None,
    carried: dict[str, list[str]] | None = None,
    label_column: str = "label",
    top_k: int | None = None,
    categories: Mapping[str, Sequence[str]] | None = None,
    texts: Sequence[Sequence[str]] | None = None,
) -> tuple[list[str], list[list[Any]]]:
    """Header and rows: carried columns, features, ``prob_<class>`` per class, ``predicted``, the true label.

    :func:`prediction_table` with its rows in a list (for a few rows; ``predict`` streams them).
    """
    header, rows = prediction_table(features, probabilities, labels, names, class_names, carried, label_column, top_k,
                                    categories, texts)
    return header, list(rows)


def prediction_table(
    features: torch.Tensor,
    probabilities: torch.Tensor | Ranked,
    labels: torch.Tensor,
    names: list[str],
    class_names: list[str] | None = None,
    carried: dict[str, list[str]] | None = None,
    label_column: str = "label",
    top_k: int | None = None,
    categories: Mapping[str, Sequence[str]] | None = None,
    texts: Sequence[Sequence[str]] | None = None,
) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and rows, made as they are read: carried columns, features, ``prob_<class>``, ``predicted``, the true
    label.

    With ``top_k`` set, the ``prob_<class>`` columns give way to ``top1``, ``top1_prob``, ...
    ``top<k>``, ``top<k>_prob``: each row's ``top_k`` most probable classes by name, most probable
    first (of equal probabilities, the class listed first; ``top1`` is ``predicted``), and their
    probabilities, written as ``prob_<class>`` would be; ``0`` writes no probabilities. ``probabilities`` may be
    those already :func:`ranked` to ``top_k`` (``predict`` keeps no more).
    ``predicted`` and the true label (``label_column``, written when every label is known) are
    class names; ``carried`` columns (e.g. an id) are copied from the input as they were, and
    features written as the shortest text that reads back as their float32 value (``5.1``), or, given ``texts``
    (:attr:`blobclf.points.Points.texts`: each row's numeric cells as the file writes them), as written; with
    ``categories``, ``names`` are the table's feature columns and a categorical column's one-hot
    inputs are written as the one column they came from, holding the category's name. Names
    and text cells that a spreadsheet would run as a formula get a ``'`` in front
    (:func:`spreadsheet_safe`). The
    rows are made :data:`BLOCK_ROWS` at a time, so a million rows are never all in memory as text.

    Raises:
        UserError: if two columns would share a name (an input column named ``predicted``), at once.
    """
    known = bool((labels >= 0).all())
    if isinstance(probabilities, Ranked):
        top_k, num_classes = probabilities.order.shape[1], probabilities.num_classes
    else:
        num_classes = probabilities.shape[1]
    classes = class_names if class_names is not None else [str(k) for k in range(num_classes)]
    carried = carried or {}
    scores = ([f"prob_{name}" for name in classes] if top_k is None
              else [column for i in range(1, top_k + 1) for column in (f"top{i}", f"top{i}_prob")])
    header = [*carried, *names, *scores, PREDICTED_COLUMN]
    header += [label_column] if known else []
    twice = next((column for i, column in enumerate(header) if column in header[:i]), None)
    if twice is not None:  # read_points refuses such inputs first; this guards every other way in
        raise UserError(f"the predictions would have two columns named {twice!r}; rename that column of the input")
    header = [spreadsheet_safe(column) for column in header]
    classes = [spreadsheet_safe(name) for name in classes]
    columns = [[spreadsheet_safe(cell) for cell in column] if any(cell.startswith(FORMULA_STARTS) for cell in column)
               else column for column in carried.values()]
    cells = _feature_cells(names, categories or {}, texts)
    return header, _rows(features, probabilities, labels if known else None, classes, columns, top_k, cells)


def _feature_cells(names: list[str], categories: Mapping[str, Sequence[str]],
                   texts: Sequence[Sequence[str]] | None = None) -> Callable[[Any, int], list[str]]:
    """What row ``i`` of model inputs ``point`` is written as: a number per input (:func:`_shortest`), or the
    row's cell as the file wrote it (``texts``), except that the one-hot inputs of a categorical column (one of
    ``names`` in ``categories``) are written as its category."""
    if not categories and texts is None:
        return lambda point, i: [_shortest(v) for v in point]
    if not categories:
        assert texts is not None
        return lambda point, i: list(texts[i])
    spans: list[tuple[int, list[str] | None]] = []
    start = 0
    for name in names:
        values = categories.get(name)
        spans.append((start, [spreadsheet_safe(value) for value in values] if values is not None else None))
        start += len(values) if values is not None else 1

    def cells(point: Any, i: int) -> list[str]:
        written = iter(texts[i]) if texts is not None else None
        return [(_shortest(point[at]) if written is None else next(written)) if values is None
                else values[int(point[at : at + len(values)].argmax())] for at, values in spans]
    return cells


def _rows(
    features: torch.Tensor, probabilities: torch.Tensor | Ranked, labels: torch.Tensor | None, classes: list[str],
    carried: list[list[str]], top_k: int | None = None, cells: Callable[[Any, int], list[str]] | None = None,
) -> Iterator[list[Any]]:
    """The rows of :func:`prediction_table`, made block by block (``labels`` ``None``: not written)."""
    for start in range(0, features.shape[0], BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, features.shape[0])
        points = features[start:stop].detach().cpu().float().numpy()
        truth = labels[start:stop].tolist() if labels is not None else None
        if isinstance(probabilities, Ranked) or top_k is not None:
            best = (probabilities.rows(start, stop) if isinstance(probabilities, Ranked)
                    else ranked(probabilities[start:stop], top_k))
            predicted = best.predicted.tolist()
            scores = ([cell for c, p in zip(row_order, row_values, strict=True) for cell in (classes[c], p)]
                      for row_order, row_values in zip(best.order.tolist(), probability_texts(best.values),
                                                        strict=True))
        else:
            probs = probabilities[start:stop]
            predicted = probs.argmax(dim=1).tolist()
            scores = iter(probability_texts(probs))
        for i, (point, row_scores) in enumerate(zip(points, scores, strict=True)):
            row: list[Any] = [column[start + i] for column in carried]
            row += cells(point, start + i) if cells is not None else [_shortest(v) for v in point]
            row += row_scores
            row.append(classes[predicted[i]])
            if truth is not None:
                row.append(classes[truth[i]])
            yield row


def probability_texts(probabilities: torch.Tensor) -> list[list[str]]:
    """Each probability as the shortest text that reads back as its float32 value (a 64-bit run's: float64), as
    features are written.

    The model's probabilities are float32: written as Python floats they showed 17 digits of which the last 8 or 9
    were the float64 widening's noise (``0.16380548477172852`` for ``0.16380548``), and a 30-class row took 587
    characters instead of 325. numpy writes them in C, without a Python call per probability.

    Example:
        >>> probability_texts(torch.tensor([[0.16380548477172852, 0.5, 1e-10]]))
        [['0.16380548', '0.5', '1e-10']]
    """
    values = probabilities.detach().cpu()
    if values.dtype != torch.float64:  # a 64-bit run's keep their digits; half precision's are float32's
        values = values.float()
    return values.numpy().astype(str).tolist()


def write_rows(handle: IO[bytes], header: list[str], rows: Iterable[list[Any]]) -> int:
    """Write ``header`` and ``rows`` to the binary ``handle`` as UTF-8 CSV, as they come; return the row count."""
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
    try:
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(header)
        count = 0
        for row in rows:
            writer.writerow(row)
            count += 1
        text.flush()
    finally:
        text.detach()  # the handle stays open: atomic_write syncs and closes it
    return count


def _shortest(value: Any) -> str:
    """A float32 as the shortest text that reads back as it, written as Python writes floats.

    Example:
        >>> import numpy as np
        >>> [_shortest(np.float32(v)) for v in (5.1, 16777216, 3.4e38)]
        ['5.1', '16777216.0', '3.4e+38']
    """
    text = str(value)  # numpy's shortest digits for a float32 (Python's repr would give 5.099999904632568)
    return repr(float(text)) if "e" in text else text


class PredictionCollector(BasePredictionWriter):
    """Gather every batch's probabilities into one preallocated tensor as ``predict`` runs; with ``top_k``, only each
    batch's :func:`ranked` reduction (``top_k`` columns instead of one per class).

    Nothing is kept per batch and nothing is concatenated at the end, so the outputs cost their
    own size once (Lightning's ``return_predictions`` list plus a final ``torch.cat`` costs twice).
    Batches arrive in order (prediction loaders never shuffle).
    """

    def __init__(self, top_k: int | None = None) -> None:
        super().__init__(write_interval="batch")
        self.top_k = top_k
        self.kept: tuple[torch.Tensor, ...] | None = None  # the probabilities, or the fields of a Ranked
        self._num_classes = 0
        self._filled = 0

    @override
    def on_predict_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.kept = None
        self._filled = 0

    @override
    def write_on_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, prediction: Any, batch_indices: Any,
        batch: Any, batch_idx: int, dataloader_idx: int = 0,
    ) -> None:
        chunk = prediction["probabilities"].detach()
        self._num_classes = chunk.shape[1]
        if self.top_k is None:
            parts: tuple[torch.Tensor, ...] = (chunk,)
        else:
            best = ranked(chunk, self.top_k)
            parts = (best.predicted, best.order, best.values)
        if self.kept is None or self._filled + len(chunk) > len(self.kept[0]):
            self._grow(trainer, parts, dataloader_idx)
        for kept, part in zip(self.kept, parts, strict=True):
            kept[self._filled : self._filled + len(chunk)] = part
        self._filled += len(chunk)

    def _grow(self, trainer: L.Trainer, parts: tuple[torch.Tensor, ...], dataloader_idx: int) -> None:
        chunk = parts[0]
        loaders = trainer.predict_dataloaders
        loader = loaders[dataloader_idx] if isinstance(loaders, (list, tuple)) else loaders
        total = getattr(loader, "num_samples", None)  # exact for blobclf's TensorBatchLoader
        if total is None or self._filled + len(chunk) > total:
            batches = trainer.num_predict_batches[dataloader_idx]
            total = len(chunk) * int(batches) if batches != float("inf") else 2 * (self._filled + len(chunk))
            total = max(total, self._filled + len(chunk))
        grown = tuple(torch.empty((total, *part.shape[1:]), dtype=part.dtype, device=part.device) for part in parts)
        for new, old in zip(grown, self.kept or (), strict=False):
            new[: self._filled] = old[: self._filled]
        self.kept = grown

    @property
    def result(self) -> torch.Tensor | Ranked:
        """The probabilities of every point predicted, in order; with ``top_k``, their :class:`Ranked` reduction."""
        assert self.kept is not None, "nothing was predicted"
        kept = [part[: self._filled] for part in self.kept]
        return kept[0] if self.top_k is None else Ranked(*kept, num_classes=self._num_classes)


class PredictionWriter(PredictionCollector):
    """Write every prediction to a CSV file and print its path.

    One row per point: the input's columns that are not features (an id, say), its features, the
    probability of each class (``prob_<class name>``), the predicted class name, and the true
    class where it is known (the held-out split, or the label column in the input CSV).
    The file is written atomically: an interrupted run leaves no partial file.

    Args:
        output: Path of the CSV; ``null`` writes ``predictions-<checkpoint>-<input>.csv`` beside
            the checkpoint, where ``<checkpoint>`` is the checkpoint's file name without ``.ckpt``
            and ``<input>`` the ``--data.predict_file``'s name without its extension, or ``test-split`` for
            the held-out test split.
        overwrite: Replace the output file if it exists (otherwise an existing file is refused).
        top_k: Write each point's ``top_k`` most probable classes and their probabilities (columns
            ``top1``, ``top1_prob``, ``top2``, ``top2_prob``, ...) instead of a ``prob_<class>``
            column per class; ``0`` writes no probabilities (``predicted`` and the true class only);
            ``null`` (the default) a ``prob_<class>`` column per class. At most the model's number
            of classes.
    """

    def __init__(self, output: str | None = None, overwrite: bool = False, top_k: NonNegativeInt | None = None) -> None:
        super().__init__(top_k)
        self.output = output
        self.overwrite = overwrite
        self.written: Path | None = None

    @staticmethod
    def target(output: str | None, ckpt_path: str | None, predict_file: str | None) -> Path:
        """The file that predictions with these settings are written to."""
        if output:
            return Path(output)
        folder = Path(ckpt_path).parent if ckpt_path else Path(".")
        source = table_stem(predict_file) if predict_file else "test-split"
        return folder / f"predictions-{checkpoint_tag(ckpt_path)}-{source}.csv"

    def _default_path(self, trainer: L.Trainer) -> Path:
        source = trainer.datamodule.hparams.get("predict_file") if trainer.datamodule is not None else None
        return self.target(None, trainer.ckpt_path, source)

    def check_target(self, path: Path, ckpt_path: str | None, predict_file: str | None) -> None:
        """Refuse an output path that would replace an input, a checkpoint or another run's file,
        or any existing file unless ``overwrite`` is set."""
        target = path.resolve()
        inputs = {"the input file": predict_file, "the checkpoint": ckpt_path}
        for what, given in inputs.items():
            if given and Path(given).resolve() == target:
                raise UserError(f"--prediction.output {str(path)!r} is {what}; writing there would replace it, "
                                "choose another path")
        if target.suffix in PROTECTED_SUFFIXES or target.name in PROTECTED_NAMES:
            raise UserError(f"--prediction.output {str(path)!r} would replace a model or run file; "
                            "choose a path ending in .csv")
        run = Path(ckpt_path).resolve().parent if ckpt_path else None
        if RUN_FOLDER.match(target.parent.name) and target.parent != run:
            raise UserError(f"--prediction.output {str(path)!r} lies in another run's folder; "
                            "write beside the checkpoint you predict with, or outside any run folder")
        if name_too_long(path.name):  # refused by the file system at the end, after every row was predicted
            raise UserError(f"the predictions file {printable(path.name)!r} would have a longer name than a file "
                            "may have; give --prediction.output PATH (or the input a shorter name)")
        if path.exists() and not path.is_file():
            raise UserError(f"--prediction.output {str(path)!r} is not a regular file (a folder, device or pipe); "
                            "name a file to write")
        if not self.output and predict_file:  # a name of blobclf's making, after the input's
            refuse_case_twin(path, "--data.predict_file", predict_file,
                             "give --prediction.output PATH, or rename the input")
        if os.path.lexists(path) and not self.overwrite:  # a dangling symbolic link too (never written through)
            raise UserError(_exists(path))

    def check_top_k(self, classes: Any) -> None:
        """Refuse a ``top_k`` above the model's number of ``classes`` (``None``: not known), in one line."""
        if self.top_k is not None and isinstance(classes, int) and self.top_k > classes:
            raise UserError(f"--prediction.top_k {self.top_k} is more than the model's {classes} classes; give at "
                            f"most {classes}, or leave it unset for a prob_<class> column per class")

    @override
    def on_predict_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.check_top_k(getattr(pl_module, "hparams", {}).get("num_classes"))
        if trainer.is_global_zero and trainer.datamodule is not None:
            source = trainer.datamodule.hparams.get("predict_file")
            self.check_target(self.target(self.output, trainer.ckpt_path, source), trainer.ckpt_path, source)

    @override
    def on_predict_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.is_global_zero or trainer.datamodule is None:
            return
        points = trainer.datamodule.predict_points()
        features, labels, carried = points.features, points.labels, points.carried
        probabilities = self.result.cpu()
        total, count = features.shape[0], len(probabilities)
        if count < total:
            # --trainer.limit_predict_batches: the first batches were predicted (prediction loaders never
            # shuffle), and so the file holds the first points
            features, labels = features[:count], labels[:count]
            carried = {name: column[:count] for name, column in carried.items()}
        header, rows = prediction_table(
            features, probabilities, labels, points.columns if points.categories else points.feature_names,
            class_names=getattr(pl_module, "classes", None), carried=carried,
            label_column=getattr(trainer.datamodule, "label_column", "label"), top_k=self.top_k,
            categories=points.categories, texts=points.texts,
        )
        path = Path(self.output) if self.output else self._default_path(trainer)
        try:
            # never over a file made since on_predict_start looked (another predict into the same output);
            # the rows are made as they are written, never all held as text
            self.written = atomic_write(path, lambda handle: write_rows(handle, header, rows), replace=self.overwrite)
        except OSError as error:
            if isinstance(error, FileExistsError) and error.filename == os.fspath(path):
                raise UserError(_exists(path, "was written by another command while this predict ran")) from None
            raise UserError(
                f"cannot write predictions to {str(path)!r}: {error.strerror or error}; choose another "
                "--prediction.output"
            ) from None
        part = (f": the first {count} of {total} points, as --trainer.limit_predict_batches asks"
                if count < total else "")
        print(f"predictions: {printable(str(path))} ({count} row{'' if count == 1 else 's'}{part})")
        if bool((labels >= 0).all()):
            predicted = probabilities.predicted if isinstance(probabilities, Ranked) else probabilities.argmax(dim=1)
            correct = int((predicted == labels).sum())
            print(f"accuracy on these points: {correct / count:.5f} ({correct} of {count})")


def _exists(path: Path, how: str = "already exists") -> str:
    """The refusal of an output file that exists and that ``--prediction.overwrite`` does not allow replacing."""
    return (f"{str(path)!r} {how}; pass --prediction.overwrite true to replace it, "
            "or --prediction.output PATH to write elsewhere")
