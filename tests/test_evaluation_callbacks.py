"""An evaluation's trainer holds a callback for every state its checkpoint carries: Lightning has nothing to warn
of ("Be aware that when using `ckpt_path`, callbacks used to create the checkpoint need to be provided ..."),
whatever the run's ``--checkpoint.monitor``, and the states of the run's own ``--trainer.callbacks`` are not handed
to it; and the random-number state it takes restores nothing there."""

from __future__ import annotations

import warnings

import pytest
import torch

from blobclf.callbacks import RngState


@pytest.mark.parametrize(("monitor", "commands"), [
    (["--checkpoint.monitor", "val/loss", "--checkpoint.mode", "min"], ("test", "validate", "predict")),
    ([], ("test", "validate", "predict")),
    # the run's own stateful callbacks, which an evaluation is not given (their states are left out of what it
    # restores): Lightning asked for ['StochasticWeightAveraging', "EarlyStopping{'monitor': 'val/loss', ...}"]
    (["--trainer.callbacks+=EarlyStopping", "--trainer.callbacks.monitor", "val/loss",
      "--trainer.callbacks+=StochasticWeightAveraging", "--trainer.callbacks.swa_lrs", "0.01"], ("test",)),
], ids=["val-loss", "val-acc", "early-stopping-swa"])
def test_evaluations_of_a_run_meet_every_callback_state_its_checkpoint_holds(cli, monitor, commands):
    # a run monitoring val/loss had its test, validate and predict warn that 'RunCheckpoint{'monitor': 'val/loss',
    # 'mode': 'min', ...}' was missing (the evaluation's checkpoint callback watched the default val/acc), and every
    # run's that 'RngState' was (a fit-only callback; the line was hidden by a filter)
    assert cli("fit", "--trainer.max_epochs", "2", "--data.n_samples", "40", "--export.figures", "false",
               "--export.onnx", "false", *monitor).returncode == 0
    for command in commands:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = cli(command, "--ckpt_path", "best")
        assert result.returncode == 0, result.output
        assert [str(w.message) for w in caught if "callbacks used to create the checkpoint" in str(w.message)] == []
        assert "Be aware" not in result.stderr and "Be aware" not in result.stdout


def test_the_random_number_state_is_restored_by_a_fit_alone():
    saved = RngState().state_dict()
    torch.manual_seed(7)
    seeded = torch.get_rng_state()
    for stage, expected in (("test", seeded), ("validate", seeded), ("predict", seeded), ("fit", saved["torch"])):
        torch.manual_seed(7)
        callback = RngState()
        callback.setup(None, None, stage)  # type: ignore[arg-type]
        callback.load_state_dict(saved)
        assert torch.equal(torch.get_rng_state(), expected), stage
