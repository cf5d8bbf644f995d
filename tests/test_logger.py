"""The run logger: one point per epoch, written in batches, always on disk as far as the last checkpoint."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import one_error
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


def test_values_are_kept_until_the_interval_passes(tmp_path):
    logger = RunLogger(save_dir=str(tmp_path / "logs"), save_interval=3600, flush_secs=3600)
    logger.save()  # the first save writes at once
    for epoch in range(3):
        logger.log_metrics({"val/loss": 2.0 / (epoch + 1), "epoch": epoch})
        logger.save()  # as Lightning calls it after every batch of values
    assert "val/loss" not in scalars(logger.log_dir)
    logger.finalize("success")
    assert scalars(logger.log_dir)["val/loss"] == [(0, 2.0), (1, 1.0), (2, pytest.approx(2 / 3))]


def test_saving_a_checkpoint_flushes_the_curves_and_the_next_values(tmp_path):
    logger = RunLogger(save_dir=str(tmp_path / "logs"), save_interval=3600, flush_secs=3600)
    logger.save()
    logger.log_metrics({"val/loss": 0.5, "epoch": 0})
    logger.after_save_checkpoint(checkpoint_callback=None)
    assert scalars(logger.log_dir) == {"val/loss": [(0, 0.5)]}
    # Lightning logs the epoch's training values just after the epoch's checkpoint
    logger.log_metrics({"train/loss": 0.7, "epoch": 0})
    assert scalars(logger.log_dir) == {"val/loss": [(0, 0.5)], "train/loss": [(0, pytest.approx(0.7))]}
    logger.log_metrics({"train/loss": 0.6, "epoch": 1})  # back to batches
    assert scalars(logger.log_dir)["train/loss"] == [(0, pytest.approx(0.7))]


def test_a_save_interval_of_zero_writes_every_value_at_once(tmp_path):
    logger = RunLogger(save_dir=str(tmp_path / "logs"), save_interval=0, flush_secs=3600)
    logger.log_metrics({"val/acc": 0.25, "epoch": 3})
    assert scalars(logger.log_dir) == {"val/acc": [(3, 0.25)]}


def test_a_negative_save_interval_is_refused(tmp_path):
    with pytest.raises(ValueError, match="save_interval must be >= 0 seconds, got -1"):
        RunLogger(save_dir=str(tmp_path / "logs"), save_interval=-1)


def test_logs_of_a_run_go_to_its_version_folder(tmp_path):
    logger = RunLogger(save_dir=str(tmp_path / "logs"), version=3)
    assert Path(logger.log_dir) == tmp_path / "logs" / "version_3"


def test_every_logger_option_is_spelled_out():
    """No ``**kwargs``: the command line reads the signature alone rather than the source of
    every class the options would be passed on to (a slow search at every start)."""
    import inspect

    kinds = {p.kind for p in inspect.signature(RunLogger).parameters.values()}
    assert inspect.Parameter.VAR_KEYWORD not in kinds
    assert {"flush_secs", "max_queue", "filename_suffix", "log_graph", "prefix", "sub_dir"} <= set(
        inspect.signature(RunLogger).parameters
    )


def test_values_a_stock_callback_logs_per_optimizer_step_land_on_the_epoch_axis_once_an_epoch(cli):
    """``LearningRateMonitor`` logs at every optimizer step with Lightning's step count; in a run's
    curves (one point per epoch) its learning rate is one point per epoch, the epoch's first value."""
    result = cli("fit", "--trainer.max_epochs", "3", "--data.batch_size", "8", "--model.steps_per_execution", "1",
                 "--trainer.callbacks+=LearningRateMonitor", "--lr_scheduler", "StepLR",
                 "--lr_scheduler.step_size", "1", "--lr_scheduler.gamma", "0.5",
                 "--export.figures", "false", "--export.onnx", "false")
    assert result.returncode == 0, result.output
    curves = scalars(str(cli.cwd / "lightning_logs" / "version_0"))
    assert curves["lr-SGD"] == [(0, pytest.approx(0.1)), (1, pytest.approx(0.05)), (2, pytest.approx(0.025))]
    assert [step for step, _ in curves["val/acc"]] == [0, 1, 2]


def test_a_negative_save_interval_on_the_command_line_is_refused_while_parsing(cli):
    assert one_error(cli("fit", "--trainer.logger.save_interval", "-1")) == (
        "--trainer.logger.save_interval='-1' is invalid for blobclf.logger.RunLogger: not NonNegativeFloat "
        "(does not conform to restriction v>=0) (see --help)")
    assert list(cli.cwd.iterdir()) == []


def hparams_row(log_dir: Path) -> dict[str, tuple[str, object]]:
    """The settings of a run's row in TensorBoard's HParams dashboard, each as (the kind of value, the value)."""
    from tensorboard.plugins.hparams import plugin_data_pb2

    events = EventAccumulator(str(log_dir))
    events.Reload()
    row = {}
    for blob in events.PluginTagToContent("hparams").values():
        data = plugin_data_pb2.HParamsPluginData.FromString(blob)
        if data.HasField("session_start_info"):
            for key, value in data.session_start_info.hparams.items():
                kind = value.WhichOneof("kind")
                row[key] = (kind, getattr(value, kind))
    return row


def test_the_hparams_row_shows_booleans_as_words_lists_as_a_config_writes_them_and_unset_values_blank(cli):
    # it showed data/shuffle and model/cuda_graphs as 1.0 and 0.0 (torch stores a bool as a number), and
    # data/batch_size, model/class_weight, optimizer/foreach as Python's 'None', feature_names as "['x0', 'x1']"
    result = cli("fit", "--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx", "false")
    assert result.returncode == 0, result.output
    row = hparams_row(cli.cwd / "lightning_logs" / "version_0")
    assert {key: value for key, value in row.items() if value[0] == "string_value"} == {
        "data/shuffle": ("string_value", "true"), "model/cuda_graphs": ("string_value", "true"),
        "model/standardize": ("string_value", "false"), "optimizer/differentiable": ("string_value", "false"),
        "optimizer/maximize": ("string_value", "false"), "optimizer/nesterov": ("string_value", "false"),
        "model/feature_names": ("string_value", "[x0, x1]"),
        "model/class_names": ("string_value", "['0', '1', '2', '3']"),  # YAML quotes names that read as numbers
        "optimizer": ("string_value", "SGD"),
    }
    assert row["model/hidden_units"] == ("number_value", 8.0) and row["optimizer/lr"] == ("number_value", 0.1)
    assert not {"data/batch_size", "data/val_size", "model/class_weight", "optimizer/foreach"} & set(row)  # unset
    assert len(row) == 26 and "None" not in str(row)


def test_an_evaluation_logs_at_the_epoch_of_the_weights_it_evaluates(cli):
    # test and validate logged every value at step 0 whatever the checkpoint: test-last of a 5-epoch run stood at the
    # start of the training curves, not beside their last point
    assert cli("fit", "--trainer.max_epochs", "5", "--optimizer.lr", "1.0", "--export.figures", "false",
               "--export.onnx", "false").returncode == 0  # lr 1.0: its best epoch is not its last
    run, logs = cli.cwd / "checkpoints" / "version_0", cli.cwd / "lightning_logs" / "version_0"
    (best,) = run.glob("best-*.ckpt")
    best_epoch = int(best.name.split("epoch=")[1].split("-")[0])
    assert best_epoch == 1
    for args in (["test", "--ckpt_path", "last"], ["test", "--ckpt_path", "best"], ["validate", "--ckpt_path", "last"]):
        assert cli(*args).returncode == 0, args
    curves = scalars(str(logs))
    assert [step for step, _ in curves["val/loss"]] == [0, 1, 2, 3, 4]
    validated = scalars(str(logs / "validate-last"))
    assert validated["val/acc"] == [curves["val/acc"][4]] and validated["val/loss"] == [curves["val/loss"][4]]
    for folder, epoch in (("test-last", 4), (f"test-{best.stem}", best_epoch)):
        events = EventAccumulator(str(logs / folder), size_guidance={"images": 0})
        events.Reload()
        steps = {tag: [e.step for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}
        steps.update({tag: [e.step for e in events.Images(tag)] for tag in events.Tags()["images"]})
        assert "test/acc" in steps and "figures/confusion_matrix_test" in steps
        assert set(map(tuple, steps.values())) == {(epoch,)}, folder
