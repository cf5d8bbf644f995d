"""A run's limits across its resumes: a resume's smaller max_epochs is the run's from then on, and says so; a run its
max_time ended trains on only with a longer max_time."""

from __future__ import annotations

import re

import torch

from conftest import one_error
from test_resume_settings import stopped_in_epoch

from blobclf.safeload import load_checkpoint

SMALL = ("--data.n_samples", "200", "--export.figures", "false", "--export.onnx", "false",
         "--checkpoint.last_interval", "0")
UNCHANGED = ("nothing was trained; the exports in checkpoints/version_0 are complete and kept as they were, and the run "
             "is left unchanged: checkpoints/version_0/last.ckpt ")


def test_a_resumes_smaller_max_epochs_is_the_runs_from_then_on_and_the_lines_say_whose_it_is(cli, monkeypatch):
    """A run started with 3000 epochs, resumed with 3, said later that it "has done its 3 epochs (--trainer.max_epochs
    3; ...)", as if the run had been started so. The resume that set 3 says it is recorded, and the later line names
    the run's first value."""
    stopped_in_epoch(cli, monkeypatch, 1, *SMALL, "--trainer.max_epochs", "3000")
    shorter = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3")
    assert shorter.returncode == 0, shorter.output
    assert ("note: --trainer.max_epochs 3 replaces the run's 3000, and is recorded: later resumes train to 3 too, "
            "unless given another --trainer.max_epochs") in shorter.output
    again = cli("fit", "--ckpt_path", "last")
    assert again.returncode == 0, again.output
    assert again.stdout.splitlines()[-1] == UNCHANGED + (
        "has done its 3 epochs (--trainer.max_epochs 3, set by a resume of the run, which was started with 3000; one "
        "above 3 trains on, such as 3000)")
    given = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3")  # the same value, given: still true
    assert given.stdout.splitlines()[-1] == again.stdout.splitlines()[-1]
    assert one_error(cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "2")).startswith(
        "--trainer.max_epochs=2 is below the 3 epochs")
    longer = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "4")
    assert longer.returncode == 0 and "note: --trainer.max_epochs" not in longer.output, longer.output
    # written at each epoch's end (last_interval 0), then again once Lightning counted the last epoch completed
    finished = load_checkpoint(cli.cwd / "checkpoints" / "version_0" / "last.ckpt")
    assert finished["epoch"] == 4
    assert finished["loops"]["fit_loop"]["epoch_progress"]["current"]["completed"] == 4


def test_a_run_at_its_own_max_epochs_says_so_without_a_resumes_name(cli):
    assert cli("fit", *SMALL, "--trainer.max_epochs", "2").returncode == 0
    again = cli("fit", "--ckpt_path", "last")
    assert again.stdout.splitlines()[-1] == UNCHANGED + (
        "has done its 2 epochs (--trainer.max_epochs 2; one above 2 trains on)")


def test_a_run_its_max_time_ended_trains_on_only_with_a_longer_max_time(cli):
    """Such a run was taken for one a callback of its own had ended: its resume trained nothing, whatever max_time it
    was given, and said to start a new run "with other settings". Lightning's Timer keeps the time trained in the
    checkpoint: the same max_time trains nothing, and says so; a longer one trains on."""
    assert cli("fit", *SMALL, "--trainer.max_time", "00:00:00:01").returncode == 0
    last = cli.cwd / "checkpoints" / "version_0" / "last.ckpt"
    steps = load_checkpoint(last)["global_step"]
    again = cli("fit", "--ckpt_path", "last")
    assert again.returncode == 0, again.output
    line = again.stdout.splitlines()[-1]
    assert re.fullmatch(re.escape(UNCHANGED + "has trained its --trainer.max_time 00:00:00:01 (") + r"\d+\.\d s of training, "
                        r"stopped after epoch \d+\); a longer --trainer.max_time trains on, for the time above it",
                        line), line
    longer = cli("fit", "--ckpt_path", "last", "--trainer.max_time", "00:00:00:02")
    assert longer.returncode == 0, longer.output
    assert load_checkpoint(last)["global_step"] > steps
    # a shorter one, used up: it said "has trained its --trainer.max_time 00:00:00:01", the run's being 2 s
    shorter = one_error(cli("fit", "--ckpt_path", "last", "--trainer.max_time", "00:00:00:01"))
    assert re.fullmatch(r"--trainer.max_time=00:00:00:01 is below the \d+\.\d s of training "
                        r"'checkpoints/version_0/last.ckpt' has done; give a longer one to train on, or drop the "
                        r"option to keep the run's own \(00:00:00:02\)", shorter), shorter


def test_a_resumes_shorter_max_time_is_the_runs_from_then_on_and_the_lines_say_whose_it_is(cli, monkeypatch):
    """As a shorter max_epochs: the resume that gives it says it is recorded, and the line of a later resume that finds
    the run at it names the run's first value (it named the shorter one as the run's own)."""
    stopped_in_epoch(cli, monkeypatch, 1, *SMALL, "--trainer.max_epochs", "100000", "--trainer.max_time", "00:01:00:00")
    shorter = cli("fit", "--ckpt_path", "last", "--trainer.max_time", "00:00:00:01")
    assert shorter.returncode == 0, shorter.output
    assert ("note: --trainer.max_time 00:00:00:01 replaces the run's 00:01:00:00, and is recorded: later resumes train "
            "to 00:00:00:01 too, unless given another --trainer.max_time") in shorter.output
    again = cli("fit", "--ckpt_path", "last")
    assert re.fullmatch(re.escape(UNCHANGED + "has trained its --trainer.max_time 00:00:00:01, set by a resume of the "
                                  "run, which was started with 00:01:00:00 (") + r"\d+\.\d s of training, stopped "
                        r"after epoch \d+\); a longer --trainer.max_time trains on, for the time above it",
                        again.stdout.splitlines()[-1]), again.output


def test_a_max_time_given_as_a_dict_is_the_runs_on_a_plain_resume_also_as_an_older_blobclf_recorded_it(cli):
    """'--trainer.max_time {seconds: 1}' was recorded split, as trainer.max_time.seconds, which the resume's parser had
    no option for: a plain resume trained on without a time limit (to max_epochs 100000, until killed). blobclf before
    2026-12-07 also recorded such a run's end as a callback's stop."""
    assert cli("fit", *SMALL, "--trainer.max_epochs", "100000", "--trainer.max_time", "{seconds: 1}").returncode == 0
    last = cli.cwd / "checkpoints" / "version_0" / "last.ckpt"
    checkpoint = load_checkpoint(last)
    (training,) = [state["training"] for state in checkpoint["callbacks"].values() if "training" in state]
    assert training["settings"]["trainer.max_time"] == {"seconds": 1}
    assert training["started"]["trainer.max_time"] == {"seconds": 1}
    expected = re.escape(UNCHANGED + "has trained its --trainer.max_time {'seconds': 1} (") + (
        r"\d+\.\d s of training, stopped after epoch \d+\); a longer --trainer.max_time trains on, for the time above it")
    again = cli("fit", "--ckpt_path", "last")
    assert re.fullmatch(expected, again.stdout.splitlines()[-1]), again.output
    # as blobclf of 69cf175 wrote it
    del training["settings"]["trainer.max_time"], training["started"]
    training["settings"]["trainer.max_time.seconds"] = 1
    (ended,) = [state for state in checkpoint["callbacks"].values() if "training_ended" in state]
    ended["training_ended"] = "a callback's stop"
    torch.save(checkpoint, last)
    older = cli("fit", "--ckpt_path", "last")
    assert re.fullmatch(expected, older.stdout.splitlines()[-1]), older.output
    assert load_checkpoint(last)["global_step"] == checkpoint["global_step"]
    # as blobclf before 2026-12-07 left it once resumed: its parser had no trainer.max_time.seconds, so the resume
    # trained without the limit and recorded none (and no Timer state); a plain resume went on to max_epochs 100000
    training["settings"]["trainer.max_time"] = None
    del training["settings"]["trainer.max_time.seconds"]
    ended["training_ended"] = None
    del checkpoint["callbacks"][next(key for key in checkpoint["callbacks"] if key.startswith("Timer"))]
    torch.save(checkpoint, last)
    assert one_error(cli("fit", "--ckpt_path", "last")) == (
        "'checkpoints/version_0/last.ckpt' is of a run started with --trainer.max_time {'seconds': 1}, which a resume by "
        "blobclf before 2026-12-07 dropped: the run records no time limit since, and would train on to its "
        "--trainer.max_epochs 100000; give --trainer.max_time again (the time trained before is not counted), or "
        "--trainer.max_time null to train without one")
    assert load_checkpoint(last)["global_step"] == checkpoint["global_step"]
