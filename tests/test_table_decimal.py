"""``--data.decimal ,``: tables saved by spreadsheets in German, French ... (``;`` between columns, ``,`` as the
decimal point) are read exactly as the same numbers written with ``.``, in training, testing and predicting."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import example_datasets, one_error

from blobclf.errors import UserError
from blobclf.points import read_points
from blobclf.table import read_table

write_dataset = example_datasets().write_dataset

FIT = ("fit", "--data", "TableDataModule", "--data.target", "cultivar", "--export.figures", "false",
       "--export.onnx", "false", "--trainer.max_epochs", "4")


def european(source: Path, target: Path) -> Path:
    """``source`` as Excel in German saves it: ``;`` between columns, ``,`` as the decimal point, CRLF."""
    with source.open(newline="") as handle:
        rows = list(csv.reader(handle))
    lines = [";".join(rows[0])] + [";".join(cell.replace(".", ",") for cell in row) for row in rows[1:]]
    target.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return target


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(UserError) as error:
        call(*args, **kwargs)
    return str(error.value)


def test_decimal_commas_are_read_as_the_same_numbers_with_a_point(tmp_path):
    plain = tmp_path / "t.csv"
    plain.write_text('a,b,kind\n14.23,-1.5e3,x\n .5 ,"3.25",y\n0.1,1e-7,x\n7,-0.0,y\n', encoding="utf-8")
    comma = tmp_path / "eu.csv"
    comma.write_text('a;b;kind\n14,23;-1,5e3;x\n ,5 ;"3,25";y\n0,1;1e-7;x\n7;-0,0;y\n', encoding="utf-8")
    expected, got = read_table(plain, "kind"), read_table(comma, "kind", decimal=",")
    assert got.features.tobytes() == expected.features.tobytes() and got.labels.tolist() == expected.labels.tolist()
    points = read_points(comma, ["a", "b"], ["x", "y"], "kind", decimal=",")
    assert points.features.numpy().tobytes() == expected.features.tobytes()
    assert points.labels.tolist() == [0, 1, 0, 1]


@pytest.mark.parametrize(
    ("content", "decimal", "table", "point"),
    [
        # the refusal a European file met, one cell at a time, now names the option that reads the whole file
        ("a;b;kind\n1;2;x\n14,23;3;y\n", ".",
         "t.csv:3: feature column 'a' holds '14,23', not a number; numbers take '.' as the decimal point: give "
         "--data.decimal ',' to read the file's decimal commas (or write it as '14.23')",
         "t.csv:3: a='14,23' is not a number; numbers take '.' as the decimal point: give --data.decimal ',' to read "
         "the file's decimal commas (or write it as '14.23')"),
        ("a;b;kind\n1;2;x\n1,234;3;y\n", ".",
         "t.csv:3: feature column 'a' holds '1,234', not a number; numbers take '.' as the decimal point and no "
         "thousands separators: give --data.decimal ',' if ',' is the file's decimal point (or write it as '1.234'), "
         "or write it as '1234' if it separates thousands",
         "t.csv:3: a='1,234' is not a number; numbers take '.' as the decimal point and no thousands separators: give "
         "--data.decimal ',' if ',' is the file's decimal point (or write it as '1.234'), or write it as '1234' if it "
         "separates thousands"),
        # with a decimal comma, a '.' is a thousands separator or a point written the other way: refused
        ("a;b;kind\n1;2;x\n1.234,5;3;y\n", ",",
         "t.csv:3: feature column 'a' holds '1.234,5', not a number; with --data.decimal ',' numbers take no "
         "thousands separators: write it as '1234,5'",
         "t.csv:3: a='1.234,5' is not a number; with --data.decimal ',' numbers take no thousands separators: write "
         "it as '1234,5'"),
        ("a;b;kind\n1;2;x\n-1.234;3;y\n", ",",
         "t.csv:3: feature column 'a' holds '-1.234', not a number; with --data.decimal ',' numbers take ',' as the "
         "decimal point and no thousands separators: write it as '-1,234' (a decimal point) or '-1234' (thousands)",
         "t.csv:3: a='-1.234' is not a number; with --data.decimal ',' numbers take ',' as the decimal point and no "
         "thousands separators: write it as '-1,234' (a decimal point) or '-1234' (thousands)"),
        ("a;b;kind\n1;2;x\n14.23;3;y\n", ",",
         "t.csv:3: feature column 'a' holds '14.23', not a number; with --data.decimal ',' numbers take ',' as the "
         "decimal point: write it as '14,23', or give --data.decimal '.' for a file that writes '14.23'",
         "t.csv:3: a='14.23' is not a number; with --data.decimal ',' numbers take ',' as the decimal point: write it "
         "as '14,23', or give --data.decimal '.' for a file that writes '14.23'"),
        # a comma-separated file cannot also have decimal commas
        ("a,b,kind\n1.5,2,x\n", ",",
         "t.csv:1: the columns are separated by ',', which --data.decimal ',' takes as the decimal point (a cell "
         "'1,5' could be two); give --data.decimal '.' for a file that writes '1.5', or save it with ';' between "
         "columns",
         "t.csv:1: the columns are separated by ',', which --data.decimal ',' takes as the decimal point (a cell "
         "'1,5' could be two); give --data.decimal '.' for a file that writes '1.5', or save it with ';' between "
         "columns"),
    ],
    ids=["comma-without-option", "comma-or-thousands", "thousands-with-comma", "point-or-thousands", "point",
         "comma-delimited"],
)
def test_a_decimal_point_written_the_other_way_is_refused_naming_the_fix(tmp_path, monkeypatch, content, decimal,
                                                                         table, point):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.csv").write_text(content, encoding="utf-8")
    assert refused(read_table, "t.csv", "kind", decimal=decimal) == table
    assert refused(read_points, "t.csv", ["a", "b"], ["x", "y"], "kind", decimal=decimal) == point


def test_a_decimal_comma_with_a_comma_delimiter_or_another_decimal_point_is_refused(cli):
    european(write_dataset("wine", cli.cwd), cli.cwd / "eu.csv")
    line = one_error(cli(*FIT, "--data.path", "eu.csv", "--data.decimal", ",", "--data.delimiter", ","))
    assert line == ("--data.decimal ',' with --data.delimiter ',' is ambiguous (a cell '1,5' could be two); give the "
                    "file's other delimiter (--data.delimiter ';'), or leave --data.delimiter out to detect it")
    line = one_error(cli(*FIT, "--data.path", "eu.csv", "--data.decimal", ";"))
    assert line == "--data.decimal must be '.' or ',' (the decimal point of the feature cells), got ';'"


def test_a_decimal_point_none_of_the_two_is_refused_at_parse_time_naming_where_it_was_written(cli):
    # --data.decimal is a Literal: the parser refuses it before any file is read; a config file's value was named
    # as if the command line had given it
    (cli.cwd / "run.yaml").write_text("data:\n  class_path: TableDataModule\n  init_args:\n    path: nothere.csv\n"
                                      "    target: cultivar\n    decimal: 1\n")
    assert one_error(cli("fit", "--config", "run.yaml")) == (
        "data.decimal must be '.' or ',' (the decimal point of the feature cells), got 1 in --config run.yaml")
    assert one_error(cli(*FIT, "--data.path", "nothere.csv", "--data.decimal", ";")) == (
        "--data.decimal must be '.' or ',' (the decimal point of the feature cells), got ';'")
    assert sorted(path.name for path in cli.cwd.iterdir()) == ["run.yaml"]


def test_help_lists_the_two_decimal_points(cli):
    assert "--data.decimal {.,,}" in cli("fit", "--data.help", "TableDataModule").stdout


def test_a_european_table_trains_tests_and_predicts_as_the_same_table_with_points(cli):
    plain = write_dataset("wine", cli.cwd)
    european(plain, cli.cwd / "eu.csv")
    assert cli(*FIT, "--data.path", str(plain)).returncode == 0
    assert cli(*FIT, "--data.path", "eu.csv", "--data.decimal", ",").returncode == 0
    runs = [cli.cwd / "checkpoints" / f"version_{i}" for i in (0, 1)]
    ours, theirs = (torch.load(run / "model.pth", weights_only=True) for run in runs)
    assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in ours)
    # the checkpoint records the decimal point: test reads the training table with it
    for i in (0, 1):
        assert cli("test", "--ckpt_path", str(runs[i] / "last.ckpt")).returncode == 0
    reports = [json.loads((run / "test_report-last.json").read_text()) for run in runs]
    for report in reports:
        report.pop("checkpoint")
    assert reports[0] == reports[1] and reports[0]["n_samples"] == 36
    # predict reads another file with the recorded decimal comma; a file with points needs --data.decimal .
    assert cli("predict", "--ckpt_path", str(runs[1] / "last.ckpt"), "--data.predict_file", "eu.csv").returncode == 0
    line = one_error(cli("predict", "--ckpt_path", str(runs[1] / "last.ckpt"), "--data.predict_file", str(plain)))
    assert line.startswith(f"{plain}:1: the columns are separated by ',', which --data.decimal ',' takes as the "
                           "decimal point")
    assert cli("predict", "--ckpt_path", str(runs[0] / "last.ckpt"), "--data.predict_file", "eu.csv",
               "--data.decimal", ",").returncode == 0

    def probabilities(path: Path) -> np.ndarray:
        with path.open() as handle:
            rows = list(csv.DictReader(handle))
        return np.array([[row["prob_class_0"], row["prob_class_1"], row["prob_class_2"], row["predicted"]]
                         for row in rows])

    first, second = (probabilities(run / "predictions-last-eu.csv") for run in runs)
    assert first.shape == (178, 4) and (first == second).all()
    # a resume may not change how its table is read
    line = one_error(cli("fit", "--ckpt_path", str(runs[1] / "last.ckpt"), "--data.decimal", "."))
    assert line.startswith("data.decimal='.' (from the command line or a --config file) conflicts with the checkpoint")
    # an edited checkpoint's decimal point: was the command line's "--data.decimal must be '.' or ','" (the table's
    # data class is made the default, with the checkpoint's settings, before the first parse)
    checkpoint = torch.load(runs[1] / "last.ckpt", weights_only=True)
    checkpoint["datamodule_hyper_parameters"]["decimal"] = "x"
    torch.save(checkpoint, cli.cwd / "edited.ckpt")
    # then "... which is invalid (Expected a typing.Literal['.', ',']. Got value: x)", also with --data.decimal ','
    # given, whose value replaces the checkpoint's (an evaluation may read its table with another decimal point)
    edited = ("checkpoint 'edited.ckpt' records data.decimal='x', which is invalid (it must be '.' or ','); it was "
              "edited or written by another program: use another checkpoint")
    assert one_error(cli("test", "--ckpt_path", "edited.ckpt")) == edited
    assert one_error(cli("predict", "--ckpt_path", "edited.ckpt", "--data.predict_file", "eu.csv")) == edited
    assert cli("test", "--ckpt_path", "edited.ckpt", "--data.decimal", ",").returncode == 0
    # a resume may not change it: the conflict names both values
    assert one_error(cli("fit", "--ckpt_path", "edited.ckpt", "--data.decimal", ",")).startswith(
        "data.decimal=',' (from the command line or a --config file) conflicts with the checkpoint 'edited.ckpt', "
        "which was trained with data.decimal='x'")
    # the command line's own value stays the command line's
    assert one_error(cli("test", "--ckpt_path", str(runs[1] / "last.ckpt"), "--data.decimal", "x")) == (
        "--data.decimal must be '.' or ',' (the decimal point of the feature cells), got 'x'")
    checkpoint["datamodule_hyper_parameters"].update(decimal=",", classes=5)
    torch.save(checkpoint, cli.cwd / "edited.ckpt")
    assert one_error(cli("test", "--ckpt_path", "edited.ckpt")) == (
        "checkpoint 'edited.ckpt' records data.classes=5, which is invalid (Does not validate against any of the Union "
        "subtypes: Subtypes: [NameList, <class 'NoneType'>]: Errors); it was edited or written by another program: "
        "use another checkpoint")
