"""A signal that stops a new ``fit`` before its first epoch ("nothing was trained") leaves no run
behind: no empty ``checkpoints/version_N`` and no TensorBoard run of only its settings, so the
next run takes the same number and TensorBoard shows no phantom run."""

from __future__ import annotations

import os
import signal

from blobclf.system import BlobClassifier

QUICK = ("--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx", "false")


def files(folder):
    """Every file and folder under ``folder``, relative to it, sorted."""
    return sorted(os.path.relpath(os.path.join(root, name), folder)
                  for root, folders, names in os.walk(folder) for name in [*folders, *names])


def test_a_signal_before_the_first_epoch_of_a_new_run_leaves_nothing(cli, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(BlobClassifier, "on_fit_start", lambda self: os.kill(os.getpid(), signal.SIGTERM))
        result = cli("fit", *QUICK)
    assert result.returncode == 143, result.output
    assert result.stderr.splitlines()[-1] == "blobclf: stopped by SIGTERM before training started; nothing was trained"
    assert files(cli.cwd) == []
    assert cli("fit", *QUICK).returncode == 0
    assert (cli.cwd / "checkpoints" / "version_0" / "last.ckpt").is_file()
    assert os.listdir(cli.cwd / "lightning_logs") == ["version_0"]


def test_a_signal_before_a_resume_trains_keeps_every_file_of_the_run(cli, monkeypatch):
    assert cli("fit", *QUICK).returncode == 0
    before = files(cli.cwd)
    monkeypatch.setattr(BlobClassifier, "on_fit_start", lambda self: os.kill(os.getpid(), signal.SIGTERM))
    result = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "4")
    assert result.returncode == 143, result.output
    assert set(before) <= set(files(cli.cwd))


def test_a_signal_while_a_resume_reads_its_data_keeps_every_file_of_the_run(cli, monkeypatch):
    """Before Lightning restores the checkpoint (the data module's setup: a table is read) a resume's
    ``trainer.ckpt_path`` is still unset; its TensorBoard run must not be taken for a new run's start files."""
    from blobclf.data import BlobDataModule

    assert cli("fit", *QUICK).returncode == 0
    before = files(cli.cwd)
    setup = BlobDataModule.setup

    def stopped_setup(self, stage=None):
        setup(self, stage)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(BlobDataModule, "setup", stopped_setup)
    result = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "4")
    assert result.returncode == 143, result.output
    assert set(before) <= set(files(cli.cwd))

