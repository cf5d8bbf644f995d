"""blobclf as a Python library: its data modules and system with a stock Lightning Trainer, no command line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import typing

import lightning as L
import numpy as np
import pytest
import torch
from conftest import REPO, example_datasets, one_error
from torch.utils.data import DataLoader, TensorDataset

from blobclf import BlobClassifier, BlobDataModule, TableDataModule
from blobclf.errors import UserError

USAGE = (REPO / "docs" / "usage.md").read_text(encoding="utf-8")
FIX = ("build the model from the data module: BlobClassifier(num_features=data.num_features, "
       "num_classes=data.num_classes, standardize=data.standardize)")


def trainer(tmp_path, **settings) -> L.Trainer:
    """A stock Trainer that writes nothing but under ``tmp_path``."""
    quiet = {"logger": False, "enable_checkpointing": False, "enable_progress_bar": False,
             "enable_model_summary": False, "default_root_dir": tmp_path}
    return L.Trainer(accelerator="cpu", **{**quiet, **settings})


def test_a_plain_dataloader_trains_the_model_as_one_step_per_batch(tmp_path):
    data = BlobDataModule()
    data.setup()
    loader = DataLoader(TensorDataset(*data.splits["train"]), batch_size=64)  # yields [features, labels] lists
    systems = []
    for steps in (1, 16):  # 16, the default, runs several optimizer steps per Lightning step from blobclf's loader
        torch.manual_seed(0)
        system = BlobClassifier(steps_per_execution=steps)
        fitted = trainer(tmp_path, max_epochs=2)
        fitted.fit(system, train_dataloaders=loader)  # was: ValueError: too many values to unpack (expected 2)
        assert fitted.global_step == 26  # 13 batches of 800 points, two epochs
        systems.append(system)
    weights, default = (system.state_dict() for system in systems)
    assert all(torch.equal(weights[k], default[k]) for k in weights)


@pytest.mark.parametrize(("model", "data", "name", "values"), [
    ({"num_features": 3}, {}, "num_features", (3, 2)),
    ({}, {"n_features": 3}, "num_features", (2, 3)),
    ({"num_classes": 3}, {}, "num_classes", (3, 4)),
    ({"num_classes": 5}, {}, "num_classes", (5, 4)),
    ({"standardize": True}, {}, "standardize", (True, False)),
], ids=["model-features", "data-features", "fewer-classes", "more-classes", "standardize"])
def test_a_model_that_does_not_fit_its_data_module_is_refused_naming_both(tmp_path, model, data, name, values):
    # was: torch's "mat1 and mat2 shapes cannot be multiplied" or "Target 3 is out of bounds" deep in a
    # step, or a model trained with other outputs than the data's classes
    with pytest.raises(ValueError) as error:
        trainer(tmp_path, max_epochs=1).fit(BlobClassifier(**model), datamodule=BlobDataModule(**data))
    assert str(error.value) == (f"BlobClassifier({name}={values[0]}) does not fit its data: BlobDataModule has "
                                f"{name}={values[1]}; {FIX}")


def test_a_table_is_standardized_as_the_data_module_says_or_refused(tmp_path):
    path = example_datasets().write_dataset("iris", tmp_path)
    data = TableDataModule(path=str(path), target="species")
    # was: trained silently without the standardization the data module asks for (standardize=True)
    with pytest.raises(ValueError, match=re.escape(
            f"BlobClassifier(standardize=False) does not fit its data: TableDataModule has standardize=True; {FIX}")):
        trainer(tmp_path, max_epochs=1).fit(BlobClassifier(num_features=4, num_classes=3), datamodule=data)
    system = BlobClassifier(num_features=data.num_features, num_classes=data.num_classes, standardize=data.standardize)
    trainer(tmp_path, max_epochs=1).fit(system, datamodule=data)
    mean, scale = data.feature_scaling()
    assert torch.equal(system.model.mean, mean) and torch.equal(system.model.scale, scale)


def test_sizes_given_as_numpy_integers_are_recorded_as_ints_and_checkpoints_load(tmp_path):
    labels = np.array([0, 1, 2, 3])
    system = BlobClassifier(num_features=np.int64(2), num_classes=labels.max() + 1)
    assert [type(system.hparams[k]) for k in ("num_features", "num_classes")] == [int, int]
    fitted = trainer(tmp_path, max_steps=1)
    fitted.fit(system, datamodule=BlobDataModule())
    fitted.save_checkpoint(tmp_path / "numpy.ckpt")
    # was: refused, "loading it would run code (it needs numpy._core.multiarray.scalar)"
    loaded = BlobClassifier.load_from_checkpoint(tmp_path / "numpy.ckpt")
    assert dict(loaded.hparams) == dict(system.hparams)
    assert torch.equal(loaded.model.linear_layer_stack[0].weight, system.model.linear_layer_stack[0].weight)


@pytest.mark.parametrize(("make", "message"), [
    (lambda: BlobClassifier(num_features=2.5), "num_features must be an integer >= 1, got 2.5"),  # was: 2, silently
    (lambda: BlobClassifier(num_classes="4"), "num_classes must be an integer >= 1, got '4'"),
    (lambda: BlobClassifier(hidden_units=True), "hidden_units must be an integer >= 1, got True"),
    (lambda: BlobClassifier(num_classes=4, class_names="abcd"), "class_names must be 4 distinct names, got 'abcd'"),
    (lambda: BlobDataModule(cluster_std="2"), "cluster_std must be a finite number > 0, got '2'"),  # were TypeErrors
    (lambda: BlobDataModule(test_size="0.2"), "test_size must be strictly between 0 and 1, got '0.2'"),
    (lambda: TableDataModule("t.csv", "y", val_size="0.1"), "val_size must be strictly between 0 and 1, got '0.1'"),
    (lambda: BlobDataModule().split("validation"), "split must be one of 'train', 'val', 'test', got 'validation'"),
    (lambda: TableDataModule("t.csv", "y").split("valid"), "split must be one of 'train', 'val', 'test', got 'valid'"),
], ids=["float-size", "text-size", "bool-size", "text-names", "text-std", "text-fraction", "table-fraction",
        "split-name", "table-split-name"])
def test_arguments_of_the_wrong_type_are_named(make, message):
    with pytest.raises(ValueError) as error:
        make()
    assert str(error.value) == message


def test_str_of_a_data_module_shows_the_splits_set_up():
    data = BlobDataModule(val_size=0.25)
    # was: AttributeError: 'tuple' object has no attribute 'available' (Lightning's str() expects DataLoaders)
    assert str(data).splitlines() == ["{Train dataloader: None}", "{Validation dataloader: None}",
                                      "{Test dataloader: None}", "{Predict dataloader: None}"]
    data.setup("fit")
    assert str(data).splitlines() == ["{Train dataloader: size=600}", "{Validation dataloader: size=200}",
                                      "{Test dataloader: size=200}", "{Predict dataloader: size=200}"]


@pytest.mark.slow
def test_the_usage_example_trains_the_tutorial_run_with_a_stock_trainer(tmp_path, monkeypatch):
    code = re.search(r"## In Python, with your own Trainer\n.*?```python\n(.*?)```", USAGE, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    names: dict = {}
    exec(code, names)  # as written in docs/usage.md
    assert names["result"]["test/acc"] == pytest.approx(0.965)  # 193 of 200, as the tutorial
    assert names["result"]["test/loss"] == pytest.approx(0.08555, abs=5e-6)
    assert names["batch"]["labels"].shape == (200,)
    assert (names["batch"]["labels"] == names["data"].splits["test"][1]).sum().item() == 193
    assert torch.equal(names["same"].model.linear_layer_stack[4].weight, names["model"].model.linear_layer_stack[4].weight)


def test_the_usage_lines_that_hide_lightnings_notices_in_a_script_hide_those_three_and_no_other(tmp_path):
    """A script with its own Trainer printed Lightning's LeafSpec FutureWarning and its litlogger and litmodels
    tips (the command line hides them); docs/usage.md says where each comes from and gives the lines hiding them."""
    hide = re.search(r"To hide just those, before the `Trainer`:\n\n```python\n(.*?)```", USAGE, re.S).group(1)
    script = ("import lightning as L\nfrom blobclf import BlobClassifier, BlobDataModule\n"
              "L.Trainer(max_epochs=1, accelerator='cpu', enable_progress_bar=False, enable_model_summary=False)"
              ".fit(BlobClassifier(), datamodule=BlobDataModule())\n")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONWARNINGS", "BLOBCLF_DEBUG")}
    outputs = [subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300) for code in (script, hide + script)]
    notices = ["`isinstance(treespec, LeafSpec)` is deprecated", "💡 Tip: For seamless cloud logging",
               "💡 Tip: For seamless cloud uploads"]
    assert [[notice in done.stderr + done.stdout for notice in notices] for done in outputs] == [[True] * 3, [False] * 3]
    assert all(done.returncode == 0 for done in outputs)
    assert "`Trainer.fit` stopped: `max_epochs=1` reached." in outputs[1].stderr + outputs[1].stdout  # the rest kept


def test_load_from_checkpoint_takes_lightnings_default_weights_only_none_and_refuses_false(tmp_path):
    fitted = trainer(tmp_path, max_steps=1)
    fitted.fit(BlobClassifier(), datamodule=BlobDataModule())
    fitted.save_checkpoint(tmp_path / "model.ckpt")
    # was: "weights_only=False is refused" for None, the value Lightning's own signature defaults to
    assert BlobClassifier.load_from_checkpoint(tmp_path / "model.ckpt", weights_only=None).hparams.num_classes == 4
    with pytest.raises(UserError, match=r"^weights_only=False is refused: blobclf loads checkpoints with "
                                        r"weights_only=True only$"):
        BlobClassifier.load_from_checkpoint(tmp_path / "model.ckpt", weights_only=False)


def test_a_checkpoint_of_a_users_own_trainer_is_evaluated_by_the_command_line_and_its_resume_refused_saying_so(cli):
    fitted = trainer(cli.cwd, max_epochs=3)
    fitted.fit(BlobClassifier(), datamodule=BlobDataModule())
    fitted.save_checkpoint(cli.cwd / "mine.ckpt")
    result = cli("test", "--ckpt_path", "mine.ckpt")
    assert result.returncode == 0, result.output
    assert float(re.search(r"test/acc\s+([0-9.]+)", result.stdout).group(1)) == pytest.approx(
        float(fitted.callback_metrics["val/acc"]))  # validated on the test split, as the command line does
    # was: "was written by blobclf of 2026-11-28 or earlier, which did not record the run's settings ..."
    assert one_error(cli("fit", "--ckpt_path", "mine.ckpt")) == (
        "checkpoint 'mine.ckpt' was written by a Trainer of your own, not by 'blobclf fit', and does not record the "
        "run's settings (epochs, seed, trainer) that a resume takes from it; resume it with your Trainer "
        "(trainer.fit(model, datamodule=data, ckpt_path=...)); test, validate and predict take it as it is")


class OwnData(L.LightningDataModule):
    """A user's own data module, whose ``num_classes`` is a method rather than blobclf's property."""

    def num_classes(self) -> int:
        return 4

    def train_dataloader(self) -> DataLoader:
        return DataLoader(TensorDataset(torch.randn(32, 2), torch.arange(32) % 4), batch_size=8)


def test_a_data_module_of_the_users_own_trains_the_model(tmp_path):
    fitted = trainer(tmp_path, max_epochs=1)
    fitted.fit(BlobClassifier(), datamodule=OwnData())
    assert fitted.global_step == 4


def test_a_table_checkpoint_of_a_users_own_trainer_is_tested_by_the_command_line_on_its_table(cli):
    data = TableDataModule(path=str(example_datasets().write_dataset("iris", cli.cwd).relative_to(cli.cwd)),
                           target="species")
    model = BlobClassifier(num_features=data.num_features, num_classes=data.num_classes, standardize=data.standardize,
                           class_names=data.class_names, feature_names=data.feature_names)
    fitted = trainer(cli.cwd, max_epochs=5)
    fitted.fit(model, datamodule=data)
    fitted.save_checkpoint(cli.cwd / "table.ckpt")  # records the data settings, but not LightningCLI's class path
    (expected,) = fitted.test(model, datamodule=data, verbose=False)
    # was: "checkpoint 'table.ckpt' does not fit its own data settings: they give num_features=2, ..." (read as blobs)
    result = cli("test", "--ckpt_path", "table.ckpt")
    assert result.returncode == 0, result.output
    assert float(re.search(r"test/acc\s+([0-9.]+)", result.stdout).group(1)) == pytest.approx(expected["test/acc"])


IRIS_COLUMNS = "sepal_length, sepal_width, petal_length, petal_width, species"


@pytest.mark.parametrize(("settings", "message"), [
    ({"target": "specie"}, f"no target column 'specie'; the columns are: {IRIS_COLUMNS} (choose one with "
                           "TableDataModule(target=...))"),
    ({"features": ["sepal_length", "petal"]}, "TableDataModule(features=...) names 'petal', which is not a column; "
                                              f"the columns are: {IRIS_COLUMNS}"),
    ({"exclude": ["petal"]}, f"TableDataModule(exclude=...) names 'petal', which is not a column; the columns are: "
                             f"{IRIS_COLUMNS}"),
    ({"features": ["species"]}, "the target column 'species' is also listed in TableDataModule(features=...); leave it "
                                "out there"),
    ({"test_size": 0.01}, "TableDataModule(test_size=0.01) holds out 2 of 150 rows, fewer than the 3 classes; a "
                          "stratified split needs every class in each part: try TableDataModule(test_size=0.02)"),
], ids=["target", "features", "exclude", "target-in-features", "test-size"])
def test_a_table_refusal_names_the_constructor_argument_not_a_command_line_option(tmp_path, settings, message):
    path = example_datasets().write_dataset("iris", tmp_path)
    # was: "... (choose one with --data.target)", an option of a command line this user never ran
    with pytest.raises(UserError) as error:
        TableDataModule(path=str(path), **{"target": "species", **settings}).setup()
    assert str(error.value) == f"{path}: {message}"


def test_the_columns_a_python_refusal_offers_to_leave_out_are_a_list_to_paste(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,a,color,kind\n" + "".join(f"{i},{i},{'rg'[i % 2]},{'xy'[i % 2]}\n" for i in range(10)))
    with pytest.raises(UserError) as error:
        TableDataModule(path=str(path), target="kind", exclude=["id"]).setup()
    assert str(error.value) == (f"{path}:2: feature column 'color' holds 'r', not a number; to leave the column out, "
                                "give TableDataModule(exclude=['id', 'color']), or to one-hot encode it as "
                                "categories, give TableDataModule(categorical=['color'])")
    with pytest.raises(ValueError) as error:
        TableDataModule(path=str(path), target="kind", features=[])
    assert str(error.value) == ("TableDataModule(features=...) is an empty list; list at least one feature column, or "
                                "leave it out to use every column but the target")
    data = TableDataModule(path=str(path), target="kind", exclude=["id", "color"])  # the advice followed
    assert data.feature_names == ["a"]
    with pytest.raises(UserError) as error:
        TableDataModule(path=str(path), target="kind", delimiter=";").setup()
    assert str(error.value) == (f"{path}: no target column 'kind'; the columns are: id,a,color,kind (choose one with "
                                "TableDataModule(target=...)); the header was split at ';' but holds ',': give "
                                "TableDataModule(delimiter=',') (or None to detect it)")


def test_split_names_its_splits_in_its_type():
    # a type checker refuses split("validation") before it runs; the line above refuses it when it runs
    from blobclf.data import SPLITS

    for module in (BlobDataModule, TableDataModule):
        assert typing.get_type_hints(module.split)["name"] == typing.Literal["train", "val", "test"]
    assert SPLITS == ("train", "val", "test")
