"""Metrics are logged with self.log, so Lightning's own machinery sees them, and the tutorial's
table still comes out digit for digit (in-process: the fast suite checks it too)."""

from __future__ import annotations

import os

import pytest
import torch
from conftest import MALFORMED_IDS, MALFORMED_POINTS, SGD_CONFIG, TUTORIAL_TABLE
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from blobclf.checks import epochs_done
from blobclf.cli import BlobCLI, cli_kwargs
from blobclf.errors import UserError
from blobclf.points import read_points
from blobclf.recorded import epoch_progress
from blobclf.system import DEFAULT_STEPS_PER_EXECUTION

TAGS = ("train/loss", "train/acc", "val/loss", "val/acc")


@pytest.fixture(scope="module")
def tutorial_cli(tmp_path_factory: pytest.TempPathFactory) -> BlobCLI:
    """``fit --config configs/sgd.yaml`` in this process, with the progress bar on."""
    cwd = tmp_path_factory.mktemp("in_process_fit")
    threads = torch.get_num_threads()
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        cli = BlobCLI(**cli_kwargs(), args=["fit", "--config", str(SGD_CONFIG), "--trainer.enable_progress_bar", "true",
                                            "--export.figures", "false", "--export.onnx", "false"])
    finally:
        os.chdir(previous)
        torch.set_num_threads(threads)
    cli.cwd = cwd
    return cli


def test_the_tutorial_table_is_reproduced_digit_for_digit(tutorial_cli):
    events = EventAccumulator(str(tutorial_cli.cwd / "lightning_logs" / "version_0"))
    events.Reload()
    curves = {tag: {e.step: e.value for e in events.Scalars(tag)} for tag in TAGS}
    for tag in TAGS:
        assert sorted(curves[tag]) == list(range(100))  # one point per epoch, x-axis = epoch
    for epoch, row in TUTORIAL_TABLE.items():
        got = (f"{curves['train/loss'][epoch]:.5f}", f"{curves['train/acc'][epoch]:.2f}",
               f"{curves['val/loss'][epoch]:.5f}", f"{curves['val/acc'][epoch]:.2f}")
        assert got == row, f"epoch {epoch}"


def test_lightning_sees_every_metric_the_standard_way(tutorial_cli):
    trainer = tutorial_cli.trainer
    assert set(TAGS) <= set(trainer.logged_metrics)
    assert set(TAGS) <= set(trainer.callback_metrics)
    assert set(TAGS) <= set(trainer.progress_bar_metrics)
    assert float(trainer.logged_metrics["val/acc"]) == pytest.approx(0.965)  # 193 of 200
    assert float(trainer.callback_metrics["val/loss"]) == pytest.approx(0.08555, abs=5e-6)
    assert trainer.checkpoint_callback.best_model_score == pytest.approx(0.97)  # epoch 25, as before


def test_the_fit_loops_epoch_counters_are_where_blobclf_reads_them(tutorial_cli):
    # Lightning does not document its loops' state_dict: resumes and checks read the epochs done from there, in one
    # place (epoch_progress); a Lightning that moves them fails here, not in a resume
    checkpoint = torch.load(tutorial_cli.cwd / "checkpoints" / "version_0" / "last.ckpt", weights_only=True)
    progress = epoch_progress(checkpoint)
    # last.ckpt may be written at the last epoch's end too (--checkpoint.last_interval passed since the one before,
    # as on a slow machine), before Lightning counts the epoch completed: it is written again at the end of training
    assert (progress["ready"], progress["started"], progress["processed"], progress["completed"]) == (100, 100, 100, 100)
    assert epochs_done(checkpoint) == 100
    assert epoch_progress({}) == {}
    assert epoch_progress({"loops": {"fit_loop": []}}) is None


def test_the_model_records_only_its_own_arguments_and_the_cli_its_optimizer(tutorial_cli):
    hparams = {k: v for k, v in tutorial_cli.model.hparams.items() if not k.startswith("_")}
    assert hparams == {"num_features": 2, "num_classes": 4, "hidden_units": 8, "class_weight": None,
                       "standardize": False, "class_names": ["0", "1", "2", "3"], "feature_names": ["x0", "x1"],
                       "steps_per_execution": DEFAULT_STEPS_PER_EXECUTION, "cuda_graphs": True}
    (optimizer,) = tutorial_cli.trainer.optimizers
    assert type(optimizer) is torch.optim.SGD and optimizer.defaults["lr"] == 0.1
    assert optimizer.defaults["momentum"] == 0 and optimizer.defaults["weight_decay"] == 0


@pytest.mark.parametrize(("content", "message"), MALFORMED_POINTS, ids=MALFORMED_IDS)
def test_csv_points_are_refused_naming_file_and_line(tmp_path, content, message):
    bad = tmp_path / "bad.csv"
    if content is not None:
        bad.write_text(content)
    with pytest.raises(UserError) as error:
        read_points(bad, ["x0", "x1"], ["0", "1", "2", "3"])
    assert str(error.value).endswith(message) or message in str(error.value)


def test_csv_points_are_read_with_their_names_and_labels(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("id,x1,label,x0\np1,7,3,-8.5\n\np2,1.25,1,5\n")
    points = read_points(path, ["x0", "x1"], ["0", "1", "2", "3"])
    assert points.feature_names == ["x0", "x1"]
    assert points.features.dtype == torch.float32 and points.features.tolist() == [[-8.5, 7.0], [5.0, 1.25]]
    assert points.labels.tolist() == [3, 1]
    assert points.carried == {"id": ["p1", "p2"]}
