"""Shared fixtures: the CLI run in-process or in a fresh process, and one tutorial run reused by many tests."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    """Import the command line's libraries once and keep their objects out of later garbage collections, as
    ``python -m blobclf`` does (see :func:`blobclf.__main__.main`): the in-process tests each collect the
    garbage of many commands, and would walk torch's, Lightning's and scikit-learn's objects every time."""
    import gc

    import blobclf.cli  # noqa: F401

    gc.collect()
    gc.freeze()


def example_datasets():
    """``examples/write_datasets.py`` as a module (examples are scripts, not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("write_datasets", REPO / "examples" / "write_datasets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

SGD_CONFIG = REPO / "configs" / "sgd.yaml"

# epoch: (train loss, train acc, test loss, test acc), as printed by the tutorial
TUTORIAL_TABLE = {
    0: ("1.16741", "0.41", "1.08563", "0.50"),
    10: ("0.68131", "0.93", "0.69426", "0.92"),
    20: ("0.47821", "0.95", "0.48371", "0.95"),
    30: ("0.32163", "0.96", "0.31335", "0.97"),
    40: ("0.18300", "0.96", "0.16929", "0.96"),
    50: ("0.13164", "0.96", "0.11941", "0.96"),
    60: ("0.11502", "0.96", "0.10250", "0.96"),
    70: ("0.10735", "0.96", "0.09457", "0.96"),
    80: ("0.10301", "0.96", "0.09010", "0.96"),
    90: ("0.10023", "0.96", "0.08731", "0.96"),
}

# malformed prediction inputs (file content, or None for a missing file) and the line each gets
MALFORMED_POINTS = [
    ("x0,x1\n1,2\n3\n", "bad.csv:3: 1 columns, expected 2 as in the header"),
    ("a,b\n1,2\n", "bad.csv:1: no column 'x0', which the model needs; the columns are: a, b (the model's features: x0, x1)"),
    ("1,2\n3,4\n", "bad.csv:1: the first row holds numbers ('1', ...), not column names; add a header row naming the columns"),
    ("x0,x1\n1,2\n3,abc\n", "bad.csv:3: x1='abc' is not a number; write a number there: the model was trained on "
                               "numbers in this column"),
    ("x0,x1\n1,nan\n", "bad.csv:2: x1='nan' is a missing value; fill it in or remove the row (blobclf drops no row itself)"),
    ("x0,x1\ninf,1\n", "bad.csv:2: x0='inf' is not a finite number; write a number between -3.4e38 and 3.4e38, or remove "
                        "the row (blobclf drops no row itself)"),
    ("x0,x1,label\n1,2,x\n", "bad.csv:2: label='x' is not one of the model's classes (0, 1, 2, 3)"),
    ("", "bad.csv: the file is empty"),
    ("x0,x1\n", "bad.csv: the file has a header but no points"),
    (None, "bad.csv: no such file"),
]
MALFORMED_IDS = ["short-row", "missing-feature", "no-header", "non-number", "nan", "inf", "bad-label", "empty",
                 "header-only", "missing"]


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def one_error(result: Result) -> str:
    """The single ``blobclf: error:`` line of a refused command (exit 2, no traceback), without its prefix."""
    assert result.returncode == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("blobclf: error:")]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0].removeprefix("blobclf: error: ")


def run_cli(cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> Result:
    """Run ``python -m blobclf ARGS`` in a new process with ``cwd`` as working folder."""
    full_env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    full_env.pop("BLOBCLF_DEBUG", None)
    full_env.update(env or {})
    done = subprocess.run(
        [sys.executable, "-m", "blobclf", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def run_code(cwd: Path, code: str, timeout: float = 300) -> Result:
    """Run ``python -c CODE`` in ``cwd`` as a shell runs blobclf: SIGINT at its default action, no debug output."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("BLOBCLF_DEBUG", None)
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL,
                          preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    return Result(done.returncode, done.stdout, done.stderr)


def point_library_logs_at_capture() -> None:
    """Point the log handlers a library made while another test's capture was active at this test's."""
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", []):
            if type(handler) is logging.StreamHandler:
                handler.stream = sys.stdout


class InProcess:
    """``cli_main(args)`` called in this process, in a temporary working folder."""

    def __init__(self, cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.cwd = cwd
        self.capsys = capsys

    def __call__(self, *args: str) -> Result:
        from blobclf.cli import cli_main

        self.capsys.readouterr()
        point_library_logs_at_capture()
        code = 0
        try:
            cli_main(list(args), only=args[0] if args else None)  # as python -m blobclf calls it
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        out, err = self.capsys.readouterr()
        return Result(code, out, err)


def run_in_process(cwd: Path, *args: str) -> Result:
    """``blobclf ARGS`` called in this process with ``cwd`` as working folder, its output captured here: the
    ``cli`` fixture for module- and session-scoped fixtures, which cannot use ``capsys``."""
    from blobclf.cli import cli_main

    out, err = io.StringIO(), io.StringIO()
    threads = torch.get_num_threads()
    code = 0
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        patch.chdir(cwd)
        patch.delenv("BLOBCLF_DEBUG", raising=False)
        point_library_logs_at_capture()
        try:
            cli_main(list(args), only=args[0] if args else None)  # as python -m blobclf calls it
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
    torch.set_num_threads(threads)  # the CLI sets the thread count for its run
    return Result(code, out.getvalue(), err.getvalue())


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> InProcess:
    """Run ``blobclf ARGS`` in-process with ``tmp_path`` as the working folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BLOBCLF_DEBUG", raising=False)
    threads = torch.get_num_threads()
    yield InProcess(tmp_path, capsys)
    torch.set_num_threads(threads)  # the CLI sets the thread count for its run


@pytest.fixture
def cli_at(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """``cli_at(folder)``: the ``cli`` fixture's in-process CLI with another working folder than ``tmp_path``, as a
    module-scoped fixture's run folder that a test goes on with."""
    monkeypatch.delenv("BLOBCLF_DEBUG", raising=False)
    threads = torch.get_num_threads()

    def at(cwd: Path) -> InProcess:
        monkeypatch.chdir(cwd)
        return InProcess(cwd, capsys)

    yield at
    torch.set_num_threads(threads)  # the CLI sets the thread count for its run


@pytest.fixture
def cli_messages():
    """Refusals of the table functions and data modules called directly name options as the command line
    does (``--data.target``): the tests that use it pin the text ``blobclf fit`` prints."""
    from blobclf.optionnames import command_line

    with command_line():
        yield


@pytest.fixture(scope="session")
def tutorial_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """``fit --config configs/sgd.yaml`` run once, in its own folder."""
    cwd = tmp_path_factory.mktemp("tutorial_run")
    result = run_cli(cwd, "fit", "--config", str(SGD_CONFIG))
    assert result.returncode == 0, result.output
    return cwd, result
