"""predict writes every prediction to a CSV; fit and test write figures, a report and ONNX."""

from __future__ import annotations

import csv
import io
import json
import struct
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch
from conftest import MALFORMED_IDS, MALFORMED_POINTS, run_in_process
from matplotlib.image import imread
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    precision_recall_fscore_support,
)
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from blobclf import BlobDataModule
from blobclf.export import load_model
from blobclf.regenerate import regenerate

pytestmark = pytest.mark.slow  # the tutorial run they read trains in a fresh process

FIT_FIGURES = ["data", "loss_curves", "accuracy_curves", "decision_boundary", "confusion_matrix_val", "reliability_val"]
TEST_FIGURES = ["confusion_matrix_test-last", "reliability_test-last"]


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def predicted(tutorial_run):
    cwd, _ = tutorial_run
    result = run_in_process(cwd, "predict", "--ckpt_path", "checkpoints/version_0/last.ckpt")
    assert result.returncode == 0, result.output
    return cwd, result


@pytest.fixture(scope="module")
def tested(tutorial_run):
    cwd, _ = tutorial_run
    result = run_in_process(cwd, "test", "--ckpt_path", "checkpoints/version_0/last.ckpt")
    assert result.returncode == 0, result.output
    return cwd, result


def test_predictions_csv_of_the_test_split(predicted):
    cwd, result = predicted
    path = cwd / "checkpoints" / "version_0" / "predictions-last-test-split.csv"
    assert f"predictions: {Path('checkpoints/version_0/predictions-last-test-split.csv')} (200 rows)" in result.stdout
    header, rows = read_csv(path)
    assert header == ["x0", "x1", "prob_0", "prob_1", "prob_2", "prob_3", "predicted", "label"]
    assert len(rows) == 200
    table = np.array(rows, dtype=float)
    probabilities = table[:, 2:6]
    assert np.abs(probabilities.sum(axis=1) - 1).max() <= 1e-6
    assert (table[:, 6] == probabilities.argmax(axis=1)).all()
    data = BlobDataModule()
    data.setup()
    x_test, y_test = data.splits["test"]
    assert np.array_equal(table[:, :2].astype(np.float32), x_test.numpy())
    assert (table[:, 7] == y_test.numpy()).all()
    assert (table[:, 6] == table[:, 7]).mean() == pytest.approx(0.965)


def test_new_points_are_matched_by_column_name_and_other_columns_carried(tutorial_run, cli):
    cwd, _ = tutorial_run
    points = cli.cwd / "points.csv"
    points.write_text("id,x1,x0\np1,7.0,-8.0\np2,1.0,5.0\np3,-7.0,-6.0\n")
    output = cli.cwd / "out" / "predicted.csv"
    result = cli(
        "predict", "--ckpt_path", str(cwd / "checkpoints" / "version_0" / "last.ckpt"),
        "--data.predict_file", str(points), "--prediction.output", str(output),
    )
    assert result.returncode == 0, result.output
    header, rows = read_csv(output)
    assert header == ["id", "x0", "x1", "prob_0", "prob_1", "prob_2", "prob_3", "predicted"]
    assert [r[:3] for r in rows] == [["p1", "-8.0", "7.0"], ["p2", "5.0", "1.0"], ["p3", "-6.0", "-7.0"]]
    model = load_model(cwd / "checkpoints" / "version_0" / "model.pth")
    with torch.inference_mode():
        expected = model(torch.tensor([[-8.0, 7.0], [5.0, 1.0], [-6.0, -7.0]])).argmax(dim=1).tolist()
    assert [int(r[-1]) for r in rows] == expected


def test_one_predicted_point_is_said_as_one_row(tutorial_run, cli):
    # "(1 rows)" was printed for a file of one point
    cwd, _ = tutorial_run
    points = cli.cwd / "one.csv"
    points.write_text("x0,x1\n-8.0,7.0\n")
    output = cli.cwd / "out.csv"
    result = cli(
        "predict", "--ckpt_path", str(cwd / "checkpoints" / "version_0" / "last.ckpt"),
        "--data.predict_file", str(points), "--prediction.output", str(output),
    )
    assert result.returncode == 0, result.output
    assert f"predictions: {output} (1 row)\n" in result.stdout
    assert len(read_csv(output)[1]) == 1


@pytest.mark.parametrize(("content", "message"), MALFORMED_POINTS, ids=MALFORMED_IDS)
def test_malformed_points_get_one_line_and_leave_no_output(tutorial_run, cli, content, message):
    cwd, _ = tutorial_run
    inputs = cli.cwd / "inputs"
    inputs.mkdir()
    bad = inputs / "bad.csv"
    if content is not None:
        bad.write_text(content)
    output = inputs / "out.csv"
    result = cli(
        "predict", "--ckpt_path", str(cwd / "checkpoints" / "version_0" / "last.ckpt"),
        "--data.predict_file", str(bad), "--prediction.output", str(output),
    )
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("blobclf: error:")]
    if content is None:  # the option that names the file is named (read_points alone says "bad.csv: no such file")
        message = f"--data.predict_file {str(bad)!r}: no such file"
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert "Traceback" not in result.output
    assert list(inputs.iterdir()) == ([bad] if content is not None else [])
    assert list(cli.cwd.iterdir()) == [inputs]


def test_unwritable_output_gets_one_line(tutorial_run, cli):
    cwd, _ = tutorial_run
    blocker = cli.cwd / "file"
    blocker.write_text("not a folder")
    result = cli("predict", "--ckpt_path", str(cwd / "checkpoints" / "version_0" / "last.ckpt"),
                 "--prediction.output", str(blocker / "out.csv"))
    assert result.returncode == 2
    assert f"cannot write predictions to '{blocker / 'out.csv'}'" in result.stderr
    assert "Traceback" not in result.output


def test_fit_writes_readable_figures(tutorial_run):
    cwd, result = tutorial_run
    run = cwd / "checkpoints" / "version_0"
    for name in FIT_FIGURES:
        width, height = png_size(run / f"{name}.png")
        assert 300 <= width <= 3000 and 300 <= height <= 3000, name
        import matplotlib.image

        pixels = matplotlib.image.imread(run / f"{name}.png")
        assert pixels.std() > 0.05, f"{name} looks blank"
        assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 20, name
    assert "figures: " in result.stdout


def test_figures_are_in_tensorboard(tutorial_run):
    cwd, _ = tutorial_run
    events = EventAccumulator(str(cwd / "lightning_logs" / "version_0"), size_guidance={"images": 0})
    events.Reload()
    in_tensorboard = [name for name in FIT_FIGURES if not name.endswith("_curves")]  # curves: Scalars tab
    assert set(events.Tags()["images"]) == {f"figures/{name}" for name in in_tensorboard}
    run = cwd / "checkpoints" / "version_0"
    for name in in_tensorboard:  # the very image written beside the checkpoint, at the last epoch
        (image,) = events.Images(f"figures/{name}")
        logged = imread(io.BytesIO(image.encoded_image_string), format="png")
        on_disk = imread(run / f"{name}.png")
        assert np.array_equal(logged[..., :3], on_disk[..., :3]), name
        assert image.encoded_image_string == (run / f"{name}.png").read_bytes(), name  # not re-encoded
        assert (image.width, image.height) == png_size(run / f"{name}.png"), name
        assert image.step == 100


def test_test_report_equals_scikit_learn_on_the_same_predictions(tested, predicted):
    cwd, result = tested
    run = cwd / "checkpoints" / "version_0"
    report = json.loads((run / "test_report-last.json").read_text())
    _, rows = read_csv(run / "predictions-last-test-split.csv")
    table = np.array(rows, dtype=float)
    y_pred, y_true = table[:, 6].astype(int), table[:, 7].astype(int)
    assert report["n_samples"] == 200 and report["num_classes"] == 4
    assert report["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred)) == pytest.approx(0.965)
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=range(4), zero_division=0)
    for k, row in enumerate(report["per_class"]):
        assert (row["precision"], row["recall"], row["f1"]) == pytest.approx((precision[k], recall[k], f1[k]))
        assert row["support"] == support[k]
    assert report["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro"))
    matrix = np.array(report["confusion_matrix"])
    assert (matrix == confusion_matrix(y_true, y_pred, labels=range(4))).all()
    assert matrix.sum() == 200 and np.trace(matrix) / matrix.sum() == pytest.approx(0.965)
    confidence, correct = table[:, 2:6].max(axis=1), y_pred == y_true
    bins = np.minimum((confidence * 10).astype(int), 9)
    ece = sum(abs(correct[bins == b].mean() - confidence[bins == b].mean()) * (bins == b).mean()
              for b in range(10) if (bins == b).any())
    assert report["expected_calibration_error"] == pytest.approx(ece, abs=1e-6)
    meta = json.loads((run / "model.json").read_text())
    assert report["loss"] == pytest.approx(meta["metrics"]["val/loss"], rel=1e-6)
    assert "test report: " in result.stdout
    for name in TEST_FIGURES:
        assert png_size(run / f"{name}.png")[0] >= 300


def test_onnx_export_gives_the_same_probabilities(tutorial_run):
    cwd, _ = tutorial_run
    run = cwd / "checkpoints" / "version_0"
    data = BlobDataModule()
    data.setup()
    x_test, _ = data.splits["test"]
    session = onnxruntime.InferenceSession(str(run / "model.onnx"), providers=["CPUExecutionProvider"])
    logits, probabilities = session.run(None, {"features": x_test.numpy()})
    with torch.inference_mode():
        expected = torch.softmax(load_model(run / "model.pth")(x_test), dim=1).numpy()
    assert probabilities.shape == (200, 4)
    assert np.abs(probabilities - expected).max() <= 1e-5
    single = session.run(["probabilities"], {"features": x_test[:1].numpy()})[0]
    assert np.abs(single - expected[:1]).max() <= 1e-5


def test_reports_are_regenerated_for_an_old_run(tested, tmp_path, monkeypatch, capsys):
    from blobclf.regenerate import main

    cwd, _ = tested
    run = cwd / "checkpoints" / "version_0"
    monkeypatch.chdir(cwd)
    main(["checkpoints/version_0", "--output", str(tmp_path)])  # in-process: python -m blobclf.regenerate's main
    out = capsys.readouterr().out
    written = dict(line.split(": ", 1) for line in out.splitlines())
    assert sorted(written) == sorted([*FIT_FIGURES, *TEST_FIGURES, "test_report"])
    fresh = json.loads((tmp_path / "test_report-last.json").read_text())
    original = json.loads((run / "test_report-last.json").read_text())
    assert fresh["confusion_matrix"] == original["confusion_matrix"]
    assert fresh["accuracy"] == original["accuracy"]
    assert fresh["loss"] == pytest.approx(original["loss"], rel=1e-6)
    for name in FIT_FIGURES:
        assert png_size(tmp_path / f"{name}.png")[0] >= 300


def test_regenerating_a_missing_run_is_one_line(tmp_path):
    from blobclf.errors import UserError

    with pytest.raises(UserError, match="'nothere' does not exist"):
        regenerate("nothere")


def test_regenerate_does_not_wait_on_a_model_json_that_is_a_pipe(tmp_path):
    # model.json is read as its other readers read it: capped, and a pipe is refused unread
    # (reading it whole waited for a writer for ever)
    import os
    import threading

    from blobclf.regenerate import run_log_dir

    run = tmp_path / "checkpoints" / "version_0"
    run.mkdir(parents=True)
    os.mkfifo(run / "model.json")
    found: list[object] = []
    reader = threading.Thread(target=lambda: found.append(run_log_dir(run / "last.ckpt", {})), daemon=True)
    reader.start()
    reader.join(timeout=20)
    assert found == [None]
