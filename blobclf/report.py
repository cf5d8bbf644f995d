"""Classification metrics of a set of predicted probabilities, as a plain JSON-ready dict.

Everything here is numpy in, plain Python out: no torch, no plotting. The dict that
:func:`classification_report` returns holds only ``int``, ``float``, ``str``, ``None``, lists
and dicts, so ``json.dumps(report, allow_nan=False)`` always succeeds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

EPS = 1e-15
"""Probabilities are clipped to ``[EPS, 1]`` before the log when the loss is computed."""

SUM_TOLERANCE = 1e-3
"""How far a row of ``probabilities`` may sum from 1 (catches logits passed by mistake)."""


def classification_report(
    y_true: np.ndarray,
    probabilities: np.ndarray,
    loss: float | None = None,
    n_bins: int = 10,
    class_names: list[str] | None = None,
) -> dict[str, Any]:
    """Accuracy, per-class scores, confusion matrix, loss and calibration of ``probabilities``.

    The predicted label is ``probabilities.argmax(axis=1)``. The number of classes is
    ``probabilities.shape[1]``: classes absent from ``y_true`` (or never predicted) still get a
    row in ``per_class`` and in ``confusion_matrix``, with precision / recall / F1 of ``0.0``
    where they would divide by zero (scikit-learn's ``zero_division=0``), and ``macro_f1``
    averages over all of them.

    Calibration is top-label: each sample's confidence is its largest probability, and the
    ``n_bins`` equal-width bins over ``[0, 1]`` are half-open on the left, ``(lower, upper]``,
    except the first, which also holds a confidence of exactly 0. The expected calibration
    error is ``sum(count / n * |accuracy - confidence|)`` over the bins.

    Args:
        y_true: True labels, integers in ``[0, num_classes)``, shape ``(n,)``.
        probabilities: Class probabilities (softmax outputs, not logits), shape
            ``(n, num_classes)``; each row must sum to 1 within ``SUM_TOLERANCE``.
        loss: Mean loss to record as is (e.g. the one logged while testing). ``None`` computes
            the mean cross-entropy ``-mean(log(clip(p[y], EPS, 1)))`` from ``probabilities``.
        n_bins: Number of confidence bins of the calibration error and reliability table.
        class_names: Name of each class, in order; given, the report holds ``classes`` (the
            names; class ``c`` is ``classes[c]``) and each ``per_class`` row its ``name``.

    Returns:
        A dict with ``n_samples``, ``num_classes``, ``loss``, ``accuracy``, ``per_class`` (a list
        of ``{"class", "precision", "recall", "f1", "support"}``, one per class in order),
        ``macro_f1``, ``confusion_matrix`` (list of lists, rows are true classes and columns
        predicted ones), ``expected_calibration_error``, ``n_bins`` and ``reliability`` (one
        ``{"lower", "upper", "count", "confidence", "accuracy"}`` per bin, in order, where
        ``confidence`` is the bin's mean confidence; both are ``None`` for an empty bin).

    Raises:
        ValueError: On shapes that disagree, labels out of range, probabilities that are not
            finite, negative or do not sum to 1, a non-finite ``loss`` or ``n_bins < 1``.
    """
    labels, probs = _check_inputs(y_true, probabilities, n_bins)
    n, k = probs.shape
    if class_names is not None and len(class_names) != k:
        raise ValueError(f"class_names has {len(class_names)} names for {k} classes")
    return _report(labels, probs.argmax(axis=1), probs.max(axis=1), probs[np.arange(n), labels], k, loss, n_bins,
                   class_names)


def report_of_blocks(
    y_true: np.ndarray,
    blocks: Iterable[np.ndarray],
    loss: float | None = None,
    n_bins: int = 10,
    class_names: list[str] | None = None,
) -> dict[str, Any]:
    """:func:`classification_report` of probabilities given block by block, never all held at once.

    Each block holds the probabilities of the next rows of ``y_true``, in order; only each row's
    predicted class, its confidence and its true class's probability are kept, so a split of a
    million rows and 1,000 classes costs a block's probabilities rather than the split's 8 GB
    (float64). The report is the same, to the bit, as :func:`classification_report` of the blocks
    put together: every number comes from those three values of each row.

    Raises:
        ValueError: As :func:`classification_report` does, and if the blocks hold another number of
            rows than ``y_true``.
    """
    labels_in = np.asarray(y_true)
    labels, predicted, confidence, picked = [], [], [], []
    start, k = 0, None
    for block in blocks:
        stop = start + len(block)
        block_labels, probs = _check_inputs(labels_in[start:stop], block, n_bins)
        if k is not None and probs.shape[1] != k:
            raise ValueError(f"a block of probabilities has {probs.shape[1]} classes, an earlier one {k}")
        k = probs.shape[1]
        labels.append(block_labels)
        predicted.append(probs.argmax(axis=1))
        confidence.append(probs.max(axis=1))
        picked.append(probs[np.arange(len(probs)), block_labels])
        start = stop
        del block, probs  # before the next block is made
    if k is None or start != labels_in.shape[0]:
        raise ValueError(f"y_true must have shape ({start},) to match the blocks' {start} rows, got {labels_in.shape}")
    if class_names is not None and len(class_names) != k:
        raise ValueError(f"class_names has {len(class_names)} names for {k} classes")
    return _report(np.concatenate(labels), np.concatenate(predicted), np.concatenate(confidence),
                   np.concatenate(picked), k, loss, n_bins, class_names)


def _report(
    labels: np.ndarray, predicted: np.ndarray, confidence: np.ndarray, picked: np.ndarray, k: int,
    loss: float | None, n_bins: int, class_names: list[str] | None,
) -> dict[str, Any]:
    """The report from each row's true and predicted class, confidence and true class's probability."""
    n = labels.shape[0]
    matrix = np.zeros((k, k), dtype=np.int64)
    np.add.at(matrix, (labels, predicted), 1)
    true_positives = np.diag(matrix).astype(np.float64)
    support = matrix.sum(axis=1)
    predicted_counts = matrix.sum(axis=0)
    precision = _safe_divide(true_positives, predicted_counts)
    recall = _safe_divide(true_positives, support)
    f1 = _safe_divide(2 * precision * recall, precision + recall)

    if loss is None:
        loss = float(-np.mean(np.log(np.clip(picked, EPS, 1.0))))
    elif not math.isfinite(float(loss)):
        raise ValueError(f"loss must be a finite number, got {loss!r}")

    reliability, ece = _calibration(confidence, predicted == labels, n_bins)
    names = {"classes": [str(name) for name in class_names]} if class_names is not None else {}
    return {
        **names,
        "n_samples": int(n),
        "num_classes": int(k),
        "loss": float(loss),
        "accuracy": float(np.trace(matrix) / n),
        "per_class": [
            {
                "class": c,
                **({"name": str(class_names[c])} if class_names is not None else {}),
                "precision": float(precision[c]),
                "recall": float(recall[c]),
                "f1": float(f1[c]),
                "support": int(support[c]),
            }
            for c in range(k)
        ],
        "macro_f1": float(f1.mean()),
        "confusion_matrix": matrix.tolist(),
        "expected_calibration_error": ece,
        "n_bins": int(n_bins),
        "reliability": reliability,
    }


def _check_inputs(y_true: np.ndarray, probabilities: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be an integer >= 1, got {n_bins!r}")
    probs = np.asarray(probabilities, dtype=np.float64)
    labels_in = np.asarray(y_true)
    if probs.ndim != 2 or probs.shape[0] < 1 or probs.shape[1] < 1:
        raise ValueError(f"probabilities must have shape (n_samples, num_classes), got {probs.shape}")
    if labels_in.ndim != 1 or labels_in.shape[0] != probs.shape[0]:
        raise ValueError(
            f"y_true must have shape ({probs.shape[0]},) to match probabilities {probs.shape}, "
            f"got {labels_in.shape}"
        )
    if labels_in.dtype.kind not in "iu":
        if labels_in.dtype.kind != "f" or not np.all(np.mod(labels_in, 1) == 0):
            raise ValueError(f"y_true must hold integer class labels, got dtype {labels_in.dtype}")
    labels = labels_in.astype(np.int64)
    k = probs.shape[1]
    if labels.min() < 0 or labels.max() >= k:
        raise ValueError(f"y_true labels must lie in [0, {k}), got min {labels.min()} and max {labels.max()}")
    if not np.all(np.isfinite(probs)) or probs.min() < 0:
        raise ValueError("probabilities must be finite and non-negative; pass softmax outputs, not logits")
    worst = float(np.max(np.abs(probs.sum(axis=1) - 1.0)))
    if worst > SUM_TOLERANCE:
        raise ValueError(
            f"each row of probabilities must sum to 1 (largest deviation {worst:.3g}); "
            "pass softmax outputs, not logits"
        )
    return labels, probs


def _safe_divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` with ``0.0`` wherever the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    out = np.zeros_like(numerator)
    np.divide(numerator, denominator, out=out, where=denominator != 0)
    return out


def _calibration(
    confidence: np.ndarray, correct: np.ndarray, n_bins: int
) -> tuple[list[dict[str, Any]], float]:
    """Reliability table over ``(lower, upper]`` bins and the expected calibration error."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # Number of inner edges strictly below the confidence: bin i holds edges[i] < c <= edges[i+1].
    index = np.searchsorted(edges[1:-1], confidence, side="left")
    n = confidence.shape[0]
    table: list[dict[str, Any]] = []
    ece = 0.0
    for b in range(n_bins):
        members = index == b
        count = int(members.sum())
        row: dict[str, Any] = {
            "lower": float(edges[b]),
            "upper": float(edges[b + 1]),
            "count": count,
            "confidence": None,
            "accuracy": None,
        }
        if count:
            mean_confidence = float(confidence[members].mean())
            accuracy = float(correct[members].mean())
            row["confidence"] = mean_confidence
            row["accuracy"] = accuracy
            ece += count / n * abs(accuracy - mean_confidence)
        table.append(row)
    return table, float(ece)
