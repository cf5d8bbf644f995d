"""A run's figures and evaluation: what is drawn and scored from a trained model and its data."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from blobclf import figures
from blobclf.atomic import atomic_write
from blobclf.report import report_of_blocks

CURVE_TAGS = ("train/loss", "val/loss", "train/acc", "val/acc")


PREDICT_CHUNK = 1 << 16
"""Points per forward pass when a figure or report predicts a whole split."""
SOFTMAX_VALUES = 1 << 22
"""Float64 probabilities at a time (32 MiB) when a figure or report reads a split's: with 1,000 classes, a
forward pass's 65,536 rows would be 0.5 GB, and their split's, held whole, 8 bytes per row and class."""
PLANE_VALUES = 1 << 22
"""Feature values at a time when the decision boundary's grid on the PCA plane is mapped back to every feature (the
200 x 200 grid of a 10,000-column table is 400 million values)."""


def probability_blocks(model: nn.Module, features: Tensor) -> Iterator[np.ndarray]:
    """Class probabilities of ``model`` for ``features``, as float64 numpy arrays of the next rows in turn.

    The model sees ``PREDICT_CHUNK`` points at a time; their probabilities come in blocks of at most
    ``SOFTMAX_VALUES`` values (a row's softmax does not depend on the rows beside it).
    """
    model.eval()
    device = next(model.parameters()).device
    # in chunks: the hidden activations of millions of points at once would cost far more
    # memory than the probabilities themselves
    for start in range(0, max(len(features), 1), PREDICT_CHUNK):
        with torch.inference_mode():
            logits = model(features[start:start + PREDICT_CHUNK].to(device))
        rows = max(1, SOFTMAX_VALUES // max(1, logits.shape[1]))
        for first in range(0, max(len(logits), 1), rows):
            with torch.inference_mode():
                block = torch.softmax(logits[first:first + rows].double(), dim=1).cpu().numpy()
            yield block
            del block  # before the next block is made: the reader holds it no longer
        del logits


def predict_labels(model: nn.Module) -> Any:
    """``predict_fn`` for :func:`blobclf.figures.decision_boundary`."""

    def predict(points: np.ndarray) -> np.ndarray:
        # block by block: a grid's probabilities of 1,000 classes are never all held
        return np.concatenate([block.argmax(axis=1) for block in probability_blocks(model, torch.from_numpy(points))])

    return predict


def read_curves(log_dir: str | os.PathLike[str]) -> dict[str, tuple[list[int], list[float]]]:
    """Per-epoch curves from a run's TensorBoard event files: ``{tag: (epochs, values)}``."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(os.fspath(log_dir), size_guidance={"scalars": 0})
    events.Reload()
    tags = set(events.Tags().get("scalars", []))
    curves = {}
    for tag in CURVE_TAGS:
        if tag in tags:
            points = events.Scalars(tag)
            curves[tag] = ([int(p.step) for p in points], [float(p.value) for p in points])
    return curves


def fit_figures(
    model: nn.Module,
    splits: Mapping[str, tuple[Tensor, Tensor]],
    num_classes: int,
    curves: Mapping[str, tuple[list[int], list[float]]],
    class_names: list[str] | None = None,
    feature_names: list[str] | None = None,
) -> dict[str, Any]:
    """Draw the run's figures; returns ``{name: Figure}`` (not yet saved).

    ``class_names`` label the classes; ``feature_names`` (a table's columns) label the axes of
    two-feature data, which blob runs leave as ``feature 0`` and ``feature 1``.

    With two features the data and decision boundary are drawn as they are; with more, in the
    plane of :class:`~blobclf.projection.Projection` (the first two principal components of the
    standardized training split), the boundary being the model's prediction on that plane.
    With one feature they are left out (see :func:`skipped_figures`).
    """
    arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, (x, y) in splits.items():
        # without a validation split, "val" is the test split itself: draw it once
        if not any(x is splits[seen][0] for seen in arrays):
            arrays[name] = (x.cpu().numpy(), y.cpu().numpy())
    n_features = next(iter(arrays.values()))[0].shape[1]
    drawn: dict[str, Any] = {}
    if n_features > 2:
        drawn.update(_projected_figures(model, arrays, num_classes, class_names))
    elif n_features == 2:
        axes = (feature_names[0], feature_names[1]) if feature_names else None
        title = "Data by class and split" if feature_names else None
        drawn["data"] = figures.data_scatter(arrays, num_classes, class_names, axes, title)
    # validation need not run every epoch (--trainer.check_val_every_n_epoch): each curve at its own epochs
    if "train/loss" in curves and "val/loss" in curves:
        drawn["loss_curves"] = figures.loss_curves(*curves["train/loss"], curves["val/loss"][1], curves["val/loss"][0])
    if "train/acc" in curves and "val/acc" in curves:
        drawn["accuracy_curves"] = figures.accuracy_curves(
            *curves["train/acc"], curves["val/acc"][1], curves["val/acc"][0]
        )
    if n_features == 2:
        drawn["decision_boundary"] = figures.decision_boundary(
            predict_labels(model), arrays, num_classes, class_names=class_names,
            axis_labels=(feature_names[0], feature_names[1]) if feature_names else None,
        )
    return drawn


def _projected_figures(
    model: nn.Module, arrays: Mapping[str, tuple[np.ndarray, np.ndarray]], num_classes: int,
    class_names: list[str] | None,
) -> dict[str, Any]:
    from blobclf.projection import Projection

    projection = Projection(arrays["train"][0])
    plane = {name: (projection.transform(x), y) for name, (x, y) in arrays.items()}
    n_features = arrays["train"][0].shape[1]
    labels = projection.axis_labels
    predict = predict_labels(model)
    step = max(1, PLANE_VALUES // n_features)

    def on_plane(points: np.ndarray) -> np.ndarray:
        return np.concatenate([predict(projection.inverse(points[i : i + step])) for i in range(0, len(points), step)])

    return {
        "data": figures.data_scatter(plane, num_classes, class_names, labels,
                                     title=f"Data by class and split (PCA of {n_features} standardized features)"),
        "decision_boundary": figures.decision_boundary(
            on_plane, plane, num_classes, class_names=class_names,
            axis_labels=labels, title="Decision boundary on the PCA plane",
            score_label="accuracy of the test points moved onto it",
        ),
    }


def skipped_figures(num_features: int) -> str | None:
    """One line saying which figures :func:`fit_figures` leaves out for this many features, and why."""
    if num_features < 2:
        return "data.png and decision_boundary.png are not drawn: they plot two features and the data has one"
    if num_features > 2:
        return (f"data.png and decision_boundary.png show the {num_features} features projected on their first two "
                "principal components (PCA of the standardized training split; see docs/tables.md)")
    return None


def evaluation_figures(report: Mapping[str, Any], split: str) -> dict[str, Any]:
    """Confusion matrix (classes by name) and reliability diagram of a report; returns ``{name: Figure}``."""
    return {
        f"confusion_matrix_{split}": figures.confusion_matrix_figure(
            np.array(report["confusion_matrix"]), report.get("classes")
        ),
        f"reliability_{split}": figures.reliability_diagram(
            report["reliability"], report["expected_calibration_error"]
        ),
    }


def evaluate(
    model: nn.Module, features: Tensor, labels: Tensor, loss: float | None = None, class_names: list[str] | None = None
) -> dict[str, Any]:
    """The classification report of ``model`` on one split (with class names, when given)."""
    # block by block: a split's float64 probabilities of many classes are never all held (see report_of_blocks)
    return report_of_blocks(labels.cpu().numpy(), probability_blocks(model, features), loss=loss,
                            class_names=class_names)


def render_figures(drawn: Mapping[str, Any], experiment: Any = None, step: int = 0) -> dict[str, bytes]:
    """Render each figure once, as PNG bytes; the same bytes go to disk and to TensorBoard.

    With ``experiment`` (a TensorBoard ``SummaryWriter``), each figure is also logged (see
    :func:`log_figures`).
    """
    rendered = {name: figures.png_bytes(fig) for name, fig in drawn.items()}
    if experiment is not None:
        log_figures(experiment, rendered, step)
    return rendered


def save_figures(rendered: Mapping[str, bytes], folder: str | os.PathLike[str]) -> dict[str, Path]:
    """Write each rendered figure as ``{folder}/{name}.png`` (atomically)."""
    return {name: atomic_write(Path(folder) / f"{name}.png", lambda handle, png=png: handle.write(png))
            for name, png in rendered.items()}


SCALAR_FIGURES = ("loss_curves", "accuracy_curves")
"""Figures of the logged curves: TensorBoard draws those itself (Scalars tab), so they are not sent as images."""

FIT_FIGURES = ("data", "loss_curves", "accuracy_curves", "decision_boundary", "confusion_matrix_val", "reliability_val")
"""The figures ``fit`` draws (``{name}.png`` in the run folder; those a data set allows)."""


def read_fit_figures(folder: str | os.PathLike[str]) -> dict[str, bytes]:
    """The PNG bytes of the fit figures in ``folder`` that exist, by name."""
    found = {}
    for name in FIT_FIGURES:
        try:
            found[name] = (Path(folder) / f"{name}.png").read_bytes()
        except OSError:
            continue
    return found


def log_figures(experiment: Any, rendered: Mapping[str, bytes], step: int) -> None:
    """Add rendered figures as images ``figures/{name}`` to a TensorBoard ``SummaryWriter``.

    The curve figures are left out (TensorBoard's Scalars tab shows the same curves). The PNG
    bytes go into the event file as they are: an image summary holds an encoded image, so
    nothing is decoded and encoded again.
    """
    from tensorboard.compat.proto.summary_pb2 import Summary

    for name, png in rendered.items():
        if name in SCALAR_FIGURES:
            continue
        width, height = png_size(png)
        image = Summary.Image(height=height, width=width, colorspace=PNG_RGBA, encoded_image_string=png)
        experiment.file_writer.add_summary(Summary(value=[Summary.Value(tag=f"figures/{name}", image=image)]), step)


PNG_RGBA = 4
"""TensorBoard's colour space code of an RGBA image (matplotlib writes RGBA PNG files)."""


def png_size(png: bytes) -> tuple[int, int]:
    """``(width, height)`` of a PNG file, read from its header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def report_scalars(report: Mapping[str, Any], split: str) -> dict[str, float]:
    """The report's numbers as flat scalars for a logger."""
    scalars = {
        f"{split}/macro_f1": report["macro_f1"],
        f"{split}/ece": report["expected_calibration_error"],
    }
    for row in report["per_class"]:
        name = str(row.get("name", row["class"]))
        # blob classes keep their tags (f1_class0); named classes are tagged by name (f1_setosa)
        suffix = f"class{name}" if name.lstrip("-").isdigit() else name
        for key in ("precision", "recall", "f1"):
            scalars[f"{split}/{key}_{suffix}"] = row[key]
    return scalars


__all__ = [
    "evaluate",
    "evaluation_figures",
    "fit_figures",
    "log_figures",
    "read_curves",
    "read_fit_figures",
    "render_figures",
    "report_scalars",
    "save_figures",
    "skipped_figures",
]
