"""Two command lines in one process (tests, a script calling blobclf): each BlobCLI keeps its own state."""

from __future__ import annotations

import sys

import pytest
import torch
from blobclf.cli import BlobCLI, cli_kwargs
from blobclf.errors import UserError

NO_EXPORTS = ("--export.figures", "false", "--export.onnx", "false")


def test_a_class_help_names_the_subcommand_of_its_own_command(cli, capsys, monkeypatch):
    # the program and subcommand of a class's usage line were a class attribute that only cli_main set: a BlobCLI
    # built after 'validate' named 'validate' in the usage of its 'test --data.help'
    monkeypatch.setattr(sys, "argv", ["/home/me/train.py"])
    first = cli("validate", "--data.help", "TableDataModule")
    assert first.stdout.startswith("usage: python -m blobclf validate --data TableDataModule [OPTIONS]\n"), first.output
    with pytest.raises(SystemExit) as done:
        BlobCLI(**cli_kwargs(), args=["test", "--data.help", "BlobDataModule"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("usage: python -m blobclf test --data BlobDataModule [OPTIONS]\n")


def test_a_cli_built_in_python_says_an_overfit_fraction_under_one_batch_in_blobclfs_words(tmp_path, monkeypatch):
    # cli_main alone put Lightning's refusal in terms of --trainer.overfit_batches (through a class attribute that
    # any BlobCLI of the process set); a BlobCLI built in Python raised Lightning's 'Please increase the
    # `limit_val_batches` argument', an option that changes nothing then
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError) as refused:
        BlobCLI(**cli_kwargs(), args=["fit", "--trainer.overfit_batches", "0.1", "--data.batch_size", "32",
                                      "--model.steps_per_execution", "1", *NO_EXPORTS])
    assert str(refused.value) == (
        "--trainer.overfit_batches=0.1 is less than one batch: 0.1 of the validation split's 1 batch (it overrides "
        "--trainer.limit_val_batches); give a number of batches instead: --trainer.overfit_batches 1 (or more)")


def test_a_refused_evaluation_leaves_no_checkpoint_for_a_later_load(cli, tmp_path):
    # the checkpoint an evaluation checked was held for Lightning's load in a class attribute, which only cli_main
    # cleared: after a BlobCLI built in Python refused its test, any later load of that path in the process (another
    # command's, a user's own Trainer's) got the checkpoint as it had been, not the file
    from blobclf.checkpointio import AtomicCheckpointIO

    assert cli("fit", "--trainer.max_epochs", "1", *NO_EXPORTS).returncode == 0
    last = tmp_path / "checkpoints" / "version_0" / "last.ckpt"
    with pytest.raises(UserError):
        BlobCLI(**cli_kwargs(), args=["test", "--ckpt_path", str(last), "--trainer.max_epochs", "-5"])
    checkpoint = torch.load(last, weights_only=True)
    checkpoint["epoch"] = 7  # the file changes (a resume extends the run)
    torch.save(checkpoint, last)
    assert AtomicCheckpointIO().load_checkpoint(last)["epoch"] == 7
