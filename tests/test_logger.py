"""The run logger: one point per epoch, flushed whenever a checkpoint is saved."""

from __future__ import annotations

from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from blobclf.logger import RunLogger


def scalars(log_dir: str) -> dict[str, list[tuple[int, float]]]:
    events = EventAccumulator(log_dir)
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def test_the_epoch_key_sets_the_step_and_is_not_a_curve(tmp_path):
    logger = RunLogger(save_dir=str(tmp_path / "logs"))
    logger.log_metrics({"train/loss": 0.5, "epoch": 7}, step=123)
    logger.log_metrics({"val/acc": 0.75}, step=9)  # no epoch given: Lightning's step is kept
    logger.save()
    assert scalars(logger.log_dir) == {"train/loss": [(7, 0.5)], "val/acc": [(9, 0.75)]}


def test_a_prefix_is_joined_to_every_tag(tmp_path):
    logger = RunLogger(save_dir=str(tmp_path / "logs"), prefix="exp")
    logger.log_metrics({"val/acc": 0.75, "epoch": 4})
    logger.save()
    assert scalars(logger.log_dir) == {"exp-val/acc": [(4, 0.75)]}


def test_saving_a_checkpoint_flushes_the_curves_to_disk(tmp_path):
    logger = RunLogger(save_dir=str(tmp_path / "logs"), flush_secs=3600)
    for epoch in range(3):
        logger.log_metrics({"val/loss": 2.0 / (epoch + 1), "epoch": epoch})
    logger.after_save_checkpoint(checkpoint_callback=None)
    assert scalars(logger.log_dir)["val/loss"] == [(0, 2.0), (1, 1.0), (2, pytest.approx(2 / 3))]


def test_logs_of_a_run_go_to_its_version_folder(tmp_path):
    logger = RunLogger(save_dir=str(tmp_path / "logs"), version=3)
    assert Path(logger.log_dir) == tmp_path / "logs" / "version_3"
