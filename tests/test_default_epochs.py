"""``blobclf fit`` without a config trains the tutorial's 100 epochs, not Lightning's 1000.

An installed package has no ``configs/`` folder: the command it can run as it stands must be the
tutorial's run. A limit the user gives (``max_epochs``, ``max_steps``, ``max_time``) is kept as given.
"""

from __future__ import annotations

import json

import pytest
import yaml

from conftest import TUTORIAL_TABLE, run_cli

NO_FILES = ("--export.figures", "false", "--export.onnx", "false", "--data.n_samples", "40")


def run_settings(cwd):
    """The trained epochs (``model.json``) and the recorded trainer limits (``config.yaml``) of run 0."""
    epochs = json.loads((cwd / "checkpoints" / "version_0" / "model.json").read_text())["epochs"]
    trainer = yaml.safe_load((cwd / "lightning_logs" / "version_0" / "config.yaml").read_text())["trainer"]
    return epochs, trainer["max_epochs"], trainer["max_steps"]


def test_fit_without_any_limit_trains_the_tutorials_100_epochs(cli):
    result = cli("fit", *NO_FILES)
    assert result.returncode == 0, result.output
    assert "was not set. Setting it to 1000 epochs" not in result.output
    assert "`Trainer.fit` stopped: `max_epochs=100` reached." in result.output
    assert run_settings(cli.cwd) == (100, 100, -1)


def test_a_step_limit_alone_is_not_cut_to_100_epochs(cli):
    result = cli("fit", *NO_FILES, "--trainer.max_steps", "130")  # full batch: one step per epoch
    assert result.returncode == 0, result.output
    assert run_settings(cli.cwd) == (130, None, 130)


def test_the_fit_help_names_the_default_epochs(cli):
    result = cli("fit", "--help")
    assert "--trainer.max_epochs N (a new run without max_steps or max_time: 100, the tutorial's)" in " ".join(
        result.stdout.split())


@pytest.mark.slow
def test_fit_without_a_config_from_another_folder_prints_the_tutorial_table(tmp_path):
    result = run_cli(tmp_path, "fit", "--export.figures", "false", "--export.onnx", "false")
    assert result.returncode == 0, result.output
    printed = [line for line in result.stdout.splitlines() if line.startswith("Epoch: ")]
    expected = [f"Epoch: {epoch} | Train Loss: {loss}, Train Acc: {acc} | Test Loss: {test_loss}, Test Acc: {test_acc}"
                for epoch, (loss, acc, test_loss, test_acc) in TUTORIAL_TABLE.items()]
    assert printed == [*expected, "Epoch: 99 | Train Loss: 0.09843, Train Acc: 0.96 | Test Loss: 0.08555, Test Acc: 0.96"]


def test_the_printed_config_names_the_epochs_the_run_trains_and_fed_back_trains_them(cli):
    # it printed Lightning's max_epochs: null, which --config read back as Lightning's own 1000 epochs... or as
    # blobclf's 100 only by the same rule: the config did not say what the run would do
    result = cli("fit", *NO_FILES, "--print_config")
    assert result.returncode == 0, result.output
    printed = yaml.safe_load(result.stdout)["trainer"]
    assert (printed["max_epochs"], printed["max_steps"], printed["max_time"]) == (100, -1, None)
    assert yaml.safe_load(cli("--print_config", "fit").stdout)["fit"]["trainer"]["max_epochs"] == 100
    with_steps = yaml.safe_load(cli("fit", "--trainer.max_steps", "130", "--print_config").stdout)["trainer"]
    assert (with_steps["max_epochs"], with_steps["max_steps"]) == (None, 130)
    (cli.cwd / "printed.yaml").write_text(result.stdout)
    assert cli("fit", "--config", "printed.yaml").returncode == 0
    assert run_settings(cli.cwd) == (100, 100, -1)


def test_the_printed_config_of_a_checkpoint_command_holds_the_checkpoints_settings(cli):
    # it printed the command line's defaults (hidden_units 8, max_epochs null), not the run's (16, 2)
    assert cli("fit", *NO_FILES, "--trainer.max_epochs", "2", "--model.hidden_units", "16").returncode == 0
    for subcommand in ("fit", "test"):
        result = cli(subcommand, "--ckpt_path", "last", "--print_config")
        assert result.returncode == 0, result.output
        printed = yaml.safe_load(result.stdout)
        assert (printed["model"]["hidden_units"], printed["data"]["init_args"]["n_samples"]) == (16, 40), subcommand
        assert printed["trainer"]["max_epochs"] == (2 if subcommand == "fit" else None)
    conflict = cli("test", "--ckpt_path", "last", "--model.hidden_units", "8", "--print_config")
    assert conflict.returncode == 2 and "conflicts with the checkpoint" in conflict.stderr and not conflict.stdout
