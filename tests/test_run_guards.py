"""One process trains in a run folder at a time; outputs, seeds and signals outside training refused or reported in one line."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import one_error, run_code

from blobclf.safeload import load_checkpoint

QUICK = ("--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx", "false")


def files(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*"))


def hold_lock(folder: Path) -> subprocess.Popen:
    """Another process holding ``folder``'s lock, as a fit training there does."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('locked', flush=True); time.sleep(120)", str(folder)],
        stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_run_folder_in_use_by_another_fit_is_refused_to_a_resume_and_to_a_new_run(cli):
    assert cli("fit", *QUICK).returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    before = files(cli.cwd)
    holder = hold_lock(run)
    try:
        expected = ("the run folder 'checkpoints/version_0' is in use by another blobclf fit (two at once would "
                    "overwrite each other's checkpoints); wait for it to end, or start a new run")
        assert one_error(cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3")) == expected
        assert one_error(cli("fit", "--checkpoint.dirpath", "checkpoints/version_0", *QUICK)) == expected
        assert files(cli.cwd) == before
    finally:
        holder.kill()
        holder.wait()
    # once the other process is gone, the resume runs
    assert cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3").returncode == 0


def test_resuming_last_while_a_newer_run_trains_names_the_earlier_runs_checkpoint(cli):
    # run 0 was killed; run 1 trains in another process: 'last' names run 1, and the refusal once
    # said to wait for it to end (after which 'last' still names run 1, never the killed run)
    assert cli("fit", *QUICK).returncode == 0
    assert cli("fit", *QUICK).returncode == 0
    before = files(cli.cwd)
    holder = hold_lock(cli.cwd / "checkpoints" / "version_1")
    try:
        expected = ("--ckpt_path last names the newest run 'checkpoints/version_1', which another blobclf fit is "
                    "training right now; to resume an earlier run, pass its checkpoint: "
                    "--ckpt_path checkpoints/version_0/last.ckpt")
        assert one_error(cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3")) == expected
        assert files(cli.cwd) == before
    finally:
        holder.kill()
        holder.wait()


def test_a_resume_keeps_its_own_folder_and_a_new_folder_refused_is_not_left_behind(cli):
    assert cli("fit", *QUICK).returncode == 0
    assert cli("fit", *QUICK).returncode == 0
    other = files(cli.cwd / "checkpoints" / "version_1")
    line = one_error(cli("fit", "--ckpt_path", "checkpoints/version_0/last.ckpt", "--checkpoint.dirpath",
                         "checkpoints/version_1", "--trainer.max_epochs", "4"))
    assert line == ("--checkpoint.dirpath='checkpoints/version_1' is not the folder of the run being resumed "
                    "('checkpoints/version_0'), whose checkpoints stay in their own folder; drop the option")
    assert files(cli.cwd / "checkpoints" / "version_1") == other
    line = one_error(cli("fit", "--checkpoint.dirpath", "checkpoints/version_1", *QUICK))
    assert line == ("--checkpoint.dirpath='checkpoints/version_1' already holds another run's files; choose an empty "
                    "or new folder (or resume that run with --ckpt_path)")


def test_predictions_never_replace_a_device_or_a_pipe(cli):
    assert cli("fit", *QUICK).returncode == 0
    pipe = cli.cwd / "out.fifo"
    os.mkfifo(pipe)
    line = one_error(cli("predict", "--ckpt_path", "last", "--prediction.output", "out.fifo",
                         "--prediction.overwrite", "true"))
    assert line == ("--prediction.output 'out.fifo' is not a regular file (a folder, device or pipe); name a file "
                    "to write")
    assert pipe.is_fifo()


def test_best_is_looked_for_beside_last_in_a_copied_project_and_never_elsewhere(cli, tmp_path):
    assert cli("fit", "--trainer.max_epochs", "4", "--export.figures", "false", "--export.onnx", "false").returncode == 0
    copy = tmp_path / "copy"
    shutil.copytree(cli.cwd / "checkpoints", copy / "checkpoints")
    os.chdir(copy)
    assert cli("test", "--ckpt_path", "best").returncode == 0
    assert list((copy / "checkpoints" / "version_0").glob("test_report-best-*.json"))
    assert not list((cli.cwd / "checkpoints" / "version_0").glob("test_report-*.json"))  # the original untouched
    # a best_model_path pointing out of the run's folder is not followed
    last = copy / "checkpoints" / "version_0" / "last.ckpt"
    checkpoint = load_checkpoint(last)
    for state in checkpoint["callbacks"].values():
        if isinstance(state, dict) and "best_model_path" in state:
            state["best_model_path"] = str(tmp_path / "elsewhere" / "planted.ckpt")
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(last, tmp_path / "elsewhere" / "planted.ckpt")
    torch.save(checkpoint, last)
    result = cli("test", "--ckpt_path", "best")  # the folder's own best, as it says
    assert result.returncode == 0 and "planted" not in result.output, result.output
    assert not list((tmp_path / "elsewhere").glob("test_report-*"))
    for best in (copy / "checkpoints" / "version_0").glob("best-*.ckpt"):
        best.unlink()
    line = one_error(cli("test", "--ckpt_path", "best"))
    assert line == "--ckpt_path best: 'checkpoints/version_0' records no best checkpoint; pass a path"


def test_a_run_stopped_before_its_first_last_checkpoint_names_the_checkpoint_it_has(cli):
    assert cli("fit", "--trainer.max_epochs", "4", "--export.figures", "false", "--export.onnx", "false").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    (run / "last.ckpt").unlink()
    (best,) = run.glob("best-*.ckpt")
    line = one_error(cli("fit", "--ckpt_path", "last"))
    assert line == ("--ckpt_path last: the newest run 'checkpoints/version_0' has no last.ckpt (it was stopped before "
                    f"writing one); pass the checkpoint it has: --ckpt_path checkpoints/version_0/{best.name}")


@pytest.mark.parametrize(("args", "expected"), [
    (["--seed_everything", "-5"],
     "--seed_everything=-5 is out of range: use a number from 0 to 4294967295"),
    (["--seed_everything", "99999999999999999999999"],
     "--seed_everything=99999999999999999999999 is out of range: use a number from 0 to 4294967295"),
    (["--trainer.max_epochs", "0"],
     "--trainer.max_epochs=0 trains nothing, and a new run would export an untrained model; give at least 1"),
    (["--trainer.max_steps", "0"],
     "--trainer.max_steps=0 trains nothing, and a new run would export an untrained model; give at least 1"),
], ids=["negative-seed", "huge-seed", "zero-epochs", "zero-steps"])
def test_settings_that_would_end_in_a_traceback_or_an_untrained_model_are_refused(cli, args, expected):
    assert one_error(cli("fit", *args)) == expected
    assert files(cli.cwd) == []


def _start(cwd: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("BLOBCLF_DEBUG", None)
    return subprocess.Popen([sys.executable, "-m", "blobclf", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL)


@pytest.mark.slow
def test_a_signal_during_the_exports_names_the_resume_that_completes_them(tmp_path, cli_at):
    process = _start(tmp_path, "fit", "--trainer.max_epochs", "5", "--export.onnx", "false")
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("drawing figures"):
            process.send_signal(signal.SIGTERM)
            break
    rest = process.stdout.read()
    assert process.wait(timeout=120) == 143, "".join(seen) + rest
    assert rest.strip().splitlines() == [
        "blobclf: stopped by SIGTERM after training, during the exports; last checkpoint: "
        "checkpoints/version_0/last.ckpt",
        "resume with: python -m blobclf fit --ckpt_path checkpoints/version_0/last.ckpt (it completes the exports)",
    ]
    run = tmp_path / "checkpoints" / "version_0"
    assert not (run / "model.json").exists() and not list(run.glob(".*.tmp"))
    # the resume in this process: the signal's process is the one that had to be a command line's
    resumed = cli_at(tmp_path)("fit", "--ckpt_path", "checkpoints/version_0/last.ckpt")
    assert resumed.returncode == 0, resumed.output
    assert json.loads((run / "model.json").read_text())["epochs"] == 5
    assert (run / "loss_curves.png").is_file()


@pytest.mark.slow
def test_a_signal_while_starting_is_one_line(tmp_path):
    process = _start(tmp_path, "fit", *QUICK)
    time.sleep(0.5)  # the libraries take seconds to load
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=120)[0]
    assert process.returncode == 130
    assert output.strip() == "blobclf: stopped by SIGINT while starting; nothing was done"
    assert files(tmp_path) == []


def test_a_resume_into_a_read_only_run_folder_is_refused_before_anything_is_written(cli, monkeypatch):
    assert cli("fit", *QUICK).returncode == 0
    before = files(cli.cwd)
    import blobclf.cli

    real_access = os.access
    monkeypatch.setattr(blobclf.cli.os, "access", lambda path, mode: (
        False if Path(path).name == "version_0" and mode == os.W_OK else real_access(path, mode)))  # root ignores modes
    line = one_error(cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3"))
    assert line == ("cannot resume into 'checkpoints/version_0': the run folder is read-only; make it writable, or "
                    "copy the run folder somewhere writable and resume from there")
    assert files(cli.cwd) == before


def test_a_run_folder_moved_out_of_the_checkpoint_root_goes_on_in_that_folder(cli):
    assert cli("fit", "--trainer.max_epochs", "4", "--export.figures", "false", "--export.onnx", "false").returncode == 0
    shutil.move(cli.cwd / "checkpoints" / "version_0", cli.cwd / "kept")
    resumed = cli("fit", "--ckpt_path", "kept/last.ckpt", "--trainer.max_epochs", "8")
    assert resumed.returncode == 0, resumed.output
    assert not (cli.cwd / "checkpoints" / "version_1").exists()
    recorded = json.loads((cli.cwd / "kept" / "model.json").read_text())["checkpoints"]
    assert Path(recorded["best"]).is_file() and Path(recorded["best"]).parent.name == "kept"
    assert len(list((cli.cwd / "kept").glob("best-*.ckpt"))) == 1  # the old best replaced, not left beside


def test_a_checkpoint_lying_in_the_folder_fit_runs_in_is_refused_a_resume_there(cli):
    """A resume goes on in its checkpoint's folder: a lone x.ckpt in the folder fit runs in (copied, downloaded)
    had last.ckpt, best-*.ckpt, model.pth, model.onnx and model.json written among the user's files there."""
    assert cli("fit", *QUICK).returncode == 0
    shutil.copy(cli.cwd / "checkpoints" / "version_0" / "last.ckpt", cli.cwd / "x.ckpt")
    shutil.rmtree(cli.cwd / "checkpoints")
    shutil.rmtree(cli.cwd / "lightning_logs")
    line = one_error(cli("fit", "--ckpt_path", "x.ckpt", "--trainer.max_epochs", "3"))
    assert line == ("--ckpt_path x.ckpt lies in the folder fit runs in, not in a run folder: a resume writes the run's "
                    "checkpoints and exports (last.ckpt, best-*.ckpt, model.pth, model.onnx, model.json) beside its "
                    "checkpoint; give it a folder of its own and resume there: mkdir x-run && mv x.ckpt x-run/ && "
                    "python -m blobclf fit --ckpt_path x-run/x.ckpt")
    assert files(cli.cwd) == [Path("x.ckpt")]
    (cli.cwd / "x-run").mkdir()
    shutil.move(cli.cwd / "x.ckpt", cli.cwd / "x-run")
    resumed = cli("fit", "--ckpt_path", "x-run/x.ckpt", "--trainer.max_epochs", "3", "--export.figures", "false")
    assert resumed.returncode == 0, resumed.output
    assert sorted(p.name for p in (cli.cwd / "x-run").iterdir()) == [
        "best-epoch=2-val_acc=0.6400.ckpt", "last.ckpt", "model.json", "model.pth", "x.ckpt"]
    # its evaluations write their one report beside it there, and log nothing, as for any checkpoint outside a run
    assert cli("test", "--ckpt_path", "x-run/x.ckpt").returncode == 0
    assert (cli.cwd / "x-run" / "test_report-x.json").is_file()


def test_a_run_under_its_own_checkpoint_root_resumes_in_its_own_tensorboard_run(cli):
    # the resume command blobclf prints names the checkpoint only; for a run started with
    # --checkpoint.root, the resume once went on in a new TensorBoard run (lightning_logs/version_1,
    # with a config.yaml of its own) instead of the run's own
    assert cli("fit", *QUICK, "--checkpoint.root", "ckA").returncode == 0
    resumed = cli("fit", "--ckpt_path", "ckA/version_0/last.ckpt", "--trainer.max_epochs", "4")
    assert resumed.returncode == 0, resumed.output
    logs = cli.cwd / "lightning_logs"
    assert sorted(p.name for p in logs.iterdir()) == ["version_0"]
    assert (logs / "version_0" / "resume-1.yaml").is_file()
    assert sorted(p.name for p in (cli.cwd / "ckA").iterdir()) == ["version_0"]
    assert json.loads((cli.cwd / "ckA" / "version_0" / "model.json").read_text())["epochs"] == 4
    # a new run beside it still takes the next number in both folders
    assert cli("fit", *QUICK, "--checkpoint.root", "ckA").returncode == 0
    assert sorted(p.name for p in logs.iterdir()) == ["version_0", "version_1"]


def test_a_run_of_another_folder_resumed_by_its_path_leaves_this_folders_runs_alone(cli, monkeypatch):
    # a run's TensorBoard run lies under the folder it was started from: resumed by its path from
    # another project's folder, it once went on in that project's lightning_logs/version_0 (a run of
    # its own, whose curves the resume's purge step cut) instead of a new TensorBoard run
    elsewhere = cli.cwd / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert cli("fit", *QUICK).returncode == 0
    monkeypatch.chdir(cli.cwd)
    assert cli("fit", *QUICK).returncode == 0
    here = cli.cwd / "lightning_logs" / "version_0"
    before = sorted(p.name for p in here.iterdir())
    resumed = cli("fit", "--ckpt_path", os.fspath(elsewhere / "checkpoints" / "version_0" / "last.ckpt"),
                  "--trainer.max_epochs", "3")
    assert resumed.returncode == 0, resumed.output
    assert sorted(p.name for p in here.iterdir()) == before
    assert json.loads((elsewhere / "checkpoints" / "version_0" / "model.json").read_text())["epochs"] == 3


@pytest.mark.parametrize("root", [[], ["--checkpoint.root", "ckA"]], ids=["checkpoints", "own-root"])
def test_a_run_resumed_and_tested_by_its_path_from_another_folder_goes_on_in_its_own_tensorboard_run(
        cli, monkeypatch, root):
    # usage.md: "The run continues in the same checkpoints/version_N and TensorBoard run". Resumed
    # from another folder (a job script's, a home folder), it went on in a new lightning_logs/version_0
    # there: the run's own curves lost the resumed epochs, its loss_curves.png showed only those, and
    # a test from there logged nowhere
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    project = cli.cwd / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    assert cli("fit", *QUICK, *root).returncode == 0
    run = project / (root[-1] if root else "checkpoints") / "version_0"
    monkeypatch.chdir(cli.cwd)
    resumed = cli("fit", "--ckpt_path", os.fspath(run / "last.ckpt"), "--trainer.max_epochs", "3")
    assert resumed.returncode == 0, resumed.output
    tested = cli("test", "--ckpt_path", os.fspath((run / "last.ckpt").relative_to(cli.cwd)))
    assert tested.returncode == 0, tested.output
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["project"]  # nothing written here
    logs = project / "lightning_logs" / "version_0"
    assert (logs / "resume-1.yaml").is_file()
    curves = EventAccumulator(str(logs))
    curves.Reload()
    assert [e.step for e in curves.Scalars("val/acc")] == [0, 1, 2]
    meta = json.loads((run / "model.json").read_text())
    assert meta["epochs"] == 3 and meta["log_dir"] == os.fspath(logs)
    evaluation = EventAccumulator(str(logs / "test-last"))
    evaluation.Reload()
    report = json.loads((run / "test_report-last.json").read_text())
    # at the epoch of the weights tested (the last of 3), beside the training curves' last point
    assert [(e.step, e.value) for e in evaluation.Scalars("test/acc")] == [(2, pytest.approx(report["accuracy"]))]
    # back in the project folder, the run goes on as ever
    monkeypatch.chdir(project)
    again = cli("fit", "--ckpt_path", os.fspath(run.relative_to(project) / "last.ckpt"), "--trainer.max_epochs", "4")
    assert again.returncode == 0, again.output
    assert sorted(p.name for p in (project / "lightning_logs").iterdir()) == ["version_0"]
    curves.Reload()
    assert [e.step for e in curves.Scalars("val/acc")] == [0, 1, 2, 3]


def test_a_run_given_a_logger_name_resumed_and_tested_by_its_path_from_another_folder_logs_in_its_own_folder(
        cli, monkeypatch):
    """A run trained with --trainer.logger.init_args.name exp/a, resumed by its path from another folder, went on in
    a new lightning_logs/exp/a/version_0 there, and its test from there logged nowhere: the run's log folder was
    looked for without its name. Both now log in the run's own lightning_logs/exp/a/version_0."""
    project = cli.cwd / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    assert cli("fit", *QUICK, "--trainer.logger.init_args.name", "exp/a").returncode == 0
    run, logs = project / "checkpoints" / "version_0", project / "lightning_logs" / "exp" / "a" / "version_0"
    monkeypatch.chdir(cli.cwd)
    resumed = cli("fit", "--ckpt_path", os.fspath(run / "last.ckpt"), "--trainer.max_epochs", "3")
    assert resumed.returncode == 0, resumed.output
    tested = cli("test", "--ckpt_path", os.fspath(run / "last.ckpt"))
    assert tested.returncode == 0, tested.output
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["project"]  # nothing written here
    assert sorted(p.name for p in logs.iterdir() if not p.name.startswith("events.")) == [
        "config.yaml", "hparams.yaml", "resume-1.yaml", "test-last"]
    assert json.loads((run / "model.json").read_text())["log_dir"] == os.fspath(logs)


def test_regenerating_a_run_from_another_folder_draws_its_own_curves_not_that_folders(cli, monkeypatch):
    # model.json records the log folder as the run was given it, relative to where it started: from
    # another folder holding a run of the same number, regenerate drew that run's curves (100 epochs
    # in the loss figure of a run of 2)
    from blobclf.regenerate import run_log_dir

    project = cli.cwd / "project"
    project.mkdir()
    monkeypatch.chdir(project)
    assert cli("fit", *QUICK).returncode == 0
    monkeypatch.chdir(cli.cwd)
    assert cli("fit", *QUICK, "--trainer.max_epochs", "3").returncode == 0
    theirs, ours = project / "checkpoints" / "version_0" / "last.ckpt", Path("checkpoints/version_0/last.ckpt")
    assert run_log_dir(theirs, load_checkpoint(theirs)) == project / "lightning_logs" / "version_0"
    assert run_log_dir(ours, load_checkpoint(ours)).resolve() == cli.cwd / "lightning_logs" / "version_0"
    # --logs names the log root outright
    assert run_log_dir(theirs, load_checkpoint(theirs), "lightning_logs") == Path("lightning_logs/version_0")
    # a copy of the run folder is not the run: its curves are not guessed
    shutil.copytree(project / "checkpoints", cli.cwd / "copy")
    copy = cli.cwd / "copy" / "version_0" / "last.ckpt"
    assert run_log_dir(copy, load_checkpoint(copy)) is None


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_the_program_shuts_down_keeps_its_status_and_prints_no_traceback(tmp_path, signum):
    # found by a second Ctrl-C / SIGTERM right after a stopped fit printed its resume command: the
    # signal landed in the interpreter's shutdown and printed a library finalizer's traceback
    # (or a second "stopped" line); here an exit handler sends it, once the command has ended
    code = (f"import atexit, os, sys, time\n"
            f"atexit.register(lambda: (os.kill(os.getpid(), {int(signum)}), time.sleep(0.5)))\n"
            "sys.argv = ['blobclf', 'test', '--ckpt_path', 'missing.ckpt']\n"
            "from blobclf.__main__ import main\n"
            "main()\n")
    done = run_code(tmp_path, code, timeout=120)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr
    assert [line for line in done.stderr.splitlines() if line.startswith("blobclf:")] == [
        "blobclf: error: checkpoint 'missing.ckpt' does not exist"], done.stderr


def test_the_resume_command_of_a_run_in_a_folder_with_spaces_runs_as_printed(cli, monkeypatch):
    # 'resume with: python -m blobclf fit --ckpt_path my runs/version_0/last.ckpt' was printed unquoted:
    # pasted into a shell it passed 'my' as the checkpoint and 'runs/version_0/last.ckpt' as a stray argument
    import shlex

    from blobclf.system import BlobClassifier

    quick = ["--trainer.max_epochs", "3", "--checkpoint.last_interval", "0", "--export.figures", "false",
             "--export.onnx", "false"]
    with monkeypatch.context() as patched:
        patched.setattr(BlobClassifier, "on_train_epoch_end", lambda self: os.kill(os.getpid(), signal.SIGTERM))
        stopped = cli("fit", *quick, "--checkpoint.root", "my runs")
    assert stopped.returncode == 143, stopped.output
    line = stopped.stderr.splitlines()[-1]
    assert line == f"resume with: python -m blobclf fit --ckpt_path {shlex.quote(os.path.join('my runs', 'version_0', 'last.ckpt'))}"
    command = shlex.split(line.removeprefix("resume with: "))
    assert command[:3] == ["python", "-m", "blobclf"]
    resumed = cli(*command[3:])
    assert resumed.returncode == 0, resumed.output
    assert (cli.cwd / "my runs" / "version_0" / "model.json").is_file()


def test_a_run_given_its_version_is_held_from_its_start_as_a_run_given_the_next_free_one(cli, monkeypatch):
    # a fit given --trainer.logger.init_args.version took no lock and made its checkpoint folder only at
    # its first checkpoint: a second fit given that version, a fit taking the next free version, or a resume
    # of the run by its path could all train into the same folder at once
    from blobclf.callbacks import RunExport
    from blobclf.runs import claim_run, in_training, unlock_runs

    seen = {}
    export = RunExport.on_fit_end

    def probe(self, trainer, pl_module):
        run = cli.cwd / "checkpoints" / "version_7"
        code = (f"import sys\nfrom blobclf.runs import in_training\nsys.exit(0 if in_training({str(run)!r}) else 1)\n")
        seen["held"] = run_code(cli.cwd, code).returncode == 0
        seen["last"] = (run / "last.ckpt").read_bytes()
        seen["resume"] = run_code(cli.cwd, "import sys\nfrom blobclf.cli import cli_main\n"
                                  "cli_main(['fit', '--ckpt_path', 'checkpoints/version_7/last.ckpt', "
                                  "'--trainer.max_epochs', '3'])\n")
        export(self, trainer, pl_module)

    with monkeypatch.context() as patched:
        patched.setattr(RunExport, "on_fit_end", probe)
        result = cli("fit", *QUICK, "--trainer.logger.init_args.version", "7")
    assert result.returncode == 0, result.output
    assert seen["held"]
    assert one_error(seen["resume"]) == (
        "the run folder 'checkpoints/version_7' is in use by another blobclf fit (two at once would overwrite "
        "each other's checkpoints); wait for it to end, or start a new run")
    assert (cli.cwd / "checkpoints" / "version_7" / "last.ckpt").read_bytes() == seen["last"]  # the resume wrote nothing
    import yaml

    config = yaml.safe_load((cli.cwd / "lightning_logs" / "version_7" / "config.yaml").read_text())
    assert config["trainer"]["logger"]["init_args"]["version"] == 7 and config["checkpoint"]["dirpath"] is None
    # a claim of a version taken a moment before is refused; a free claim goes past it
    try:
        assert claim_run(cli.cwd / "checkpoints", version="mine") == "mine"
        with pytest.raises(FileExistsError):
            claim_run(cli.cwd / "checkpoints", version="mine")
        assert in_training(cli.cwd / "checkpoints" / "mine")
        assert claim_run(cli.cwd / "checkpoints", version=8) == 8
        assert claim_run(cli.cwd / "checkpoints", cli.cwd / "lightning_logs") == 9
    finally:
        unlock_runs()


def test_a_run_given_a_version_another_fit_takes_at_that_moment_is_refused_and_removes_nothing(cli, monkeypatch):
    from blobclf import cli as cli_module

    claim = cli_module.claim_run

    def taken_meanwhile(root, *log_dirs, removed=None, version=None):
        claim(root, version=3)  # another fit claims version 3 (and holds it) after this one checked the logs
        return claim(root, *log_dirs, removed=removed, version=version)

    monkeypatch.setattr(cli_module, "claim_run", taken_meanwhile)
    line = one_error(cli("fit", *QUICK, "--trainer.logger.init_args.version", "3"))
    assert line == ("run folder 'checkpoints/version_3' already exists; choose another "
                    "--trainer.logger.init_args.version (or leave it unset for the next free one)")
    assert files(cli.cwd) == [Path("checkpoints"), Path("checkpoints/version_3")]  # the other fit's, kept


def test_a_run_given_its_version_and_stopped_before_its_first_epoch_leaves_nothing(cli, monkeypatch):
    from blobclf.system import BlobClassifier

    with monkeypatch.context() as patched:
        patched.setattr(BlobClassifier, "on_fit_start", lambda self: os.kill(os.getpid(), signal.SIGTERM))
        result = cli("fit", *QUICK, "--trainer.logger.init_args.version", "5")
    assert result.returncode == 143, result.output
    assert files(cli.cwd) == []


@pytest.mark.parametrize("command", ["test", "predict"])
def test_an_evaluation_of_best_goes_on_when_the_training_fit_replaces_that_best_meanwhile(cli, monkeypatch, command):
    """'test --ckpt_path best' of a run in training: the fit saves a new best and deletes the one the command had
    resolved and checked, while the command starts (its data, model and Trainer); Lightning then read the path
    again and ended in a FileNotFoundError traceback. The command evaluates the checkpoint it checked."""
    from blobclf.system import BlobClassifier

    assert cli("fit", *QUICK).returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    (best,) = run.glob("best-*.ckpt")
    checked = BlobClassifier.check_checkpoint  # where the command checks --ckpt_path's checkpoint, once read

    def replaced_meanwhile(checkpoint, path):
        system = checked(checkpoint, path)
        if Path(path).name.startswith("best-"):
            os.remove(path)  # as ModelCheckpoint removes a best it replaces
        return system

    monkeypatch.setattr(BlobClassifier, "check_checkpoint", replaced_meanwhile)
    result = cli(command, "--ckpt_path", "best")
    assert result.returncode == 0 and "Traceback" not in result.output, result.output
    assert not best.exists()
    tag = best.name.removesuffix(".ckpt")  # best-epoch=1-val_acc=0.5550
    val_acc = float(tag.rsplit("=", 1)[1])
    if command == "test":
        report = json.loads((run / f"test_report-{tag}.json").read_text())
        assert report["checkpoint"] == os.fspath(Path("checkpoints", "version_0", best.name))
        assert round(report["accuracy"], 4) == val_acc  # validated on the test split: the best's own accuracy
    else:
        rows = (run / f"predictions-{tag}-test-split.csv").read_text().splitlines()
        assert len(rows) == 201
        right = sum(row.split(",")[-1] == row.split(",")[-2] for row in rows[1:])
        assert round(right / 200, 4) == val_acc


def test_a_second_signal_while_the_stopping_epoch_is_saved_says_that_epoch_is_not_saved(cli, monkeypatch):
    """A second SIGTERM (or Ctrl-C) right after the first, once the epoch had ended but while its last.ckpt was being
    written: the run said 'stopped by SIGTERM after epoch 3; last checkpoint: ...last.ckpt', of a last.ckpt that holds
    epoch 2 (the resume trains epoch 3 again). It now says which epoch the checkpoint holds."""
    from blobclf.checkpointio import AtomicCheckpointIO
    from blobclf.system import BlobClassifier

    def first_signal(self):
        if self.current_epoch == 3:
            os.kill(os.getpid(), signal.SIGTERM)

    write = AtomicCheckpointIO.save_checkpoint

    def second_signal_while_saving(self, checkpoint, path, storage_options=None):
        if os.path.basename(path) == "last.ckpt" and checkpoint["global_step"] == 4:  # epoch 3's (one step an epoch)
            os.kill(os.getpid(), signal.SIGTERM)
        write(self, checkpoint, path, storage_options=storage_options)

    monkeypatch.setattr(BlobClassifier, "on_train_epoch_start", first_signal)
    monkeypatch.setattr(AtomicCheckpointIO, "save_checkpoint", second_signal_while_saving)
    result = cli("fit", "--trainer.max_epochs", "6", "--checkpoint.last_interval", "0", "--export.figures", "false",
                 "--export.onnx", "false")
    assert result.returncode == 143, result.output
    assert result.stderr.strip().splitlines()[-2:] == [
        "blobclf: stopped by SIGTERM at once, before epoch 3 was saved; last checkpoint: "
        "checkpoints/version_0/last.ckpt (after epoch 2)",
        "resume with: python -m blobclf fit --ckpt_path checkpoints/version_0/last.ckpt"]
    assert load_checkpoint(cli.cwd / "checkpoints" / "version_0" / "last.ckpt")["global_step"] == 3
