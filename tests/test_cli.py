"""The command line: help, config printing, LightningCLI conventions, and one-line errors."""

from __future__ import annotations

import inspect
import json

import pytest
import torch
import yaml
from conftest import REPO, SGD_CONFIG, one_error, run_cli
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from blobclf.data import BlobDataModule
from blobclf.safeload import load_checkpoint
from blobclf.system import BlobClassifier


def scalars(log_dir) -> dict[str, list[tuple[int, float]]]:
    events = EventAccumulator(str(log_dir))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


QUICK = ["--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx", "false"]


def test_help_lists_every_option_with_its_documentation(cli):
    result = cli("fit", "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m blobclf [options] fit")  # cli_main called from Python
    text = " ".join(result.stdout.split())
    for option, doc in [
        ("--data", "TableDataModule"),
        ("--model.hidden_units", "Width of both hidden layers"),
        ("--optimizer", "One or more arguments specifying \"class_path\""),
        ("--lr_scheduler", ""),
        ("--trainer.accelerator", ""),
        ("--checkpoint.monitor", "Metric that decides which checkpoint is best"),
        ("--threads", "torch intra-op CPU threads"),
    ]:
        assert option in text
        assert doc in text


@pytest.mark.parametrize(
    ("data_class", "options"),
    [
        ("BlobDataModule", [("--data.n_samples", "Total number of points"),
                            ("--data.cluster_std", "Standard deviation of each blob"),
                            ("--data.val_size", "Fraction of the training split held out for validation"),
                            ("--data.batch_size", "Training batch size")]),
        ("TableDataModule", [("--data.path", "CSV file of the training table"),
                             ("--data.target", "Name of the column holding the class of each row"),
                             ("--data.features", "Names of the feature columns"),
                             ("--data.standardize", "Standardize each feature with the training split's mean")]),
    ],
    ids=["blobs", "table"],
)
def test_data_help_lists_each_data_class_options(cli, data_class, options):
    result = cli("fit", "--data.help", data_class)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for option, doc in options:
        assert option in text and doc in text


def test_print_config_shows_the_tutorial_settings(cli):
    result = cli("fit", "--config", str(SGD_CONFIG), "--print_config")
    assert result.returncode == 0, result.output
    config = yaml.safe_load(result.stdout)
    assert config["seed_everything"] == 42
    assert config["trainer"]["max_epochs"] == 100
    assert config["model"]["hidden_units"] == 8
    assert config["optimizer"]["class_path"] == "torch.optim.SGD"
    assert config["optimizer"]["init_args"]["lr"] == 0.1 and config["optimizer"]["init_args"]["momentum"] == 0.0
    assert config["lr_scheduler"] is None
    assert config["data"]["class_path"] == "blobclf.BlobDataModule"
    assert config["data"]["init_args"]["batch_size"] is None and config["data"]["init_args"]["n_samples"] == 1000
    assert not (cli.cwd / "lightning_logs").exists() and not (cli.cwd / "checkpoints").exists()


def test_the_default_optimizer_is_the_tutorials_sgd(cli):
    config = yaml.safe_load(cli("fit", "--print_config").stdout)
    assert config["optimizer"]["class_path"] == "torch.optim.SGD" and config["optimizer"]["init_args"]["lr"] == 0.1


def test_adam_config_and_stock_optimizer_flags(cli):
    config = yaml.safe_load(cli("fit", "--config", str(REPO / "configs" / "adam.yaml"), "--print_config").stdout)
    assert config["optimizer"]["class_path"] == "torch.optim.Adam" and config["optimizer"]["init_args"]["lr"] == 0.01
    flags = yaml.safe_load(cli("fit", "--optimizer", "Adam", "--optimizer.lr", "0.003", "--print_config").stdout)
    assert flags["optimizer"]["class_path"] == "torch.optim.Adam" and flags["optimizer"]["init_args"]["lr"] == 0.003


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["fit", "--no_such_option", "3"], "unrecognized arguments: --no_such_option 3"),
        (["fit", "--optimizer.lr", "abc"], "--optimizer.lr='abc' is invalid for torch.optim.SGD: give a number"),
        (["fit", "--optimizer.lr", "-1"], "--optimizer torch.optim.SGD: Invalid learning rate: -1.0"),
        (["fit", "--optimizer", "Adam", "--optimizer.betas", "[0.9, 2.0]"], "Invalid beta parameter at index 1: 2.0"),
        (["fit", "--lr_scheduler", "StepLR"], "--lr_scheduler torch.optim.lr_scheduler.StepLR needs --lr_scheduler.step_size"),
        (["fit", "--optimizer", "NoSuchOptimizer"], "--optimizer NoSuchOptimizer: no such class; name one in torch.optim"),
        (["fit", "--model.lr", "0.3"], "optimizer settings are given as --optimizer.lr"),
        (["fit", "--config", "missing.yaml"], "missing.yaml"),
        (["fit", "--data.batch_size", "0"],
         "--data.batch_size='0' is invalid for blobclf.BlobDataModule: not PositiveInt (does not conform to restriction v>0)"),
        (["fit", "--data.centers", "1"],
         "--data.centers='1' is invalid for blobclf.BlobDataModule: not AtLeastTwoInt (does not conform to restriction v>=2)"),
        (["fit", "--data.test_size", "1.5"], "--data.test_size='1.5' is invalid for blobclf.BlobDataModule: "
         "not OpenUnitInterval (does not conform to restriction v>0 and v<1)"),
        (["fit", "--trainer.max_epochs", "-5"], "--trainer.max_epochs=-5 is invalid"),
        (["fit", "--data.n_samples", "2", "--data.val_size", "0.5"], "n_samples=2 is too small for test_size=0.2"),
        (["test"], "'test' needs --ckpt_path PATH"),
        (["predict"], "'predict' needs --ckpt_path PATH"),
        (["test", "--ckpt_path", "nothere.ckpt"], "checkpoint 'nothere.ckpt' does not exist"),
        (["fit", "--ckpt_path", "last"], "no runs found under 'checkpoints'"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_user_errors_get_one_line_and_exit_2(cli, args, expected):
    result = cli(*args)
    assert result.returncode == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("blobclf: error:")]
    assert len(errors) == 1, result.stderr
    assert expected in errors[0]
    assert "Traceback" not in result.output
    assert not (cli.cwd / "checkpoints").exists() and not (cli.cwd / "lightning_logs").exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a GPU: the option is valid here")
def test_a_gpu_asked_for_on_a_machine_without_one_is_one_line(cli):
    result = cli("fit", "--trainer.accelerator", "gpu")
    assert result.returncode == 2
    assert "--trainer.accelerator=gpu but this machine has no usable CUDA GPU" in result.stderr
    assert not (cli.cwd / "checkpoints").exists()


@pytest.mark.slow
def test_a_user_error_in_a_new_process_is_one_line_without_traceback(tmp_path):
    result = run_cli(tmp_path, "fit", "--data.centers", "1")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("blobclf: error: ")
    assert "Traceback" not in result.output


def test_top_level_help_lists_every_subcommand(cli):
    result = cli("--help")
    assert result.returncode == 0, result.output
    assert "{fit,validate,test,predict}" in result.stdout


@pytest.mark.parametrize("subcommand", ["validate", "test", "predict"])
def test_each_subcommand_has_its_own_options(cli, subcommand):
    result = cli(subcommand, "--help")
    assert result.returncode == 0, result.output
    assert result.stdout.startswith(f"usage: python -m blobclf [options] {subcommand}")
    assert "--ckpt_path" in result.stdout and "--data CONFIG | CLASS_PATH_OR_NAME" in result.stdout


def test_a_misspelt_subcommand_names_the_valid_ones(cli):
    result = cli("fitt")
    assert result.returncode == 2
    assert "invalid choice: 'fitt' (choose from 'fit', 'validate', 'test', 'predict')" in result.stderr


MODEL_ORDER = ["num_features", "num_classes", "hidden_units", "class_weight", "standardize", "class_names",
               "feature_names", "steps_per_execution", "cuda_graphs"]
DATA_ORDER = ["n_samples", "n_features", "centers", "cluster_std", "random_state", "test_size", "val_size",
              "batch_size", "eval_batch_size", "shuffle", "predict_file"]


def test_the_models_hyperparameters_keep_the_constructors_order_whatever_the_links_order():
    # jsonargparse applies the links from the data (num_features, class_names, ...) from a set: each parser built
    # put them in another order, and the checkpoints of two identical runs listed them differently (6 orders in 6)
    from blobclf.cli import cli_for, cli_kwargs

    for _ in range(3):
        cli = cli_for(None)(**cli_kwargs(None), args=[], run=False)
        assert list(cli.model.hparams) == [*MODEL_ORDER, "_instantiator"]
        assert list(cli.datamodule.hparams) == ["_class_path", *DATA_ORDER, "_instantiator"]


def test_optimizer_and_scheduler_are_recorded_in_checkpoint_and_metadata(cli):
    result = cli("fit", *QUICK, "--optimizer", "Adam", "--optimizer.lr", "0.02",
                 "--lr_scheduler", "StepLR", "--lr_scheduler.step_size", "1", "--lr_scheduler.gamma", "0.5")
    assert result.returncode == 0, result.output
    run = cli.cwd / "checkpoints" / "version_0"
    meta = json.loads((run / "model.json").read_text())
    assert meta["optimizer"]["class_path"] == "torch.optim.Adam" and meta["optimizer"]["init_args"]["lr"] == 0.02
    assert meta["lr_scheduler"]["class_path"] == "torch.optim.lr_scheduler.StepLR"
    assert meta["lr_scheduler"]["init_args"]["gamma"] == 0.5
    checkpoint = load_checkpoint(run / "last.ckpt")
    assert [type(o).__name__ for o in checkpoint["optimizer_states"]] == ["dict"]
    assert checkpoint["optimizer_states"][0]["param_groups"][0]["lr"] == pytest.approx(0.02 * 0.5**2)
    recorded = [s["training"] for s in checkpoint["callbacks"].values() if "training" in s]
    assert recorded == [{"optimizer": meta["optimizer"], "lr_scheduler": meta["lr_scheduler"], "settings": meta["settings"],
                         "started": meta["started"]}]
    assert meta["started"] == {"trainer.max_epochs": 2, "trainer.max_steps": -1, "trainer.max_time": None}
    # the settings in the constructors' order: the linked ones came in an order that changed from process to
    # process (a set's), so two identical runs wrote different model.json files
    for key, cls in (("model", BlobClassifier), ("data", BlobDataModule)):
        assert list(meta[key]) == [name for name in inspect.signature(cls.__init__).parameters if name in meta[key]]
    # so are the checkpoint's: its hyper_parameters had them in the order of the process's links
    assert list(checkpoint["hyper_parameters"]) == [*MODEL_ORDER, "_instantiator"]
    assert list(checkpoint["datamodule_hyper_parameters"]) == ["_class_path", *DATA_ORDER, "_instantiator"]
    assert meta["settings"]["trainer.max_epochs"] == 2 and meta["settings"]["seed_everything"] == 42
    assert not any(key.startswith(("trainer.plugins", "checkpoint.dirpath", "checkpoint.root")) for key in meta["settings"])
    assert "version" not in meta["settings"]["trainer.logger"]["init_args"]  # the run's own placement


def test_resuming_keeps_the_runs_optimizer_and_refuses_another(cli):
    assert cli("fit", *QUICK, "--optimizer", "Adam", "--optimizer.lr", "0.02").returncode == 0
    refused = cli("fit", "--ckpt_path", "last", "--optimizer", "SGD")
    assert refused.returncode == 2
    assert refused.stderr.startswith("blobclf: error: optimizer='torch.optim.SGD' (from the command line or a --config file) conflicts with the checkpoint")
    resumed = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3", "--export.figures", "false",
                  "--export.onnx", "false")
    assert resumed.returncode == 0, resumed.output
    meta = json.loads((cli.cwd / "checkpoints" / "version_0" / "model.json").read_text())
    assert meta["optimizer"]["class_path"] == "torch.optim.Adam" and meta["epochs"] == 3


def test_early_stopping_and_csv_logger_work_as_in_any_lightningcli_program(cli):
    result = cli("fit", *QUICK, "--trainer.max_epochs", "50", "--trainer.callbacks+=EarlyStopping",
                 "--trainer.callbacks.monitor", "val/loss", "--trainer.callbacks.patience", "1",
                 "--trainer.callbacks.min_delta", "0.5",
                 "--trainer.logger", "CSVLogger", "--trainer.logger.save_dir", "csv_logs")
    assert result.returncode == 0, result.output
    meta = json.loads((cli.cwd / "checkpoints" / "version_0" / "model.json").read_text())
    assert meta["epochs"] == 2  # no epoch improves val/loss by 0.5: stopped after patience 1
    (metrics,) = (cli.cwd / "csv_logs").rglob("version_0/metrics.csv")
    lines = metrics.read_text().splitlines()
    header = lines[0].split(",")
    assert {"epoch", "train/loss", "train/acc", "val/loss", "val/acc"} <= set(header)
    epochs = sorted({int(row.split(",")[header.index("epoch")]) for row in lines[1:]})
    assert epochs == [0, 1]


def test_a_resume_relogs_the_checkpoints_epoch_once_from_the_checkpoint(cli):
    # Lightning logs an epoch's training values just after the epoch's checkpoint; a kill in
    # between leaves them only in the checkpoint, from which a resume logs them again
    args = ["fit", *QUICK, "--data.batch_size", "64", "--checkpoint.last_interval", "0"]
    assert cli(*args, "--trainer.max_epochs", "3").returncode == 0
    uninterrupted = scalars(cli.cwd / "lightning_logs" / "version_0")
    checkpoint = load_checkpoint(cli.cwd / "checkpoints" / "version_0" / "last.ckpt")
    (stored,) = [s["epoch_values"] for s in checkpoint["callbacks"].values() if "epoch_values" in s]
    assert stored["epoch"] == 2 and set(stored["metrics"]) == {"train/loss", "train/acc", "val/loss", "val/acc"}
    for events in (cli.cwd / "lightning_logs" / "version_0").glob("events.out.tfevents.*"):
        events.unlink()  # as if the killed run had written nothing of its logs
    assert cli(*args, "--trainer.max_epochs", "5", "--ckpt_path", "last").returncode == 0
    resumed = scalars(cli.cwd / "lightning_logs" / "version_0")
    for tag in stored["metrics"]:
        assert [step for step, _ in resumed[tag]] == [2, 3, 4]
        assert resumed[tag][0] == uninterrupted[tag][2]  # the very value logged at epoch 2


def test_the_last_checkpoint_written_when_training_ends_records_the_epoch_its_values_are_of(cli):
    # with the default --checkpoint.last_interval, last.ckpt is written when training ends, when
    # Lightning already counts the next epoch: the values of epoch 2 were recorded as epoch 3, so
    # a resume (an extension, a stopped or killed run) logged them again at epoch 3, beside the
    # real epoch 3 (found by the kill fuzzer)
    assert cli("fit", *QUICK, "--trainer.max_epochs", "3").returncode == 0
    logs = cli.cwd / "lightning_logs" / "version_0"
    before = scalars(logs)
    checkpoint = load_checkpoint(cli.cwd / "checkpoints" / "version_0" / "last.ckpt")
    (stored,) = [s["epoch_values"] for s in checkpoint["callbacks"].values() if "epoch_values" in s]
    assert stored["epoch"] == 2 and stored["metrics"]["train/loss"] == pytest.approx(before["train/loss"][2][1])
    assert cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "5").returncode == 0
    after = scalars(logs)
    for tag in ("train/loss", "train/acc", "val/loss", "val/acc"):
        assert [step for step, _ in after[tag]] == [0, 1, 2, 3, 4], tag
        assert after[tag][:3] == before[tag]


def test_a_resume_that_only_completes_the_exports_keeps_the_last_epoch_in_tensorboard(tmp_path, cli):
    # a kill after training, while the run was exported (here: model.json not yet written): the
    # resume trains nothing, yet its logger hides the checkpoint's epoch from the old events, so
    # it must log that epoch again (found by killing fits at random moments)
    args = ["fit", *QUICK, "--trainer.max_epochs", "3", "--checkpoint.last_interval", "0"]
    assert cli(*args).returncode == 0
    logs, run = tmp_path / "lightning_logs" / "version_0", tmp_path / "checkpoints" / "version_0"
    before = scalars(logs)
    (run / "model.json").unlink()
    result = cli("fit", "--ckpt_path", "last")
    assert result.returncode == 0 and (run / "model.json").is_file(), result.output
    after = scalars(logs)
    for tag in ("train/loss", "train/acc", "val/loss", "val/acc"):
        assert after[tag] == before[tag] and [step for step, _ in after[tag]] == [0, 1, 2], tag


def tensorboard_run(log_dir) -> tuple[dict[str, list[tuple[int, float]]], dict[str, list[tuple[int, bytes]]]]:
    """What TensorBoard shows of a run: its scalars and its images, as (step, value) lists."""
    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "images": 0})
    events.Reload()
    return ({tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]},
            {tag: [(e.step, e.encoded_image_string) for e in events.Images(tag)] for tag in events.Tags()["images"]})


def test_a_resume_that_trains_nothing_keeps_the_runs_figures_and_final_metrics_in_tensorboard(cli):
    # the README's "fit --ckpt_path last" on a finished run trains nothing and keeps the exports, but
    # its logger hid every event from the checkpoint's epoch on: TensorBoard lost the run's figures
    # and the hp/* final metrics of its HParams row
    assert cli("fit", *QUICK, "--trainer.max_epochs", "3", "--export.figures", "true").returncode == 0
    logs = cli.cwd / "lightning_logs" / "version_0"
    scalars_before, images_before = tensorboard_run(logs)
    assert sorted(images_before) == ["figures/confusion_matrix_val", "figures/data", "figures/decision_boundary",
                                     "figures/reliability_val"]
    assert [step for step, _ in scalars_before["hp/val_acc"]] == [3]
    resumed = cli("fit", "--ckpt_path", "last")
    assert resumed.returncode == 0 and "nothing was trained" in resumed.stdout, resumed.output
    assert tensorboard_run(logs) == (scalars_before, images_before)


def test_python_m_blobclf_builds_only_the_parser_of_the_subcommand_given(cli):
    from blobclf.cli import BlobCLI, cli_for, cli_main

    assert list(cli_for("fit").subcommands()) == ["fit"]
    assert issubclass(cli_for("fit"), BlobCLI)
    assert cli_for(None) is BlobCLI and cli_for("--help") is BlobCLI and cli_for("fitt") is BlobCLI
    with pytest.raises(SystemExit):
        cli_main(["predict", "--help"], only="predict")
    assert "--prediction.output" in cli.capsys.readouterr().out


def test_version_and_help_say_what_blobclf_is_and_accepts(cli):
    from blobclf import __version__

    shown = cli("--version")
    assert (shown.returncode, shown.stdout) == (0, f"blobclf {__version__}\n")
    top = cli("--help")
    assert "blobclf: a PyTorch Lightning classifier" in top.stdout and "Lightning Trainer command line tool" not in top.stdout
    fit = cli("fit", "--help").stdout
    intro = fit[fit.index("Train a classifier"):fit.index("options:")]
    for option in ("--config", "--ckpt_path", "--trainer.max_epochs", "--data.batch_size", "--optimizer", "--threads"):
        assert option in intro, option  # the common options are named before the long list
    ckpt_help = fit[fit.index("  --ckpt_path CKPT_PATH"):fit.index("  --weights_only")]
    assert "'last' / 'best'" in ckpt_help and "hpc" not in ckpt_help and "registry" not in ckpt_help
    assert "false is refused" in fit[fit.index("  --weights_only"):]


@pytest.mark.parametrize(("args", "message"), [
    (["fit", "--prediction.top_k", "2"],
     "--prediction.top_k is used by predict only, and 'fit' would ignore it: drop it (or give it to predict)"),
    (["test", "--ckpt_path", "last", "--export.onnx=false"],
     "--export.onnx is used by fit only, and 'test' would ignore it: drop it (or give it to fit)"),
    (["predict", "--ckpt_path", "last", "--checkpoint.save_top_k", "3"],
     "--checkpoint.save_top_k is used by fit only, and 'predict' would ignore it: drop it (or give it to fit)"),
    (["test", "--ckpt_path", "last", "--checkpoint", "{root: checkpoints, save_top_k: 3}"],
     "--checkpoint.save_top_k is used by fit only, and 'test' would ignore it: drop it (or give it to fit)"),
    # an evaluation took the Trainer's training options and cuda_graphs and ignored them (test --trainer.max_epochs 5
    # tested the checkpoint as it is; validate --trainer.gradient_clip_val 0.5 clipped nothing)
    (["test", "--ckpt_path", "last", "--trainer.max_epochs", "5"],
     "--trainer.max_epochs is used by fit only, and 'test' would ignore it: drop it (or give it to fit)"),
    (["validate", "--ckpt_path", "last", "--trainer.gradient_clip_val=0.5"],
     "--trainer.gradient_clip_val is used by fit only, and 'validate' would ignore it: drop it (or give it to fit)"),
    (["predict", "--ckpt_path", "last", "--model.cuda_graphs", "false"],
     "--model.cuda_graphs is used by fit only, and 'predict' would ignore it: drop it (or give it to fit)"),
    (["test", "--ckpt_path", "last", "--trainer", "{accelerator: cpu, max_epochs: 5}"],
     "--trainer.max_epochs is used by fit only, and 'test' would ignore it: drop it (or give it to fit)"),
], ids=["fit-prediction", "test-export", "predict-checkpoint", "test-checkpoint-group", "test-max-epochs",
        "validate-clip", "predict-cuda-graphs", "test-trainer-group"])
def test_an_option_its_subcommand_would_ignore_is_one_line(cli, args, message):
    # fit --prediction.top_k 2 trained and dropped the setting without a word
    assert one_error(cli(*args)) == message
    assert list(cli.cwd.iterdir()) == []


def test_an_evaluation_takes_the_checkpoint_root_in_every_form(cli):
    assert cli("fit", *QUICK, "--checkpoint.root", "runs").returncode == 0
    for args in (["--checkpoint.root", "runs"], ["--checkpoint.root=runs"], ["--checkpoint", "{root: runs}"]):
        result = cli("test", "--ckpt_path", "last", *args)  # 'last' is looked for under runs/, not checkpoints/
        assert result.returncode == 0, (args, result.output)
        assert "test report: runs/version_0/test_report-last.json (accuracy 0.5" in result.output, result.output
    assert not (cli.cwd / "checkpoints").exists()
