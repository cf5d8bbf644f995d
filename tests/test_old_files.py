"""Files written by others: older blobclf versions, the tutorial's own code, hand-written configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import one_error
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

QUICK = ["--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx", "false"]


def scalars(log_dir: Path) -> dict[str, list[tuple[int, float]]]:
    events = EventAccumulator(str(log_dir))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def first_version_checkpoint(path: Path, to: Path, lr: float = 0.05, momentum: float = 0.9) -> Path:
    """``path`` rewritten as blobclf wrote checkpoints before 2026-11-28 (its first commits): the model's
    settings held SGD's ``lr``, ``momentum`` and ``weight_decay``, nothing recorded the run's optimizer or
    settings, and the data settings had no class path."""
    checkpoint = torch.load(path, weights_only=True)
    shape = checkpoint["hyper_parameters"]
    checkpoint["hyper_parameters"] = {
        "hidden_units": shape["hidden_units"], "lr": lr, "momentum": momentum, "weight_decay": 0.0,
        "num_classes": shape["num_classes"], "num_features": shape["num_features"],
        "_instantiator": "lightning.pytorch.cli.instantiate_module",
    }
    data = checkpoint["datamodule_hyper_parameters"]
    checkpoint["datamodule_hyper_parameters"] = {
        k: data[k] for k in ("n_samples", "n_features", "centers", "cluster_std", "random_state", "test_size",
                             "val_size", "batch_size", "eval_batch_size", "shuffle", "_instantiator")
    }
    checkpoint["callbacks"] = {k: v for k, v in checkpoint["callbacks"].items()
                               if not (isinstance(v, dict) and "training" in v)}
    torch.save(checkpoint, to)
    return to


@pytest.fixture()
def first_version_run(cli, tmp_path):
    """A current run, and its ``last.ckpt`` as the first blobclf versions wrote it (``old.ckpt`` beside it)."""
    assert cli("fit", *QUICK).returncode == 0
    run = tmp_path / "checkpoints" / "version_0"
    return run, first_version_checkpoint(run / "last.ckpt", run / "old.ckpt")


@pytest.mark.parametrize("command", ["test", "validate", "predict"])
def test_a_checkpoint_of_the_first_versions_is_evaluated(cli, first_version_run, command):
    run, old = first_version_run
    result = cli(command, "--ckpt_path", str(old))
    assert result.returncode == 0, result.output
    if command == "test":
        same = cli("test", "--ckpt_path", str(run / "last.ckpt"))
        assert same.returncode == 0, same.output
        report, reference = (json.loads((run / f"test_report-{n}.json").read_text()) for n in ("old", "last"))
        assert report["accuracy"] == reference["accuracy"] and report["loss"] == reference["loss"]
        assert report["confusion_matrix"] == reference["confusion_matrix"]
    if command == "predict":
        rows = (run / "predictions-old-test-split.csv").read_text().splitlines()
        assert len(rows) == 201 and rows[0].startswith("x0,x1,prob_0,")


def test_a_checkpoint_of_the_first_versions_is_regenerated(cli, first_version_run, capsys):
    from blobclf.regenerate import main

    run, old = first_version_run
    assert cli("test", "--ckpt_path", str(run / "last.ckpt")).returncode == 0
    main([str(old), "--output", str(run.parent / "regenerated")])
    report = json.loads((run.parent / "regenerated" / "test_report-old.json").read_text())
    reference = json.loads((run / "test_report-last.json").read_text())
    assert report["accuracy"] == reference["accuracy"] and report["confusion_matrix"] == reference["confusion_matrix"]


def test_a_checkpoint_of_the_first_versions_is_not_resumed_with_other_settings(cli, first_version_run):
    run, old = first_version_run
    before = sorted(p.name for p in run.parent.parent.rglob("*"))
    assert one_error(cli("fit", "--ckpt_path", str(old))) == (
        f"checkpoint {str(old)!r} was written by blobclf of 2026-11-28 or earlier, which did not record the run's "
        "settings (epochs, seed, trainer) that a resume takes from it; it cannot be resumed, but test, validate, "
        "predict and blobclf.regenerate take it as it is; train a new run to go on"
    )
    assert sorted(p.name for p in run.parent.parent.rglob("*")) == before


def test_the_first_versions_sgd_settings_are_the_optimizer_s():
    from blobclf.system import BlobClassifier, legacy_optimizer, model_settings

    hparams = {"hidden_units": 8, "lr": 0.05, "momentum": 0.9, "weight_decay": 0.0, "num_classes": 4,
               "num_features": 2, "_instantiator": "x"}
    assert model_settings(hparams) == {"hidden_units": 8, "num_classes": 4, "num_features": 2}
    optimizer = legacy_optimizer(hparams)
    assert optimizer["class_path"] == "torch.optim.SGD"
    assert {k: optimizer["init_args"][k] for k in ("lr", "momentum", "weight_decay", "nesterov")} == {
        "lr": 0.05, "momentum": 0.9, "weight_decay": 0.0, "nesterov": False}
    assert legacy_optimizer(BlobClassifier().hparams) is None


def test_a_checkpoint_that_records_no_settings_is_not_resumed_with_lightning_s_defaults(cli, tmp_path):
    """blobclf of 2026-11-28 morning recorded the run's optimizer but not its settings: resumed, the run of 2
    epochs trained to Lightning's 1000 with seed 42, whatever its own."""
    assert cli("fit", *QUICK, "--seed_everything", "7").returncode == 0
    last = tmp_path / "checkpoints" / "version_0" / "last.ckpt"
    checkpoint = torch.load(last, weights_only=True)
    for state in checkpoint["callbacks"].values():
        if isinstance(state, dict) and "training" in state:
            state["training"] = {k: v for k, v in state["training"].items() if k != "settings"}
    torch.save(checkpoint, last)
    assert one_error(cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3")) == (
        "checkpoint 'checkpoints/version_0/last.ckpt' was written by blobclf of 2026-11-28 or earlier, which did "
        "not record the run's settings (epochs, seed, trainer) that a resume takes from it; it cannot be resumed, "
        "but test, validate, predict and blobclf.regenerate take it as it is; train a new run to go on"
    )
    assert torch.load(last, weights_only=True)["epoch"] == checkpoint["epoch"]
    assert cli("test", "--ckpt_path", "last").returncode == 0


def tutorial_blob_model(input_features: int, output_features: int, hidden_units: int = 8) -> torch.nn.Module:
    """The tutorial's ``BlobModel``, written out as its notebook defines it (not blobclf's class)."""
    from torch import nn

    class BlobModel(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear_layer_stack = nn.Sequential(
                nn.Linear(in_features=input_features, out_features=hidden_units), nn.ReLU(),
                nn.Linear(in_features=hidden_units, out_features=hidden_units), nn.ReLU(),
                nn.Linear(in_features=hidden_units, out_features=output_features),
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.linear_layer_stack(x)

    return BlobModel()


def test_load_model_reads_the_tutorial_s_own_saved_state_dict(tmp_path):
    from blobclf.export import load_model

    torch.manual_seed(0)
    theirs = tutorial_blob_model(3, 5, hidden_units=6).eval()
    (tmp_path / "models").mkdir()
    path = tmp_path / "models" / "01_pytorch_workflow_model_0.pth"
    torch.save(obj=theirs.state_dict(), f=path)  # the tutorial's section 5, no model.json
    ours = load_model(path)
    x = torch.randn(7, 3)
    with torch.no_grad():
        assert torch.equal(ours(x), theirs(x))
    assert type(ours).__name__ == "BlobModel" and not ours.training


def test_load_model_without_model_json_refuses_other_weights_naming_the_fix(tmp_path):
    from blobclf.errors import UserError
    from blobclf.export import load_model

    torch.save({"net.0.weight": torch.zeros(8, 2)}, tmp_path / "model.pth")
    with pytest.raises(UserError) as refused:
        load_model(tmp_path / "model.pth")
    assert str(refused.value) == (
        f"weights file {str(tmp_path / 'model.pth')!r} has no model.json beside it and is not the tutorial's "
        "BlobModel state_dict; pass the model.json that 'blobclf fit' wrote with it (load_model(weights, metadata))")


def test_a_whole_model_saved_by_a_script_is_refused_naming_state_dict(cli, tmp_path, monkeypatch):
    import sys

    model = tutorial_blob_model(2, 4)
    cls = type(model)
    cls.__module__, cls.__qualname__ = "__main__", "BlobModel"
    with monkeypatch.context() as patch:  # as a script run as python train.py pickles its class
        patch.setattr(sys.modules["__main__"], "BlobModel", cls, raising=False)
        torch.save(model, tmp_path / "whole.pth")
    assert one_error(cli("test", "--ckpt_path", "whole.pth")) == (
        "checkpoint 'whole.pth' is refused: it holds an object of the class BlobModel of the script that saved it "
        "(torch.save(model) pickles the whole model), and loading it would run code; save model.state_dict() instead")


FIXED = ("blobclf's model is always BlobClassifier: give its options without class_path and init_args "
         "('model:' then 'hidden_units: 16' in a config, --model.hidden_units 16) (see --help)")


@pytest.mark.parametrize(("config", "args", "message"), [
    ("model:\n  class_path: blobclf.BlobClassifier\n  init_args:\n    hidden_units: 16\n", [],
     f"Subcommand 'fit' does not accept option 'model.init_args.hidden_units'; {FIXED}"),
    ("model:\n  class_path: blobclf.BlobClassifier\n", [],
     f"Subcommand 'fit' does not accept option 'model.class_path'; {FIXED}"),
    (None, ["--model", "blobclf.BlobClassifier"], f"--model blobclf.BlobClassifier: {FIXED}"),
    # config.yaml of blobclf of 2026-11-28 or earlier
    ("trainer:\n  logger:\n    class_path: blobclf.logger.RunLogger\n    init_args:\n      comment: ''\n", [],
     "trainer.logger.init_args.comment is not an option of blobclf.logger.RunLogger (blobclf of 2026-11-28 or "
     "earlier wrote it in a run's config.yaml); remove it (see --help)"),
    ("model:\n  hidden_units: 8\n  lr: 0.1\n", [],
     "Subcommand 'fit' does not accept option 'model.lr' (optimizer settings are given as --optimizer.lr, as in "
     "any LightningCLI program) (see --help)"),
    (None, ["--trainer.callbacks+=EarlyStopping", "--trainer.callbacks.bogus", "3"],
     "--trainer.callbacks.bogus is not an option of EarlyStopping; its options: --trainer.callbacks.help "
     "EarlyStopping (see --help)"),
], ids=["model-class-path-init-args", "model-class-path", "model-class", "old-logger-comment", "old-model-lr",
        "callback-option"])
def test_a_config_written_for_another_lightning_cli_names_the_fix(cli, tmp_path, config, args, message):
    if config is not None:
        (tmp_path / "c.yaml").write_text(config)
        args = ["--config", "c.yaml", *args]
    assert one_error(cli("fit", *args, "--trainer.max_epochs", "1")) == message
    assert not (tmp_path / "checkpoints").exists()


def test_a_last_checkpoint_of_an_older_version_recording_the_next_epoch_resumes_with_each_epoch_once(cli):
    # blobclf before 2026-12-06 wrote last.ckpt at the end of training with its values (those of
    # epoch 2) recorded as epoch 3, where Lightning already counts; such a file, resumed, logged
    # them again at epoch 3 beside the real epoch 3 (a 623781c run stopped after epoch 63 and
    # resumed showed two values at epoch 64)
    assert cli("fit", *QUICK, "--trainer.max_epochs", "3").returncode == 0
    logs, last = cli.cwd / "lightning_logs" / "version_0", cli.cwd / "checkpoints" / "version_0" / "last.ckpt"
    before = scalars(logs)
    checkpoint = torch.load(last, weights_only=True)
    (state,) = [s for s in checkpoint["callbacks"].values() if isinstance(s, dict) and "epoch_values" in s]
    assert state["epoch_values"]["epoch"] == 2
    state["epoch_values"]["epoch"] = 3
    torch.save(checkpoint, last)
    assert cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "5").returncode == 0
    after = scalars(logs)
    for tag in ("train/loss", "train/acc", "val/loss", "val/acc"):
        assert [step for step, _ in after[tag]] == [0, 1, 2, 3, 4], tag
        assert after[tag][:3] == before[tag]
