"""The classification report agrees with scikit-learn and with a hand-written calibration error."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_fscore_support,
)

from blobclf.export import write_report
from blobclf.report import classification_report


def _random_case(seed: int, n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels and Dirichlet probabilities that lean towards the true label (so not all wrong)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, size=n)
    alpha = np.ones((n, k))
    alpha[np.arange(n), y] += 3.0
    gamma = rng.gamma(alpha)  # row-wise Dirichlet(alpha)
    return y, gamma / gamma.sum(axis=1, keepdims=True)


HAND_Y = np.array([0, 0, 1, 1, 2, 2])
HAND_P = np.array(
    [
        [0.7, 0.2, 0.1],  # predicted 0, right
        [0.3, 0.6, 0.1],  # predicted 1, wrong
        [0.1, 0.8, 0.1],  # predicted 1, right
        [0.2, 0.5, 0.3],  # predicted 1, right
        [0.5, 0.1, 0.4],  # predicted 0, wrong
        [0.05, 0.05, 0.9],  # predicted 2, right
    ]
)
# Class 3 never occurs and is never predicted; class 2 is predicted but never true.
ABSENT_Y = np.array([0, 1, 1, 0, 1])
ABSENT_P = np.array(
    [
        [0.6, 0.2, 0.1, 0.1],
        [0.1, 0.7, 0.1, 0.1],
        [0.1, 0.2, 0.6, 0.1],
        [0.4, 0.3, 0.2, 0.1],
        [0.2, 0.5, 0.2, 0.1],
    ]
)

CASES = {
    "random-500x4": _random_case(0, 500, 4),
    "random-1000x7": _random_case(1, 1000, 7),
    "hand-6x3": (HAND_Y, HAND_P),
    "absent-classes-5x4": (ABSENT_Y, ABSENT_P),
    "single-sample": (np.array([1]), np.array([[0.25, 0.75]])),
}


def reference_ece(y: np.ndarray, p: np.ndarray, n_bins: int) -> float:
    """Top-label ECE the slow, obvious way: bins (lower, upper], the first also holding 0."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    n = len(y)
    total = 0.0
    for b in range(n_bins):
        members = []
        for i in range(n):
            confidence = max(p[i])
            if edges[b] < confidence <= edges[b + 1] or (b == 0 and confidence == 0.0):
                members.append(i)
        if members:
            accuracy = sum(int(np.argmax(p[i]) == y[i]) for i in members) / len(members)
            confidence = sum(max(p[i]) for i in members) / len(members)
            total += len(members) / n * abs(accuracy - confidence)
    return total


@pytest.fixture(params=list(CASES), ids=list(CASES))
def case(request: pytest.FixtureRequest) -> tuple[np.ndarray, np.ndarray, dict]:
    y, p = CASES[request.param]
    return y, p, classification_report(y, p)


def test_scores_equal_scikit_learns(case):
    y, p, report = case
    k = p.shape[1]
    labels = list(range(k))
    predicted = p.argmax(axis=1)
    precision, recall, f1, support = precision_recall_fscore_support(
        y, predicted, labels=labels, zero_division=0
    )
    assert report["n_samples"] == len(y)
    assert report["num_classes"] == k
    assert report["accuracy"] == pytest.approx(accuracy_score(y, predicted), abs=1e-12)
    assert [row["class"] for row in report["per_class"]] == labels
    assert [row["precision"] for row in report["per_class"]] == pytest.approx(precision, abs=1e-12)
    assert [row["recall"] for row in report["per_class"]] == pytest.approx(recall, abs=1e-12)
    assert [row["f1"] for row in report["per_class"]] == pytest.approx(f1, abs=1e-12)
    assert [row["support"] for row in report["per_class"]] == support.tolist()
    macro = f1_score(y, predicted, labels=labels, average="macro", zero_division=0)
    assert report["macro_f1"] == pytest.approx(macro, abs=1e-12)
    assert report["confusion_matrix"] == confusion_matrix(y, predicted, labels=labels).tolist()
    assert report["loss"] == pytest.approx(log_loss(y, p, labels=labels), rel=1e-9)


def test_confusion_matrix_sums_to_n_and_its_trace_is_the_accuracy(case):
    y, p, report = case
    matrix = np.array(report["confusion_matrix"])
    assert matrix.shape == (p.shape[1], p.shape[1])
    assert matrix.sum() == len(y)
    assert matrix.sum(axis=1).tolist() == [row["support"] for row in report["per_class"]]
    assert np.trace(matrix) / len(y) == pytest.approx(report["accuracy"], abs=1e-12)


@pytest.mark.parametrize("n_bins", [1, 5, 10, 15], ids=lambda n: f"{n}-bins")
def test_ece_equals_the_hand_reference(case, n_bins):
    y, p, _ = case
    report = classification_report(y, p, n_bins=n_bins)
    assert report["expected_calibration_error"] == pytest.approx(reference_ece(y, p, n_bins), abs=1e-12)
    assert report["n_bins"] == n_bins
    assert len(report["reliability"]) == n_bins


def test_reliability_table_is_consistent_with_the_ece(case):
    y, p, report = case
    bins = report["reliability"]
    assert bins[0]["lower"] == 0.0 and bins[-1]["upper"] == 1.0
    assert all(a["upper"] == b["lower"] for a, b in zip(bins, bins[1:], strict=False))
    assert sum(b["count"] for b in bins) == len(y)
    ece = 0.0
    for b in bins:
        if b["count"] == 0:
            assert b["confidence"] is None and b["accuracy"] is None
            continue
        assert b["lower"] <= b["confidence"] <= b["upper"]
        ece += b["count"] / len(y) * abs(b["accuracy"] - b["confidence"])
    assert report["expected_calibration_error"] == pytest.approx(ece, abs=1e-12)


def test_hand_case_numbers():
    report = classification_report(HAND_Y, HAND_P, n_bins=10)
    assert report["accuracy"] == pytest.approx(4 / 6)
    assert report["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    # class 0: precision 1/2, recall 1/2; class 1: 2/3 and 1; class 2: 1 and 1/2
    assert [row["precision"] for row in report["per_class"]] == pytest.approx([1 / 2, 2 / 3, 1.0])
    assert [row["recall"] for row in report["per_class"]] == pytest.approx([1 / 2, 1.0, 1 / 2])
    assert report["macro_f1"] == pytest.approx((1 / 2 + 0.8 + 2 / 3) / 3)
    expected_loss = -np.mean(np.log([0.7, 0.3, 0.8, 0.5, 0.4, 0.9]))
    assert report["loss"] == pytest.approx(expected_loss)
    # confidences 0.7 0.6 0.8 0.5 0.5 0.9 -> bins (0.4,0.5]: two, 1 right; (0.5,0.6]: 0.6 wrong;
    # (0.6,0.7]: 0.7 right; (0.7,0.8]: 0.8 right; (0.8,0.9]: 0.9 right
    expected_ece = (2 * abs(0.5 - 0.5) + abs(0 - 0.6) + abs(1 - 0.7) + abs(1 - 0.8) + abs(1 - 0.9)) / 6
    assert report["expected_calibration_error"] == pytest.approx(expected_ece)
    counts = [b["count"] for b in report["reliability"]]
    assert counts == [0, 0, 0, 0, 2, 1, 1, 1, 1, 0]


def test_absent_classes_score_zero_not_nan():
    report = classification_report(ABSENT_Y, ABSENT_P)
    class_2, class_3 = report["per_class"][2], report["per_class"][3]
    assert class_2 == {"class": 2, "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert class_3 == {"class": 3, "precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert report["macro_f1"] == pytest.approx(sum(row["f1"] for row in report["per_class"]) / 4)


@pytest.mark.parametrize(
    ("y", "p"),
    [
        # every confidence is 0.75 and 3 of 4 predictions are right
        (np.array([0, 0, 0, 1]), np.array([[0.75, 0.25]] * 4)),
        # one-hot and always right: confidence 1, accuracy 1
        (np.array([0, 1, 2, 2]), np.eye(3)[[0, 1, 2, 2]]),
        # two bins, each calibrated: 0.6 with 3 of 5 right, 0.9 with 9 of 10 right
        (
            np.array([0, 0, 0, 1, 1] + [1] * 9 + [0]),
            np.array([[0.6, 0.4]] * 5 + [[0.1, 0.9]] * 10),
        ),
    ],
    ids=["constant-0.75", "one-hot-correct", "two-calibrated-bins"],
)
def test_ece_is_zero_when_perfectly_calibrated(y, p):
    assert classification_report(y, p)["expected_calibration_error"] == pytest.approx(0.0, abs=1e-12)


def test_ece_of_confident_and_always_wrong_is_the_confidence():
    y = np.array([1, 1, 1])
    p = np.array([[0.9, 0.1]] * 3)
    assert classification_report(y, p)["expected_calibration_error"] == pytest.approx(0.9)


def test_given_loss_is_recorded_as_is():
    y, p = CASES["hand-6x3"]
    assert classification_report(y, p, loss=0.123)["loss"] == 0.123


def test_zero_probability_on_the_true_class_gives_a_finite_loss():
    report = classification_report(np.array([0]), np.array([[0.0, 1.0]]))
    assert math.isfinite(report["loss"]) and report["loss"] > 30


def test_accepts_float32_probabilities_from_a_softmax():
    y, p = CASES["random-500x4"]
    report = classification_report(y, p.astype(np.float32))
    assert report["accuracy"] == pytest.approx(accuracy_score(y, p.argmax(axis=1)))


@pytest.mark.parametrize(
    ("y", "p", "kwargs", "message"),
    [
        (np.array([0, 1]), np.array([[2.0, -1.0], [0.5, 3.0]]), {}, "not logits"),
        (np.array([0, 1]), np.array([[0.2, 0.3], [0.5, 0.3]]), {}, "sum to 1"),
        (np.array([0, 1, 1]), np.array([[0.5, 0.5], [0.5, 0.5]]), {}, "y_true must have shape"),
        (np.array([0, 2]), np.array([[0.5, 0.5], [0.5, 0.5]]), {}, r"labels must lie in \[0, 2\)"),
        (np.array([0, -1]), np.array([[0.5, 0.5], [0.5, 0.5]]), {}, r"labels must lie in \[0, 2\)"),
        (np.array([0.5, 1.0]), np.array([[0.5, 0.5], [0.5, 0.5]]), {}, "integer class labels"),
        (np.array([0, 1]), np.array([0.5, 0.5]), {}, "shape"),
        (np.array([0]), np.array([[np.nan, 1.0]]), {}, "finite"),
        (np.array([0, 1]), np.array([[0.5, 0.5], [0.5, 0.5]]), {"n_bins": 0}, "n_bins"),
        (np.array([0, 1]), np.array([[0.5, 0.5], [0.5, 0.5]]), {"loss": float("nan")}, "loss"),
    ],
    ids=["logits", "rows-not-summing-to-1", "length-mismatch", "label-too-large", "negative-label",
         "fractional-labels", "1d-probabilities", "nan-probability", "zero-bins", "nan-loss"],
)
def test_bad_inputs_are_refused(y, p, kwargs, message):
    with pytest.raises(ValueError, match=message):
        classification_report(y, p, **kwargs)


def test_report_is_strict_json_and_round_trips(tmp_path):
    y, p = CASES["random-500x4"]
    report = classification_report(y, p)
    json.dumps(report, allow_nan=False)  # no numpy scalars, no NaN
    path = write_report(report, tmp_path / "nested" / "report.json")
    assert path == tmp_path / "nested" / "report.json"
    assert json.loads(path.read_text()) == report
    assert sorted(q.name for q in path.parent.iterdir()) == ["report.json"]  # no temporary left


def test_write_report_replaces_an_existing_file(tmp_path):
    path = tmp_path / "report.json"
    path.write_text("old")
    write_report({"accuracy": 1.0}, path)
    assert json.loads(path.read_text()) == {"accuracy": 1.0}


def test_write_report_refuses_nan_and_leaves_no_file(tmp_path):
    with pytest.raises(ValueError):
        write_report({"loss": float("nan")}, tmp_path / "report.json")
    assert list(tmp_path.iterdir()) == []


def test_model_json_holds_the_val_splits_per_class_figures_in_the_test_reports_form(cli):
    # was: model.json had only the accuracy and loss; each class's precision, recall and F1 were in the test report only
    import torch

    from blobclf import BlobClassifier, TableDataModule

    rng = np.random.default_rng(1)
    names = ["red", "green", "blue"]
    lines = ["x0,x1,colour"] + [f"{x:.5f},{y:.5f},{names[k]}" for k in rng.integers(0, 3, 300)
                                for x, y in [rng.normal((1.5 * k, 1.5 * (k % 2)), 0.8)]]
    (cli.cwd / "colours.csv").write_text("\n".join(lines) + "\n")
    assert cli("fit", "--data", "TableDataModule", "--data.path", "colours.csv", "--data.target", "colour",
               "--trainer.max_epochs", "40", "--export.figures", "false", "--export.onnx", "false").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    val = json.loads((run / "model.json").read_text())["val_report"]
    system = BlobClassifier.load_from_checkpoint(run / "last.ckpt")
    features, labels = TableDataModule(path=str(cli.cwd / "colours.csv"), target="colour").split("val")
    with torch.no_grad():
        predicted = system(features).argmax(dim=1).numpy()
    precision, recall, f1, support = precision_recall_fscore_support(labels.numpy(), predicted, labels=[0, 1, 2],
                                                                     zero_division=0)
    assert val["n_samples"] == len(labels) == 60
    assert [row["name"] for row in val["per_class"]] == system.classes
    assert [row[k] for row in val["per_class"] for k in ("precision", "recall", "f1")] == pytest.approx(
        np.stack([precision, recall, f1], axis=1).ravel().tolist(), abs=1e-12)
    assert [row["support"] for row in val["per_class"]] == support.tolist()
    assert val["macro_f1"] == pytest.approx(f1.mean(), abs=1e-12)
    assert 0.5 < val["macro_f1"] < 1
    assert cli("test", "--ckpt_path", "last").returncode == 0
    test = json.loads((run / "test_report-last.json").read_text())
    assert [list(row) for row in val["per_class"]] == [list(row) for row in test["per_class"]]
