"""``class_weight``: the loss weighted per class, as scikit-learn's ``class_weight``, for imbalanced tables."""

from __future__ import annotations

import json

import lightning as L
import numpy as np
import pytest
import torch
from conftest import one_error
from sklearn.utils.class_weight import compute_class_weight
from test_step_graphs import SGD_ARGS, emulated  # noqa: F401 - a fixture
from test_steps_per_execution import assert_identical, fit, outcome
from torch.nn import functional as F

from blobclf import BlobClassifier, BlobDataModule, TableDataModule
from blobclf.errors import ArgumentValueError, UserError
from blobclf.optionnames import command_line
from blobclf.safeload import load_checkpoint
from blobclf.system import balanced_weights

FIT = ("fit", "--data", "TableDataModule", "--data.path", "rare.csv", "--data.target", "kind", "--data.standardize",
       "true", "--data.batch_size", "64", "--data.eval_batch_size", "16", "--export.figures", "false",
       "--export.onnx", "false", "--trainer.enable_progress_bar", "false", "--trainer.max_epochs", "2")
USAGE = "give 'balanced', null or a list of 2 weights > 0, one per class in the model's class order"
OUTSIDE = ("outside 1e-30 to 1e30, which the loss's float32 cannot hold safely (1e39 is inf there, 1e-50 is 0, and sums "
           "overflow past 3.4e38); only the weights' ratios count (the loss is their weighted mean): scale them, e.g. "
           "divide each by the largest")
"""Was accepted: the weights, inf or 0 in float32 or summing past it, made the loss nan ("training diverged ... try a
lower learning rate") or left a class out of it without a word."""
ZERO = (", which cannot work here: the loss is each batch's weighted mean, and a batch of only weight-0 rows has "
        "none (0/0 = NaN, which ends training); give every class a weight > 0, or leave a class out by removing its "
        "rows from the table")
"""scikit-learn takes a weight of 0. Here, let through, [0, 1] on rare.csv (360 rows of A) with --data.batch_size 4
ended in "training diverged in epoch 0: train/loss is nan ... try a lower learning rate"; with 64 it trained, by luck
(no batch of only A)."""


def write_rare(folder, rows: int = 400, rare: int = 40) -> None:
    """``rare.csv``: class A around (0, 0), ``rare`` rows of class B around (2.5, 2.5), shuffled."""
    rng = np.random.default_rng(0)
    features = np.vstack([rng.normal(0, 1, (rows - rare, 2)), rng.normal(2.5, 1, (rare, 2))])
    kinds = ["A"] * (rows - rare) + ["B"] * rare
    lines = [f"{features[i, 0]:.6f},{features[i, 1]:.6f},{kinds[i]}" for i in rng.permutation(rows)]
    (folder / "rare.csv").write_text("\n".join(["x0,x1,kind", *lines]) + "\n")


def test_balanced_weights_are_scikit_learns():
    labels = torch.tensor([0] * 288 + [1] * 32 + [2] * 5)
    expected = compute_class_weight("balanced", classes=np.arange(3), y=labels.numpy())
    assert balanced_weights(labels, ["a", "b", "c"]).tolist() == pytest.approx(expected.tolist(), rel=1e-12)
    with pytest.raises(UserError) as error:
        balanced_weights(torch.tensor([0, 0, 2]), ["a", "b", "c"])
    missing = ("{0}='balanced' needs a row of every class in the training split, which has none of class "
               "'b'; add rows of it, or give {0} as a list of 3 weights")
    assert str(error.value) == missing.format("class_weight")  # to a user in Python: the constructor's argument
    with command_line(), pytest.raises(UserError) as error:
        balanced_weights(torch.tensor([0, 0, 2]), ["a", "b", "c"])
    assert str(error.value) == missing.format("--model.class_weight")


@pytest.mark.parametrize(("arguments", "line"), [
    ({"class_weight": [1.0, 2.0, 3.0]}, f"class_weight=[1.0, 2.0, 3.0] has 3 weights for 2 classes: {USAGE}"),
    ({"class_weight": [1.0, 0.0]}, f"class_weight=[1.0, 0.0] holds a weight of 0{ZERO}"),
    ({"class_weight": [1.0, -2]}, f"class_weight=[1.0, -2] holds a weight that is not a finite number > 0: {USAGE}"),
    ({"class_weight": [1.0, float("nan")]},
     f"class_weight=[1.0, nan] holds a weight that is not a finite number > 0: {USAGE}"),
    ({"class_weight": [1e39, 1.0]}, f"class_weight=[1e+39, 1.0] holds a weight {OUTSIDE}"),  # inf as float32
    ({"class_weight": [1.0, 1e-50]}, f"class_weight=[1.0, 1e-50] holds a weight {OUTSIDE}"),  # 0 as float32
    ({"class_weight": [3e38, 3e38]}, f"class_weight=[3e+38, 3e+38] holds a weight {OUTSIDE}"),  # sums overflow
    ({"class_weight": "Balanced"}, f"class_weight='Balanced' is not a list of weights: {USAGE}"),
    ({"class_weight": [True, 1.0]}, f"class_weight=[True, 1.0] is not a list of weights: {USAGE}"),
    ({"num_classes": 1}, "num_classes=1 is refused: a classifier needs at least 2 classes"),
], ids=["wrong-length", "zero", "negative", "nan", "inf-in-float32", "0-in-float32", "sum-overflows", "unknown-word",
        "bool", "one-class"])
def test_the_python_api_refuses_weights_that_cannot_work_in_one_line(arguments, line):
    with pytest.raises(ArgumentValueError) as error:
        BlobClassifier(num_features=2, **{"num_classes": 2, **arguments})
    assert str(error.value) == line
    if "class_weight" in arguments:  # the same refusal on the command line names the option as typed there
        with command_line(), pytest.raises(ArgumentValueError) as error:
            BlobClassifier(num_features=2, **{"num_classes": 2, **arguments})
        assert str(error.value) == f"--model.{line}"


def test_weights_are_plain_in_the_hyperparameters_and_none_leaves_the_loss_as_it_was():
    system = BlobClassifier(num_features=2, num_classes=3, class_weight=np.array([1, 2, 3.5]))
    assert system.hparams.class_weight == [1.0, 2.0, 3.5] and type(system.hparams.class_weight[0]) is float
    assert system.loss_fn.weight.tolist() == [1.0, 2.0, 3.5]
    assert "loss_fn.weight" in system.state_dict()
    plain = BlobClassifier(num_features=2, num_classes=3)
    assert plain.hparams.class_weight is None and plain.loss_fn.weight is None
    assert not any(key.startswith("loss_fn") for key in plain.state_dict())  # old checkpoints load as they were


def test_balanced_weights_come_from_the_training_split_and_every_command_computes_the_same_weighted_loss(cli):
    write_rare(cli.cwd)
    assert cli(*FIT, "--model.class_weight", "balanced").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    checkpoint = load_checkpoint(run / "last.ckpt")
    assert checkpoint["hyper_parameters"]["class_weight"] == "balanced"
    # the stratified split keeps 288 rows of A and 32 of B for training: 320 / (2 * count)
    assert checkpoint["state_dict"]["loss_fn.weight"].tolist() == pytest.approx([320 / 576, 5.0], rel=1e-6)
    assert json.loads((run / "model.json").read_text())["model"]["class_weight"] == "balanced"

    assert cli("test", "--ckpt_path", "last").returncode == 0
    report = json.loads((run / "test_report-last.json").read_text())
    system = BlobClassifier.load_from_checkpoint(run / "last.ckpt")
    assert system.loss_fn.weight.tolist() == checkpoint["state_dict"]["loss_fn.weight"].tolist()
    data = TableDataModule(path=str(cli.cwd / "rare.csv"), target="kind", standardize=True)
    features, labels = data.split("test")
    assert labels.bincount().tolist() == [72, 8]
    with torch.no_grad():
        logits = system(features)
    weighted = F.cross_entropy(logits, labels, weight=system.loss_fn.weight)
    # the mean over the 80 rows weighted by class, though tested in 5 batches of 16
    assert report["loss"] == pytest.approx(float(weighted), rel=1e-5)
    assert report["loss"] != pytest.approx(float(F.cross_entropy(logits, labels)), rel=1e-3)
    # validation ran on the same split with the same weights
    assert float(checkpoint["callbacks"][next(k for k in checkpoint["callbacks"] if "RunCheckpoint" in k)]
                 ["epoch_values"]["metrics"]["val/loss"]) == pytest.approx(report["loss"], rel=1e-5)


def test_a_resume_or_evaluation_with_other_weights_is_refused(cli):
    write_rare(cli.cwd)
    assert cli(*FIT, "--model.class_weight", "[1,4]").returncode == 0
    assert one_error(cli("fit", "--ckpt_path", "last", "--model.class_weight", "balanced")) == (
        "model.class_weight='balanced' (from the command line or a --config file) conflicts with the checkpoint "
        "'checkpoints/version_0/last.ckpt', which was trained with model.class_weight=[1.0, 4.0]; resume with just "
        "'fit --ckpt_path', which takes every setting from the run, or pass another checkpoint")
    assert one_error(cli("test", "--ckpt_path", "last", "--model.class_weight", "null")) == (
        "model.class_weight=None (from the command line or a --config file) conflicts with the checkpoint "
        "'checkpoints/version_0/last.ckpt', which was trained with model.class_weight=[1.0, 4.0]; drop the option "
        "(the checkpoint's value is used), or pass another checkpoint")
    assert cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "3").returncode == 0
    resumed = load_checkpoint(cli.cwd / "checkpoints" / "version_0" / "last.ckpt")
    assert resumed["hyper_parameters"]["class_weight"] == [1.0, 4.0]
    assert resumed["state_dict"]["loss_fn.weight"].tolist() == [1.0, 4.0]


@pytest.mark.parametrize(("value", "line"), [
    ("[1,2,3]", "--model.class_weight=[1.0, 2.0, 3.0] has 3 weights for 2 classes: " + USAGE),
    ("[inf,1]", "--model.class_weight=[inf, 1.0] holds a weight that is not a finite number > 0: " + USAGE),
    ("[0,1]", "--model.class_weight=[0.0, 1.0] holds a weight of 0" + ZERO),  # was: "... is invalid: give ..."
    ("[1e39,1]", "--model.class_weight=[1e+39, 1.0] holds a weight " + OUTSIDE),
    ("[1,-2]", "--model.class_weight=[1, -2] is invalid: give 'balanced', null or a list of one weight > 0 per "
               "class, in the model's class order ([1,20] for 2 classes) (see --help)"),
    ("balance", "--model.class_weight=balance is invalid: give 'balanced', null or a list of one weight > 0 per "
                "class, in the model's class order ([1,20] for 2 classes) (see --help)"),
], ids=["wrong-length", "inf", "zero", "outside-float32", "negative", "misspelt"])
def test_the_command_line_refuses_weights_in_one_line_and_writes_nothing(cli, value, line):
    write_rare(cli.cwd)
    assert one_error(cli(*FIT, "--model.class_weight", value)) == line
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["rare.csv"]


def test_help_documents_the_option(cli):
    text = " ".join(cli("fit", "--help").stdout.split())
    assert ("--model.class_weight CLASS_WEIGHT Weight of each class in the loss, "
            "for imbalanced classes: balanced (scikit-learn's n_samples / (n_classes * count of the class), over the "
            "training split)") in text
    assert "(type: Union[Literal['balanced'], WeightList, null], default: null)" in text  # a tuple: linear time


@pytest.mark.filterwarnings("ignore:You defined a `validation_step` but have no `val_dataloader`")
def test_balanced_needs_a_data_module_that_gives_its_training_split(tmp_path):
    class OwnData(L.LightningDataModule):
        def train_dataloader(self):
            return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.zeros(4, 2), torch.arange(4) % 2))

    trainer = L.Trainer(default_root_dir=tmp_path, max_epochs=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False)
    with pytest.raises(UserError) as error:
        trainer.fit(BlobClassifier(num_features=2, num_classes=2, class_weight="balanced"), datamodule=OwnData())
    needs = ("{}='balanced' needs a data module with split('train') (e.g. TableDataModule); give {} as a list of 2 "
             "weights instead")
    assert str(error.value) == needs.format("class_weight", "class_weight")
    with command_line(), pytest.raises(UserError) as error:  # a data module of the user's own given to --data
        trainer.fit(BlobClassifier(num_features=2, num_classes=2, class_weight="balanced"), datamodule=OwnData())
    assert str(error.value) == needs.format("--model.class_weight", "--model.class_weight")


def test_weighted_steps_replayed_from_a_recording_equal_eager_ones(tmp_path, emulated):  # noqa: F811
    weights = ("--model.class_weight", "[1,2,0.5,3]", "--trainer.max_epochs", "2")
    for name, steps in (("eager", "1"), ("replayed", "4")):
        (tmp_path / name).mkdir()
        fit(tmp_path / name, *SGD_ARGS, *weights, "--model.steps_per_execution", steps)
    assert emulated.recordings == 2
    eager, replayed = outcome(tmp_path / "eager"), outcome(tmp_path / "replayed")
    assert_identical(replayed, eager)
    assert eager["state_dict"]["loss_fn.weight"].tolist() == [1.0, 2.0, 0.5, 3.0]


def test_balanced_weights_on_blobs_are_those_of_their_training_split(cli):
    assert cli("fit", "--model.class_weight", "balanced", "--trainer.max_epochs", "1", "--export.figures", "false",
               "--export.onnx", "false").returncode == 0
    weights = load_checkpoint(cli.cwd / "checkpoints" / "version_0" / "last.ckpt")["state_dict"]["loss_fn.weight"]
    labels = BlobDataModule().split("train")[1]
    expected = compute_class_weight("balanced", classes=np.arange(4), y=labels.numpy())
    assert labels.bincount().tolist() == [201, 209, 197, 193]
    assert weights.tolist() == pytest.approx(expected.tolist(), rel=1e-6)


def test_a_checkpoints_thousand_class_weights_are_parsed_in_linear_time():
    """Typed list[PositiveFloat], jsonargparse checked the weights in quadratic time (it deep-copies the list for each
    one): 1,000 weights added 26 s to a fit and 42 s to a test of its checkpoint. 4,000 parse as fast as a few."""
    import time

    from jsonargparse import ArgumentParser

    weights = [1.0 + i % 7 for i in range(4000)]
    parser = ArgumentParser(exit_on_error=False)
    parser.add_class_arguments(BlobClassifier, "model")
    parser.set_defaults({"model.num_classes": 4000, "model.class_weight": weights})
    start = time.perf_counter()
    config = parser.parse_args([])
    assert time.perf_counter() - start < 2  # 0.1 s here; minutes typed list[PositiveFloat]
    model = BlobClassifier(**config.model)
    assert model.hparams.class_weight == weights and type(model.hparams.class_weight) is list  # plain in checkpoints
    assert model.loss_fn.weight.tolist() == weights


@pytest.mark.parametrize(("trained", "given", "expected"), [
    ([1, 2, 3, 4], [1, 1, 1, 5], [1.0, 1.0, 1.0, 5.0]),
    ([1, 2, 3, 4], None, None),
    (None, [1, 1, 1, 5], [1.0, 1.0, 1.0, 5.0]),
    ([1, 2, 3, 4], [1, 2, 3, 4], [1.0, 2.0, 3.0, 4.0]),
], ids=["other-weights", "weights-dropped", "weights-added-to-an-unweighted-run", "same-weights"])
def test_load_from_checkpoint_with_other_weights_uses_the_weights_given(tmp_path, trained, given, expected):
    trainer = L.Trainer(default_root_dir=tmp_path, max_steps=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(BlobClassifier(class_weight=trained), datamodule=BlobDataModule())
    trainer.save_checkpoint(tmp_path / "run.ckpt")
    system = BlobClassifier.load_from_checkpoint(tmp_path / "run.ckpt", class_weight=given)
    assert system.hparams.class_weight == expected
    assert (None if system.loss_fn.weight is None else system.loss_fn.weight.tolist()) == expected
    trained_system = BlobClassifier.load_from_checkpoint(tmp_path / "run.ckpt")
    assert all(torch.equal(a, b) for a, b in zip(system.model.parameters(), trained_system.model.parameters(), strict=True))
