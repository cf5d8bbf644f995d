"""The environment a command runs in: a locale or output encoding that is not UTF-8, names in other encodings."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

import blobclf
from conftest import one_error, point_library_logs_at_capture, run_cli

POINTS = "x0,x1,kind\n" + "".join(f"{i % 3 * 3 + i * 0.01},{i % 3 + i * 0.02},{('café', 'Ωmega', 'b')[i % 3]}\n"
                                  for i in range(30))


def test_a_file_name_in_another_encoding_names_the_word_and_the_fix(cli):
    # the bytes of a Latin-1 name (p\xff.csv), as Python hands them over in a UTF-8 locale
    args = ["fit", "--data", "TableDataModule", "--data.path", "p\udcff.csv", "--data.target", "kind"]
    # was: Parser key "data": 'utf-8' codec can't encode character '\udcff' in position 1: surrogates not allowed
    assert one_error(cli(*args)) == ("'p\\xff.csv' on the command line is not UTF-8 text (a name written in another "
                                     "encoding); rename the file or folder with UTF-8 characters")
    assert list(cli.cwd.iterdir()) == []


def test_a_locale_that_is_not_utf8_names_the_fix(cli, monkeypatch):
    # LC_ALL=C with PYTHONUTF8=0: a UTF-8 word (données.csv) comes in as ASCII with escaped bytes
    monkeypatch.setattr(sys, "getfilesystemencoding", lambda: "ascii")
    args = ["fit", "--data", "TableDataModule", "--data.path", "donn\udcc3\udca9es.csv", "--data.target", "kind"]
    assert one_error(cli(*args)) == ("'données.csv' on the command line is not ascii text, the encoding of this "
                                     "locale; run with a UTF-8 locale (LC_ALL=C.UTF-8) or PYTHONUTF8=1")


def test_print_config_writes_class_names_an_ascii_output_cannot_hold(tmp_path):
    (tmp_path / "t.csv").write_text(POINTS, encoding="utf-8")
    done = run_cli(tmp_path, "fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind",
                   "--data.classes", "[café, Ωmega]", "--print_config", env={"PYTHONIOENCODING": "ascii"})
    # was: UnicodeEncodeError: 'ascii' codec can't encode character '\xe9' (a traceback, nothing printed)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.output
    classes = done.stdout.split("    classes:\n", 1)[1].splitlines()[:2]
    assert classes == ["    - caf\\xe9", "    - \\u03a9mega"]  # escapes, as standard error writes them


def test_no_module_hides_one_of_the_standard_library():
    # python -m blobclf (or python blobclf/__main__.py) run from inside the package folder puts that
    # folder first on sys.path: a blobclf/types.py was then imported by enum as the standard types,
    # and the command ended in an ImportError traceback before doing anything
    modules = {path.stem for path in Path(blobclf.__file__).parent.glob("*.py")}
    assert sorted(modules & set(sys.stdlib_module_names)) == []


def _with_a_closed_reader(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                          *args: str, main: Callable[[list[str]], None] | None = None) -> tuple[int, str]:
    """``blobclf ARGS | head -0``: standard output a pipe whose reader left. Returns the exit status and stderr."""
    from blobclf.cli import cli_main

    point_library_logs_at_capture()  # not at the pipe: Lightning's notices are not blobclf's output
    read, write = os.pipe()
    os.close(read)
    with os.fdopen(write, "w", buffering=1) as closed, monkeypatch.context() as patch:  # each line reaches the pipe
        patch.setattr(sys, "stdout", closed)
        capsys.readouterr()
        with pytest.raises(SystemExit) as stopped:
            (main or cli_main)(list(args))
    return stopped.value.code, capsys.readouterr().err


def test_a_reader_that_leaves_stops_fit_after_the_epoch_keeping_the_run(cli, monkeypatch, capsys):
    # was: a BrokenPipeError traceback in the middle of an epoch (exit 1) and no last.ckpt: the run was lost
    code, err = _with_a_closed_reader(monkeypatch, capsys, "fit", "--trainer.max_epochs", "5", "--export.figures",
                                      "false", "--export.onnx", "false")
    assert code == 141 and "Traceback" not in err, err
    assert err.endswith("blobclf: standard output was closed (the reader of the pipe left): finishing this epoch, then "
                        "saving last.ckpt\nblobclf: stopped by SIGPIPE after epoch 1; last checkpoint: "
                        "checkpoints/version_0/last.ckpt\nresume with: python -m blobclf fit --ckpt_path "
                        "checkpoints/version_0/last.ckpt\n")  # the line of epoch 0 is written as epoch 1 starts
    last = torch.load(cli.cwd / "checkpoints" / "version_0" / "last.ckpt", weights_only=True)
    assert (last["epoch"], last["global_step"]) == (2, 2)  # epochs 0 and 1 done, one full batch each
    # an evaluation whose output is cut after its files are written: one line, not a traceback
    code, err = _with_a_closed_reader(monkeypatch, capsys, "predict", "--ckpt_path", "last")
    assert code == 141 and err.splitlines()[-1] == ("blobclf: stopped by SIGPIPE: standard output was closed (the "
                                                    "reader of the pipe left)"), err
    rows = (cli.cwd / "checkpoints" / "version_0" / "predictions-last-test-split.csv").read_text().splitlines()
    assert len(rows) == 201
    from blobclf.regenerate import main

    code, err = _with_a_closed_reader(monkeypatch, capsys, "checkpoints/version_0", main=main)
    assert code == 141 and err == ("blobclf: stopped by SIGPIPE: standard output was closed (the reader of the pipe "
                                   "left)\n"), err
    assert (cli.cwd / "checkpoints" / "version_0" / "test_report-last.json").is_file()


def test_a_reader_that_leaves_both_outputs_stops_fit_after_the_epoch_keeping_the_run(cli, monkeypatch):
    # fit 2>&1 | head: standard error is the same pipe; the "finishing this epoch" line raised BrokenPipeError,
    # which the stop's own line raised again: exit 1, no last.ckpt (a best checkpoint only), nothing said
    from blobclf.cli import cli_main

    point_library_logs_at_capture()
    read, write = os.pipe()
    os.close(read)
    with os.fdopen(write, "w", buffering=1) as out, os.fdopen(os.dup(write), "w", buffering=1) as err, \
            monkeypatch.context() as patch:
        patch.setattr(sys, "stdout", out)
        patch.setattr(sys, "stderr", err)
        with pytest.raises(SystemExit) as stopped:
            cli_main(["fit", "--trainer.max_epochs", "5", "--export.figures", "false", "--export.onnx", "false"])
    assert stopped.value.code == 141
    last = torch.load(cli.cwd / "checkpoints" / "version_0" / "last.ckpt", weights_only=True)
    assert (last["epoch"], last["global_step"]) == (2, 2)  # as when standard error is not the pipe


def test_outputs_closed_at_start_go_nowhere(monkeypatch):
    from blobclf.errors import encodable_output

    # python -m blobclf fit >&- (or 2>&-): Python's sys.stdout is None; the first progress line of a fit, or
    # Lightning's result table of a test, ended the command in an AttributeError traceback (fit kept no last.ckpt)
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    encodable_output()
    opened = [sys.stdout, sys.stderr]
    try:
        assert [(stream.name, stream.write("Ωmega\n")) for stream in opened] == [(os.devnull, 6), (os.devnull, 6)]
    finally:
        for stream in opened:
            stream.close()
