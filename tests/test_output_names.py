"""Outputs named after an input (``predictions-last-<input>.csv``, ``test_report-last-<table>.json``) never have a
name that differs only in case from another input's: a case-insensitive file system (macOS, Windows) takes the
two for one file, so the second command replaced, or was refused as "already exists", the first's output."""

from __future__ import annotations

import hashlib
import json
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


def test_another_table_of_the_same_name_is_refused_and_the_same_table_again_replaces_its_report(cli):
    example_datasets().write_dataset("iris", cli.cwd)
    assert cli("fit", "--data", "TableDataModule", "--data.path", "iris.csv", "--data.target", "species",
               *QUICK).returncode == 0
    lines = (cli.cwd / "iris.csv").read_text().splitlines(keepends=True)
    for folder, rows in (("a", lines[1:21]), ("b", lines[-20:]), ("c", lines[1:21])):
        (cli.cwd / folder).mkdir()
        (cli.cwd / folder / "x.csv").write_text("".join(lines[:1] + rows))
    assert cli("test", "--ckpt_path", "last", "--data.test_path", "a/x.csv").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    report = json.loads((run / "test_report-last-x.json").read_text())
    assert report["test_table"] == {"path": str(cli.cwd / "a" / "x.csv"),
                                    "sha256": hashlib.sha256((cli.cwd / "a" / "x.csv").read_bytes()).hexdigest()}
    written = (run / "test_report-last-x.json").read_bytes()
    before = sorted(p.relative_to(cli.cwd) for p in cli.cwd.rglob("*"))
    # b/x.csv holds other rows: its report would silently replace a/x.csv's
    assert one_error(cli("test", "--ckpt_path", "last", "--data.test_path", "b/x.csv")) == (
        "--data.test_path 'b/x.csv' would replace 'checkpoints/version_0/test_report-last-x.json', the report of "
        f"another table of that name, '{cli.cwd / 'a' / 'x.csv'}' (other bytes); copy the table to a name of its own "
        "(the report is named after it), or remove that report to replace it")
    assert sorted(p.relative_to(cli.cwd) for p in cli.cwd.rglob("*")) == before
    assert (run / "test_report-last-x.json").read_bytes() == written
    # the same bytes elsewhere (a copy, a moved table) replace it, as testing a/x.csv again does, edited too
    assert cli("test", "--ckpt_path", "last", "--data.test_path", "c/x.csv").returncode == 0
    assert json.loads((run / "test_report-last-x.json").read_text())["test_table"]["path"] == str(cli.cwd / "c/x.csv")
    assert cli("test", "--ckpt_path", "last", "--data.test_path", "a/x.csv").returncode == 0
    (cli.cwd / "a" / "x.csv").write_text("".join(lines[:1] + lines[-30:]))
    assert cli("test", "--ckpt_path", "last", "--data.test_path", "a/x.csv").returncode == 0
    assert json.loads((run / "test_report-last-x.json").read_text())["n_samples"] == 30
    # the fix the refusal names: a name of its own keeps both reports
    shutil.copy(cli.cwd / "b" / "x.csv", cli.cwd / "x-b.csv")
    assert cli("test", "--ckpt_path", "last", "--data.test_path", "x-b.csv").returncode == 0
    assert sorted(p.name for p in run.glob("test_report-*")) == ["test_report-last-x-b.json", "test_report-last-x.json"]


def test_a_report_of_an_older_blobclf_without_its_table_is_replaced_as_before(cli):
    example_datasets().write_dataset("iris", cli.cwd)
    assert cli("fit", "--data", "TableDataModule", "--data.path", "iris.csv", "--data.target", "species",
               *QUICK).returncode == 0
    lines = (cli.cwd / "iris.csv").read_text().splitlines(keepends=True)
    (cli.cwd / "x.csv").write_text("".join(lines[:1] + lines[-20:]))
    run = cli.cwd / "checkpoints" / "version_0"
    (run / "test_report-last-x.json").write_text('{"accuracy": 0.5, "checkpoint": "last.ckpt"}\n')
    assert cli("test", "--ckpt_path", "last", "--data.test_path", "x.csv").returncode == 0
    assert json.loads((run / "test_report-last-x.json").read_text())["n_samples"] == 20


def test_a_file_rewritten_in_place_with_its_size_and_times_set_back_is_another_version(tmp_path):
    # blobclf reuses a checkpoint read before the parse when file_state says it is unchanged; with (inode, mtime, size)
    # alone, the same bytes' count written over it in place and 'touch -r' back were taken for the file read
    import os
    import time

    from blobclf.outputnames import file_state

    path = tmp_path / "last.ckpt"
    path.write_bytes(b"a" * 64)
    before, stat = file_state(path), os.stat(path)
    time.sleep(0.05)  # past the tick of the file system's clock, which stamps the status change
    with open(path, "r+b") as handle:  # in place: the same inode
        handle.write(b"b" * 64)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # touch -r: the modification time set back
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns, after.st_size) == (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    assert file_state(path) != before
    assert file_state(path) == file_state(path) and file_state(tmp_path / "missing.ckpt") is None
