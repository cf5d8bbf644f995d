"""Full training runs on real tables (scikit-learn's iris and wine): accuracy against a reference, resume, determinism."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from conftest import REPO, example_datasets, run_cli
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from blobclf.tabledata import TableDataModule

DATASETS = example_datasets().DATASETS
write_dataset = example_datasets().write_dataset

pytestmark = pytest.mark.slow  # each test trains in a fresh process
TABLE_CONFIG = str(REPO / "configs" / "table.yaml")
MARGIN = 0.03
"""How far below scikit-learn's LogisticRegression blobclf's test accuracy may be (issue 11)."""


@pytest.mark.parametrize("name", ["iris", "wine"])
def test_documented_table_settings_match_logistic_regression_on_the_same_split(tmp_path, cli, name):
    path = write_dataset(name, tmp_path)
    target = DATASETS[name][1]
    fit = cli("fit", "--config", TABLE_CONFIG, "--data.path", path.name, "--data.target", target,
              "--export.figures", "false")
    assert fit.returncode == 0, fit.output
    tested = cli("test", "--ckpt_path", "last")
    assert tested.returncode == 0, tested.output
    reports = list((tmp_path / "checkpoints" / "version_0").glob("test_report*.json"))
    assert len(reports) == 1
    ours = json.loads(reports[0].read_text())["accuracy"]

    data = TableDataModule(str(path), target)  # the split the run used: same settings, same seed
    data.setup("fit")
    (x_train, y_train), (x_test, y_test) = data.splits["train"], data.splits["test"]
    reference = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x_train.numpy(), y_train.numpy())
    theirs = reference.score(x_test.numpy(), y_test.numpy())
    print(f"{name}: blobclf {ours:.4f}, LogisticRegression {theirs:.4f} on {len(y_test)} test rows")
    assert ours >= theirs - MARGIN


def test_a_resumed_table_run_ends_bit_identical_to_an_uninterrupted_one(tmp_path):
    # 8 epochs of about 4 minibatches, stopped after 3: the resume must restore the weights, the optimizer's
    # moments and the data order as after 30 epochs; each run is a fresh process, as a user's would be
    write_dataset("wine", tmp_path)
    args = ["fit", "--config", TABLE_CONFIG, "--data.path", "wine.csv", "--data.target", "cultivar",
            "--data.batch_size", "32", "--data.val_size", "0.2", "--export.figures", "false", "--export.onnx", "false",
            "--checkpoint.last_interval", "0"]
    whole = run_cli(tmp_path, *args, "--trainer.max_epochs", "8")
    assert whole.returncode == 0, whole.output
    again = run_cli(tmp_path, *args, "--trainer.max_epochs", "8")
    assert again.returncode == 0, again.output
    part = run_cli(tmp_path, *args, "--trainer.max_epochs", "3")
    assert part.returncode == 0, part.output
    resumed = run_cli(tmp_path, *args, "--trainer.max_epochs", "8", "--ckpt_path", "checkpoints/version_2/last.ckpt")
    assert resumed.returncode == 0, resumed.output
    runs = [torch.load(tmp_path / "checkpoints" / f"version_{v}" / "model.pth", weights_only=True) for v in (0, 1, 2)]
    assert list(runs[0]) == ["mean", "scale", *(f"linear_layer_stack.{i}.{p}" for i in (0, 2, 4) for p in ("weight", "bias"))]
    for run in runs[1:]:
        assert all(torch.equal(run[key], runs[0][key]) for key in runs[0])


@pytest.fixture(scope="module")
def ddp_iris_run(tmp_path_factory):
    """iris fitted with the documented settings by two DDP processes on the CPU, once for the tests below."""
    cwd = tmp_path_factory.mktemp("ddp_iris")
    path = write_dataset("iris", cwd)
    result = run_cli(cwd, "fit", "--config", TABLE_CONFIG, "--data.path", path.name, "--data.target", "species",
                     "--trainer.strategy", "ddp", "--trainer.devices", "2", "--export.figures", "false", timeout=600)
    return cwd, path, result


def test_a_table_trains_under_ddp_with_two_cpu_processes(ddp_iris_run):
    cwd, path, result = ddp_iris_run
    assert result.returncode == 0, result.output
    assert result.stdout.count("exported weights:") == 1
    run = cwd / "checkpoints" / "version_0"
    meta = json.loads((run / "model.json").read_text())
    assert meta["classes"] == ["setosa", "versicolor", "virginica"]
    assert meta["metrics"]["val/acc"] >= 0.9
    # both processes fitted the same standardization: the training split's
    mean, scale = TableDataModule(str(path), "species").feature_scaling()
    state = torch.load(run / "model.pth", weights_only=True)
    assert torch.equal(state["mean"], mean) and torch.equal(state["scale"], scale)


def test_table_predictions_under_ddp_equal_one_process(tmp_path, cli, ddp_iris_run):
    # the run trained under DDP above gives the checkpoint; the one-process predictions are made in this process,
    # the DDP ones by the command line's two processes
    source, _, fitted = ddp_iris_run
    assert fitted.returncode == 0, fitted.output
    shutil.copytree(source / "checkpoints", tmp_path / "checkpoints")
    (tmp_path / "new.csv").write_text(
        "id,petal_width,sepal_length,sepal_width,petal_length\n" + "".join(
            f"r{i},{0.2 + i * 0.3:.1f},{5.0 + i * 0.2:.1f},3.0,{1.4 + i * 0.6:.1f}\n" for i in range(7)
        )
    )
    args = ["predict", "--ckpt_path", "last", "--data.predict_file", "new.csv"]
    one = cli(*args, "--prediction.output", "one.csv")
    assert one.returncode == 0, one.output
    ddp = run_cli(tmp_path, *args, "--prediction.output", "ddp.csv", "--trainer.strategy", "ddp", "--trainer.devices",
                  "2", timeout=600)
    assert ddp.returncode == 0, ddp.output
    outputs = {name: (tmp_path / f"{name}.csv").read_text() for name in ("one", "ddp")}
    assert outputs["ddp"] == outputs["one"]
    assert outputs["one"].splitlines()[0].startswith("id,sepal_length,sepal_width,petal_length,petal_width,prob_setosa")
    assert len(outputs["one"].splitlines()) == 8
