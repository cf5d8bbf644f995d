"""The run logger: buffered scalars, one TensorBoard event per epoch, prefixes."""

from __future__ import annotations

from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

from blobclf.logger import RunLogger


def scalar_events(log_dir: str) -> list[tuple[int, dict[str, float]]]:
    """Every summary event on disk as ``(step, {tag: value})``, in the order written."""
    events = []
    for path in Path(log_dir).glob("events.out.tfevents.*"):
        for event in EventFileLoader(str(path)).Load():  # the loader turns scalars into 0-d tensors
            if event.HasField("summary"):
                events.append((event.step, {v.tag: v.tensor.float_val[0] for v in event.summary.value}))
    return events


def test_each_epoch_is_one_event_holding_every_value(tmp_path):
    logger = RunLogger(save_dir=str(tmp_path / "logs"), checkpoint_root=str(tmp_path / "ckpt"), write_interval=3600)
    for epoch in range(3):
        logger.log_metrics({"train/loss": 1.0 / (epoch + 1), "train/acc": 0.25 * epoch}, step=epoch)
        logger.log_metrics({"val/loss": 2.0 / (epoch + 1), "val/acc": 0.5}, step=epoch)
    assert scalar_events(logger.log_dir) == []  # buffered until a flush
    logger.finalize("success")
    events = scalar_events(logger.log_dir)
    assert [step for step, _ in events] == [0, 1, 2]
    for step, values in events:
        expected = {"train/loss": 1.0 / (step + 1), "train/acc": 0.25 * step, "val/loss": 2.0 / (step + 1),
                    "val/acc": 0.5}
        assert values == pytest.approx(expected, abs=1e-7)  # stored as float32
    accumulated = EventAccumulator(logger.log_dir)
    accumulated.Reload()
    assert [(e.step, e.value) for e in accumulated.Scalars("val/loss")] == [(0, 2.0), (1, 1.0), (2, pytest.approx(2 / 3))]


def test_a_prefix_is_joined_to_every_tag(tmp_path):
    logger = RunLogger(save_dir=str(tmp_path / "logs"), checkpoint_root=str(tmp_path / "ckpt"), prefix="exp")
    logger.log_metrics({"val/acc": 0.75}, step=4)
    logger.save()
    assert scalar_events(logger.log_dir) == [(4, {"exp-val/acc": 0.75})]


def test_the_epoch_key_sets_the_step(tmp_path):
    logger = RunLogger(save_dir=str(tmp_path / "logs"), checkpoint_root=str(tmp_path / "ckpt"))
    logger.log_metrics({"train/loss": 0.5, "epoch": 7}, step=123)
    logger.save()
    assert scalar_events(logger.log_dir) == [(7, {"train/loss": 0.5})]
