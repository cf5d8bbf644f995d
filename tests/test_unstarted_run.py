"""A signal that stops a new ``fit`` before its first epoch ("nothing was trained") leaves no run
behind: no empty ``checkpoints/version_N`` and no TensorBoard run of only its settings, so the
next run takes the same number and TensorBoard shows no phantom run."""

from __future__ import annotations

import os
import signal

from conftest import run_code

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



def test_a_second_signal_while_a_stopped_new_run_is_removed_keeps_the_first_ones_line_and_status(tmp_path):
    # a quick second Ctrl-C while blobclf removed the stopped run's folders raised KeyboardInterrupt
    # there: part of the run was left behind, and a second 'stopped by SIGINT' line and status 130
    # replaced the first signal's
    code = ("import os, signal, sys, time\n"
            "from blobclf import interrupt\n"
            "from blobclf.system import BlobClassifier\n"
            "BlobClassifier.on_fit_start = lambda self: os.kill(os.getpid(), signal.SIGTERM)\n"
            "remove = interrupt.remove_unstarted_run\n"
            "def second(*folders):\n"
            "    os.kill(os.getpid(), signal.SIGINT)\n"
            "    time.sleep(0.2)\n"
            "    remove(*folders)\n"
            "interrupt.remove_unstarted_run = second\n"
            f"sys.argv = ['blobclf', 'fit', *{list(QUICK)!r}]\n"
            "from blobclf.__main__ import main\n"
            "main()\n")
    done = run_code(tmp_path, code, timeout=300)
    assert done.returncode == 143, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert [line for line in done.stderr.splitlines() if line.startswith("blobclf:")] == [
        "blobclf: stopped by SIGTERM before training started; nothing was trained"], done.stderr
    assert files(tmp_path) == []


def test_a_signal_before_the_first_epoch_keeps_the_folders_that_were_there(cli, monkeypatch):
    # the stopped run's removal took the folder above its run folder too, also one the user had made
    # for the runs (a --checkpoint.root with its own permissions, an empty lightning_logs)
    for folder in ("runs", "lightning_logs", "mine"):
        (cli.cwd / folder).mkdir()
    monkeypatch.setattr(BlobClassifier, "on_fit_start", lambda self: os.kill(os.getpid(), signal.SIGTERM))
    assert cli("fit", *QUICK, "--checkpoint.root", "runs").returncode == 143
    assert files(cli.cwd) == ["lightning_logs", "mine", "runs"]
    assert cli("fit", *QUICK, "--checkpoint.dirpath", "mine").returncode == 143
    assert files(cli.cwd) == ["lightning_logs", "mine", "runs"]
    assert cli("fit", *QUICK, "--checkpoint.dirpath", "new/run").returncode == 143
    assert files(cli.cwd) == ["lightning_logs", "mine", "runs"]  # made by the run, both removed


def test_a_new_run_refused_in_its_data_setup_leaves_nothing_and_a_refused_resume_keeps_its_run(cli, monkeypatch):
    """A user error found once the run has started (here: blobs too large to draw, found only at the
    data's setup because a predict file was given) is one line, like any refusal, and leaves no run."""
    (cli.cwd / "points.csv").write_text("x0,x1\n1,2\n")
    result = cli("fit", *QUICK, "--data.n_samples", "3000000000", "--data.predict_file", "points.csv")
    assert result.returncode == 2, result.output
    assert result.stderr.splitlines()[-1].endswith("GiB is available; use a smaller --data.n_samples")
    assert files(cli.cwd) == ["points.csv"]

    from blobclf.data import BlobDataModule
    from blobclf.errors import UserError

    assert cli("fit", *QUICK).returncode == 0
    before = files(cli.cwd)

    def refused(self, stage=None):
        raise UserError("refused in setup")

    monkeypatch.setattr(BlobDataModule, "setup", refused)
    result = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "4")
    assert result.returncode == 2 and result.stderr.splitlines()[-1] == "blobclf: error: refused in setup"
    assert set(before) <= set(files(cli.cwd))
