"""`fit --config configs/sgd.yaml` reproduces the tutorial's printed training table on CPU."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
import yaml
from conftest import TUTORIAL_TABLE, run_cli
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from torch import nn

from blobclf import BlobDataModule
from blobclf.export import load_model
from blobclf.safeload import load_checkpoint
from blobclf.system import BlobClassifier

pytestmark = pytest.mark.slow

class TutorialBlobModel(nn.Module):
    """The tutorial's class, verbatim in structure, to load our export."""

    def __init__(self, input_features, output_features, hidden_units=8):
        super().__init__()
        self.linear_layer_stack = nn.Sequential(
            nn.Linear(in_features=input_features, out_features=hidden_units),
            nn.ReLU(),
            nn.Linear(in_features=hidden_units, out_features=hidden_units),
            nn.ReLU(),
            nn.Linear(in_features=hidden_units, out_features=output_features),
        )

    def forward(self, x):
        return self.linear_layer_stack(x)


def scalars(log_dir: Path) -> dict[str, dict[int, float]]:
    events = EventAccumulator(str(log_dir))
    events.Reload()
    return {tag: {e.step: e.value for e in events.Scalars(tag)} for tag in events.Tags()["scalars"]}


def test_run_writes_logs_checkpoints_and_export_in_matching_version_folders(tutorial_run):
    cwd, result = tutorial_run
    run = cwd / "checkpoints" / "version_0"
    assert (cwd / "lightning_logs" / "version_0").is_dir()
    names = sorted(p.name for p in run.iterdir())
    assert "last.ckpt" in names and "model.pth" in names and "model.json" in names
    assert [n for n in names if n.startswith("best-")], names
    assert f"exported weights: {Path('checkpoints/version_0/model.pth')}" in result.stdout
    assert f"exported metadata: {Path('checkpoints/version_0/model.json')}" in result.stdout


def test_the_run_prints_the_tutorials_own_progress_lines_as_it_trains(tutorial_run):
    _, result = tutorial_run
    printed = [line for line in result.stdout.splitlines() if line.startswith("Epoch: ")]
    expected = [
        f"Epoch: {epoch} | Train Loss: {loss}, Train Acc: {acc} | Test Loss: {test_loss}, Test Acc: {test_acc}"
        for epoch, (loss, acc, test_loss, test_acc) in TUTORIAL_TABLE.items()
    ]
    assert printed[:10] == expected  # the tutorial's printed table, line for line
    assert printed[10:] == ["Epoch: 99 | Train Loss: 0.09843, Train Acc: 0.96 | Test Loss: 0.08555, Test Acc: 0.96"]
    assert result.stdout.index(expected[-1]) < result.stdout.index("final metrics:")  # printed while training


def test_logged_curves_reproduce_the_tutorial_table(tutorial_run):
    cwd, _ = tutorial_run
    curves = scalars(cwd / "lightning_logs" / "version_0")
    for tag in ("train/loss", "train/acc", "val/loss", "val/acc"):
        assert sorted(curves[tag]) == list(range(100)), f"{tag} must have one point per epoch"
    for epoch, expected in TUTORIAL_TABLE.items():
        got = (
            f"{curves['train/loss'][epoch]:.5f}",
            f"{curves['train/acc'][epoch]:.2f}",
            f"{curves['val/loss'][epoch]:.5f}",
            f"{curves['val/acc'][epoch]:.2f}",
        )
        assert got == expected, f"epoch {epoch}"
    assert round(curves["val/acc"][99] * 200) == 193


def test_hyperparameters_and_config_are_recorded(tutorial_run):
    cwd, _ = tutorial_run
    log_dir = cwd / "lightning_logs" / "version_0"
    config = yaml.safe_load((log_dir / "config.yaml").read_text())
    assert config["seed_everything"] == 42
    assert config["threads"] == 1  # the thread policy's choice for full-batch tutorial scale
    assert config["data"]["class_path"] == "blobclf.BlobDataModule" and config["data"]["init_args"]["random_state"] == 42
    assert config["model"]["hidden_units"] == 8
    assert config["optimizer"]["class_path"] == "torch.optim.SGD" and config["optimizer"]["init_args"]["lr"] == 0.1
    # the run's folders were chosen for it: the config records what was asked, so it repeats the run
    assert config["checkpoint"]["dirpath"] is None and config["trainer"]["logger"]["init_args"]["version"] is None
    hparams = yaml.safe_load((log_dir / "hparams.yaml").read_text())
    assert (hparams["hidden_units"], hparams["n_samples"], hparams["num_classes"]) == (8, 1000, 4)


def test_export_loads_into_the_tutorials_own_class_and_predicts_like_the_checkpoint(tutorial_run):
    cwd, _ = tutorial_run
    run = cwd / "checkpoints" / "version_0"
    state = torch.load(run / "model.pth", weights_only=True)
    tutorial_model = TutorialBlobModel(input_features=2, output_features=4, hidden_units=8)
    assert str(tutorial_model.load_state_dict(state)) == "<All keys matched successfully>"

    checkpoint = load_checkpoint(run / "last.ckpt")
    system = BlobClassifier(**{k: v for k, v in checkpoint["hyper_parameters"].items() if not k.startswith("_")})
    system.load_state_dict(checkpoint["state_dict"])
    data = BlobDataModule()
    data.setup()
    x_test, y_test = data.splits["test"]
    with torch.inference_mode():
        from_checkpoint = system.eval()(x_test)
        from_export = load_model(run / "model.pth")(x_test)
        from_tutorial_class = tutorial_model.eval()(x_test)
    assert torch.equal(from_checkpoint, from_export)
    assert torch.equal(from_export, from_tutorial_class)
    assert (from_export.argmax(dim=1) == y_test).sum().item() == 193


def test_export_metadata_describes_the_model(tutorial_run):
    cwd, _ = tutorial_run
    meta = json.loads((cwd / "checkpoints" / "version_0" / "model.json").read_text())
    assert meta["constructor"] == {"input_features": 2, "output_features": 4, "hidden_units": 8}
    assert meta["num_classes"] == 4
    assert meta["metrics"]["val/acc"] == pytest.approx(0.965)
    # the distribution's version; torch.__version__ may add a local build tag such as +cu130
    assert meta["versions"]["torch"].split("+")[0] == torch.__version__.split("+")[0]
    assert meta["optimizer"] == {
        "class_path": "torch.optim.SGD",
        "init_args": {"lr": 0.1, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0, "nesterov": False,
                      "maximize": False, "foreach": None, "differentiable": False, "fused": None},
    }
    assert meta["lr_scheduler"] is None
    assert set(meta["versions"]) >= {"lightning", "torchmetrics", "scikit-learn", "python"}


def test_test_from_checkpoint_in_a_new_process_prints_the_same_accuracy(tutorial_run):
    cwd, _ = tutorial_run
    result = run_cli(cwd, "test", "--ckpt_path", "checkpoints/version_0/last.ckpt")
    assert result.returncode == 0, result.output
    accuracy = float(re.search(r"test/acc\s+([0-9.]+)", result.stdout).group(1))
    loss = float(re.search(r"test/loss\s+([0-9.]+)", result.stdout).group(1))
    assert accuracy == pytest.approx(0.965, abs=1e-6)
    meta = json.loads((cwd / "checkpoints" / "version_0" / "model.json").read_text())
    assert loss == pytest.approx(meta["metrics"]["val/loss"], rel=1e-6)


def test_last_and_best_shortcuts_name_the_newest_run(tutorial_run, cli, monkeypatch):
    cwd, _ = tutorial_run
    monkeypatch.chdir(cwd)
    best = cli("validate", "--ckpt_path", "best")
    assert best.returncode == 0, best.output
    accuracy = float(re.search(r"val/acc\s+([0-9.]+)", best.stdout).group(1))
    # the best epoch by validation accuracy is at least as good as the last one
    assert accuracy >= 0.965


def test_the_run_is_in_tensorboards_hparams_dashboard_with_its_settings_and_final_metrics(tutorial_run):
    from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer
    from tensorboard.plugins.hparams import plugin_data_pb2

    cwd, _ = tutorial_run
    runs = EventMultiplexer({"run": str(cwd / "lightning_logs" / "version_0")})
    runs.Reload()
    content = runs.PluginRunToTagToContent("hparams")["run"]
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/experiment"]).experiment
    assert sorted(info.name.tag for info in experiment.metric_infos) == [
        "hp/train_acc", "hp/train_loss", "hp/val_acc", "hp/val_loss"]
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"]).session_start_info
    values = {k: v.number_value if v.HasField("number_value") else v.string_value for k, v in start.hparams.items()}
    assert values["optimizer"] == "SGD" and values["optimizer/lr"] == pytest.approx(0.1)
    assert values["model/hidden_units"] == 8 and values["data/n_samples"] == 1000 and values["epochs"] == 100
    (final,) = runs.Scalars("run", "hp/val_acc")
    assert round(final.value * 200) == 193  # the tutorial's 0.965
