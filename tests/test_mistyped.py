"""A mistyped command gets one line naming what was typed and what would be right (exit 2, nothing written)."""

from __future__ import annotations

import pytest

from conftest import one_error

CONFIGS = {
    "epochs.yaml": "trainer:\n  max_epoch: 3\n",
    "model.yaml": "model:\n  hiden_units: 3\n",
    "top.yaml": "fit:\n  trainer:\n    max_epoch: 3\n",
    "momentum.yaml": "optimizer:\n  class_path: torch.optim.SGD\n  init_args:\n    momentun: 0.9\n",
}


@pytest.mark.parametrize(("args", "line"), [
    # each was a line of jsonargparse's internals, or named no fix
    (["fit", "--config", "missing.yaml"], "--config 'missing.yaml': no such file"),  # Parser key "config": File does ...
    (["fit", "-c", "missing.yaml"], "-c 'missing.yaml': no such file"),
    (["fit", "--config=missing.yaml"], "--config 'missing.yaml': no such file"),
    # the README's command where blobclf was installed with pip, without its source
    (["fit", "--config", "configs/sgd.yaml"], "--config 'configs/sgd.yaml': no such file; configs/ is part of blobclf's "
     "source, not of an installed package (fit without --config trains the tutorial's run, as configs/sgd.yaml does)"),
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
    (["fit", "--config", "momentum.yaml"],
     "--optimizer.momentun is not an option of SGD; did you mean --optimizer.momentum? (see --help)"),
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
    # 'Parser key "model.hidden_units": Not of type PositiveInt: invalid literal for int() with base 10: 'abc''
    (["fit", "--model.hidden_units", "abc"], "--model.hidden_units='abc' is invalid: not PositiveInt (see --help)"),
    (["fit", "--model.hidden_units", "0"],
     "--model.hidden_units=0 is invalid: not PositiveInt (0 does not conform to restriction v>0) (see --help)"),
    (["fit", "--checkpoint.last_interval", "soon"],
     "--checkpoint.last_interval='soon' is invalid: not NonNegativeFloat (see --help)"),
    # 'expected "subcommand" to be one of {fit,validate,test,predict}, but it was not provided.'
    ([], "give a subcommand: fit, validate, test or predict ('python -m blobclf fit' trains the tutorial's model; "
         "'python -m blobclf --help' says what each does)"),  # cli_main called from Python, as 'python -m blobclf'
    (["fit", "--model.help", "BlobClassifier"], "unrecognized arguments: --model.help BlobClassifier (the model is always "
     "BlobClassifier: --help lists its options, --model.hidden_units and others) (see --help)"),
], ids=["config", "c", "config=", "configs-not-installed", "config-key", "config-model-key", "top-config-key", "data-case", "data-unknown",
        "data-help", "optimizer-option", "optimizer-config-key", "optimizer-no-close", "scheduler-option",
        "callback-option", "trainer-option", "checkpoint-option", "ckpt-path", "no-close-option", "not-a-number", "below-restriction",
        "not-a-float", "no-subcommand", "model-help"])
def test_a_mistyped_command_names_the_fix(cli, args, line):
    for name, text in CONFIGS.items():
        (cli.cwd / name).write_text(text)
    assert one_error(cli(*args)) == line
    assert sorted(p.name for p in cli.cwd.iterdir()) == sorted(CONFIGS)


def test_a_config_given_as_text_is_not_taken_for_a_missing_file(cli):
    result = cli("fit", "--config", "{trainer: {max_epoch: 1}}")
    assert one_error(result) == ("Subcommand 'fit' does not accept option 'trainer.max_epoch' (a key of a --config "
                                 "file); did you mean 'trainer.max_epochs'? (see --help)")
