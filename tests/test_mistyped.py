"""A mistyped command gets one line naming what was typed and what would be right (exit 2, nothing written)."""

from __future__ import annotations

import pydoc

import pytest
import yaml

from conftest import REPO, one_error

CONFIGS = {
    "epochs.yaml": "trainer:\n  max_epoch: 3\n",
    "model.yaml": "model:\n  hiden_units: 3\n",
    "top.yaml": "fit:\n  trainer:\n    max_epoch: 3\n",
    "momentum.yaml": "optimizer:\n  class_path: torch.optim.SGD\n  init_args:\n    momentun: 0.9\n",
    "betas.yaml": "optimizer:\n  class_path: torch.optim.Adam\n  init_args:\n    betas: 0.9\n",
}

NOT_INSTALLED = "; configs/ is in blobclf's source (run from its folder), not in an installed package"


@pytest.mark.parametrize(("args", "line"), [
    # each was a line of jsonargparse's internals, or named no fix
    (["fit", "--config", "missing.yaml"], "--config 'missing.yaml': no such file"),  # Parser key "config": File does ...
    (["fit", "-c", "missing.yaml"], "-c 'missing.yaml': no such file"),
    (["fit", "--config=missing.yaml"], "--config 'missing.yaml': no such file"),
    # the README's command where blobclf was installed with pip, without its source (or run outside its source)
    (["fit", "--config", "configs/sgd.yaml"], f"--config 'configs/sgd.yaml': no such file{NOT_INSTALLED}: give its "
     "settings as options instead, --trainer.accelerator cpu (the others are blobclf's defaults)"),
    # the tables' command of the README and docs/tables.md: the line was the sgd.yaml one, of no use for a table
    (["fit", "--config", "configs/table.yaml", "--data.path", "iris.csv", "--data.target", "species"],
     f"--config 'configs/table.yaml': no such file{NOT_INSTALLED}: give its settings as options instead, "
     "--trainer.accelerator cpu --data TableDataModule --model.hidden_units 16 --optimizer Adam --optimizer.lr 0.01 "
     "(the others are blobclf's defaults)"),
    (["fit", "--config", "configs/adam.yaml"], f"--config 'configs/adam.yaml': no such file{NOT_INSTALLED}: give its "
     "settings as options instead, --trainer.accelerator cpu --optimizer Adam --optimizer.lr 0.01 (the others are "
     "blobclf's defaults)"),
    (["fit", "--config", "configs/mine.yaml"], f"--config 'configs/mine.yaml': no such file{NOT_INSTALLED}"),
    (["fit", "--config", "epochs.yaml"], "Subcommand 'fit' does not accept option 'trainer.max_epoch' (a key of a "
                                         "--config file); did you mean 'trainer.max_epochs'? (see --help)"),
    (["fit", "--config", "model.yaml"], "Subcommand 'fit' does not accept option 'model.hiden_units' (a key of a "
                                        "--config file); did you mean 'model.hidden_units'? (see --help)"),
    (["--config", "top.yaml", "fit"], "Subcommand 'fit' does not accept option 'trainer.max_epoch' (a key of a "
                                      "--config file); did you mean 'trainer.max_epochs'? (see --help)"),
    # 'Parser key "data": - Expected a path but TableDatamodule either not accessible or invalid: - Does not validate
    # against any of the Union subtypes: Subtypes: [<class 'blobclf.data.SplitDataModule'>, ...'
    (["fit", "--data", "TableDatamodule"], "--data TableDatamodule: no such data module; use BlobDataModule (blobs, the "
     "default) or TableDataModule (a CSV table); did you mean --data TableDataModule? (see --help)"),
    (["fit", "--data", "Tabel"], "--data Tabel: no such data module; use BlobDataModule (blobs, the default) or "
                                 "TableDataModule (a CSV table) (see --help)"),
    (["fit", "--data.help", "blobdatamodule"], "--data.help blobdatamodule: no such data module; use BlobDataModule "
     "(blobs, the default) or TableDataModule (a CSV table); did you mean --data.help BlobDataModule? (see --help)"),
    # "--optimizer.momentun='0.9' is invalid for torch.optim.SGD": the option, not its value, is wrong
    (["fit", "--optimizer.momentun", "0.9"],
     "--optimizer.momentun is not an option of SGD; did you mean --optimizer.momentum? (see --help)"),
    (["fit", "--config", "momentum.yaml"],  # a config file's key: named with the file
     "'optimizer.momentun' in --config momentum.yaml is not an option of SGD; did you mean --optimizer.momentum? "
     "(see --help)"),
    (["fit", "--optimizer", "Adam", "--optimizer.xyz", "1"],
     "--optimizer.xyz is not an option of Adam; its options: --optimizer.help Adam (see --help)"),
    (["fit", "--lr_scheduler", "StepLR", "--lr_scheduler.step_sise", "3"],
     "--lr_scheduler.step_sise is not an option of StepLR; did you mean --lr_scheduler.step_size? (see --help)"),
    (["fit", "--trainer.callbacks+=EarlyStopping", "--trainer.callbacks.monitr", "val/loss"],
     "--trainer.callbacks.monitr is not an option of EarlyStopping; did you mean --trainer.callbacks.monitor? (see --help)"),
    # 'unrecognized arguments: --trainer.max_epoch 3 (see --help)'
    (["fit", "--trainer.max_epoch", "3"],
     "unrecognized arguments: --trainer.max_epoch 3; did you mean --trainer.max_epochs? (see --help)"),
    (["fit", "--trainer.max_epochs", "2", "--checkpoint.save_lst", "false"],
     "unrecognized arguments: --checkpoint.save_lst false; did you mean --checkpoint.save_last? (see --help)"),
    (["test", "--ckpt_pth", "last"], "unrecognized arguments: --ckpt_pth last; did you mean --ckpt_path? (see --help)"),
    (["fit", "--no_such_option", "1"], "unrecognized arguments: --no_such_option 1 (see --help)"),
    # 'Parser key "model.hidden_units": Not of type PositiveInt: invalid literal for int() with base 10: 'abc'', then
    # blobclf's "--model.hidden_units='abc' is invalid: not PositiveInt (see --help)", which named the type, not the fix
    (["fit", "--model.hidden_units", "abc"], "--model.hidden_units='abc' is invalid: give an integer > 0 (see --help)"),
    (["fit", "--model.hidden_units", "0"], "--model.hidden_units=0 is invalid: give an integer > 0 (see --help)"),
    (["fit", "--checkpoint.last_interval", "soon"],
     "--checkpoint.last_interval='soon' is invalid: give a number >= 0 (see --help)"),
    # 'expected "subcommand" to be one of {fit,validate,test,predict}, but it was not provided.'
    ([], "give a subcommand: fit, validate, test or predict ('python -m blobclf fit' trains the tutorial's model; "
         "'python -m blobclf --help' says what each does)"),  # cli_main called from Python, as 'python -m blobclf'
    # "--data.features='weight' is invalid for blobclf.tabledata.TableDataModule": a name where a list is wanted
    (["fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind", "--data.features", "weight"],
     "--data.features='weight' is not a list of names; give a list: --data.features '[weight]' (see --help)"),
    (["fit", "--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind", "--data.exclude", "id, name"],
     "--data.exclude='id, name' is not a list of names; give a list: --data.exclude '[id,name]' (see --help)"),
    # 1e400 is read as inf, which torch takes: the first epoch ended the run as 'diverged', its folders written
    (["fit", "--optimizer.lr", "1e400"], "--optimizer.lr=inf is not a finite number; give a finite value"),
    (["fit", "--lr_scheduler", "StepLR", "--lr_scheduler.step_size", "2", "--lr_scheduler.gamma", "1e400"],
     "--lr_scheduler.gamma=inf is not a finite number; give a finite value"),
    # inf or nan as a word, alone or in a list, was jsonargparse's long line ('Parser key "optimizer": NestedArg(key=
    # 'betas', val=[0.9, 'inf']) is invalid: Problem with given class_path ... Errors (or null)'), or for a lone
    # word "--optimizer.lr='inf' is invalid for torch.optim.SGD"
    (["fit", "--optimizer.lr", "inf"], "--optimizer.lr=inf is not a finite number; give a finite value"),
    (["fit", "--optimizer", "Adam", "--optimizer.betas", "[0.9,inf]"],
     "--optimizer.betas=[0.9, inf] is not a finite number; give a finite value"),
    (["fit", "--optimizer", "Adam", "--optimizer.betas", "[NaN, 0.99]"],
     "--optimizer.betas=[nan, 0.99] is not a finite number; give a finite value"),
    (["fit", "--optimizer", "Adam", "--optimizer.betas", "[0.9,1e400]"],
     "--optimizer.betas=[0.9, inf] is not a finite number; give a finite value"),
    (["fit", "--optimizer", "Adam", "--optimizer.betas", "[0.9,x]"],
     "--optimizer.betas=[0.9, 'x'] is invalid for torch.optim.Adam: give numbers (see --help)"),
    (["fit", "--optimizer", "Adam", "--optimizer.betas", "[0.9,0.99,0.9]"],
     "--optimizer.betas=[0.9, 0.99, 0.9] is invalid for torch.optim.Adam: give 2 values (see --help)"),
    # one value where a class takes a list: "--optimizer.betas='0.9' is invalid for torch.optim.Adam", no fix named
    (["fit", "--optimizer", "Adam", "--optimizer.betas", "0.9"], "--optimizer.betas=0.9 is invalid for "
     "torch.optim.Adam: it takes a list; give one, --optimizer.betas '[0.9,0.999]' (in a config file, betas: "
     "[0.9, 0.999]) (see --help)"),
    (["fit", "--optimizer", "Adam", "--optimizer.betas", "0.9,0.99"], "--optimizer.betas=0.9,0.99 is invalid for "
     "torch.optim.Adam: it takes a list; give one, --optimizer.betas '[0.9,0.99]' (in a config file, betas: "
     "[0.9, 0.99]) (see --help)"),
    (["fit", "--lr_scheduler", "MultiStepLR", "--lr_scheduler.milestones", "3"], "--lr_scheduler.milestones=3 is "
     "invalid for torch.optim.lr_scheduler.MultiStepLR: it takes a list; give one, --lr_scheduler.milestones '[3]' "
     "(in a config file, milestones: [3]) (see --help)"),
    # was 'Parser key "optimizer": {'class_path': 'torch.optim.Adam', 'init_args': {'betas': 0.9}} is invalid: ...'
    (["fit", "--config", "betas.yaml"], "--optimizer.betas=0.9 is invalid for torch.optim.Adam: it takes a list; give "
     "one, --optimizer.betas '[0.9,0.999]' (in a config file, betas: [0.9, 0.999]) (see --help)"),
    (["fit", "--model.help", "BlobClassifier"], "unrecognized arguments: --model.help BlobClassifier (the model is always "
     "BlobClassifier: --help lists its options, --model.hidden_units and others) (see --help)"),
    # each was jsonargparse's 'Parser key "trainer.callbacks": - Expected a path but 5 either not accessible or
    # invalid: - Does not validate against any of the Union subtypes: Subtypes: [list[...' with every subtype's error
    (["fit", "--trainer.callbacks", "5"], "--trainer.callbacks 5 is not a callback; name a class of "
     "lightning.pytorch.callbacks (--trainer.callbacks+=EarlyStopping --trainer.callbacks.monitor val/loss) or give "
     "the import path of one"),
    (["fit", "--trainer.callbacks+=EarlyStoping"], "--trainer.callbacks+=EarlyStoping is not a callback; name a class "
     "of lightning.pytorch.callbacks (--trainer.callbacks+=EarlyStopping --trainer.callbacks.monitor val/loss) or give "
     "the import path of one; did you mean EarlyStopping?"),
    (["fit", "--trainer.callbacks", "torch.nn.Linear"], "--trainer.callbacks torch.nn.Linear is not a callback; name a "
     "class of lightning.pytorch.callbacks (--trainer.callbacks+=EarlyStopping --trainer.callbacks.monitor val/loss) "
     "or give the import path of one"),
    (["fit", "--trainer.logger", "TensorBoardLoger"], "--trainer.logger TensorBoardLoger is not a logger; name a class "
     "of lightning.pytorch.loggers (--trainer.logger CSVLogger, or --trainer.logger false for none) or give the import "
     "path of one; did you mean TensorBoardLogger?"),
], ids=["config", "c", "config=", "configs-not-installed", "table-config-not-installed",
        "adam-config-not-installed", "other-config-not-installed", "config-key", "config-model-key", "top-config-key", "data-case", "data-unknown",
        "data-help", "optimizer-option", "optimizer-config-key", "optimizer-no-close", "scheduler-option",
        "callback-option", "trainer-option", "checkpoint-option", "ckpt-path", "no-close-option", "not-a-number", "below-restriction",
        "not-a-float", "no-subcommand", "features-word", "exclude-words", "lr-inf", "gamma-inf", "lr-inf-word",
    "betas-inf-word", "betas-nan-word", "betas-inf", "betas-word", "betas-three", "betas-scalar", "betas-commas",
    "milestones-scalar", "betas-scalar-config", "model-help", "callbacks-number", "callbacks-misspelt",
    "callbacks-not-a-callback", "logger-misspelt"])
def test_a_mistyped_command_names_the_fix(cli, monkeypatch, args, line):
    import blobclf.configfiles
    monkeypatch.setattr(blobclf.configfiles, "source_configs", lambda: None)  # as installed: no source configs/
    for name, text in CONFIGS.items():
        (cli.cwd / name).write_text(text)
    assert one_error(cli(*args)) == line
    assert sorted(p.name for p in cli.cwd.iterdir()) == sorted(CONFIGS)


@pytest.mark.parametrize(("path", "line"), [
    ("configs/sgd.yaml", f"--config 'configs/sgd.yaml': no such file here; blobclf's source has it: --config "
                         f"{REPO / 'configs' / 'sgd.yaml'}"),
    ("configs/table.yaml", f"--config 'configs/table.yaml': no such file here; blobclf's source has it: --config "
                           f"{REPO / 'configs' / 'table.yaml'}"),
    ("configs/mine.yaml", f"--config 'configs/mine.yaml': no such file here, nor in blobclf's source "
                          f"{REPO / 'configs'}/ (adam.yaml, sgd.yaml, table.yaml)"),
])
def test_a_source_config_run_from_another_folder_is_named_by_its_path(cli, path, line):
    """Run from blobclf's source (an editable pip install -e .) in another folder, the README's command was told
    'configs/ is in blobclf's source (run from its folder), not in an installed package', untrue there and naming
    no folder: the source's own file is named by its full path."""
    from blobclf.configfiles import source_configs
    assert source_configs() == str(REPO / "configs")
    assert one_error(cli("fit", "--config", path)) == line
    assert list(cli.cwd.iterdir()) == []


@pytest.mark.parametrize(("setting", "line"), [
    ("betas: [0.9, inf]", "--optimizer.betas=[0.9, inf] is not a finite number; give a finite value"),
    ("lr: nan", "--optimizer.lr=nan is not a finite number; give a finite value"),
    ("lr: .inf", "--optimizer.lr=inf is not a finite number; give a finite value"),
])
def test_inf_or_nan_written_as_a_word_in_a_config_file_is_refused_in_one_line(cli, setting, line):
    """Was jsonargparse's line of the group's dict ('Parser key "optimizer": {'class_path': ... 'init_args': {'lr':
    'inf'}} is invalid: Problem with given class_path 'torch.optim.Adam': Parser key "lr" (or null)')."""
    (cli.cwd / "adam.yaml").write_text(f"optimizer:\n  class_path: torch.optim.Adam\n  init_args:\n    {setting}\n")
    assert one_error(cli("fit", "--config", "adam.yaml")) == line
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["adam.yaml"]


@pytest.mark.parametrize(("option", "setting", "line"), [
    # jsonargparse's 'Parser key "data": Does not validate against any of the Union subtypes ... Subtypes: [NameList,
    # ...]' over several lines; and on the command line a one-letter name ('a') was 'is invalid for ...' with no fix
    ("features", "features: a", "names.yaml: data.features is 'a', not a list of names; write a list: features: [a]"),
    ("exclude", "exclude: id, name",
     "names.yaml: data.exclude is 'id, name', not a list of names; write a list: exclude: [id, name]"),
    ("features", None, "--data.features='a' is not a list of names; give a list: --data.features '[a]' (see --help)"),
])
def test_a_name_where_a_list_is_wanted_is_one_line_naming_the_config_file_and_the_list(cli, option, setting, line):
    (cli.cwd / "names.yaml").write_text(
        "data:\n  class_path: TableDataModule\n  init_args:\n    path: t.csv\n    target: kind\n"
        + (f"    {setting}\n" if setting else ""))
    given = () if setting else (f"--data.{option}", "a")
    assert one_error(cli("fit", "--config", "names.yaml", *given)) == line
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["names.yaml"]


@pytest.mark.parametrize("name", ["sgd.yaml", "adam.yaml", "table.yaml"])
def test_the_options_named_for_a_missing_source_config_are_its_settings(cli, name):
    """The options the line above gives for each file of configs/ resolve to that file's config (but for its
    log_every_n_steps: 1, which nothing blobclf logs reads: it logs once an epoch)."""
    from blobclf.configfiles import SOURCE_CONFIGS

    assert sorted(SOURCE_CONFIGS) == sorted(path.name for path in (REPO / "configs").glob("*.yaml"))
    (cli.cwd / "t.csv").write_text("a,b,y\n" + "".join(f"{i},{i % 3},{'pq'[i % 2]}\n" for i in range(20)))
    table = ["--data.path", "t.csv", "--data.target", "y"] if name == "table.yaml" else []
    from_file = yaml.safe_load(cli("fit", "--config", str(REPO / "configs" / name), *table, "--print_config").stdout)
    from_options = yaml.safe_load(cli("fit", *SOURCE_CONFIGS[name].split(), *table, "--print_config").stdout)
    assert from_file["trainer"].pop("log_every_n_steps") == 1
    assert from_options["trainer"].pop("log_every_n_steps") is None
    classes = [pydoc.locate(config["data"].pop("class_path")) for config in (from_file, from_options)]
    assert classes[0] is classes[1] is not None  # blobclf.tabledata.TableDataModule is blobclf.TableDataModule
    assert from_file == from_options


def test_a_config_given_as_text_is_not_taken_for_a_missing_file(cli):
    result = cli("fit", "--config", "{trainer: {max_epoch: 1}}")
    assert one_error(result) == ("Subcommand 'fit' does not accept option 'trainer.max_epoch' (a key of a --config "
                                 "file); did you mean 'trainer.max_epochs'? (see --help)")


@pytest.mark.parametrize(("typed", "meant"), [("fitt", "fit"), ("Fit", "fit"), ("train", "fit"), ("tset", "test"),
                                              ("predcit", "predict"), ("valdiate", "validate"), ("xyz", None)])
def test_a_misspelt_subcommand_names_the_one_meant(cli, typed, meant):
    line = one_error(cli(typed))
    assert line.startswith(f"argument subcommand: invalid choice: '{typed}' (choose from ")
    if meant:
        assert line.endswith(f"predict'); did you mean '{meant}'? (see --help)") or line.endswith(
            f"predict); did you mean '{meant}'? (see --help)")  # Python 3.12.8 and later write no quotes
    else:
        assert line.endswith(") (see --help)") and "did you mean" not in line


def test_a_misspelt_subcommand_is_named_in_the_newer_pythons_words_too():
    """Python 3.12.8 and later write argparse's choices without quotes."""
    from blobclf.parser import BlobArgumentParser

    text = "argument subcommand: invalid choice: 'fitt' (choose from fit, validate, test, predict)"
    assert BlobArgumentParser().close_option(text) == "; did you mean 'fit'?"


@pytest.mark.parametrize(("program", "typed"), [("/venv/bin/blobclf", "blobclf"),
                                                 ("/site-packages/blobclf/__main__.py", "python -m blobclf")])
def test_the_command_to_train_a_first_run_is_the_one_typed(cli, monkeypatch, program, typed):
    # 'validate --ckpt_path best' before any fit said 'blobclf fit' to 'python -m blobclf' users, whose shell may have
    # no blobclf command
    monkeypatch.setattr("sys.argv", [program])
    assert one_error(cli("validate", "--ckpt_path", "best")) == (
        f"no runs found under 'checkpoints'; train one first with '{typed} fit'")


@pytest.mark.parametrize("name", ["features", "exclude", "categorical", "classes"])
def test_a_table_option_given_one_name_as_text_in_python_is_refused_not_read_letter_by_letter(name):
    from blobclf.errors import ArgumentValueError
    from blobclf.tabledata import TableDataModule

    with pytest.raises(ArgumentValueError) as error:
        TableDataModule("t.csv", "kind", **{name: "island"})
    assert str(error.value) == (f"TableDataModule({name}=...) takes a list of names, got the text 'island'; give a "
                                f"list: TableDataModule({name}=['island'])")


def test_a_name_where_a_list_is_wanted_in_a_config_without_init_args_is_the_same_one_line(cli):
    # 'data: {features: a}' after --data TableDataModule (no class_path or init_args in the file) was jsonargparse's
    # own 'Parser key "data": {'features': 'a'} is invalid: Problem with given class_path ...' line
    (cli.cwd / "names.yaml").write_text("data:\n  features: a\n")
    table = ("--data", "TableDataModule", "--data.path", "t.csv", "--data.target", "kind")
    assert one_error(cli("fit", *table, "--config", "names.yaml")) == (
        "names.yaml: data.features is 'a', not a list of names; write a list: features: [a]")
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["names.yaml"]


@pytest.mark.parametrize(("files", "args", "chooser", "cls"), [
    ({"b.yaml": "lr_scheduler:\n  class_path: torch.optim.lr_scheduler.StepLR\n  init_args: {step_size: 5}\n"},
     ["--lr_scheduler.step_size", "3", "--config", "b.yaml"], "--config b.yaml", "StepLR"),
    ({"b.yaml": "lr_scheduler: StepLR\n"}, ["--lr_scheduler.step_size", "3", "--config", "b.yaml"],
     "--config b.yaml", "StepLR"),
    ({"g.yaml": "class_path: torch.optim.lr_scheduler.StepLR\n"}, ["--lr_scheduler.step_size", "3", "--lr_scheduler",
                                                                   "g.yaml"], "--lr_scheduler g.yaml", "StepLR"),
    ({}, ["--optimizer.betas=[0.8,0.9]", "--optimizer", "Adam"], "--optimizer Adam", "Adam"),
], ids=["config-class-path", "config-short-name", "group-file", "class-option"])
def test_a_class_option_given_before_what_chooses_the_class_says_to_give_it_after(cli, files, args, chooser, cls):
    # was "--lr_scheduler.step_size is not an option of LRScheduler; its options: --lr_scheduler.help LRScheduler":
    # jsonargparse gives an option to the class chosen before it (the base class, or blobclf's default SGD)
    for name, text in files.items():
        (cli.cwd / name).write_text(text)
    option = args[0].split("=", 1)[0]
    assert one_error(cli("fit", *args)) == (
        f"{option} is given before {chooser}, which chooses {cls}: an option of a class goes to the class chosen "
        f"before it; give {option} after {chooser}")
    assert not (cli.cwd / "checkpoints").exists()
