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


def test_a_run_killed_while_it_started_is_removed_by_the_next_fit(cli):
    # a SIGKILL (a crash, the OOM killer) right after a fit started left an empty checkpoints/version_0 and
    # lightning_logs/version_0 with config.yaml, an events file of no value and a hparams.yaml temporary
    # for ever; the next run took version_1, and nothing removed version_0
    code = ("import os, signal, sys\n"
            "from blobclf import logger\n"
            "def killed(path, hparams):\n"
            "    open(path, 'w').write('half')\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n"
            "logger.save_hparams_to_yaml = killed\n"
            f"sys.argv = ['blobclf', 'fit', *{list(QUICK)!r}]\n"
            "from blobclf.__main__ import main\n"
            "main()\n")
    done = run_code(cli.cwd, code, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr
    logs = cli.cwd / "lightning_logs" / "version_0"
    left = files(cli.cwd)
    assert [name for name in left if not name.startswith("lightning_logs/version_0/")] == [
        "checkpoints", "checkpoints/version_0", "lightning_logs", "lightning_logs/version_0"]
    assert [p.name for p in logs.glob(".hparams.yaml.*.tmp")] and (logs / "config.yaml").is_file()
    result = cli("fit", *QUICK)
    assert result.returncode == 0, result.output
    assert ("note: removed checkpoints/version_0, lightning_logs/version_0: left by a run killed while it started "
            "(no checkpoint, only its start files; no process holds it)") in result.output
    assert sorted(os.listdir(cli.cwd / "checkpoints")) == sorted(os.listdir(cli.cwd / "lightning_logs")) == ["version_0"]
    assert (cli.cwd / "checkpoints" / "version_0" / "last.ckpt").is_file()
    assert not list(cli.cwd.rglob("*.tmp"))


def _start_files(logs):
    """What a run's start writes into its log folder: config.yaml, hparams.yaml and an events file with no value."""
    from torch.utils.tensorboard import SummaryWriter

    SummaryWriter(logs).close()
    (logs / "config.yaml").write_text("seed_everything: 42\n")
    (logs / "hparams.yaml").write_text("hidden_units: 8\n")


def test_the_next_fit_keeps_every_run_that_is_alive_or_holds_anything(cli):
    import fcntl

    from torch.utils.tensorboard import SummaryWriter

    kept = {
        "held": None,  # a fit starting right now holds its folder
        "checkpoint": "checkpoints/version_1/best-epoch=0-val_acc=0.5000.ckpt",
        "curves": None,  # its events hold a value: what it trained shows in TensorBoard
        "resumed": "lightning_logs/version_3/resume-1.yaml",
        "evaluated": "lightning_logs/version_4/test-last/hparams.yaml",
        "users": "lightning_logs/version_5/notes.txt",
        "checkpoint temporary": "checkpoints/version_6/.last.ckpt.abc.tmp",  # its first checkpoint was being written
    }
    for n in range(len(kept) + 1):
        (cli.cwd / "checkpoints" / f"version_{n}").mkdir(parents=True)
        (cli.cwd / "lightning_logs" / f"version_{n}").mkdir(parents=True)
        _start_files(cli.cwd / "lightning_logs" / f"version_{n}")
    for path in filter(None, kept.values()):
        (cli.cwd / path).parent.mkdir(parents=True, exist_ok=True)
        (cli.cwd / path).write_text("x")
    with SummaryWriter(cli.cwd / "lightning_logs" / "version_2") as writer:
        writer.add_scalar("train/loss", 1.0, 0)
    before = files(cli.cwd)
    held = os.open(cli.cwd / "checkpoints" / "version_0", os.O_RDONLY)
    fcntl.flock(held, fcntl.LOCK_EX)  # as another process's lock_run
    try:
        result = cli("fit", *QUICK)
    finally:
        os.close(held)
    assert result.returncode == 0, result.output
    assert "note: removed checkpoints/version_7, lightning_logs/version_7: left by a run killed" in result.output
    after = files(cli.cwd)
    assert {name.split("/")[1] for name in after if name not in before} == {"version_7"}  # the new run takes its number
    assert [name for name in before if name not in after] == [  # versions 0 to 6 as they were
        name for name in before if name.startswith("lightning_logs/version_7/events")]
    assert (cli.cwd / "checkpoints" / "version_7" / "last.ckpt").is_file()
    assert len(list((cli.cwd / "lightning_logs" / "version_7").glob("events.out.tfevents.*"))) == 1  # the old one went


def test_a_claim_holds_its_run_folder_from_the_moment_it_is_made(tmp_path):
    # another fit removing abandoned runs must never take a run that is starting right now
    from blobclf.runs import claim_run, in_training, unlock_runs

    root = tmp_path / "checkpoints"
    try:
        version = claim_run(root, tmp_path / "logs")
        code = ("import sys\n"
                "from blobclf.runs import in_training\n"
                f"sys.exit(0 if in_training({os.fspath(root / f'version_{version}')!r}) else 1)\n")
        assert run_code(tmp_path, code).returncode == 0  # held, as another process sees it
        removed = []
        assert claim_run(root, tmp_path / "logs", removed=removed) == version + 1
        assert removed == [] and (root / f"version_{version}").is_dir()
    finally:
        unlock_runs()
    assert not in_training(root / f"version_{version}")


def test_a_run_given_its_version_and_killed_while_it_started_gives_that_version_to_the_next_fit_given_it(cli):
    # the folders its start left (an empty checkpoints/version_4, start files) refused the same command again:
    # "run folder 'lightning_logs/version_4' already exists"
    (cli.cwd / "checkpoints" / "version_4").mkdir(parents=True)
    (cli.cwd / "lightning_logs" / "version_4").mkdir(parents=True)
    _start_files(cli.cwd / "lightning_logs" / "version_4")
    (cli.cwd / "lightning_logs" / "version_5").mkdir(parents=True)
    (cli.cwd / "lightning_logs" / "version_5" / "notes.txt").write_text("mine")
    result = cli("fit", *QUICK, "--trainer.logger.init_args.version", "4")
    assert result.returncode == 0, result.output
    assert ("note: removed checkpoints/version_4, lightning_logs/version_4: left by a run killed while it started "
            "(no checkpoint, only its start files; no process holds it)") in result.output
    assert (cli.cwd / "checkpoints" / "version_4" / "last.ckpt").is_file()
    assert len(list((cli.cwd / "lightning_logs" / "version_4").glob("events.out.tfevents.*"))) == 1
    from conftest import one_error

    assert one_error(cli("fit", *QUICK, "--trainer.logger.init_args.version", "5")) == (
        "run folder 'lightning_logs/version_5' already exists; choose another --trainer.logger.init_args.version "
        "(or leave it unset for the next free one)")
    assert sorted(os.listdir(cli.cwd / "checkpoints")) == ["version_4"]
