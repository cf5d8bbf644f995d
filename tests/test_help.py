"""Each subcommand's ``--help`` starts with what it does and its most used options, and every option
named there exists for that subcommand."""

from __future__ import annotations

import inspect
import re
import sys

import pytest
import yaml
from lightning.pytorch.cli import LightningCLI

from blobclf.checks import check_used_options
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
        "validate Evaluate a checkpoint on the split its run validated on (the test split, unless it was trained with "
        "--data.val_size). "
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
    # the top help spoke of blobs only: a user with a table of their own learnt nothing of TableDataModule there
    assert (f"'{typed} fit --data TableDataModule --data.path TABLE.csv --data.target COLUMN' trains on a table"
            in " ".join(cli("--help").stdout.split()))
    assert one_error(cli()) == (f"give a subcommand: fit, validate, test or predict ('{typed} fit' trains the "
                                f"tutorial's model; '{typed} --help' says what each does)")
    assert one_error(cli("fit", "--data.zzz", "1")) == ("--data.zzz is not an option of BlobDataModule; its options: "
                                                         f"{typed} fit --data.help BlobDataModule (see --help)")


def test_a_class_help_says_how_its_options_are_given(cli):
    # it began with jsonargparse's "Help for --data.help=blobclf.TableDataModule", the option as typed
    texts = {args: " ".join(cli(*args).stdout.split("\n\n")[1].split()) for args in [
        ("fit", "--data.help", "TableDataModule"), ("test", "--data.help", "BlobDataModule"),
        ("fit", "--optimizer.help", "Adam"), ("fit", "--trainer.logger.help", "RunLogger"),
    ]}
    assert texts == {
        ("fit", "--data.help", "TableDataModule"):
            "The options of blobclf.TableDataModule, each given as --data.NAME VALUE after --data TableDataModule.",
        ("test", "--data.help", "BlobDataModule"):
            "The options of blobclf.BlobDataModule, each given as --data.NAME VALUE after --data BlobDataModule.",
        ("fit", "--optimizer.help", "Adam"):
            "The options of torch.optim.Adam, each given as --optimizer.NAME VALUE after --optimizer Adam.",
        ("fit", "--trainer.logger.help", "RunLogger"):
            "The options of blobclf.logger.RunLogger, each given as --trainer.logger.NAME VALUE after --trainer.logger "
            "RunLogger.",
    }


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
    assert ("Trains a BlobModel as the tutorial does:" in text) == (args[0] == "fit")
    assert ("The model's settings: taken from the checkpoint; a value given must equal it:" in text) == (
        args[0] != "fit")
    assert (("ModelCheckpoint writing to checkpoints/version_N:" if args[0] == "fit" else
             "The folder of the runs, where --ckpt_path last and best look:") in text)
    assert ("The data: blobs (BlobDataModule, the default) or a CSV table (TableDataModule): Their options: --data.help "
            "BlobDataModule, --data.help TableDataModule") in text
    if args[0] == "fit":  # the optimizer is fit's only (see test_each_subcommand_lists_the_options_it_uses)
        assert ("The optimizer: --optimizer NAME: any torch.optim class (default: SGD with lr 0.1); --optimizer.help "
                "NAME lists its options") in text
        assert "A learning rate scheduler: --lr_scheduler NAME: any torch.optim.lr_scheduler class (default: none)" in text
    assert "1000" not in text.replace("(Lightning alone would train 1000)", "")
    # an evaluation lists none of them (see test_each_subcommand_lists_the_options_it_uses)
    assert ("--trainer.max_epochs MAX_EPOCHS Stop training once this number of epochs is reached; -1: no limit. A new "
            "run that sets none of max_epochs, max_steps and max_time trains the tutorial's 100 epochs" in text) == (
        args[0] == "fit")
    # max_steps said "(one a minibatch)": with accumulate_grad_batches N an optimizer step is N minibatches
    assert ("optimizer steps (one a minibatch, or one per accumulate_grad_batches minibatches); -1: no limit."
            in text) == (args[0] == "fit")
    assert ("blobclf's default 0 runs none. (type: Optional[int], default: 0)" in text) == (  # was "Default: ``2``"
        args[0] == "fit")
    assert "true, blobclf's default" in text and "default: True)" in text  # deterministic: was "defaults to False"
    # were None
    assert ("checkpoints; null uses {root}/version_N" in text) == (args[0] == "fit")
    assert ("Path of the CSV; null writes" in text) == (args[0] == "predict")


def test_trainer_options_whose_default_blobclf_changes_say_so(cli):
    # Lightning's texts said "Default: True." above blobclf's RunLogger, "Default: None." above its AtomicCheckpointIO,
    # and "Default: 50." above "default: null"
    text = " ".join(cli("fit", "--help").stdout.split())
    assert ("--trainer.logger LOGGER, --trainer.logger+ LOGGER Logger (or list of loggers) for experiment tracking. "
            "blobclf's default, RunLogger, is a TensorBoardLogger whose x-axis is the epoch, writing "
            "lightning_logs/version_N; true: Lightning's TensorBoardLogger (or CSVLogger); false: no logger. With "
            "several, local files are saved in the first one's log_dir. (type: ") in text
    assert ("--trainer.plugins PLUGINS, --trainer.plugins+ PLUGINS Plugins that change Lightning's core behaviour. "
            "blobclf's default, AtomicCheckpointIO, writes each checkpoint through a temporary file renamed over it (a "
            "reader sees the old file or the whole new one); --trainer.plugins X replaces it, --trainer.plugins+ X "
            "adds to it. (type: ") in text
    assert ("--trainer.log_every_n_steps LOG_EVERY_N_STEPS How often, in training steps, step values are logged: "
            "blobclf's own metrics are logged once an epoch whatever it is; it paces callbacks that log by step "
            "(LearningRateMonitor's logging_interval 'step'). null: Lightning's 50. (type: Optional[int], default: "
            "null)") in text
    assert "Default: True. (type: Union[Logger" not in text and "Default: None. (type: Union[Precision" not in text


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


OWN_GROUPS = ("--checkpoint", "--prediction", "--export", "--optimizer", "--lr_scheduler")
FIT_ONLY = ["--checkpoint.filename", "--checkpoint.monitor", "--checkpoint.mode",
            "--checkpoint.save_top_k", "--checkpoint.save_last", "--checkpoint.last_interval",
            "--checkpoint.every_n_epochs", "--export", "--export.onnx", "--export.figures", "--optimizer",
            "--optimizer.help", "--lr_scheduler", "--lr_scheduler.help"]
PREDICT_ONLY = ["--prediction", "--prediction.output", "--prediction.overwrite", "--prediction.top_k"]
TRAINING_ONLY = ["--trainer.min_epochs", "--trainer.min_steps", "--trainer.max_time", "--trainer.limit_train_batches",
                 "--trainer.val_check_interval", "--trainer.check_val_every_n_epoch", "--trainer.log_every_n_steps",
                 "--trainer.enable_model_summary", "--trainer.accumulate_grad_batches", "--trainer.gradient_clip_val",
                 "--trainer.gradient_clip_algorithm", "--trainer.detect_anomaly", "--trainer.sync_batchnorm",
                 "--trainer.reload_dataloaders_every_n_epochs", "--trainer.max_epochs", "--trainer.max_steps",
                 "--trainer.num_sanity_val_steps", "--model.steps_per_execution", "--model.cuda_graphs"]
"""The options of the Trainer and the model that only training uses, in the order fit's help lists them."""
LIMITS = {"fit": ["--trainer.limit_train_batches", "--trainer.limit_val_batches", "--trainer.overfit_batches"],
          "validate": ["--trainer.limit_val_batches", "--trainer.overfit_batches"],
          "test": ["--trainer.limit_test_batches"], "predict": ["--trainer.limit_predict_batches"]}
"""The batch limits each subcommand uses (Lightning's loops read no other)."""
LIMIT_USERS = {"--trainer.limit_train_batches": "fit", "--trainer.limit_val_batches": "fit and validate",
               "--trainer.overfit_batches": "fit and validate", "--trainer.limit_test_batches": "test",
               "--trainer.limit_predict_batches": "predict"}
EVAL_TITLES = ["The Trainer: how the checkpoint is evaluated (devices, precision, batch limits, logger, callbacks)",
               "The model's settings: taken from the checkpoint; a value given must equal it"]


@pytest.mark.parametrize(("subcommand", "own", "sections"), [
    ("fit", ["--checkpoint", "--checkpoint.dirpath", "--checkpoint.root", *FIT_ONLY],
     ["ModelCheckpoint writing to checkpoints/version_N", "At the end of fit, export the trained model and draw the "
      "run's figures", "The optimizer", "Linked arguments", "A learning rate scheduler"]),
    ("validate", ["--checkpoint", "--checkpoint.root"],
     ["The folder of the runs, where --ckpt_path last and best look", "Linked arguments", "Options of Trainer.validate"]),
    ("test", ["--checkpoint", "--checkpoint.root"],
     ["The folder of the runs, where --ckpt_path last and best look", "Linked arguments", "Options of Trainer.test"]),
    ("predict", ["--checkpoint", "--checkpoint.root", *PREDICT_ONLY],
     ["The folder of the runs, where --ckpt_path last and best look", "Write every prediction to a CSV file and print its path",
      "Linked arguments", "Options of Trainer.predict"]),
])
def test_each_subcommand_lists_the_options_it_uses(cli, subcommand, own, sections):
    # test --help listed --export.*, --prediction.*, --checkpoint.save_top_k, --optimizer and --lr_scheduler, which
    # its command line refuses ("--export.onnx is used by fit only, and 'test' would ignore it"), and titled
    # --verbose "Perform one evaluation epoch over the test set. It's separated from fit to make sure you never run
    # on your:", and the group of --checkpoint.root "ModelCheckpoint writing to checkpoints/version_N"
    text = cli(subcommand, "--help").stdout
    top = " ".join(text.split("\n\noptions:", 1)[0].split())
    assert top.endswith("Every option is listed below; a data module's with --data.help BlobDataModule (or "
                        "TableDataModule)." if subcommand == "fit" else
                        "Every option it takes is listed below (a --config file may also hold fit's); a data "
                        "module's with --data.help BlobDataModule (or TableDataModule).")
    listed = list(dict.fromkeys(re.findall(r"^  (?:-\w \w+, )?(--[\w.]+)", text, flags=re.M)))  # and group texts
    assert [option for option in listed if option.split(".", 1)[0] in OWN_GROUPS] == own
    titles = re.findall(r"^([A-Z][^\n]*):$", text, flags=re.M)
    assert titles == [*(["Customize every aspect of training via flags", "Trains a BlobModel as the tutorial does"]
                        if subcommand == "fit" else EVAL_TITLES),
                      "The data: blobs (BlobDataModule, the default) or a CSV table (TableDataModule)", *sections]
    # an evaluation listed the Trainer's training options (max_epochs, gradient_clip_val, ...) and --model.cuda_graphs,
    # which it took and ignored, under "Customize every aspect of training via flags", and the model's options, which
    # must equal the checkpoint's, under "Trains a BlobModel as the tutorial does"
    assert [option for option in listed if option in TRAINING_ONLY] == (TRAINING_ONLY if subcommand == "fit" else [])
    # test and predict listed --trainer.limit_val_batches, which their loops never read (and fit limit_test_batches)
    assert [option for option in listed if option in LIMIT_USERS] == LIMITS[subcommand]
    method = {"validate": ["--verbose"], "test": ["--verbose"], "predict": ["--return_predictions"]}.get(subcommand, [])
    assert listed[-len(method):] == method if method else "--verbose" not in listed
    for option in listed:  # each option listed is taken on the command line
        check_used_options([subcommand, option, "1"], LightningCLI.subcommands())
    left_out = {"--checkpoint.dirpath", *FIT_ONLY, *PREDICT_ONLY, *(TRAINING_ONLY if subcommand != "fit" else [])}
    for option in sorted(left_out - set(own) - set(LIMIT_USERS)):  # and each left out is refused
        user = "predict" if option.startswith("--prediction") else "fit"
        assert one_error(cli(subcommand, "--ckpt_path", "last", option, "1")) == (
            f"{option} is used by {user} only, and '{subcommand}' would ignore it: drop it (or give it to {user})")
    own = {"validate": "--trainer.limit_val_batches", "test": "--trainer.limit_test_batches",
           "predict": "--trainer.limit_predict_batches"}.get(subcommand)
    for option in sorted(set(LIMIT_USERS) - set(LIMITS[subcommand])):
        user = LIMIT_USERS[option]
        assert one_error(cli(subcommand, "--ckpt_path", "last", option, "1")) == (
            f"{option} is used by {user} only, and '{subcommand}' would ignore it: drop it (or give it to "
            f"{user.replace(' and ', ' or ')})" + (f"; {subcommand}'s own is {own}" if own else ""))


def test_predict_says_what_return_predictions_does_in_blobclf(cli):
    # Lightning's text: "Whether to return predictions. True by default except when an accelerator that spawns
    # processes is used (not supported)."; blobclf's predict keeps none in memory unless asked
    text = " ".join(cli("predict", "--help").stdout.split())
    assert text.endswith(
        "Options of Trainer.predict: --return_predictions {true,false,null} Also keep every prediction in memory, as "
        "Trainer.predict's return value, which the command line does not use (the predictions are in the CSV it "
        "writes); null: false. (type: Optional[bool], default: null)")


def test_a_config_printed_by_fit_serves_every_subcommand(cli):
    # the groups an evaluation leaves out of its help still take their values from a config file
    settings = yaml.safe_load(cli("fit", "--trainer.max_epochs", "2", "--export.onnx", "false", "--export.figures",
                                  "false", "--print_config").stdout)
    assert settings["export"] == {"onnx": False, "figures": False} and settings["prediction"]["top_k"] is None
    settings["prediction"]["top_k"] = 2  # one file for the whole workflow (the command line gives it to predict only)
    config = cli.cwd / "run.yaml"
    config.write_text(yaml.safe_dump(settings))
    fit = cli("fit", "--config", str(config))
    assert fit.returncode == 0, fit.output
    assert sorted(path.name for path in (cli.cwd / "checkpoints" / "version_0").glob("model.*")) == ["model.json",
                                                                                                  "model.pth"]
    for subcommand in ("validate", "test", "predict"):
        result = cli(subcommand, "--config", str(config), "--ckpt_path", "last")
        assert result.returncode == 0, (subcommand, result.output)
    header = (cli.cwd / "checkpoints" / "version_0" / "predictions-last-test-split.csv").read_text().splitlines()[0]
    assert header == "x0,x1,top1,top1_prob,top2,top2_prob,predicted,label"


def test_the_trainer_options_blobclf_refuses_say_so_and_name_what_to_use(cli):
    # Lightning's texts offered them: enable_checkpointing "If True, enable checkpointing ... Default: True.",
    # default_root_dir "Default path for logs and weights ... Can be remote file paths such as s3://mybucket/path",
    # barebones "Whether to run in 'barebones mode'"; enable_progress_bar said "Whether to enable to progress bar"
    text = " ".join(cli("fit", "--help").stdout.split())
    assert ("--trainer.enable_progress_bar {true,false,null} Show training progress: Lightning's progress bar in a "
            "terminal, the tutorial's line every 10 epochs in a log file or pipe; false shows neither.") in text
    assert ("--trainer.enable_checkpointing {true,false,null} A blobclf run always keeps checkpoints (last.ckpt "
            "resumes it, the best one is tested): false is refused; to write fewer, use --checkpoint.save_top_k 0 "
            "and --checkpoint.save_last false.") in text
    assert ("--trainer.barebones {true,false} Lightning's mode without logger, checkpoints and progress bar: true is "
            "refused, since a blobclf run is made of its logs and checkpoints; for speed, use "
            "--trainer.enable_progress_bar false --trainer.enable_model_summary false --export.figures false "
            "--export.onnx false.") in text
    assert ("--trainer.default_root_dir DEFAULT_ROOT_DIR Not used by blobclf, which refuses it: runs go to "
            "--checkpoint.root (checkpoints) and the logger's save_dir (lightning_logs, "
            "--trainer.logger.init_args.save_dir).") in text
    # model_registry: Lightning's "The name of the model being uploaded to Model hub.", which a blobclf run never does
    assert ("--trainer.model_registry MODEL_REGISTRY Not used by blobclf, which refuses it: Lightning uploads to a model "
            "registry only through the checkpoint callback it adds when there is none, and a blobclf run has its own "
            "(--checkpoint).") in text
    assert "s3://" not in text and "barebones mode" not in text and "enable to progress bar" not in text


@pytest.mark.parametrize("subcommand", ["validate", "test", "predict"])
def test_an_evaluations_help_speaks_of_what_it_does(cli, subcommand):
    # it said "Show training progress: ... the tutorial's line every 10 epochs in a log file or pipe", and offered
    # --checkpoint.save_top_k, --trainer.enable_model_summary and --export.figures, which its command line refuses
    text = " ".join(cli(subcommand, "--help").stdout.split())
    assert ("--trainer.enable_progress_bar {true,false,null} Show the evaluation's progress: Lightning's progress bar "
            "in a terminal (nothing in a log file or pipe); false shows none. (type: Optional[bool], default: True)"
            ) in text
    assert ("--trainer.enable_checkpointing {true,false,null} An evaluation writes no checkpoint: false is refused, "
            "as in fit. (type: Optional[bool], default: null)") in text
    assert ("--trainer.barebones {true,false} Lightning's mode without logger, checkpoints and progress bar: true is "
            "refused, since a blobclf run is made of its logs and checkpoints; for speed, use "
            "--trainer.enable_progress_bar false. (type: bool, default: False)") in text
    assert "training progress" not in text and "--export." not in text and "--checkpoint.save" not in text
    # fit's texts: "(a run repeated gives the same numbers) ... recorded in the run's config.yaml", which an
    # evaluation does not write, and whose results are the same whatever the seed
    assert ("--seed_everything SEED_EVERYTHING The seed of every random number generator, set before anything is "
            "built; an evaluation draws nothing at random (its split comes from the data settings the checkpoint "
            "records), so its results are the same whatever the seed: true, false or an integer from 0 to "
            "4294967295. (type: Union[bool, int], default: 42)") in text
    assert ("--threads THREADS torch intra-op CPU threads (more than the machine's CPUs run on its CPUs). null "
            "applies blobclf's policy: 1 thread for validate and test when the run's training batches hold at most "
            "4096 samples (small steps run faster on one thread), torch's default otherwise and for predict. (type: "
            "Optional[PositiveInt], default: null)") in text
    assert "config.yaml" not in text


def test_an_evaluation_takes_the_checkpoints_steps_per_execution_whatever_a_config_file_says(cli):
    # it compared them and refused a fit config of another value ("model.steps_per_execution=3 ... conflicts with the
    # checkpoint"), though an evaluation runs no training step; its command line refuses the option (see above)
    assert cli("fit", "--trainer.max_epochs", "1", "--export.onnx", "false", "--export.figures", "false").returncode == 0
    config = cli.cwd / "other.yaml"
    config.write_text("model:\n  steps_per_execution: 3\n")
    plain, configured = cli("validate", "--ckpt_path", "last"), cli("validate", "--ckpt_path", "last", "--config",
                                                                     str(config))
    assert (plain.returncode, configured.returncode) == (0, 0), configured.output
    metrics = [re.findall(r"val/(?:acc|loss)\s+([\d.]+)", result.stdout) for result in (plain, configured)]
    assert len(metrics[0]) == 2 and metrics[0] == metrics[1]
    hparams = yaml.safe_load((cli.cwd / "lightning_logs" / "version_0" / "validate-last" / "hparams.yaml").read_text())
    assert hparams["steps_per_execution"] == 16  # the checkpoint's (blobclf's default), not the file's
