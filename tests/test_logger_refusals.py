"""Logger settings that cannot work are refused in one line that names the fix, before anything is made."""

from __future__ import annotations

from pathlib import Path

from conftest import one_error

QUICK = ("--data.n_samples", "200", "--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx", "false")
LAST = str(Path("checkpoints/version_0/last.ckpt"))


def _files(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


def test_a_learning_rate_monitor_without_a_logger_is_refused_before_any_folder_is_made(cli):
    """Lightning refused it once the trainer was set up, in its own words, naming no fix."""
    for given, said in (("false", "false"), ("[]", "an empty list")):
        refused = cli("fit", *QUICK, "--trainer.logger", given, "--trainer.callbacks+=LearningRateMonitor")
        assert one_error(refused) == (
            f"--trainer.callbacks LearningRateMonitor logs to the run's logger, and --trainer.logger is {said}; drop "
            f"--trainer.logger {given} (the run then logs to lightning_logs/version_N), or the callback")
        assert list(cli.cwd.iterdir()) == []


def test_a_learning_rate_monitor_with_lightnings_default_logger_null_trains_and_logs(cli):
    # null is Lightning's default logger: refused as 'false' for a day, naming a fix for an option not given
    fitted = cli("fit", *QUICK, "--trainer.logger", "null", "--trainer.callbacks+=LearningRateMonitor")
    assert fitted.returncode == 0, fitted.output
    assert [path.name for path in (cli.cwd / "lightning_logs" / "version_0").glob("events.out.tfevents.*")] != []


def test_a_run_without_a_logger_refuses_a_logger_its_evaluation_or_resume_would_drop_or_change(cli):
    assert cli("fit", *QUICK, "--trainer.logger", "false").returncode == 0
    before = _files(cli.cwd)
    for command, holds in (("test", "the report"), ("validate", "the printed table")):
        # the logger was dropped without a word: the evaluation logged nothing
        assert one_error(cli(command, "--ckpt_path", "last", "--trainer.logger", "CSVLogger")) == (
            f"--trainer.logger CSVLogger has no log folder to write to: {LAST!r} is of a run trained without a logger "
            f"(--trainer.logger false), and {command} logs beside its run; drop the option ({holds} holds the "
            "results), or give the logger a version of its own (--trainer.logger.init_args.version NAME)")
    resumed = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3", "--trainer.callbacks+=LearningRateMonitor")
    assert one_error(resumed) == (
        "--trainer.callbacks LearningRateMonitor logs to the run's logger, and the run was trained without one "
        "(--trainer.logger false), which a resume keeps; drop the callback")
    # the refusal printed the whole of the other side's settings as a Python dict
    other = cli("fit", "--ckpt_path", "last", "--trainer.logger", "TensorBoardLogger", "--trainer.logger.save_dir", "x")
    assert one_error(other) == (
        "trainer.logger='lightning.pytorch.loggers.TensorBoardLogger' (from the command line or a --config file) "
        f"conflicts with the checkpoint {LAST!r}, which was trained with trainer.logger=False; resume with just "
        "'fit --ckpt_path', which takes every setting from the run, or pass another checkpoint")
    # a list of two: not refused, and CSVLogger made lightning_logs/version_0 beside the run
    (cli.cwd / "two.yaml").write_text("trainer:\n  logger:\n    - class_path: CSVLogger\n"
                                      "    - class_path: TensorBoardLogger\n")
    before[cli.cwd / "two.yaml"] = (cli.cwd / "two.yaml").read_bytes()
    assert one_error(cli("test", "--ckpt_path", "last", "--config", "two.yaml")) == (
        f"--trainer.logger CSVLogger has no log folder to write to: {LAST!r} is of a run trained without a logger "
        "(--trainer.logger false), and test logs beside its run; drop the option (the report holds the results), or "
        "give the logger a version of its own (--trainer.logger.init_args.version NAME)")
    assert _files(cli.cwd) == before
    given = cli("test", "--ckpt_path", "last", "--trainer.logger", "CSVLogger", "--trainer.logger.init_args.version",
                "mine")
    assert given.returncode == 0, given.output  # a version of its own: honoured
    assert (cli.cwd / "lightning_logs" / "mine" / "metrics.csv").read_text().startswith("epoch,step,test/acc")


def test_an_evaluation_given_two_loggers_logs_beside_its_run_as_one_logger_does(cli):
    """A list of loggers was passed on as it was: each made a new lightning_logs/version_N of its own."""
    assert cli("fit", *QUICK).returncode == 0
    (cli.cwd / "two.yaml").write_text("trainer:\n  logger:\n    - class_path: CSVLogger\n"
                                      "    - class_path: TensorBoardLogger\n")
    tested = cli("test", "--ckpt_path", "last", "--config", "two.yaml")
    assert tested.returncode == 0, tested.output
    logs = cli.cwd / "lightning_logs"
    assert [path.name for path in logs.iterdir()] == ["version_0"]
    assert (logs / "version_0" / "metrics.csv").read_text().startswith("epoch,step,test/acc")
    assert len(list((logs / "version_0" / "test-last").glob("events.out.tfevents.*"))) == 1
