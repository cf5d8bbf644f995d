"""blobclf reads an evaluated checkpoint once (the read that preselects its data class serves the command too), and
again where the file was replaced in between, even by one of the same size and modification time."""

from __future__ import annotations

import json
import math
import os

import pytest
import torch

import blobclf.resumesettings
import blobclf.tablecli
from blobclf.safeload import load_checkpoint


@pytest.fixture
def run(cli):
    assert cli("fit", "--trainer.max_epochs", "1", "--data.n_samples", "40", "--export.figures", "false",
               "--export.onnx", "false").returncode == 0
    return cli.cwd / "checkpoints" / "version_0"


def counted_reads(monkeypatch, after=None) -> list[str]:
    """The paths blobclf's own reads load (Lightning's are not counted), each read followed by ``after(path)``."""
    paths: list[str] = []

    def counting(path, *args, **kwargs):
        paths.append(os.fspath(path))
        checkpoint = load_checkpoint(path, *args, **kwargs)
        if after is not None:
            after(path)
        return checkpoint

    for module in (blobclf.tablecli, blobclf.resumesettings):
        monkeypatch.setattr(module, "load_checkpoint", counting)
    return paths


def test_an_evaluated_checkpoint_is_read_once_by_blobclf(cli, run, monkeypatch):
    paths = counted_reads(monkeypatch)  # it was read twice: its data class preselected, then its settings
    assert cli("test", "--ckpt_path", "last").returncode == 0
    assert paths == ["checkpoints/version_0/last.ckpt"]


def test_a_checkpoint_replaced_after_the_first_read_by_one_of_its_size_and_time_is_read_again(cli, run, monkeypatch):
    last = run / "last.ckpt"
    replaced = load_checkpoint(last)
    torch.save(replaced, last)  # written as the replacement is, for the same size
    for key in ("model.linear_layer_stack.4.weight", "model.linear_layer_stack.4.bias"):
        replaced["state_dict"][key].zero_()  # predicts 1/4 for each class
    (run / "new").mkdir()
    torch.save(replaced, run / "new" / "last.ckpt")  # torch.save's archive holds the file's name: the same one

    def replace(path):
        if os.path.exists(run / "new" / "last.ckpt"):  # as a fit writes last.ckpt: a new file renamed over it
            old = os.stat(last)
            os.utime(run / "new" / "last.ckpt", ns=(old.st_atime_ns, old.st_mtime_ns))
            os.replace(run / "new" / "last.ckpt", last)
            new = os.stat(last)
            assert (new.st_size, new.st_mtime_ns) == (old.st_size, old.st_mtime_ns) and new.st_ino != old.st_ino

    paths = counted_reads(monkeypatch, replace)
    assert cli("test", "--ckpt_path", "last").returncode == 0
    assert paths == ["checkpoints/version_0/last.ckpt"] * 2
    report = json.loads((run / "test_report-last.json").read_text())
    assert report["loss"] == pytest.approx(math.log(4), abs=1e-6)  # the replacement's weights were tested
