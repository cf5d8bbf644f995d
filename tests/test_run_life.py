"""A run's whole life: evaluations stay with their run, resumes keep the run's settings, nothing is overwritten."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from conftest import run_cli

from blobclf.safeload import load_checkpoint

QUICK = ["--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx", "false"]


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_evaluations_take_no_run_version_and_log_beside_their_run(cli):
    assert cli("fit", *QUICK).returncode == 0
    for command in ("test", "validate", "predict"):
        result = cli(command, "--ckpt_path", "last")
        assert result.returncode == 0, result.output
    assert cli("fit", *QUICK).returncode == 0
    assert sorted(p.name for p in (cli.cwd / "checkpoints").iterdir()) == ["version_0", "version_1"]
    assert sorted(p.name for p in (cli.cwd / "lightning_logs").iterdir()) == ["version_0", "version_1"]
    logged = sorted(p.name for p in (cli.cwd / "lightning_logs" / "version_0").iterdir() if p.is_dir())
    assert logged == ["test-last", "validate-last"]  # predict writes its CSV and logs nothing


def test_each_checkpoint_tested_keeps_its_own_report_and_figures(cli):
    assert cli("fit", *QUICK).returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    best = next(run.glob("best-*.ckpt"))
    assert cli("test", "--ckpt_path", "last").returncode == 0
    assert cli("test", "--ckpt_path", "best").returncode == 0
    tag = best.name.removesuffix(".ckpt")
    for name in ("last", tag):
        report = json.loads((run / f"test_report-{name}.json").read_text())
        assert Path(report["checkpoint"]).name == f"{name}.ckpt"
        assert (run / f"confusion_matrix_test-{name}.png").is_file() and (run / f"reliability_test-{name}.png").is_file()


def test_testing_a_checkpoint_again_replaces_its_tensorboard_run_as_it_replaces_its_report(cli):
    # test writes the report of the checkpoint as it is now; its TensorBoard run kept every earlier
    # test beside it, all at step 0: after a resume extended last.ckpt, test/acc showed two values
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    assert cli("fit", *QUICK).returncode == 0
    assert cli("test", "--ckpt_path", "last").returncode == 0
    assert cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "5").returncode == 0
    assert cli("test", "--ckpt_path", "last").returncode == 0
    report = json.loads((cli.cwd / "checkpoints" / "version_0" / "test_report-last.json").read_text())
    events = EventAccumulator(str(cli.cwd / "lightning_logs" / "version_0" / "test-last"), size_guidance={"images": 0})
    events.Reload()
    # at the epoch of the extended last.ckpt (the first test's was at epoch 1)
    assert [(e.step, e.value) for e in events.Scalars("test/acc")] == [(4, pytest.approx(report["accuracy"]))]
    assert report["accuracy"] != pytest.approx(0.5849999785423279)  # the first test's, after 2 epochs
    assert {tag: len(events.Images(tag)) for tag in events.Tags()["images"]} == {
        "figures/confusion_matrix_test": 1, "figures/reliability_test": 1}


def test_predictions_are_named_after_checkpoint_and_input_and_never_replaced_unasked(cli):
    assert cli("fit", *QUICK).returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    (cli.cwd / "test.csv").write_text("x0,x1\n1.0,2.0\n")
    assert cli("predict", "--ckpt_path", "last").returncode == 0
    assert cli("predict", "--ckpt_path", "last", "--data.predict_file", "test.csv").returncode == 0
    held_out, from_file = run / "predictions-last-test-split.csv", run / "predictions-last-test.csv"
    assert len(held_out.read_text().splitlines()) == 201 and len(from_file.read_text().splitlines()) == 2
    before, files = held_out.read_bytes(), _files(cli.cwd)
    refused = cli("predict", "--ckpt_path", "last")
    assert refused.returncode == 2
    assert refused.stderr == (
        f"blobclf: error: {str(Path('checkpoints/version_0/predictions-last-test-split.csv'))!r} already exists; "
        "pass --prediction.overwrite true to replace it, or --prediction.output PATH to write elsewhere\n"
    )
    assert _files(cli.cwd) == files and held_out.read_bytes() == before  # a refused command writes nothing
    assert cli("predict", "--ckpt_path", "last", "--prediction.overwrite", "true").returncode == 0


def test_resume_without_a_config_takes_every_setting_from_the_run(cli):
    assert cli("fit", *QUICK, "--data.batch_size", "64", "--trainer.check_val_every_n_epoch", "2").returncode == 0
    logs = cli.cwd / "lightning_logs" / "version_0"
    started = (logs / "config.yaml").read_bytes()
    again = cli("fit", "--ckpt_path", "last")
    assert again.returncode == 0, again.output
    assert "nothing was trained" in again.stdout  # max_epochs 2 came from the run, not the default 100
    extended = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "4")
    assert extended.returncode == 0, extended.output
    meta = json.loads((cli.cwd / "checkpoints" / "version_0" / "model.json").read_text())
    assert meta["epochs"] == 4 and meta["data"]["batch_size"] == 64
    assert meta["settings"]["trainer.check_val_every_n_epoch"] == 2 and meta["settings"]["trainer.max_epochs"] == 4
    assert (logs / "config.yaml").read_bytes() == started  # written once, when the run started
    assert sorted(p.name for p in logs.glob("resume-*.yaml")) == ["resume-1.yaml"]  # the resume that trained


def test_resume_refuses_to_shorten_a_run_and_a_config_that_contradicts_it(cli):
    assert cli("fit", *QUICK, "--data.batch_size", "64").returncode == 0
    logs = cli.cwd / "lightning_logs" / "version_0"
    files = _files(cli.cwd)
    shorter = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "1")
    assert shorter.returncode == 2
    assert shorter.stderr == (
        f"blobclf: error: --trainer.max_epochs=1 is below the 2 epochs {str(Path('checkpoints/version_0/last.ckpt'))!r} "
        "has done; give a larger number to train on, or drop the option to keep the run's own\n"
    )
    other = cli.cwd / "other.yaml"
    other.write_text("data:\n  batch_size: 32\n")
    contradicting = cli("fit", "--config", str(other), "--ckpt_path", "last")
    assert contradicting.returncode == 2
    assert contradicting.stderr.startswith(
        "blobclf: error: data.batch_size=32 (from the command line or a --config file) conflicts with the checkpoint"
    )
    assert "resume with just 'fit --ckpt_path', which takes every setting from the run" in contradicting.stderr
    assert _files(cli.cwd) == files | {"other.yaml"} and not list(logs.glob("resume-*.yaml"))


@pytest.mark.slow
def test_commands_print_no_third_party_tips_or_deprecations(tmp_path):
    shown = {"PYTHONWARNINGS": "default"}  # every warning Python would show a user
    outputs = [run_cli(tmp_path, "fit", *QUICK, env=shown)]
    outputs += [run_cli(tmp_path, command, "--ckpt_path", "last", env=shown) for command in ("test", "validate", "predict")]
    outputs.append(run_cli(tmp_path, "fit", "--ckpt_path", "last", "--trainer.max_epochs", "3", env=shown))
    for result in outputs:
        assert result.returncode == 0, result.output
        for noise in ("Tip:", "litlogger", "deprecated", "dirpath has changed", "RngState", "TensorFlow restart",
                      "batch indices", "exists and is not empty", "logging interval"):
            assert noise not in result.output, (noise, result.output)
    debug = run_cli(tmp_path, "validate", "--ckpt_path", "last", env={**shown, "BLOBCLF_DEBUG": "1"})
    assert "litlogger" in debug.output and "LeafSpec" in debug.output  # the switch that shows everything


def test_resume_keeps_the_runs_callbacks_and_logger_folder(cli):
    started = cli("fit", *QUICK, "--trainer.callbacks+=EarlyStopping", "--trainer.callbacks.monitor", "val/loss",
                  "--trainer.callbacks.patience", "7", "--trainer.logger.init_args.save_dir", "other_logs")
    assert started.returncode == 0, started.output
    resumed = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3")
    assert resumed.returncode == 0, resumed.output
    logs = cli.cwd / "other_logs" / "version_0"
    assert (logs / "resume-1.yaml").is_file() and not (cli.cwd / "lightning_logs").exists()
    assert "patience: 7" in (logs / "resume-1.yaml").read_text()
    moved = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "4", "--trainer.logger.init_args.save_dir", "x")
    assert moved.returncode == 2
    assert moved.stderr.startswith("blobclf: error: trainer.logger.save_dir='x' (from the command line or a --config "
                                   "file) conflicts with the checkpoint")


def test_a_resume_may_add_callbacks_but_not_replace_the_runs(cli):
    started = cli("fit", *QUICK, "--trainer.callbacks+=EarlyStopping", "--trainer.callbacks.monitor", "val/loss")
    assert started.returncode == 0, started.output
    added = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3", "--trainer.callbacks+=LearningRateMonitor")
    assert added.returncode == 0, added.output
    settings = next(s["training"]["settings"] for s in load_checkpoint(
        cli.cwd / "checkpoints" / "version_0" / "last.ckpt")["callbacks"].values() if "training" in s)
    assert [c["class_path"].rsplit(".", 1)[-1] for c in settings["trainer.callbacks"]] == [
        "EarlyStopping", "LearningRateMonitor"]  # recorded: the next resume keeps both
    replaced = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "4", "--trainer.callbacks=LearningRateMonitor")
    assert replaced.returncode == 2
    assert replaced.stderr == (
        "blobclf: error: trainer.callbacks=['lightning.pytorch.callbacks.LearningRateMonitor'] (from the command line "
        "or a --config file) conflicts with the checkpoint 'checkpoints/version_0/last.ckpt', which was trained with "
        "trainer.callbacks=['lightning.pytorch.callbacks.EarlyStopping', 'lightning.pytorch.callbacks.LearningRateMonitor'];"
        " resume with just 'fit --ckpt_path', which takes every setting from the run, or pass another checkpoint\n")
    (cli.cwd / "changed.yaml").write_text(
        "trainer:\n  callbacks:\n  - class_path: EarlyStopping\n    init_args: {monitor: val/loss, patience: 9}\n"
        "  - class_path: LearningRateMonitor\n")
    changed = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "4", "--config", "changed.yaml")
    assert changed.returncode == 2
    assert changed.stderr.startswith("blobclf: error: trainer.callbacks[0].patience=9 (from the command line or a "
                                     "--config file) conflicts with the checkpoint"), changed.stderr


def test_one_callback_given_without_a_list_trains_and_a_resume_of_a_run_without_callbacks_may_add_one(cli):
    assert cli("fit", *QUICK, "--trainer.callbacks=LearningRateMonitor").returncode == 0
    assert cli("fit", *QUICK).returncode == 0
    added = cli("fit", "--ckpt_path", "checkpoints/version_1/last.ckpt", "--trainer.max_epochs", "3",
                "--trainer.callbacks=LearningRateMonitor")
    assert added.returncode == 0, added.output
    assert "LearningRateMonitor" in (cli.cwd / "lightning_logs" / "version_1" / "resume-1.yaml").read_text()


@pytest.mark.parametrize("args", [
    ["fit", "--data.n_samples", "2", "--data.val_size", "0.5"],
    ["fit", "--trainer.max_epochs", "-5"],
    ["fit", "--optimizer.lr", "-1"],
    ["test", "--ckpt_path", "missing.ckpt"],
    ["test"],
    ["predict", "--ckpt_path", "last"],
    ["fit", "--ckpt_path", "last"],
], ids=["too-few-points", "bad-epochs", "bad-lr", "missing-checkpoint", "no-checkpoint", "no-run", "no-run-to-resume"])
def test_a_refused_command_creates_no_file_or_folder(cli, args):
    result = cli(*args)
    assert result.returncode == 2 and result.stderr.startswith("blobclf: error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert _files(cli.cwd) == set()


def test_a_refused_prediction_input_leaves_nothing_behind(cli):
    assert cli("fit", *QUICK).returncode == 0
    (cli.cwd / "nohead.csv").write_text("1.0,2.0\n")
    files = _files(cli.cwd)
    refused = cli("predict", "--ckpt_path", "last", "--data.predict_file", "nohead.csv")
    assert refused.returncode == 2
    # refused before Lightning starts: the error is all the command prints
    assert refused.output.strip() == ("blobclf: error: nohead.csv:1: the first row holds numbers ('1.0', ...), "
                                      "not column names; add a header row naming the columns")
    assert _files(cli.cwd) == files


def test_the_runs_config_resumes_whatever_the_order_of_options(cli):
    assert cli("fit", *QUICK).returncode == 0
    config = cli.cwd / "lightning_logs" / "version_0" / "config.yaml"
    assert "ckpt_path" not in config.read_text()  # a null here would cancel a --ckpt_path typed before it
    resumed = cli("fit", "--ckpt_path", "last", "--config", str(config), "--trainer.max_epochs", "3")
    assert resumed.returncode == 0, resumed.output
    assert sorted(p.name for p in (cli.cwd / "checkpoints").iterdir()) == ["version_0"]
    meta = json.loads((cli.cwd / "checkpoints" / "version_0" / "model.json").read_text())
    assert meta["epochs"] == 3


def test_a_misspelt_option_is_not_taken_for_a_longer_one(cli):
    result = cli("fit", "--trainer.max_epoch", "3")
    assert result.returncode == 2
    assert result.stderr == ("blobclf: error: unrecognized arguments: --trainer.max_epoch 3; did you mean "
                             "--trainer.max_epochs? (see --help)\n")


def test_tensorboard_shows_the_latest_evaluation_of_a_checkpoint_as_its_report_does(cli):
    # every test of last added its values to lightning_logs/version_0/test-last at the same step, so
    # TensorBoard showed the test of the 2-epoch checkpoint beside the one of the run extended to 4
    # epochs (and a test killed halfway beside the one run again)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    def shown(folder, tag):
        events = EventAccumulator(str(cli.cwd / "lightning_logs" / "version_0" / folder))
        events.Reload()
        return [round(e.value, 6) for e in events.Scalars(tag)]

    assert cli("fit", *QUICK).returncode == 0
    assert cli("test", "--ckpt_path", "last").returncode == 0
    assert cli("validate", "--ckpt_path", "last").returncode == 0
    assert cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "4").returncode == 0
    assert cli("test", "--ckpt_path", "last").returncode == 0
    assert cli("validate", "--ckpt_path", "last").returncode == 0
    report = json.loads((cli.cwd / "checkpoints" / "version_0" / "test_report-last.json").read_text())
    assert shown("test-last", "test/acc") == [round(report["accuracy"], 6)]
    assert shown("test-last", "test/macro_f1") == [round(report["macro_f1"], 6)]
    metadata = json.loads((cli.cwd / "checkpoints" / "version_0" / "model.json").read_text())
    assert shown("validate-last", "val/acc") == [round(metadata["metrics"]["val/acc"], 6)]



def test_an_evaluation_removes_the_event_files_it_replaces_but_never_a_live_processs(cli):
    # TensorBoard hid an earlier evaluation's events (purge_step 0), but their files stayed for ever: one
    # more per test or validate of a checkpoint, a killed one's too
    import os
    import socket
    import subprocess
    import sys

    assert cli("fit", *QUICK).returncode == 0
    logs = cli.cwd / "lightning_logs" / "version_0"
    for _ in range(3):
        assert cli("test", "--ckpt_path", "last").returncode == 0
        assert cli("validate", "--ckpt_path", "last").returncode == 0
    events = {name: sorted((logs / name).glob("events.out.tfevents.*")) for name in ("test-last", "validate-last")}
    assert [len(found) for found in events.values()] == [1, 1]
    assert len(list(logs.glob("events.out.tfevents.*"))) == 1  # the training curves: never an evaluation's to remove
    written = events["test-last"][0]
    host = socket.gethostname()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    ended_pid = subprocess.Popen([sys.executable, "-c", "pass"])
    ended_pid.wait()  # a process of this machine that has ended (killed while it evaluated)
    names = {"live": f"events.out.tfevents.1000000000.{host}.{live.pid}.0",
             "ended": f"events.out.tfevents.1000000001.{host}.{ended_pid.pid}.0",
             "elsewhere": f"events.out.tfevents.1000000002.other-{host}.{ended_pid.pid}.0",
             "not-tensorboards": f"events.out.tfevents.1000000003.{host}.{ended_pid.pid}.0.suffix"}
    try:
        for name in names.values():
            (logs / "test-last" / name).write_bytes(written.read_bytes())
        assert cli("test", "--ckpt_path", "last").returncode == 0
    finally:
        live.kill()
        live.wait()
    left = sorted(path.name for path in (logs / "test-last").glob("events.out.tfevents.*"))
    assert len(left) == 4 and written.name not in left and names["ended"] not in left
    assert {names["live"], names["elsewhere"], names["not-tensorboards"]} < set(left)
    assert os.path.isfile(logs / "test-last" / "hparams.yaml")


def test_a_run_killed_while_it_wrote_its_first_checkpoint_is_named_as_such_and_the_next_run_takes_the_next_version(cli):
    # SIGKILL in the middle of the first checkpoint's write left checkpoints/version_0 holding only that write's
    # temporary: 'test --ckpt_path checkpoints/version_0' said "checkpoint 'checkpoints/version_0' is not a file",
    # and --ckpt_path last that the run "stopped before its first epoch ended"
    from conftest import one_error, run_code

    code = ("import os, signal, torch\n"
            "def killed(checkpoint, handle, *args, **kwargs):\n"
            "    handle.write(b'PK' * 500)\n"
            "    handle.flush()\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n"
            "torch.save = killed\n"
            "from blobclf.cli import cli_main\n"
            f"cli_main(['fit', *{QUICK!r}])\n")
    assert run_code(cli.cwd, code).returncode == -9
    run = cli.cwd / "checkpoints" / "version_0"
    (temporary,) = run.iterdir()
    assert temporary.name.startswith(".best-epoch=0-val_acc=0.5000.ckpt.") and temporary.name.endswith(".tmp")
    killed = "its run was killed while it wrote its first checkpoint: only that write's temporary file is there"
    for folder in ("checkpoints/version_0", "checkpoints/version_0/"):
        assert one_error(cli("test", "--ckpt_path", folder)) == (
            f"checkpoint {folder!r} is a folder that holds no checkpoint ({killed}); "
            "pass another checkpoint, or train a new run")
    assert one_error(cli("fit", "--ckpt_path", "last")) == (
        "--ckpt_path last: the newest run 'checkpoints/version_0' has no last.ckpt (it was killed while it wrote its "
        "first checkpoint: only that write's temporary file is there); pass a checkpoint path, or start a new run "
        "without --ckpt_path")
    assert [p.name for p in run.iterdir()] == [temporary.name]  # kept by every refusal
    result = cli("fit", *QUICK)  # the next run takes the next version, and says nothing of the killed one
    assert result.returncode == 0 and "note:" not in result.output, result.output
    assert sorted(p.name for p in (cli.cwd / "checkpoints").iterdir()) == ["version_0", "version_1"]
    assert (cli.cwd / "checkpoints" / "version_1" / "last.ckpt").is_file()
    assert one_error(cli("test", "--ckpt_path", "checkpoints/version_1")) == (
        "checkpoint 'checkpoints/version_1' is a folder, not a checkpoint file; pass a checkpoint in it, such as "
        "'checkpoints/version_1/last.ckpt'")


def test_the_folder_of_runs_given_as_a_checkpoint_names_the_newest_runs_checkpoint(cli):
    """'test --ckpt_path checkpoints' said the folder "holds no checkpoint; ... train a new run", of a folder holding
    every run's checkpoints (one folder down)."""
    import os

    from conftest import one_error

    for version, when in (("version_0", 1_000_000), ("version_1", 3_000_000), ("mine", 2_000_000)):
        run = cli.cwd / "checkpoints" / version
        run.mkdir(parents=True)
        for name in ("best-epoch=0-val_acc=0.5000.ckpt", "last.ckpt"):
            (run / name).write_bytes(b"not read")
            os.utime(run / name, (when, when))
    for folder in ("checkpoints", "checkpoints/"):
        assert one_error(cli("test", "--ckpt_path", folder)) == (
            f"checkpoint {folder!r} is a folder of runs, not a checkpoint file; pass a checkpoint in one, such as "
            "'checkpoints/version_1/last.ckpt'")
    (cli.cwd / "empty").mkdir()
    assert one_error(cli("test", "--ckpt_path", "empty")) == (
        "checkpoint 'empty' is a folder that holds no checkpoint; pass another checkpoint, or train a new run")


def test_a_run_extended_without_onnx_or_figures_keeps_no_earlier_onnx_or_figures_beside_its_new_weights(cli):
    """A finished run extended with --export.onnx false (or --export.figures false) kept the model.onnx and the
    figures of its first epochs beside the new model.pth and model.json: a complete export, as model.json says, whose
    model.onnx gave other probabilities than model.pth. The resume removes them and says so."""
    from blobclf.artifacts import FIT_FIGURES

    assert cli("fit", "--trainer.max_epochs", "2").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    assert all((run / name).is_file() for name in ("model.onnx", *(f"{figure}.png" for figure in FIT_FIGURES)))
    kept = cli("fit", "--ckpt_path", "last", "--export.onnx", "false", "--export.figures", "false")
    assert kept.returncode == 0 and "note: removed" not in kept.output, kept.output  # trains nothing: all kept
    assert "nothing was trained; the exports in" in kept.output, kept.output
    assert (run / "model.onnx").is_file()
    result = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3", "--export.onnx", "false",
                 "--export.figures", "false")
    assert result.returncode == 0, result.output
    figures = ", ".join(f"checkpoints/version_0/{figure}.png" for figure in FIT_FIGURES)
    assert ("note: removed what the run exported earlier, of other weights, and this export does not write again "
            "(--export.onnx false, --export.figures false): "
            f"checkpoints/version_0/model.onnx, {figures}\n") in result.stdout
    assert sorted(path.name for path in run.iterdir() if not path.name.startswith("best-")) == [
        "last.ckpt", "model.json", "model.pth"]
    assert json.loads((run / "model.json").read_text())["epochs"] == 3


def test_an_export_a_kill_cut_short_keeps_no_earlier_onnx_beside_the_weights_exported_again(cli):
    """An export removes model.json first: killed then, its run held no model.json, and the resume that exported it
    again with --export.onnx false kept the model.onnx of the run's earlier epochs beside the new model.pth and
    model.json (the rule for stale exports read their step from that missing model.json)."""
    assert cli("fit", "--trainer.max_epochs", "2", "--export.figures", "false").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    (run / "model.json").unlink()  # as an export killed after its first step leaves the run
    result = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3", "--export.onnx", "false",
                 "--export.figures", "false")
    assert result.returncode == 0, result.output
    assert ("note: removed what the run exported earlier, of other weights, and this export does not write again "
            "(--export.onnx false, --export.figures false): checkpoints/version_0/model.onnx\n") in result.stdout
    assert sorted(path.name for path in run.iterdir() if not path.name.startswith("best-")) == [
        "last.ckpt", "model.json", "model.pth"]


def test_a_resume_that_trains_nothing_leaves_the_run_folder_unchanged(cli):
    """A resume of a run that had trained its max_epochs and exported them wrote resume-1.yaml and a new TensorBoard
    event file into the run's log folder, though it trained and exported nothing. It now writes nothing, and says so."""
    assert cli("fit", *QUICK).returncode == 0
    before = {path: path.read_bytes() for path in cli.cwd.rglob("*") if path.is_file()}
    again = cli("fit", "--ckpt_path", "last")
    assert again.returncode == 0, again.output
    assert again.stdout.splitlines()[-1] == ("nothing was trained; the exports in checkpoints/version_0 are complete and kept as they "
                            "were, and the run is left unchanged: checkpoints/version_0/last.ckpt has done its 2 "
                            "epochs (--trainer.max_epochs 2; one above 2 trains on)")
    assert {path: path.read_bytes() for path in cli.cwd.rglob("*") if path.is_file()} == before
    assert cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3").returncode == 0
    assert sorted(p.name for p in (cli.cwd / "lightning_logs" / "version_0").glob("resume-*.yaml")) == ["resume-1.yaml"]


def test_what_evaluations_wrote_of_last_ckpt_is_renamed_after_its_epoch_when_a_resume_replaces_it(cli):
    """After a run was extended, test_report-last.json, its figures, predictions-last-*.csv and the test-last and
    validate-last TensorBoard runs still described the earlier last.ckpt, under names that say the current one
    (and the next predict of last was refused: its file 'already exists'). They are now renamed after the epoch
    of the last.ckpt they are of, as a best checkpoint's are, with a note, and nothing of them is lost."""
    assert cli("fit", *QUICK).returncode == 0
    run, logs = cli.cwd / "checkpoints" / "version_0", cli.cwd / "lightning_logs" / "version_0"
    for command in ("test", "validate", "predict"):
        assert cli(command, "--ckpt_path", "last").returncode == 0
    names = ["confusion_matrix_test-last.png", "predictions-last-test-split.csv", "reliability_test-last.png",
             "test_report-last.json"]
    before = {name: (run / name).read_bytes() for name in names}
    extended = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "4")
    assert extended.returncode == 0, extended.output
    assert ("note: last.ckpt no longer holds epoch 1: what test, validate and predict wrote of it is renamed after "
            "it: " + ", ".join(f"checkpoints/version_0/{name} -> {name.replace('last', 'last-epoch=1')}"
                               for name in names)
            + ", lightning_logs/version_0/test-last -> test-last-epoch=1, "
            "lightning_logs/version_0/validate-last -> validate-last-epoch=1\n") in extended.stdout
    after = {name: (run / name.replace("last", "last-epoch=1")).read_bytes() for name in names}
    # the report says which epoch it is of, and that last.ckpt, which it names, holds another since; the rest as it was
    report = json.loads(after.pop("test_report-last.json"))
    assert report.pop("checkpoint_epoch") == 1
    assert report.pop("note") == ("checkpoints/version_0/last.ckpt held epoch 1 when this report was written; a fit "
                                  "has replaced it since with a later epoch")
    assert report == json.loads(before["test_report-last.json"])
    assert after == {name: data for name, data in before.items() if name != "test_report-last.json"}
    assert not any((run / name).exists() for name in names)
    assert sorted(p.name for p in logs.iterdir() if p.is_dir()) == ["test-last-epoch=1", "validate-last-epoch=1"]
    assert json.loads(before["test_report-last.json"])["accuracy"] == pytest.approx(0.5849999785423279)
    # the next evaluations of last are of epoch 3, under the plain names
    assert cli("test", "--ckpt_path", "last").returncode == 0
    assert cli("predict", "--ckpt_path", "last").returncode == 0
    assert json.loads((run / "test_report-last.json").read_text())["accuracy"] != pytest.approx(0.5849999785423279)
    # a resume that trains nothing renames nothing
    assert "note: last.ckpt" not in cli("fit", "--ckpt_path", "last").output
    assert (run / "test_report-last.json").is_file()


def test_an_evaluation_of_last_ckpt_that_a_training_fit_replaced_meanwhile_names_its_outputs_after_the_epoch_it_read(
        cli, monkeypatch):
    """A test or predict of last.ckpt while a fit trained the run wrote test_report-last.json (predictions-last-*.csv)
    of the epoch it had read, beside a last.ckpt of later epochs. It now names them after the epoch it read."""
    import shutil

    from blobclf.callbacks import TestReport
    from blobclf.predictions import PredictionWriter

    assert cli("fit", *QUICK).returncode == 0
    run, logs = cli.cwd / "checkpoints" / "version_0", cli.cwd / "lightning_logs" / "version_0"

    def replacing(hook):
        def replaced(self, trainer, pl_module):  # as a fit's write of last.ckpt does, while the evaluation runs
            shutil.copy(run / "last.ckpt", run / "next.ckpt")
            os.replace(run / "next.ckpt", run / "last.ckpt")
            return hook(self, trainer, pl_module)
        return replaced

    monkeypatch.setattr(TestReport, "on_test_end", replacing(TestReport.on_test_end))
    monkeypatch.setattr(PredictionWriter, "on_predict_epoch_end", replacing(PredictionWriter.on_predict_epoch_end))
    tested = cli("test", "--ckpt_path", "last")
    assert tested.returncode == 0, tested.output
    assert tested.stdout.splitlines()[-1] == (
        "note: checkpoints/version_0/last.ckpt was replaced while test ran (a fit is training the run); what it wrote "
        "of epoch 1 is named after it: lightning_logs/version_0/test-last -> test-last-epoch=1, "
        "checkpoints/version_0/confusion_matrix_test-last.png -> confusion_matrix_test-last-epoch=1.png, "
        "checkpoints/version_0/reliability_test-last.png -> reliability_test-last-epoch=1.png, "
        "checkpoints/version_0/test_report-last.json -> test_report-last-epoch=1.json")
    report = json.loads((run / "test_report-last-epoch=1.json").read_text())
    assert report["accuracy"] == pytest.approx(0.585)
    assert (report["checkpoint"], report["checkpoint_epoch"]) == ("checkpoints/version_0/last.ckpt", 1)
    predicted = cli("predict", "--ckpt_path", "last")
    assert predicted.returncode == 0, predicted.output
    assert predicted.stdout.splitlines()[-1].endswith(
        "what it wrote of epoch 1 is named after it: checkpoints/version_0/predictions-last-test-split.csv -> "
        "predictions-last-epoch=1-test-split.csv")
    assert sorted(p.name for p in run.iterdir() if "last" in p.name) == [
        "confusion_matrix_test-last-epoch=1.png", "last.ckpt", "predictions-last-epoch=1-test-split.csv",
        "reliability_test-last-epoch=1.png", "test_report-last-epoch=1.json"]
    assert sorted(p.name for p in logs.iterdir() if p.is_dir()) == ["test-last-epoch=1"]


def test_evaluations_of_one_checkpoint_at_once_show_one_evaluation_in_tensorboard_and_the_next_one_tidies(cli):
    """Three tests of last.ckpt at once each keep their event file (each sees the others running when it ends):
    TensorBoard still shows one value of each scalar and one image of each figure, those of the report, and the
    next test there leaves one file."""
    import subprocess
    import sys

    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    assert cli("fit", *QUICK).returncode == 0
    folder = cli.cwd / "lightning_logs" / "version_0" / "test-last"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    tests = [subprocess.Popen([sys.executable, "-m", "blobclf", "test", "--ckpt_path", "last"], cwd=cli.cwd, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(3)]
    assert [test.wait(timeout=300) for test in tests] == [0, 0, 0]

    def shown():
        events = EventAccumulator(str(folder), size_guidance={"scalars": 0, "images": 0})
        events.Reload()
        return ({tag: [(e.step, round(e.value, 6)) for e in events.Scalars(tag)] for tag in ("test/acc", "test/loss")},
                {tag: len(events.Images(tag)) for tag in events.Tags()["images"]})

    report = json.loads((cli.cwd / "checkpoints" / "version_0" / "test_report-last.json").read_text())
    expected = ({"test/acc": [(1, round(report["accuracy"], 6))], "test/loss": [(1, round(report["loss"], 6))]},
                {"figures/confusion_matrix_test": 1, "figures/reliability_test": 1})
    assert 1 <= len(list(folder.glob("events.out.tfevents.*"))) <= 3 and shown() == expected
    assert cli("test", "--ckpt_path", "last").returncode == 0
    assert len(list(folder.glob("events.out.tfevents.*"))) == 1 and shown() == expected


def test_a_file_a_library_names_in_bytes_is_named_in_the_one_line_refusal():
    """A test whose log folder was removed while it ran ended in a TypeError traceback: TensorBoard's writer names its
    event file in bytes, which the refusal's line could not show."""
    import errno

    from blobclf.messages import refused_write

    events = b"lightning_logs/version_0/test-last/events.out.tfevents.1.vm.2.0"
    assert refused_write(FileNotFoundError(errno.ENOENT, "No such file or directory", events), None, "test") == (
        "cannot use 'lightning_logs/version_0/test-last/events.out.tfevents.1.vm.2.0': No such file or directory")


def test_a_run_without_a_logger_keeps_its_config_in_its_own_folder_and_resumes_and_tests_there(cli, monkeypatch):
    """``fit --trainer.logger false`` wrote config.yaml into the folder the command ran in (every such run the
    same file, then resume-K.yaml beside it), its resume wrote its checkpoints and exports into checkpoints/ itself,
    beside the run folders, and a test of it logged into lightning_logs/version_0/test-last, a folder of no run.
    The run's config.yaml is now in its checkpoint folder, its resume goes on there, and its evaluations log nothing."""
    import signal

    from blobclf.system import BlobClassifier

    no_logger = ["--trainer.logger", "false"]
    assert cli("fit", *QUICK, *no_logger).returncode == 0
    assert cli("fit", *QUICK, *no_logger).returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["checkpoints"]
    assert sorted(p.name for p in (cli.cwd / "checkpoints").iterdir()) == ["version_0", "version_1"]
    assert "logger: false" in (run / "config.yaml").read_text()
    resumed = cli("fit", "--ckpt_path", str(run / "last.ckpt"), "--trainer.max_epochs", "3")
    assert resumed.returncode == 0, resumed.output
    assert sorted(p.name for p in (cli.cwd / "checkpoints").iterdir()) == ["version_0", "version_1"]
    assert (run / "best-epoch=2-val_acc=0.6400.ckpt").is_file()
    assert sorted(p.name for p in run.glob("*.yaml")) == ["config.yaml", "resume-1.yaml"]
    tested = cli("test", "--ckpt_path", str(run / "last.ckpt"))
    assert tested.returncode == 0, tested.output
    assert json.loads((run / "test_report-last.json").read_text())["accuracy"] == pytest.approx(0.64)
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["checkpoints"]
    repeated = cli("fit", "--config", str(run / "config.yaml"), "--trainer.max_epochs", "1")
    assert repeated.returncode == 0, repeated.output
    assert (cli.cwd / "checkpoints" / "version_2" / "config.yaml").is_file()
    # stopped before its first epoch, such a run leaves nothing, its config.yaml included
    monkeypatch.setattr(BlobClassifier, "on_fit_start", lambda self: os.kill(os.getpid(), signal.SIGTERM))
    assert cli("fit", *QUICK, *no_logger).returncode == 143
    assert sorted(p.name for p in (cli.cwd / "checkpoints").iterdir()) == ["version_0", "version_1", "version_2"]


def test_a_run_given_an_empty_list_of_loggers_is_evaluated_without_a_logger(cli):
    # --trainer.logger '[]' trains without a logger as false does, but a test of the run logged into
    # lightning_logs/version_0/test-last, a folder of no run
    assert cli("fit", *QUICK, "--trainer.logger", "[]").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["checkpoints"]
    tested = cli("test", "--ckpt_path", "last")
    assert tested.returncode == 0, tested.output
    assert json.loads((run / "test_report-last.json").read_text())["accuracy"] == pytest.approx(0.585)
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["checkpoints"]


def test_a_resume_of_a_run_ended_by_max_steps_trains_nothing_and_leaves_the_run_folder_unchanged(cli):
    """A resume of a run that had trained its --trainer.max_steps wrote resume-1.yaml and a new event file into the
    run's log folder, and printed the fit's table, though Lightning stopped it at once. It now writes nothing, and
    says so in one line, as for a run at its max_epochs; a max_steps above the steps done trains on (given a smaller
    one, the line said "a larger one trains on", and 3, larger than 2, trained nothing either)."""
    assert cli("fit", "--trainer.max_steps", "3", "--export.figures", "false", "--export.onnx", "false").returncode == 0
    before = {path: path.read_bytes() for path in cli.cwd.rglob("*") if path.is_file()}
    for steps in ([], ["--trainer.max_steps", "2"]):
        again = cli("fit", "--ckpt_path", "last", *steps)
        assert again.returncode == 0, again.output
        assert again.stdout.splitlines()[-1] == (
            "nothing was trained; the exports in checkpoints/version_0 are complete and kept as they were, and the run "
            "is left unchanged: checkpoints/version_0/last.ckpt has done its 3 steps "
            f"(--trainer.max_steps {steps[-1] if steps else 3}; one above 3 trains on)")
        assert {path: path.read_bytes() for path in cli.cwd.rglob("*") if path.is_file()} == before
    assert cli("fit", "--ckpt_path", "last", "--trainer.max_steps", "5").returncode == 0
    assert load_checkpoint(cli.cwd / "checkpoints" / "version_0" / "last.ckpt")["global_step"] == 5
    assert sorted(p.name for p in (cli.cwd / "lightning_logs" / "version_0").glob("resume-*.yaml")) == ["resume-1.yaml"]
