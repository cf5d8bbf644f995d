"""A run made with a logger version holding '/' (``exp/1``), before such versions were refused, can still be resumed
and evaluated; a new run with one is still refused."""

from __future__ import annotations

import json

import pytest
import torch

from conftest import one_error

QUICK = ("--export.figures", "false", "--export.onnx", "false")


@pytest.fixture
def old_run(cli, monkeypatch):
    """A run in checkpoints/exp/1 with its logs in lightning_logs/exp/1, made as blobclf made it before the refusal."""
    import blobclf.cli

    (cli.cwd / "checkpoints" / "exp").mkdir(parents=True)
    with monkeypatch.context() as before:
        before.setattr(blobclf.cli, "names_resumed_run", lambda *args: True)  # no refusal then
        result = cli("fit", "--trainer.max_epochs", "2", *QUICK, "--trainer.logger.init_args.version", "exp/1")
    assert result.returncode == 0, result.output
    assert "last checkpoint: checkpoints/exp/1/last.ckpt" in result.output
    assert (cli.cwd / "lightning_logs" / "exp" / "1" / "config.yaml").is_file()
    return cli


def test_an_old_run_with_a_slash_in_its_version_resumes_with_its_config_in_its_own_folders(old_run):
    # 'fit --config lightning_logs/exp/1/config.yaml --ckpt_path checkpoints/exp/1/last.ckpt' was refused with
    # "--trainer.logger.init_args.version='exp/1' is not a plain folder name", though the run is in that folder
    cli = old_run
    result = cli("fit", "--config", "lightning_logs/exp/1/config.yaml", "--ckpt_path", "checkpoints/exp/1/last.ckpt",
                 "--trainer.max_epochs", "3", *QUICK)
    assert result.returncode == 0, result.output
    assert "last checkpoint: checkpoints/exp/1/last.ckpt" in result.output
    assert torch.load(cli.cwd / "checkpoints/exp/1/last.ckpt", weights_only=False)["epoch"] == 3  # epochs trained
    assert json.loads((cli.cwd / "checkpoints/exp/1/model.json").read_text())["epochs"] == 3
    assert (cli.cwd / "lightning_logs" / "exp" / "1" / "resume-1.yaml").is_file()  # its own logs go on
    assert sorted(p.name for p in (cli.cwd / "lightning_logs").iterdir()) == ["exp"]
    assert sorted(p.name for p in (cli.cwd / "checkpoints").iterdir()) == ["exp"]
    result = cli("test", "--config", "lightning_logs/exp/1/config.yaml", "--ckpt_path", "checkpoints/exp/1/last.ckpt")
    assert result.returncode == 0, result.output
    assert "test report: checkpoints/exp/1/test_report-last.json" in result.output


def test_a_slash_version_naming_another_folder_than_the_resumed_run_is_still_refused(old_run):
    cli = old_run
    assert one_error(cli("fit", "--ckpt_path", "checkpoints/exp/1/last.ckpt", "--trainer.max_epochs", "3",
                         "--trainer.logger.init_args.version", "exp/2")) == (
        "--trainer.logger.init_args.version='exp/2' is not a plain folder name: the run's checkpoints would go to "
        "'checkpoints/exp/2' instead of a folder of their own in --checkpoint.root 'checkpoints'; give a name without "
        "'/' (or leave it unset for the next free version_N)")
    assert one_error(cli("fit", "--trainer.max_epochs", "1", "--trainer.logger.init_args.version", "exp/1")) == (
        "--trainer.logger.init_args.version='exp/1' is not a plain folder name: the run's checkpoints would go to "
        "'checkpoints/exp/1' instead of a folder of their own in --checkpoint.root 'checkpoints'; give a name without "
        "'/' (or leave it unset for the next free version_N)")
    assert torch.load(cli.cwd / "checkpoints/exp/1/last.ckpt", weights_only=False)["epoch"] == 2  # untouched


def test_an_old_run_with_a_slash_in_its_version_resumed_without_its_config_goes_on_in_its_own_log_folder(old_run):
    # 'fit --ckpt_path checkpoints/exp/1/last.ckpt' (no --config) trained on in checkpoints/exp/1 but logged into a
    # new lightning_logs/version_0, with a config.yaml of its own as if a new run
    cli = old_run
    result = cli("fit", "--ckpt_path", "checkpoints/exp/1/last.ckpt", "--trainer.max_epochs", "3")
    assert result.returncode == 0, result.output
    assert sorted(p.name for p in (cli.cwd / "lightning_logs").iterdir()) == ["exp"]
    assert (cli.cwd / "lightning_logs" / "exp" / "1" / "resume-1.yaml").is_file()
    meta = json.loads((cli.cwd / "checkpoints/exp/1/model.json").read_text())
    assert (meta["epochs"], meta["log_dir"]) == (3, "lightning_logs/exp/1")
