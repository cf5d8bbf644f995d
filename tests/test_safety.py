"""Hostile or broken files are refused with one line, and nothing inside them is executed."""

from __future__ import annotations

import http.server
import threading
from functools import partial
from pathlib import Path

import pytest
import torch
from conftest import one_error, run_cli

from blobclf.errors import UserError
from blobclf.export import load_model
from blobclf.safeload import load_checkpoint, safe_load
from blobclf.system import BlobClassifier

pytestmark = pytest.mark.slow  # the tutorial run they read trains in a fresh process

FORCE_UNSAFE = {"TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}


class CreatesMarker:
    """Unpickling this calls ``open(marker, "w")``: proof that code from the file ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.fixture()
def hostile_files(tutorial_run, tmp_path):
    """A real checkpoint and a real export, each with a code-running object added."""
    cwd, _ = tutorial_run
    run = cwd / "checkpoints" / "version_0"
    marker = tmp_path / "MARKER"
    checkpoint = torch.load(run / "last.ckpt", weights_only=True)
    checkpoint["payload"] = CreatesMarker(marker)
    ckpt = tmp_path / "hostile.ckpt"
    torch.save(checkpoint, ckpt)
    state = torch.load(run / "model.pth", weights_only=True)
    state["payload"] = CreatesMarker(marker)
    pth = tmp_path / "model.pth"
    torch.save(state, pth)
    (tmp_path / "model.json").write_text((run / "model.json").read_text())
    return ckpt, pth, marker


@pytest.mark.parametrize("env", [{}, FORCE_UNSAFE], ids=["default", "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1"])
@pytest.mark.parametrize("command", ["fit", "validate", "test", "predict"])
def test_hostile_checkpoint_is_refused_by_every_command(hostile_files, cli, monkeypatch, command, env):
    ckpt, _, marker = hostile_files
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = cli(command, "--ckpt_path", str(ckpt))
    assert result.returncode == 2, result.output
    assert "is refused: loading it would run code (it needs io.open)" in result.stderr
    assert "Traceback" not in result.output
    assert not marker.exists()


def test_hostile_checkpoint_is_refused_in_a_fresh_process_told_to_load_anything(hostile_files, tmp_path):
    ckpt, _, marker = hostile_files
    result = run_cli(tmp_path, "predict", "--ckpt_path", str(ckpt), env=FORCE_UNSAFE)
    assert result.returncode == 2, result.output
    assert "is refused: loading it would run code (it needs io.open)" in result.stderr
    assert "Traceback" not in result.output
    assert not marker.exists()


@pytest.mark.parametrize("force_unsafe", [False, True], ids=["default", "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1"])
def test_hostile_files_are_refused_by_the_library_api(hostile_files, monkeypatch, force_unsafe):
    ckpt, pth, marker = hostile_files
    if force_unsafe:
        monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    for load in (
        lambda: load_checkpoint(ckpt),
        lambda: safe_load(pth),
        lambda: load_model(pth),
        lambda: BlobClassifier.load_from_checkpoint(ckpt),
    ):
        with pytest.raises(UserError, match="loading it would run code"):
            load()
    with pytest.raises(UserError, match="weights_only=False is refused"):
        BlobClassifier.load_from_checkpoint(ckpt, weights_only=False)
    assert not marker.exists()


def test_checkpoint_url_is_refused_without_being_fetched(tutorial_run, cli):
    cwd, _ = tutorial_run
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            requests.append(self.path)

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(Handler, directory=str(cwd / "checkpoints" / "version_0"))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/last.ckpt"
        result = cli("test", "--ckpt_path", url)
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 2
    assert f"checkpoint '{url}' is a URL; blobclf loads local files only" in result.stderr
    assert requests == []


def test_truncated_checkpoint_gets_one_line(tutorial_run, cli):
    cwd, _ = tutorial_run
    data = (cwd / "checkpoints" / "version_0" / "last.ckpt").read_bytes()
    broken = cli.cwd / "broken.ckpt"
    broken.write_bytes(data[: len(data) // 2])
    result = cli("test", "--ckpt_path", str(broken))
    assert result.returncode == 2
    assert "is not a readable PyTorch file (truncated or corrupt?)" in result.stderr
    assert "Traceback" not in result.output


def test_exported_weights_are_not_a_checkpoint(tutorial_run, cli, monkeypatch):
    cwd, _ = tutorial_run
    monkeypatch.chdir(cwd)  # refused before anything is written there
    result = cli("test", "--ckpt_path", "checkpoints/version_0/model.pth")
    assert result.returncode == 2
    assert "is a plain state_dict (an exported .pth?), not a Lightning checkpoint" in result.stderr


NOT_LIGHTNING = "is not a Lightning checkpoint: it is "
ALL_KEYS = "(state_dict, pytorch-lightning_version, epoch, global_step, hyper_parameters)"


@pytest.mark.parametrize(("saved", "what"), [
    ({"a": 1}, f"a dict with the key 'a' and none of the keys one has {ALL_KEYS}"),
    ({"epoch": 3, "global_step": 9, "pytorch-lightning_version": "2.5.0", "hyper_parameters": {}},
     "a dict with the keys 'epoch', 'global_step', 'pytorch-lightning_version', 'hyper_parameters' but without "
     "state_dict"),
    # a plain PyTorch training script's own checkpoint
    ({"model": {"w": 1}, "optimizer": {}, "epoch": 4}, "a dict with the keys 'model', 'optimizer', 'epoch' but "
     "without state_dict, pytorch-lightning_version, global_step, hyper_parameters"),
    ({}, f"an empty dict, without the keys one has {ALL_KEYS}"),
    ([1, 2], "a list, where one is a dict"),
], ids=["one-key", "no-state-dict", "script-checkpoint", "empty", "list"])
def test_a_file_that_is_no_lightning_checkpoint_is_said_to_be_what_it_is(cli, saved, what):
    # each was "is a plain state_dict (an exported .pth?), not a Lightning checkpoint" (a list: "is list")
    torch.save(saved, cli.cwd / "other.ckpt")
    assert one_error(cli("test", "--ckpt_path", "other.ckpt")) == (
        f"checkpoint 'other.ckpt' {NOT_LIGHTNING}{what}; pass a .ckpt file written by 'blobclf fit'")


def test_conflicting_option_is_refused_naming_both_values(tutorial_run, cli, monkeypatch):
    cwd, _ = tutorial_run
    monkeypatch.chdir(cwd)  # refused before anything is written there
    result = cli("test", "--ckpt_path", "checkpoints/version_0/last.ckpt", "--model.hidden_units", "16")
    assert result.returncode == 2
    assert "model.hidden_units=16 (from the command line or a --config file) conflicts with the checkpoint" in result.stderr
    assert "trained with model.hidden_units=8" in result.stderr
    data = cli("test", "--ckpt_path", "checkpoints/version_0/last.ckpt", "--data.random_state", "1")
    assert data.returncode == 2
    assert "data.random_state=1 (from the command line or a --config file) conflicts with the checkpoint" in data.stderr


def test_checkpoints_hold_only_plain_types(tutorial_run):
    cwd, _ = tutorial_run
    checkpoint = torch.load(cwd / "checkpoints" / "version_0" / "last.ckpt", weights_only=True)
    for section in ("hyper_parameters", "datamodule_hyper_parameters"):
        for key, value in checkpoint[section].items():
            plain = (int, float, str, bool, type(None))
            items = value if type(value) in (list, tuple) else [value]  # class and feature names are lists
            assert all(type(item) in plain for item in items), (section, key, type(value))
