"""What a new user types wrong in the first hour (newuser7), each answered in one line that names the fix."""

from __future__ import annotations

import pytest
from conftest import example_datasets, one_error


@pytest.mark.parametrize(("args", "line"), [
    # was: "did you mean --trainer.plugins?" (the closest spelling, not the option Lightning 2.0 put in its place)
    (["fit", "--trainer.gpus", "1"], "unrecognized arguments: --trainer.gpus 1; Lightning 2.0 replaced it with "
     "--trainer.accelerator gpu --trainer.devices N (see --help)"),
    (["fit", "--trainer.resume_from_checkpoint", "x.ckpt"], "unrecognized arguments: --trainer.resume_from_checkpoint "
     "x.ckpt; Lightning 2.0 replaced it with --ckpt_path PATH (see --help)"),
    (["fit", "--config", "old.yaml"], "Subcommand 'fit' does not accept option 'trainer.gpus' (a key of a --config "
     "file); Lightning 2.0 replaced it with --trainer.accelerator gpu --trainer.devices N (see --help)"),
    # was: "--seed_everything='None' is invalid", a value the user did not type
    (["fit", "--seed_everything", "null"], "--seed_everything=null is invalid: give true, false or an integer "
     "(see --help)"),
    # was: "checkpoint 'lats' does not exist", without the two words --ckpt_path takes
    (["test", "--ckpt_path", "lats"], "checkpoint 'lats' does not exist; did you mean --ckpt_path last (the newest "
     "run's last checkpoint)?"),
    (["test", "--ckpt_path", "Last"], "checkpoint 'Last' does not exist; did you mean --ckpt_path last (the newest "
     "run's last checkpoint)?"),
    (["predict", "--ckpt_path", "best.ckpt"], "checkpoint 'best.ckpt' does not exist; did you mean --ckpt_path best "
     "(the newest run's best checkpoint)?"),
    (["test", "--ckpt_path", "model.ckpt"], "checkpoint 'model.ckpt' does not exist"),
], ids=["gpus", "resume-from-checkpoint", "gpus-in-config", "seed-null", "lats", "Last", "best-ckpt", "no-close-name"])
def test_a_new_users_slip_gets_the_line_that_names_the_fix(cli, args, line):
    (cli.cwd / "old.yaml").write_text("trainer:\n  gpus: 1\n")
    assert one_error(cli(*args)) == line
    assert sorted(path.name for path in cli.cwd.iterdir()) == ["old.yaml"]  # nothing written


def test_write_datasets_help_prints_its_usage_and_writes_no_folder_named_help(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as done:
        example_datasets().main(["--help"])  # was: wrote --help/iris.csv and --help/wine.csv
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("usage: python examples/write_datasets.py [-h] [folder]\n")
    assert list(tmp_path.iterdir()) == []
    example_datasets().main(["data"])
    assert capsys.readouterr().out == "wrote data/iris.csv\nwrote data/wine.csv\n"


@pytest.mark.parametrize(("config", "args", "line"), [
    # was: "--data.data_dir is not an option of BlobDataModule; ...", as if typed on the command line
    ("data:\n  data_dir: x\n", [], "'data.data_dir' in --config c.yaml is not an option of BlobDataModule; its "
     "options: python -m blobclf fit --data.help BlobDataModule (see --help)"),
    ("optimizer:\n  class_path: torch.optim.SGD\n  init_args:\n    lr: 0.1\n    momentun: 0.9\n", [],
     "'optimizer.momentun' in --config c.yaml is not an option of SGD; did you mean --optimizer.momentum? "
     "(see --help)"),
    # typed on the command line, the option is the command line's even with a config file
    ("trainer:\n  max_epochs: 3\n", ["--data.data_dir", "x"], "--data.data_dir is not an option of BlobDataModule; "
     "its options: python -m blobclf fit --data.help BlobDataModule (see --help)"),
], ids=["data-key", "optimizer-key", "typed"])
def test_a_class_option_a_config_file_gives_is_named_with_the_file(cli, config, args, line):
    (cli.cwd / "c.yaml").write_text(config)
    assert one_error(cli("fit", "--config", "c.yaml", *args)) == line


def test_a_logger_appended_without_its_folder_names_the_setting_and_the_advice_trains(cli):
    # was: jsonargparse's 'Parser key "trainer.logger": [Namespace(class_path=...RunLogger, ...), ...] is invalid:
    # Not a valid subclass of Logger' over a thousand characters, naming neither CSVLogger nor save_dir
    line = one_error(cli("fit", "--trainer.logger+=CSVLogger"))
    assert line == ("--trainer.logger+=CSVLogger needs --trainer.logger.save_dir after it (CSVLogger has no default "
                    "for it): --trainer.logger+=CSVLogger --trainer.logger.save_dir csv_logs")
    assert list(cli.cwd.iterdir()) == []
    advice = line.split(": ", 1)[1].split()
    done = cli("fit", *advice, "--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx", "false")
    assert done.returncode == 0, done.output
    assert (cli.cwd / "csv_logs" / "lightning_logs" / "version_0" / "metrics.csv").is_file()
    assert (cli.cwd / "lightning_logs" / "version_0" / "config.yaml").is_file()  # the run's own logger, as before
