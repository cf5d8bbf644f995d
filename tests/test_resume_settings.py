"""Resumes of runs trained with settings beyond the tutorial's end as the same run trained without a stop
(benchmarks/resumematrix.py tries them all against interruptions)."""

from __future__ import annotations

import json
import logging

import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

SMALL = ("--data.n_samples", "200", "--export.figures", "false", "--export.onnx", "false",
         "--checkpoint.last_interval", "0")


def scalars(log_dir) -> dict[str, list[tuple[int, float]]]:
    logging.getLogger("tensorboard").setLevel(logging.ERROR)
    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0})
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def test_a_resume_between_validations_keeps_the_last_validation_as_a_straight_run_does(cli):
    # with --trainer.check_val_every_n_epoch 3, a run resumed after a validated epoch ended with
    # model.json metrics and TensorBoard's hp/ final metrics without val/loss and val/acc (a straight
    # run reports the last validation's), and one resumed from an epoch that did not validate logged
    # that last validation's values again at the checkpoint's epoch: a val/ point where no validation ran
    every = ("--trainer.check_val_every_n_epoch", "3", *SMALL)
    assert cli("fit", *every, "--trainer.max_epochs", "7").returncode == 0  # straight: validates epochs 2 and 5
    assert cli("fit", *every, "--trainer.max_epochs", "4").returncode == 0  # ends after epoch 3, which did not validate
    assert cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "6").returncode == 0  # ends after epoch 5, validated
    resumed = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "7")  # epoch 6: no validation
    assert resumed.returncode == 0, resumed.output
    straight, run = (cli.cwd / "checkpoints" / f"version_{n}" for n in (0, 1))
    ours, theirs = torch.load(run / "model.pth"), torch.load(straight / "model.pth")
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)
    metrics = json.loads((run / "model.json").read_text())["metrics"]
    assert sorted(metrics) == ["train/acc", "train/loss", "val/acc", "val/loss"]
    assert metrics == json.loads((straight / "model.json").read_text())["metrics"]
    curves = scalars(cli.cwd / "lightning_logs" / "version_1")
    wanted = scalars(cli.cwd / "lightning_logs" / "version_0")
    assert [step for step, _ in curves["val/loss"]] == [2, 5]
    for tag in ("train/loss", "val/loss", "val/acc", "hp/val_acc", "hp/val_loss", "hp/train_loss"):
        assert curves[tag] == wanted[tag], tag

