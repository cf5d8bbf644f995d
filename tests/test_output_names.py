"""Outputs named after an input (``predictions-last-<input>.csv``, ``test_report-last-<table>.json``) never have a
name that differs only in case from another input's: a case-insensitive file system (macOS, Windows) takes the
two for one file, so the second command replaced, or was refused as "already exists", the first's output."""

from __future__ import annotations

import shutil

from conftest import example_datasets, one_error

QUICK = ("--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx", "false")


def test_predictions_of_inputs_named_alike_but_for_case_are_refused_not_written_beside_each_other(cli):
    assert cli("fit", *QUICK).returncode == 0
    (cli.cwd / "Later.csv").write_text("x0,x1\n1.0,2.0\n-3.0,0.5\n")
    shutil.copy(cli.cwd / "Later.csv", cli.cwd / "later.csv")
    assert cli("predict", "--ckpt_path", "last", "--data.predict_file", "Later.csv").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    written = (run / "predictions-last-Later.csv").read_bytes()
    for overwrite in ("false", "true"):
        assert one_error(cli("predict", "--ckpt_path", "last", "--data.predict_file", "later.csv",
                             "--prediction.overwrite", overwrite)) == (
            "--data.predict_file 'later.csv' would write 'checkpoints/version_0/predictions-last-later.csv', whose name "
            "differs only in case from the existing 'checkpoints/version_0/predictions-last-Later.csv', another "
            "input's: a case-insensitive file system (macOS, Windows) takes the two for one file; give "
            "--prediction.output PATH, or rename the input")
    assert sorted(p.name for p in run.glob("predictions-*")) == ["predictions-last-Later.csv"]
    assert (run / "predictions-last-Later.csv").read_bytes() == written
    # the same input again, or an output the user names, as before
    again = cli("predict", "--ckpt_path", "last", "--data.predict_file", "Later.csv", "--prediction.overwrite", "true")
    assert again.returncode == 0, again.output
    named = cli("predict", "--ckpt_path", "last", "--data.predict_file", "later.csv", "--prediction.output", "low.csv")
    assert named.returncode == 0 and (cli.cwd / "low.csv").is_file(), named.output


def test_a_test_table_named_as_an_earlier_one_but_for_case_is_refused_before_it_is_tested(cli):
    example_datasets().write_dataset("iris", cli.cwd)
    assert cli("fit", "--data", "TableDataModule", "--data.path", "iris.csv", "--data.target", "species",
               *QUICK).returncode == 0
    lines = (cli.cwd / "iris.csv").read_text().splitlines(keepends=True)
    (cli.cwd / "Later.csv").write_text("".join(lines[:21]))
    (cli.cwd / "later.csv").write_text("".join(lines[:1] + lines[-20:]))
    assert cli("test", "--ckpt_path", "last", "--data.test_path", "Later.csv").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    report = (run / "test_report-last-Later.json").read_bytes()
    before = sorted(p.relative_to(cli.cwd) for p in cli.cwd.rglob("*"))
    assert one_error(cli("test", "--ckpt_path", "last", "--data.test_path", "later.csv")) == (
        "--data.test_path 'later.csv' would write 'checkpoints/version_0/test_report-last-later.json', whose name "
        "differs only in case from the existing 'checkpoints/version_0/test_report-last-Later.json', another input's: "
        "a case-insensitive file system (macOS, Windows) takes the two for one file; rename the table")
    assert sorted(p.relative_to(cli.cwd) for p in cli.cwd.rglob("*")) == before
    assert (run / "test_report-last-Later.json").read_bytes() == report
