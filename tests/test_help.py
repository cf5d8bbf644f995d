"""Each subcommand's ``--help`` starts with what it does and its most used options, and every option
named there exists for that subcommand."""

from __future__ import annotations

import inspect
import re
import sys

import pytest

from blobclf.data import BlobDataModule
from blobclf.tabledata import TableDataModule
from conftest import REPO, one_error

DATA_OPTIONS = {name for cls in (BlobDataModule, TableDataModule) for name in inspect.signature(cls).parameters}


@pytest.mark.parametrize("subcommand", ["fit", "validate", "test", "predict"])
def test_the_most_used_options_come_first_and_each_exists(cli, subcommand):
    result = cli(subcommand, "--help")
    assert result.returncode == 0, result.output
    top = result.stdout.split("\n\noptions:", 1)[0]
    assert top.startswith(f"usage: python -m blobclf [options] {subcommand} [OPTIONS]\n\n")  # cli_main from Python
    assert len(top.splitlines()) <= 12 and "Most used: " in top
    named = {option.rstrip(".") for option in re.findall(r"(--[\w.]+)", " ".join(top.split()))}
    assert "--ckpt_path" in named
    listed = set(re.findall(r"^  (?:-\w \w+, )?(--[\w.]+)", result.stdout, flags=re.M))
    for option in named:
        if option.startswith("--data.") and option not in listed:  # --data.help is listed
            assert option.removeprefix("--data.") in DATA_OPTIONS, option
        elif option.startswith("--optimizer."):  # the chosen optimizer's arguments
            assert "--optimizer" in listed and option.removeprefix("--optimizer.") == "lr", option
        else:
            assert option in listed, option


def test_predict_names_its_input_and_output_options_at_the_top(cli):
    top = " ".join(cli("predict", "--help").stdout.split("\n\noptions:", 1)[0].split())
    assert "--data.predict_file CSV, --prediction.output PATH, --prediction.overwrite true" in top
    assert "--optimizer" not in top and "--trainer.max_epochs" not in top


def test_the_top_level_help_says_in_full_what_each_subcommand_does(cli):
    # LightningCLI's lines were the first line of each Trainer method's docstring, cut mid-sentence:
    # "test  Perform one evaluation epoch over the test set. It's separated from fit to make sure you never run on your"
    result = cli("--help")
    assert result.returncode == 0, result.output
    listed = " ".join(result.stdout.split("Available subcommands:", 1)[1].split())
    assert listed == (
        "(required) fit Train a classifier (a new run in checkpoints/version_N), or resume one with --ckpt_path. "
        "validate Evaluate a checkpoint on the validation split. "
        "test Evaluate a checkpoint on the test split; writes test_report-<checkpoint>.json beside it. "
        "predict Predict with a checkpoint: the test split, or --data.predict_file CSV; writes "
        "predictions-<checkpoint>-<input>.csv beside it."
    )


@pytest.mark.parametrize(("typed", "argv0"), [
    ("python -m blobclf", str(REPO / "blobclf" / "__main__.py")),
    ("blobclf", "/venv/bin/blobclf"),
    # cli_main called from a user's script: its usage said 'blobclf' where its messages said 'resume with: python -m
    # blobclf fit ...' (two rules for the program's name)
    ("python -m blobclf", "/home/me/train.py"),
], ids=["python-m", "installed", "from-python"])
def test_every_usage_line_names_the_program_as_typed(cli, monkeypatch, typed, argv0):
    # a class's help named argparse's default program, sys.argv[0]: 'usage: __main__.py --data.path PATH ...'
    monkeypatch.setattr(sys, "argv", [argv0])
    usages = {args: cli(*args).stdout.split("\n\n", 1)[0] for args in [
        ("--help",), ("fit", "--help"), ("fit", "--data.help", "TableDataModule"), ("test", "--data.help", "BlobDataModule"),
        ("fit", "--optimizer.help", "Adam"),
    ]}
    assert usages == {
        ("--help",): f"usage: {typed} [-c CONFIG] {{fit,validate,test,predict}} ...",
        ("fit", "--help"): f"usage: {typed} [options] fit [OPTIONS]",
        ("fit", "--data.help", "TableDataModule"): f"usage: {typed} fit --data TableDataModule [OPTIONS]",
        ("test", "--data.help", "BlobDataModule"): f"usage: {typed} test --data BlobDataModule [OPTIONS]",
        ("fit", "--optimizer.help", "Adam"): f"usage: {typed} fit --optimizer Adam [OPTIONS]",
    }
    assert f"'{typed} fit' runs the tutorial" in " ".join(cli("--help").stdout.split())
    assert one_error(cli()) == (f"give a subcommand: fit, validate, test or predict ('{typed} fit' trains the "
                                f"tutorial's model; '{typed} --help' says what each does)")
    assert one_error(cli("fit", "--data.zzz", "1")) == ("--data.zzz is not an option of BlobDataModule; its options: "
                                                         f"{typed} fit --data.help BlobDataModule (see --help)")


def test_name_list_options_show_a_list_type(cli):
    # they showed jsonargparse's 'Optional[tuple[str, ...]]' (a tuple to the parser, which checks list[str] in quadratic time)
    table = " ".join(cli("fit", "--data.help", "TableDataModule").stdout.split())
    assert ("--data.features FEATURES Names of the feature columns, as a list ([a,b]); null takes every column "
            "but the target (and those in exclude). (type: Optional[NameList], default: null)") in table
    assert ("--data.exclude EXCLUDE Names of columns that are not features (an id, a text column), as a list "
            "([id,name]): the features are every other column but the target.") in table
    assert table.count("(type: Optional[NameList], default: null)") == 4  # features, exclude, categorical, classes
    assert "--data.classes CLASSES Class names in the order of the model's outputs, as a list;" in table
    fit = " ".join(cli("fit", "--help").stdout.split())
    assert fit.count("(type: Optional[NameList])") == 2  # the linked model.class_names and model.feature_names
    assert "tuple[" not in table + fit


@pytest.mark.parametrize("args", [
    ("fit", "--help"), ("validate", "--help"), ("test", "--help"), ("predict", "--help"),
    ("fit", "--data.help", "BlobDataModule"), ("fit", "--data.help", "TableDataModule"),
])
def test_help_is_plain_text_and_says_what_blobclf_does(cli, args):
    # docstrings' Sphinx markup was printed as is ('Trains a :class:`~blobclf.model.BlobModel` as the tutorial does:',
    # Lightning's --trainer.barebones: nine ':paramref:`~lightning.pytorch.trainer.trainer.Trainer.X`'), the scheduler
    # group was titled "(<class 'torch.optim.lr_scheduler.LRScheduler'>, ...)", and --trainer.max_epochs said
    # "defaults to max_epochs = 1000" where blobclf trains 100
    result = cli(*args)
    assert result.returncode == 0, result.output
    text = " ".join(result.stdout.split())
    for markup in (":class:", ":paramref:", ":func:", ":meth:", "``", "<class '"):
        assert markup not in text, markup
    if args[1] != "--help":
        return
    assert "Trains a BlobModel as the tutorial does:" in text and "ModelCheckpoint writing to checkpoints/version_N:" in text
    assert ("The data: blobs (BlobDataModule, the default) or a CSV table (TableDataModule): Their options: --data.help "
            "BlobDataModule, --data.help TableDataModule") in text
    assert ("The optimizer: --optimizer NAME: any torch.optim class (default: SGD with lr 0.1); --optimizer.help NAME "
            "lists its options") in text
    assert "A learning rate scheduler: --lr_scheduler NAME: any torch.optim.lr_scheduler class (default: none)" in text
    assert "1000" not in text.replace("(Lightning alone would train 1000)", "")
    assert ("--trainer.max_epochs MAX_EPOCHS Stop training once this number of epochs is reached; -1: no limit. A new "
            "run that sets none of max_epochs, max_steps and max_time trains the tutorial's 100 epochs") in text
    # max_steps said "(one a minibatch)": with accumulate_grad_batches N an optimizer step is N minibatches
    assert "optimizer steps (one a minibatch, or one per accumulate_grad_batches minibatches); -1: no limit." in text
    assert "blobclf's default 0 runs none. (type: Optional[int], default: 0)" in text  # was "Default: ``2``"
    assert "true, blobclf's default" in text and "default: True)" in text  # deterministic: was "defaults to False"
    assert "checkpoints; null uses {root}/version_N" in text and "Path of the CSV; null writes" in text  # were None


def test_the_blob_options_say_what_they_do(cli):
    # random_state said 'Seed of both the blob generator and the split' (it also orders the shuffled batches),
    # predict_file 'one column per feature, and an optional last label column' (columns are found by name, any
    # order, others copied), and the null of every option was Python's None
    text = " ".join(cli("fit", "--data.help", "BlobDataModule").stdout.split())
    assert ("--data.random_state RANDOM_STATE Seed of the blob generator, the split and the shuffled batch order "
            "(0 to 2**32 - 1).") in text
    assert ("--data.predict_file PREDICT_FILE CSV of points for predict, whose header names the features (x0, x1, ...: "
            "found by name, in any order) and optionally a label column; other columns are copied to the output, and "
            "no blobs are drawn. null predicts the test split.") in text
    assert "None" not in text


def test_the_seed_option_says_what_it_does_in_blobclfs_words(cli):
    # Lightning's text ran two sentences together ("with this value before classes instantiation.Set to True"), and
    # promised a random seed where Lightning 2.6 seeds 0
    text = " ".join(cli("fit", "--help").stdout.split())
    assert "instantiation.Set" not in text
    assert ("--seed_everything SEED_EVERYTHING The seed of every random number generator, set before anything is "
            "built: an integer from 0 to 4294967295 (a run repeated gives the same numbers); true: the PL_GLOBAL_SEED "
            "environment variable's seed, else 0 (not a random one), recorded in the run's config.yaml; false: no "
            "seeding. (type: Union[bool, int], default: 42)") in text
