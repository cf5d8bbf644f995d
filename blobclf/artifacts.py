"""A run's shareable outputs: figures, the test report and the ONNX export."""

from __future__ import annotations

import os
import struct
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from blobclf import figures
from blobclf.export import atomic_write
from blobclf.report import classification_report, write_report

ONNX_NAME = "model.onnx"
REPORT_NAME = "test_report.json"
CURVE_TAGS = ("train/loss", "val/loss", "train/acc", "val/acc")


def predict_probabilities(model: nn.Module, features: Tensor) -> np.ndarray:
    """Class probabilities of ``model`` for ``features``, as a float64 numpy array."""
    model.eval()
    with torch.inference_mode():
        logits = model(features.to(next(model.parameters()).device))
    return torch.softmax(logits.double(), dim=1).cpu().numpy()


def predict_labels(model: nn.Module) -> Any:
    """``predict_fn`` for :func:`blobclf.figures.decision_boundary`."""

    def predict(points: np.ndarray) -> np.ndarray:
        return predict_probabilities(model, torch.from_numpy(points)).argmax(axis=1)

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
) -> dict[str, Any]:
    """Draw the run's figures; returns ``{name: Figure}`` (not yet saved)."""
    arrays: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, (x, y) in splits.items():
        # without a validation split, "val" is the test split itself: draw it once
        if not any(x is splits[seen][0] for seen in arrays):
            arrays[name] = (x.cpu().numpy(), y.cpu().numpy())
    drawn: dict[str, Any] = {"data": figures.data_scatter(arrays, num_classes)}
    if "train/loss" in curves and "val/loss" in curves:
        drawn["loss_curves"] = figures.loss_curves(curves["train/loss"][0], curves["train/loss"][1], curves["val/loss"][1])
    if "train/acc" in curves and "val/acc" in curves:
        drawn["accuracy_curves"] = figures.accuracy_curves(
            curves["train/acc"][0], curves["train/acc"][1], curves["val/acc"][1]
        )
    if next(iter(arrays.values()))[0].shape[1] == 2:
        drawn["decision_boundary"] = figures.decision_boundary(predict_labels(model), arrays, num_classes)
    return drawn


def evaluation_figures(report: Mapping[str, Any], split: str) -> dict[str, Any]:
    """Confusion matrix and reliability diagram of a report; returns ``{name: Figure}``."""
    return {
        f"confusion_matrix_{split}": figures.confusion_matrix_figure(np.array(report["confusion_matrix"])),
        f"reliability_{split}": figures.reliability_diagram(report["reliability"], report["expected_calibration_error"]),
    }


def evaluate(model: nn.Module, features: Tensor, labels: Tensor, loss: float | None = None) -> dict[str, Any]:
    """The classification report of ``model`` on one split."""
    probabilities = predict_probabilities(model, features)
    return classification_report(labels.cpu().numpy(), probabilities, loss=loss)


def render_figures(drawn: Mapping[str, Any]) -> dict[str, bytes]:
    """Render each figure once, as PNG bytes; the same bytes go to disk and to TensorBoard."""
    return {name: figures.png_bytes(fig) for name, fig in drawn.items()}


def save_figures(rendered: Mapping[str, bytes], folder: str | os.PathLike[str]) -> dict[str, Path]:
    """Write each rendered figure as ``{folder}/{name}.png`` (atomically)."""
    return {name: atomic_write(Path(folder) / f"{name}.png", lambda handle, png=png: handle.write(png))
            for name, png in rendered.items()}


def log_figures(experiment: Any, rendered: Mapping[str, bytes], step: int) -> None:
    """Add rendered figures as images ``figures/{name}`` to a TensorBoard ``SummaryWriter``.

    The PNG bytes are stored as they are (a TensorBoard image summary holds an encoded image), so
    a figure is drawn and compressed once, not again by ``add_figure``.
    """
    from tensorboard.compat.proto.summary_pb2 import Summary

    values = []
    for name, png in rendered.items():
        width, height = struct.unpack(">II", png[16:24])  # the PNG header's IHDR chunk
        image = Summary.Image(height=height, width=width, colorspace=4, encoded_image_string=png)
        values.append(Summary.Value(tag=f"figures/{name}", image=image))
    experiment._get_file_writer().add_summary(Summary(value=values), step)


def report_scalars(report: Mapping[str, Any], split: str) -> dict[str, float]:
    """The report's numbers as flat scalars for a logger."""
    scalars = {
        f"{split}/macro_f1": report["macro_f1"],
        f"{split}/ece": report["expected_calibration_error"],
    }
    for row in report["per_class"]:
        for key in ("precision", "recall", "f1"):
            scalars[f"{split}/{key}_class{row['class']}"] = row[key]
    return scalars


def export_onnx(model: nn.Module, path: str | os.PathLike[str], num_features: int) -> Path:
    """Export ``model`` to ONNX with outputs ``logits`` and ``probabilities`` and a dynamic batch."""
    wrapper = _WithProbabilities(model).eval()
    example = torch.zeros(2, num_features)

    def write(handle: Any) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper,
                (example,),
                handle,
                input_names=["features"],
                output_names=["logits", "probabilities"],
                dynamic_axes={name: {0: "batch"} for name in ("features", "logits", "probabilities")},
                dynamo=False,
            )

    return atomic_write(path, write)


class _WithProbabilities(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        logits = self.model(features)
        return logits, torch.softmax(logits, dim=1)


__all__ = [
    "REPORT_NAME",
    "evaluate",
    "evaluation_figures",
    "export_onnx",
    "fit_figures",
    "log_figures",
    "read_curves",
    "render_figures",
    "report_scalars",
    "save_figures",
    "write_report",
]
