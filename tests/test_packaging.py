"""What the wheel carries besides code: the license pyproject.toml names and the PEP 561 marker."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tarfile

import pytest

from conftest import REPO, one_error

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_mit_license_named_in_pyproject_is_a_file_the_wheel_metadata_includes():
    assert PROJECT["project"]["license"] == "MIT"
    assert PROJECT["project"]["license-files"] == ["LICENSE"]
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 The blobclf developers\n")
    assert 'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND' in text


def test_the_package_says_it_is_typed_and_ships_the_marker():
    assert (REPO / "blobclf" / "py.typed").is_file()
    assert "py.typed" in PROJECT["tool"]["setuptools"]["package-data"]["blobclf"]


def test_the_installed_commands_messages_name_them_as_typed(cli, monkeypatch, capsys):
    # was: 'its options: python -m blobclf fit ...', 'resume with: python -m blobclf fit ...' and
    # 'usage: python -m blobclf.regenerate' to a user who typed the installed blobclf / blobclf-regenerate
    from blobclf.interrupt import GracefulStop
    from blobclf.regenerate import main as regenerate

    monkeypatch.setattr(sys, "argv", [str(cli.cwd / "bin" / "blobclf"), "fit"])
    assert one_error(cli("fit", "--data.zzz", "1")) == (
        "--data.zzz is not an option of BlobDataModule; its options: blobclf fit --data.help BlobDataModule (see --help)")
    stop = GracefulStop()
    (cli.cwd / "runs").mkdir()
    (cli.cwd / "runs" / "last.ckpt").write_bytes(b"")
    stop.run_folder, stop.signal = "runs", signal.SIGTERM
    assert stop.report().splitlines()[-1] == "resume with: blobclf fit --ckpt_path runs/last.ckpt"
    monkeypatch.setattr(sys, "argv", [str(cli.cwd / "bin" / "blobclf-regenerate")])
    with pytest.raises(SystemExit):
        regenerate(["--help"])
    assert capsys.readouterr().out.startswith("usage: blobclf-regenerate [-h]")
    monkeypatch.setattr(sys, "argv", ["-c"])
    assert stop.report().splitlines()[-1] == "resume with: python -m blobclf fit --ckpt_path runs/last.ckpt"


def test_the_sdist_carries_every_file_its_tests_read(tmp_path):
    # was: no configs/, docs/, examples/, benchmarks/ or .ci/ in the sdist: pytest from it failed on their tests
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "venv", "__pycache__", "*.egg-info", ".*_cache", "build", "dist", "lightning_logs",
        "checkpoints", "predictions"))
    built = subprocess.run(
        [sys.executable, "-c", "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))",
         str(tmp_path / "dist")], cwd=source, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    with tarfile.open(tmp_path / "dist" / built.stdout.split()[-1]) as sdist:
        carried = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    read = {path.relative_to(source).as_posix() for folder in ("configs", "docs", "examples", "benchmarks", ".ci", "tests")
            for path in (source / folder).rglob("*") if path.is_file()}
    assert len(read) > 80 and read - carried == set()
    assert {"README.md", "LICENSE", "pyproject.toml", "blobclf/py.typed"} <= carried


def test_every_dependency_but_torch_is_pinned_in_the_lowest_constraints_at_or_above_its_lower_bound():
    # threadpoolctl was declared (blobclf.projection imports it) without a pin: .ci/lowest then ran on
    # the newest threadpoolctl, not the lowest one pyproject.toml allows
    from packaging.requirements import Requirement
    from packaging.version import Version

    lines = (REPO / ".ci" / "lowest-constraints.txt").read_text(encoding="utf-8").splitlines()
    pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
    declared = PROJECT["project"]["dependencies"] + PROJECT["project"]["optional-dependencies"]["dev"]
    lower = {}
    for text in declared:
        requirement = Requirement(text)
        lower[requirement.name] = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    assert sorted(pins) == sorted(name for name in lower if name != "torch")  # torch: .ci/lowest pins its CPU build
    for name, version in pins.items():
        assert lower[name] and Version(version) >= lower[name][0], (name, version)
