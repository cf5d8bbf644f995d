"""Progress: a bar in a terminal, the tutorial's lines in a log file, never a flood nor a long silence."""

from __future__ import annotations

import io

import lightning as L
import pytest
from conftest import one_error
from lightning.pytorch.callbacks import TQDMProgressBar

from blobclf import BlobDataModule
from blobclf.progress import EpochLines, default_progress
from blobclf.system import BlobClassifier


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_lightnings_bar_and_a_file_gets_lines():
    assert isinstance(default_progress(Terminal()), TQDMProgressBar)
    assert isinstance(default_progress(io.StringIO()), EpochLines)


def _train(progress: EpochLines, epochs: int) -> list[str]:
    L.seed_everything(42, verbose=False)
    trainer = L.Trainer(max_epochs=epochs, callbacks=[progress], logger=False, enable_checkpointing=False,
                        enable_model_summary=False, num_sanity_val_steps=0, accelerator="cpu")
    trainer.fit(BlobClassifier(), datamodule=BlobDataModule(n_samples=200))
    return progress.stream.getvalue().splitlines()


def test_lines_come_every_n_epochs_and_at_the_end():
    lines = _train(EpochLines(every_n_epochs=4, stream=io.StringIO()), epochs=10)
    assert [line.split(" | ")[0] for line in lines] == ["Epoch: 0", "Epoch: 4", "Epoch: 8", "Epoch: 9"]
    assert all(" | Train Loss: " in line and ", Train Acc: " in line and " | Test Loss: " in line for line in lines)


def test_a_long_run_is_not_flooded():
    lines = _train(EpochLines(every_n_epochs=1, burst=3, min_interval=3600, stream=io.StringIO()), epochs=12)
    assert [line.split(" | ")[0] for line in lines] == ["Epoch: 0", "Epoch: 1", "Epoch: 2", "Epoch: 11"]


def test_a_slow_run_is_not_silent():
    lines = _train(EpochLines(every_n_epochs=100, max_silence=0, stream=io.StringIO()), epochs=3)
    assert "Epoch: 0 | batch 1 of 1" in lines and "Epoch: 2 | batch 1 of 1" in lines
    assert [line for line in lines if "Loss" in line][-1].startswith("Epoch: 2 | Train Loss: ")


def test_every_n_epochs_must_be_positive():
    with pytest.raises(ValueError, match="every_n_epochs must be >= 1, got 0"):
        EpochLines(every_n_epochs=0)


@pytest.mark.parametrize(("setting", "line"), [
    ({"min_interval": -1.0}, "min_interval must be a number >= 0 (seconds), got -1.0"),
    ({"burst": -2}, "burst must be an integer >= 0, got -2"),
    ({"max_silence": float("nan")}, "max_silence must be a number >= 0 (seconds), got nan"),
], ids=["min_interval", "burst", "max_silence"])
def test_a_negative_or_nan_setting_is_refused_naming_it(setting, line):
    # each was taken: a negative max_silence printed a batch line after every batch, as 0 does
    with pytest.raises(ValueError) as refused:
        EpochLines(**setting)
    assert str(refused.value) == line


def test_a_bad_setting_of_the_progress_lines_on_the_command_line_is_one_line(cli):
    assert one_error(cli("fit", "--trainer.callbacks+=EpochLines", "--trainer.callbacks.max_silence", "-1")) == (
        "--trainer.callbacks.max_silence='-1' is invalid for blobclf.progress.EpochLines: not NonNegativeFloat "
        "(does not conform to restriction v>=0) (see --help)")
    assert list(cli.cwd.iterdir()) == []
