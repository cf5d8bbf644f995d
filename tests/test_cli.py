"""The command line: help, config printing, and one-line errors for user mistakes."""

from __future__ import annotations

import pytest
import yaml
from conftest import SGD_CONFIG, run_cli


def test_help_lists_every_option_with_its_documentation(tmp_path):
    result = run_cli(tmp_path, "fit", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: blobclf [options] fit")
    text = " ".join(result.stdout.split())
    for option, doc in [
        ("--data.n_samples", "Total number of points"),
        ("--data.cluster_std", "Standard deviation of each blob"),
        ("--data.val_size", "Fraction of the training split held out for validation"),
        ("--data.batch_size", "Training batch size"),
        ("--model.hidden_units", "Width of both hidden layers"),
        ("--model.lr", "SGD learning rate"),
        ("--model.momentum", "SGD momentum"),
        ("--trainer.accelerator", ""),
        ("--checkpoint.monitor", "Metric that decides which checkpoint is best"),
    ]:
        assert option in text
        assert doc in text


def test_print_config_shows_the_tutorial_settings(tmp_path):
    result = run_cli(tmp_path, "fit", "--config", str(SGD_CONFIG), "--print_config")
    assert result.returncode == 0, result.output
    config = yaml.safe_load(result.stdout)
    assert config["seed_everything"] == 42
    assert config["trainer"]["max_epochs"] == 100
    assert config["model"]["lr"] == 0.1 and config["model"]["hidden_units"] == 8
    assert config["data"]["batch_size"] is None and config["data"]["n_samples"] == 1000
    assert not (tmp_path / "lightning_logs").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["fit", "--no_such_option", "3"], "unrecognized arguments: --no_such_option 3"),
        (["fit", "--model.lr", "abc"], 'Parser key "model.lr": Not of type PositiveFloat'),
        (["fit", "--model.lr", "-1"], "-1 does not conform to restriction v>0"),
        (["fit", "--config", "missing.yaml"], "missing.yaml"),
        (["fit", "--data.batch_size", "0"], 'Parser key "data.batch_size": 0 is invalid'),
        (["fit", "--data.centers", "1"], "1 does not conform to restriction v>=2"),
        (["fit", "--data.test_size", "1.5"], "1.5 does not conform to restriction v>0 and v<1"),
        (["fit", "--trainer.max_epochs", "-5"], "--trainer.max_epochs=-5 is invalid"),
        (["fit", "--data.n_samples", "2", "--data.val_size", "0.5"], "n_samples=2 is too small for test_size=0.2"),
        (["fit", "--trainer.accelerator", "gpu"], "--trainer.accelerator=gpu but this machine has no usable CUDA GPU"),
        (["test"], "'test' needs --ckpt_path PATH"),
        (["predict"], "'predict' needs --ckpt_path PATH"),
        (["test", "--ckpt_path", "nothere.ckpt"], "checkpoint 'nothere.ckpt' does not exist"),
        (["fit", "--ckpt_path", "last"], "no runs found under 'checkpoints'"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_user_errors_get_one_line_and_exit_2(tmp_path, args, expected):
    result = run_cli(tmp_path, *args)
    assert result.returncode == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("blobclf: error:")]
    assert len(errors) == 1, result.stderr
    assert expected in errors[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "checkpoints").exists()


def test_top_level_help_lists_every_subcommand(tmp_path):
    result = run_cli(tmp_path, "--help")
    assert result.returncode == 0, result.output
    assert "{fit,validate,test,predict}" in result.stdout


@pytest.mark.parametrize("subcommand", ["validate", "test", "predict"])
def test_each_subcommand_has_its_own_options(tmp_path, subcommand):
    # only the parser of the subcommand being run is built; each must still be complete
    result = run_cli(tmp_path, subcommand, "--help")
    assert result.returncode == 0, result.output
    assert result.stdout.startswith(f"usage: blobclf [options] {subcommand}")
    assert "--ckpt_path" in result.stdout and "--data.eval_batch_size" in result.stdout


def test_a_misspelt_subcommand_names_the_valid_ones(tmp_path):
    result = run_cli(tmp_path, "fitt")
    assert result.returncode == 2
    assert "invalid choice: 'fitt' (choose from 'fit', 'validate', 'test', 'predict')" in result.stderr


def test_importing_the_package_imports_neither_torch_nor_lightning():
    import subprocess
    import sys

    code = (
        "import sys, blobclf; assert 'torch' not in sys.modules and 'lightning' not in sys.modules; "
        "from blobclf import BlobModel, BlobClassifier, BlobDataModule; "
        "print(BlobModel.__module__, BlobClassifier.__module__, BlobDataModule.__module__)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["blobclf.model", "blobclf.system", "blobclf.data"]
