"""Shared fixtures: the CLI run in a fresh process, and one tutorial run reused by many tests."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def tutorial_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """``fit --config configs/sgd.yaml`` run once, in its own folder."""
    cwd = tmp_path_factory.mktemp("tutorial_run")
    result = run_cli(cwd, "fit", "--config", str(SGD_CONFIG))
    assert result.returncode == 0, result.output
    return cwd, result
