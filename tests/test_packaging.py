"""What the wheel carries besides code: the license pyproject.toml names and the PEP 561 marker."""

from __future__ import annotations

import signal
import sys

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
