"""Shared fixtures: the CLI run in-process or in a fresh process, and one tutorial run reused by many tests."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SGD_CONFIG = REPO / "configs" / "sgd.yaml"


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300) -> Result:
    """Run ``python -m blobclf ARGS`` in a new process with ``cwd`` as working folder."""
    full_env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    full_env.pop("BLOBCLF_DEBUG", None)
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


class InProcess:
    """``cli_main(args)`` called in this process, in a temporary working folder."""

    def __init__(self, cwd: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.cwd = cwd
        self.capsys = capsys

    def __call__(self, *args: str) -> Result:
        from blobclf.cli import cli_main

        self.capsys.readouterr()
        for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
            for handler in getattr(logger, "handlers", []):  # made while another test's capture was active
                if type(handler) is logging.StreamHandler:
                    handler.stream = sys.stdout
        code = 0
        try:
            cli_main(list(args))
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        out, err = self.capsys.readouterr()
        return Result(code, out, err)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> InProcess:
    """Run ``blobclf ARGS`` in-process with ``tmp_path`` as the working folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BLOBCLF_DEBUG", raising=False)
    threads = torch.get_num_threads()
    yield InProcess(tmp_path, capsys)
    torch.set_num_threads(threads)  # the CLI sets the thread count for its run


@pytest.fixture(scope="session")
def tutorial_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """``fit --config configs/sgd.yaml`` run once, in its own folder."""
    cwd = tmp_path_factory.mktemp("tutorial_run")
    result = run_cli(cwd, "fit", "--config", str(SGD_CONFIG))
    assert result.returncode == 0, result.output
    return cwd, result
