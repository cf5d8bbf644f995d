"""What a table run's checkpoint keeps: its separate test table, and its training table wherever it moves."""

from __future__ import annotations

import csv
import json
import random
import shlex
import shutil

import pytest
import torch
from conftest import REPO, example_datasets, one_error

from blobclf.safeload import load_checkpoint

write_dataset = example_datasets().write_dataset

FIT = ("fit", "--data", "TableDataModule", "--data.target", "species", "--export.figures", "false",
       "--export.onnx", "false")


def split_iris(folder) -> None:
    """iris.csv as train.csv (120 rows) and test.csv (30 rows)."""
    write_dataset("iris", folder)
    header, *rows = list(csv.reader((folder / "iris.csv").open()))
    random.Random(0).shuffle(rows)
    for name, part in (("train.csv", rows[:120]), ("test.csv", rows[120:])):
        with (folder / name).open("w", newline="") as handle:
            csv.writer(handle).writerows([header, *part])


def weights(path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)


def test_a_runs_test_table_is_kept_by_every_later_command_and_only_evaluations_may_name_another(cli):
    split_iris(cli.cwd)
    run = cli.cwd / "checkpoints" / "version_0"
    assert cli(*FIT, "--data.path", "train.csv", "--data.test_path", "test.csv", "--trainer.max_epochs", "3").returncode == 0
    # test and predict use the run's test table, not a split of its training table
    assert cli("test", "--ckpt_path", "last").returncode == 0
    assert json.loads((run / "test_report-last-test.json").read_text())["n_samples"] == 30
    assert cli("predict", "--ckpt_path", "last").returncode == 0
    assert len((run / "predictions-last-test-split.csv").read_text().splitlines()) == 1 + 30
    # an evaluation may name another table
    assert cli("test", "--ckpt_path", "last", "--data.test_path", "train.csv").returncode == 0
    assert json.loads((run / "test_report-last-train.json").read_text())["n_samples"] == 120
    # a resume may not: it validates on that table
    line = one_error(cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "5", "--data.test_path", "train.csv"))
    assert line == ("data.test_path='train.csv' (from the command line or a --config file) conflicts with the "
                    "checkpoint 'checkpoints/version_0/last.ckpt', which was trained with data.test_path='test.csv'; "
                    "resume with just 'fit --ckpt_path', which takes every setting from the run, or pass another "
                    "checkpoint")
    # the resume keeps the test table and equals a run that was never stopped
    assert cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "5").returncode == 0
    assert "test_path: test.csv" in (cli.cwd / "lightning_logs" / "version_0" / "resume-1.yaml").read_text()
    assert cli(*FIT, "--data.path", "train.csv", "--data.test_path", "test.csv", "--trainer.max_epochs", "5").returncode == 0
    resumed, whole = weights(run / "model.pth"), weights(cli.cwd / "checkpoints" / "version_1" / "model.pth")
    assert all(torch.equal(resumed[name], whole[name]) for name in whole)


def test_a_moved_training_table_is_found_by_its_bytes_and_another_table_is_named_as_such(cli):
    write_dataset("iris", cli.cwd)
    assert cli(*FIT, "--data.path", "iris.csv", "--trainer.max_epochs", "2").returncode == 0
    (cli.cwd / "data").mkdir()
    shutil.move(cli.cwd / "iris.csv", cli.cwd / "data" / "iris.csv")
    files = sorted(p.relative_to(cli.cwd) for p in cli.cwd.rglob("*"))
    assert one_error(cli("test", "--ckpt_path", "last")) == (
        "the run's training table 'iris.csv' is not there (moved, or a relative path from another folder?); give "
        "its place with --data.path PATH (the same bytes are accepted), or test on another table with "
        "--data.test_path")
    edited = cli.cwd / "edited.csv"
    edited.write_text((cli.cwd / "data" / "iris.csv").read_text() + "5.0,3.0,1.5,0.2,setosa\n")
    assert one_error(cli("test", "--ckpt_path", "last", "--data.path", "edited.csv")) == (
        "--data.path='edited.csv' is not the table 'checkpoints/version_0/last.ckpt' was trained on (its SHA-256 "
        "differs); give the run's own table (moved tables are accepted), or test on another table with "
        "--data.test_path")
    # predict is told of the file it reads rows from (it was told to test on another table)
    assert one_error(cli("predict", "--ckpt_path", "last")) == (
        "the run's training table 'iris.csv' is not there (moved, or a relative path from another folder?); give "
        "its place with --data.path PATH (the same bytes are accepted), or predict another table's rows with "
        "--data.predict_file")
    assert one_error(cli("predict", "--ckpt_path", "last", "--data.path", "edited.csv")) == (
        "--data.path='edited.csv' is not the table 'checkpoints/version_0/last.ckpt' was trained on (its SHA-256 "
        "differs); give the run's own table (moved tables are accepted), or predict another table's rows with "
        "--data.predict_file")
    # a resume is told what a resume can do instead (it was told to test on another table)
    assert one_error(cli("fit", "--ckpt_path", "last", "--data.path", "edited.csv")) == (
        "--data.path='edited.csv' is not the table 'checkpoints/version_0/last.ckpt' was trained on (its SHA-256 "
        "differs); give the run's own table (moved tables are accepted), or train a new run on it (no --ckpt_path)")
    assert one_error(cli("fit", "--ckpt_path", "last")) == (
        "the run's training table 'iris.csv' is not there (moved, or a relative path from another folder?); give "
        "its place with --data.path PATH (the same bytes are accepted), or train a new run (no --ckpt_path)")
    shutil.copy(edited, cli.cwd / "iris.csv")  # the table edited in its place
    for command, fix in (("test", "restore the table, or test on another table with --data.test_path"),
                         ("predict", "restore the table, or predict another table's rows with --data.predict_file"),
                         ("fit", "restore the table to resume this run, or train a new run on the changed table "
                                 "(no --ckpt_path)")):
        assert one_error(cli(command, "--ckpt_path", "last")) == (
            "iris.csv changed since the checkpoint was trained on it (its SHA-256 differs): its splits would hold "
            f"other rows, the test split maybe training rows; {fix}"), command
    (cli.cwd / "iris.csv").unlink()
    edited.unlink()
    assert sorted(p.relative_to(cli.cwd) for p in cli.cwd.rglob("*")) == files  # refusals wrote nothing
    assert cli("test", "--ckpt_path", "last", "--data.path", "data/iris.csv").returncode == 0
    report = json.loads((cli.cwd / "checkpoints" / "version_0" / "test_report-last.json").read_text())
    assert report["n_samples"] == 30
    # a resume from the new place continues the run, and records where its table now is
    assert cli("fit", "--ckpt_path", "last", "--data.path", "data/iris.csv", "--trainer.max_epochs", "3").returncode == 0
    checkpoint = load_checkpoint(cli.cwd / "checkpoints" / "version_0" / "last.ckpt")
    assert checkpoint["datamodule_hyper_parameters"]["path"] == "data/iris.csv"
    assert checkpoint["loops"]["fit_loop"]["epoch_progress"]["current"]["processed"] == 3  # completed: 2 or 3


def test_a_test_on_another_table_logs_beside_the_test_of_the_split_as_its_report_does(cli):
    # test_report-last.json and test_report-last-test.json are kept apart, but both tests logged to
    # the one TensorBoard run test-last: test/acc showed the two tables' accuracies at one step, or,
    # once a test replaces what that run shows, the second hid the first
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    split_iris(cli.cwd)
    assert cli(*FIT, "--data.path", "iris.csv", "--trainer.max_epochs", "3").returncode == 0
    assert cli("test", "--ckpt_path", "last").returncode == 0
    assert cli("test", "--ckpt_path", "last", "--data.test_path", "test.csv").returncode == 0
    logs, run = cli.cwd / "lightning_logs" / "version_0", cli.cwd / "checkpoints" / "version_0"
    assert sorted(p.name for p in logs.iterdir() if p.is_dir()) == ["test-last", "test-last-test"]
    for folder, report in (("test-last", "test_report-last.json"), ("test-last-test", "test_report-last-test.json")):
        events = EventAccumulator(str(logs / folder))
        events.Reload()
        accuracy = json.loads((run / report).read_text())["accuracy"]
        assert [(e.step, e.value) for e in events.Scalars("test/acc")] == [(2, pytest.approx(accuracy))], folder


def test_the_training_table_as_a_test_table_is_refused_when_training_and_named_when_evaluating(cli):
    """fit --data.test_path with the training table's bytes validated (and chose the best checkpoint) on the rows it
    trained on, and test/predict on them printed in-sample scores as a test's, without a word."""
    write_dataset("iris", cli.cwd)
    shutil.copy(cli.cwd / "iris.csv", cli.cwd / "copy.csv")
    line = one_error(cli(*FIT, "--data.path", "iris.csv", "--data.test_path", "copy.csv", "--trainer.max_epochs", "2"))
    assert line == ("--data.test_path 'copy.csv' is the training table 'iris.csv' (the same bytes): validation and the "
                    "test would run on the rows trained on; give a table of other rows, or leave --data.test_path out "
                    "to hold out --data.test_size of the table")
    assert not (cli.cwd / "checkpoints").exists()
    assert cli(*FIT, "--data.path", "iris.csv", "--trainer.max_epochs", "2").returncode == 0
    note = "note: copy.csv is the table the model was trained on (the same bytes): most of its rows are training rows, so "
    tested = cli("test", "--ckpt_path", "last", "--data.test_path", "copy.csv")
    assert tested.returncode == 0 and f"{note}its scores overstate how the model does on new rows\n" in tested.stdout
    predicted = cli("predict", "--ckpt_path", "last", "--data.predict_file", "copy.csv")
    assert predicted.returncode == 0
    assert f"{note}an accuracy on them overstates how the model does on new rows\n" in predicted.stdout
    # the run's own held-out split and other tables get no note
    assert "note:" not in cli("test", "--ckpt_path", "last").stdout


def test_a_test_table_without_some_classes_says_that_they_count_as_zero_in_the_macro_f1(cli):
    write_dataset("iris", cli.cwd)
    assert cli(*FIT, "--data.path", "iris.csv", "--trainer.max_epochs", "3").returncode == 0
    header, *rows = list(csv.reader((cli.cwd / "iris.csv").open()))
    with (cli.cwd / "setosa.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([header, *[row for row in rows if row[-1] == "setosa"]])
    result = cli("test", "--ckpt_path", "last", "--data.test_path", "setosa.csv")
    assert result.returncode == 0, result.output
    report = json.loads((cli.cwd / "checkpoints" / "version_0" / "test_report-last-setosa.json").read_text())
    assert [row["support"] for row in report["per_class"]] == [50, 0, 0]
    assert ("note: 2 of the model's 3 classes have no row in this data ('versicolor', 'virginica'): their F1 counts "
            "as 0 in the macro F1 (see per_class in the report)\n") in result.stdout
    with (cli.cwd / "two.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([header, *[row for row in rows if row[-1] != "virginica"]])
    result = cli("test", "--ckpt_path", "last", "--data.test_path", "two.csv")
    assert ("note: 1 of the model's 3 classes has no row in this data ('virginica'): its F1 counts as 0 in the "
            "macro F1 (see per_class in the report)\n") in result.stdout
    assert "note:" not in cli("test", "--ckpt_path", "last").stdout  # the held-out split holds every class


def test_a_run_with_the_exclude_a_refusal_offers_equals_one_with_the_features_it_leaves(cli):
    # a table of many features and an id or text column was offered a --data.features list to paste, or,
    # past 1000 characters, one described ("listing the 99 columns to keep"); the columns to leave out are few
    # (a column named like free text, such as 'note', is not offered as categories: see test_table_inputs)
    write_dataset("iris", cli.cwd)
    header, *rows = list(csv.reader((cli.cwd / "iris.csv").open()))
    with (cli.cwd / "t.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([["id", *header, "grade"], *([i, *row, "ok" if i % 3 else "check"]
                                                                 for i, row in enumerate(rows))])
    fit = (*FIT, "--data.path", "t.csv", "--trainer.max_epochs", "3")
    line = one_error(cli(*fit))
    assert line == ("t.csv:1: column 1, 'id', is named like a row identifier and would be a feature (every column but "
                    "the target is); leave it out with --data.exclude '[id,grade]' (which also leaves out 'grade', which "
                    "holds text), or list it in --data.features to keep it; to one-hot encode 'grade' as categories "
                    "rather than leave it out, give --data.exclude '[id]' --data.categorical '[grade]'")
    offered = shlex.split(line.split("leave it out with ")[1].split(" (which")[0])
    assert cli(*fit, *offered).returncode == 0  # followed to the letter
    features = "[sepal_length,sepal_width,petal_length,petal_width]"
    assert cli(*fit, "--data.features", features).returncode == 0
    runs = [cli.cwd / "checkpoints" / f"version_{v}" for v in (0, 1)]
    excluded, listed = (load_checkpoint(run / "last.ckpt") for run in runs)
    # recorded as with --data.features: test, predict and resume read the same columns
    assert excluded["datamodule_hyper_parameters"] == listed["datamodule_hyper_parameters"]
    assert excluded["datamodule_hyper_parameters"]["exclude"] is None
    assert excluded["hyper_parameters"] == listed["hyper_parameters"]
    assert all(torch.equal(excluded["state_dict"][k], listed["state_dict"][k]) for k in listed["state_dict"])
    reports = []
    for run in runs:
        assert cli("test", "--ckpt_path", str(run / "last.ckpt")).returncode == 0
        report = json.loads((run / "test_report-last.json").read_text())
        assert report.pop("checkpoint") == str(run / "last.ckpt")
        reports.append(report)
        assert cli("predict", "--ckpt_path", str(run / "last.ckpt"), "--data.predict_file", "t.csv",
                   "--prediction.output", f"{run.name}.csv").returncode == 0
    assert reports[0] == reports[1] and reports[0]["n_samples"] == 30
    predictions = (cli.cwd / "version_0.csv").read_text()
    assert predictions == (cli.cwd / "version_1.csv").read_text() and len(predictions.splitlines()) == 151
    assert predictions.startswith("id,grade,sepal_length,")
    assert cli("fit", "--ckpt_path", str(runs[0] / "last.ckpt"), "--trainer.max_epochs", "5").returncode == 0
    # the option's own refusals, one line each
    for extra, message in [
        (("--data.exclude", "[id]", "--data.features", features),
         "--data.features and --data.exclude are both given; give one: --data.features lists the feature columns, "
         "--data.exclude the columns that are not features"),
        (("--data.exclude", "[id,nope]"),
         "t.csv: --data.exclude names 'nope', which is not a column; the columns are: id, sepal_length, sepal_width, "
         "petal_length, petal_width, species, grade"),
        (("--data.exclude", "[id,grade,species]"),
         "t.csv: --data.exclude names the target column 'species'; leave it out there (the target is never a feature)"),
        (("--data.exclude", "[id,grade,sepal_length,sepal_width,petal_length,petal_width]"),
         "t.csv: --data.exclude leaves no feature column (the columns are id, sepal_length, sepal_width, petal_length, "
         "petal_width, species, grade); exclude fewer"),
        (("--data.exclude", "[grade]"),
         "t.csv:1: column 1, 'id', is named like a row identifier and would be a feature (every column but the target "
         "is); leave it out with --data.exclude '[id,grade]', or list it in --data.features to keep it"),
    ]:
        assert one_error(cli(*fit, *extra)) == message
    assert not (cli.cwd / "checkpoints" / "version_3").exists()


@pytest.mark.parametrize("selection", [(), ("--data.exclude", "[sepal_width]")], ids=["all-columns", "exclude"])
def test_the_runs_own_config_yaml_evaluates_and_resumes_its_checkpoint(cli, selection):
    # the checkpoint records the features and classes the run found; its config.yaml what was typed
    # (features: null, an exclude list, classes: null): 'test --config config.yaml' was refused as
    # 'data.features=None ... conflicts with the checkpoint'
    write_dataset("iris", cli.cwd)
    assert cli(*FIT, "--data.path", "iris.csv", "--trainer.max_epochs", "3", *selection).returncode == 0
    config, last = "lightning_logs/version_0/config.yaml", "checkpoints/version_0/last.ckpt"
    alone = cli("test", "--ckpt_path", last)
    assert alone.returncode == 0, alone.output
    alone_report = json.loads((cli.cwd / "checkpoints" / "version_0" / "test_report-last.json").read_text())
    with_config = cli("test", "--config", config, "--ckpt_path", last)
    assert with_config.returncode == 0, with_config.output
    assert json.loads((cli.cwd / "checkpoints" / "version_0" / "test_report-last.json").read_text()) == alone_report
    # a separate test table without some classes is read with the model's classes, as without the config
    header, *rows = list(csv.reader((cli.cwd / "iris.csv").open()))
    with (cli.cwd / "virginica.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([header, *(row for row in rows if row[-1] == "virginica")])
    reports = []
    for extra in ((), ("--config", config)):
        assert cli("test", *extra, "--ckpt_path", last, "--data.test_path", "virginica.csv").returncode == 0
        report = json.loads((cli.cwd / "checkpoints" / "version_0" / "test_report-last-virginica.json").read_text())
        reports.append(report)
    assert reports[0] == reports[1] and reports[0]["n_samples"] == 50
    resumed = cli("fit", "--config", config, "--ckpt_path", last, "--trainer.max_epochs", "4")
    assert resumed.returncode == 0, resumed.output
    # another selection is still a conflict
    assert "conflicts with the checkpoint" in one_error(cli("test", "--ckpt_path", last, "--data.exclude", "[petal_width]"))


def test_a_table_that_is_not_there_is_named_with_the_option_that_gave_it(cli):
    write_dataset("iris", cli.cwd)
    fit = (*FIT[:1], "--config", str(REPO / "configs" / "table.yaml"), "--data.target", "species",
           "--trainer.max_epochs", "1", "--export.figures", "false")
    assert one_error(cli(*fit, "--data.path", "irsi.csv")) == "--data.path 'irsi.csv': no such file"
    assert one_error(cli(*fit, "--data.path", "irsi.csv", "--data.features", "[petal_length]")) == (
        "--data.path 'irsi.csv': no such file")
    assert not (cli.cwd / "checkpoints").exists()
    assert cli(*fit, "--data.path", "iris.csv").returncode == 0
    assert one_error(cli("test", "--ckpt_path", "last", "--data.test_path", "new.csv")) == (
        "--data.test_path 'new.csv': no such file")
    assert one_error(cli("predict", "--ckpt_path", "last", "--data.predict_file", "new.csv")) == (
        "--data.predict_file 'new.csv': no such file")
