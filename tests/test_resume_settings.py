"""Resumes of runs trained with settings beyond the tutorial's end as the same run trained without a stop
(benchmarks/resumematrix.py tries them all against interruptions)."""

from __future__ import annotations

import json
import logging
import os
import signal

import torch
from conftest import one_error
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from blobclf.system import BlobClassifier

SMALL = ("--data.n_samples", "200", "--export.figures", "false", "--export.onnx", "false",
         "--checkpoint.last_interval", "0")


def scalars(log_dir) -> dict[str, list[tuple[int, float]]]:
    logging.getLogger("tensorboard").setLevel(logging.ERROR)
    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0})
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def stopped_in_epoch(cli, monkeypatch, epoch: int, *args: str):
    """``fit *args`` sent SIGTERM at the start of ``epoch``, as a scheduler's preemption would send it: the run
    stops after that epoch (exit 143, saying so); its result."""

    def send(self):
        if self.current_epoch == epoch:
            os.kill(os.getpid(), signal.SIGTERM)

    with monkeypatch.context() as patch:
        patch.setattr(BlobClassifier, "on_train_epoch_start", send)
        stopped = cli("fit", *args)
    assert stopped.returncode == 143, stopped.output
    assert f"blobclf: stopped by SIGTERM after epoch {epoch}" in stopped.stderr
    return stopped


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


EARLY = ("--optimizer", "Adam", "--optimizer.lr", "0.01", "--trainer.callbacks+=EarlyStopping",
         "--trainer.callbacks.monitor", "val/acc", "--trainer.callbacks.mode", "max", "--trainer.callbacks.patience", "2",
         *SMALL)


def checkpoint_changes(path, earlier: bytes) -> dict[str, tuple]:
    """What the checkpoint at ``path`` holds other than the checkpoint bytes ``earlier`` did: ``{key path: (then,
    now)}``, tensors compared exactly (as Python values)."""
    import io

    changes = {}

    def compare(then, now, where):
        if isinstance(then, dict) and isinstance(now, dict):
            for key in then.keys() | now.keys():
                compare(then.get(key, "<none>"), now.get(key, "<none>"), f"{where}/{key}")
        elif isinstance(then, (list, tuple)) and isinstance(now, (list, tuple)) and len(then) == len(now):
            for index, (old, new) in enumerate(zip(then, now, strict=True)):
                compare(old, new, f"{where}[{index}]")
        else:
            old, new = (value.tolist() if torch.is_tensor(value) else value for value in (then, now))
            if old != new or type(then) is not type(now):
                changes[where] = (old, new)

    compare(torch.load(io.BytesIO(earlier), weights_only=False), torch.load(path, weights_only=False), "")
    return changes


def test_a_run_early_stopping_ended_trains_no_further_when_resumed(cli):
    # EarlyStopping's decision (trainer.should_stop) was not in the checkpoint: a run killed or stopped by
    # a signal after the epoch EarlyStopping ended it on, or resumed once finished (to extend it, say),
    # trained one more epoch (and more on each resume), so it ended with other weights than the run
    # trained without a stop
    straight = cli("fit", *EARLY, "--trainer.max_epochs", "10")
    assert straight.returncode == 0, straight.output
    run = cli.cwd / "checkpoints" / "version_0"
    before = {name: (run / name).read_bytes() for name in ("model.pth", "model.json", "last.ckpt")}
    assert json.loads(before["model.json"])["epochs"] == 5  # stopped early after epoch 4 (best val/acc at 2)
    assert before["model.json"]  # the run's exports are complete
    for more in ([], ["--trainer.max_epochs", "20"]):
        files = {path: path.read_bytes() for path in cli.cwd.rglob("*") if path.is_file()}
        resumed = cli("fit", "--ckpt_path", "last", *more)
        assert resumed.returncode == 0, resumed.output
        assert resumed.stdout.splitlines()[-1] == (
            "nothing was trained; the exports in checkpoints/version_0 are complete and kept as they were, and the "
            "run is left unchanged: checkpoints/version_0/last.ckpt had stopped early after epoch 4 (EarlyStopping), "
            "and a resume trains no further (to train longer, start a new run with more patience)")
        # nothing is written: last.ckpt was saved again (its epoch 4 counted as 5, its current_score emptied, the
        # command's max_epochs recorded), and a resume-K.yaml and an event file were added
        assert {path: path.read_bytes() for path in cli.cwd.rglob("*") if path.is_file()} == files
    assert [step for step, _ in scalars(cli.cwd / "lightning_logs" / "version_0")["train/loss"]] == [0, 1, 2, 3, 4]


def test_a_signal_in_the_epoch_early_stopping_ends_the_run_on_keeps_that_end(cli, monkeypatch):
    # a SIGTERM during epoch 4, the epoch EarlyStopping stops the run after: the resume trained epoch 5
    assert cli("fit", *EARLY, "--trainer.max_epochs", "10").returncode == 0
    straight = torch.load(cli.cwd / "checkpoints" / "version_0" / "model.pth")
    stopped_in_epoch(cli, monkeypatch, 4, *EARLY, "--trainer.max_epochs", "10")
    resumed = cli("fit", "--ckpt_path", "last")
    assert resumed.returncode == 0, resumed.output
    assert "note: this run had stopped early after epoch 4 (EarlyStopping)" in resumed.stdout
    ours = torch.load(cli.cwd / "checkpoints" / "version_1" / "model.pth")
    assert all(torch.equal(ours[k], straight[k]) for k in straight)
    assert json.loads((cli.cwd / "checkpoints" / "version_1" / "model.json").read_text())["epochs"] == 5


SWA = ("--trainer.callbacks+=StochasticWeightAveraging", "--trainer.callbacks.swa_lrs", "0.05",
       "--trainer.callbacks.swa_epoch_start", "0.5", *SMALL)


def _same_weights(run, straight) -> bool:
    ours, theirs = torch.load(run / "model.pth"), torch.load(straight / "model.pth")
    return ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in theirs)


def test_a_swa_run_stopped_while_it_averages_resumes_to_the_straight_runs_weights(cli, monkeypatch):
    # StochasticWeightAveraging's state (its average, how many epochs it holds, its SWALR) is in last.ckpt:
    # a run stopped in epoch 5 of 8 (averaging since epoch 3) and resumed ends as the straight run
    assert cli("fit", *SWA, "--trainer.max_epochs", "8").returncode == 0
    straight = cli.cwd / "checkpoints" / "version_0"
    stopped_in_epoch(cli, monkeypatch, 5, *SWA, "--trainer.max_epochs", "8")
    resumed = cli("fit", "--ckpt_path", "last")
    assert resumed.returncode == 0, resumed.output
    run = cli.cwd / "checkpoints" / "version_1"
    assert _same_weights(run, straight)
    metrics = json.loads((run / "model.json").read_text())["metrics"]
    assert metrics == json.loads((straight / "model.json").read_text())["metrics"]
    for tag, points in scalars(cli.cwd / "lightning_logs" / "version_0").items():
        if tag.startswith(("train/", "val/")):
            assert scalars(cli.cwd / "lightning_logs" / "version_1")[tag] == points, tag


def test_a_finished_swa_runs_last_checkpoint_holds_the_averaged_weights_it_exported(cli):
    # StochasticWeightAveraging puts its average into the model when training ends, after the last epoch's
    # end wrote last.ckpt: with --checkpoint.last_interval 0 (or epochs longer than it) last.ckpt kept the last
    # epoch's trained weights, so 'test --ckpt_path last' tested another model than model.pth (accuracy 0.85
    # where model.pth has 0.725), and with shorter epochs it tested model.pth's: which one depended on timing
    assert cli("fit", *SWA, "--trainer.max_epochs", "6").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    exported = torch.load(run / "model.pth")
    last = torch.load(run / "last.ckpt", weights_only=False)["state_dict"]
    assert sorted(last) == sorted(f"model.{k}" for k in exported)
    assert all(torch.equal(last[f"model.{k}"], v) for k, v in exported.items())
    tested = cli("test", "--ckpt_path", "last")
    assert tested.returncode == 0, tested.output
    assert json.loads((run / "test_report-last.json").read_text())["accuracy"] == 0.725
    again = cli("fit", "--ckpt_path", "last")  # the finished run resumed: it ends as it did
    assert again.returncode == 0, again.output
    assert all(torch.equal(torch.load(run / "model.pth")[k], v) for k, v in exported.items())


def test_a_finished_swa_run_is_not_extended_into_another_run(cli):
    # a finished run's StochasticWeightAveraging had put its average into the model (and, by timing, into
    # last.ckpt), and began averaging at epoch 2 (0.5 of 6 epochs) where a run of 8 begins at 3: 'fit
    # --ckpt_path last --trainer.max_epochs 8' after 6 epochs trained on to other weights than the run of 8
    # (final train/loss 0.77879, not 0.77288), and nothing said so
    assert cli("fit", *SWA, "--trainer.max_epochs", "6").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    before = {name: (run / name).read_bytes() for name in ("model.pth", "model.json", "last.ckpt")}
    refused = cli("fit", "--ckpt_path", "last", "--trainer.max_epochs", "8")
    assert one_error(refused) == (
        "--trainer.max_epochs=8 cannot extend 'checkpoints/version_0/last.ckpt': its StochasticWeightAveraging ended "
        "with its 6 epochs and replaced the trained weights with their average, so training on would not be the run "
        "of 8 epochs; to train longer, start a new run with --trainer.max_epochs 8 (this run stays as it is)")
    assert {name: (run / name).read_bytes() for name in before} == before
    assert sorted(p.name for p in (cli.cwd / "lightning_logs").iterdir()) == ["version_0"]


def test_a_swa_run_stopped_while_it_averages_extends_only_as_the_longer_run_averages(cli, monkeypatch):
    # swa_epoch_start 0.5 of 8 epochs began averaging at epoch 3; a resume to 12 epochs went on averaging
    # where a run of 12 begins at epoch 5: refused. A whole-number start does not move: that resume is the
    # run of 10 epochs
    whole = [*SWA[:-len(SMALL)], *SMALL]
    whole[whole.index("0.5")] = "3"
    assert cli("fit", *whole, "--trainer.max_epochs", "10").returncode == 0
    stopped_in_epoch(cli, monkeypatch, 5, *SWA, "--trainer.max_epochs", "8")
    stopped_in_epoch(cli, monkeypatch, 5, *whole, "--trainer.max_epochs", "8")
    refused = cli("fit", "--ckpt_path", "checkpoints/version_1/last.ckpt", "--trainer.max_epochs", "12")
    assert one_error(refused) == (
        "--trainer.max_epochs=12 cannot extend 'checkpoints/version_1/last.ckpt': its StochasticWeightAveraging began "
        "averaging at epoch 3 (swa_epoch_start 0.5 of 8 epochs), as a run of 12 epochs would not (it begins at "
        "epoch 5); to train longer, start a new run with --trainer.max_epochs 12 (this run stays as it is)")
    extended = cli("fit", "--ckpt_path", "checkpoints/version_2/last.ckpt", "--trainer.max_epochs", "10")
    assert extended.returncode == 0, extended.output
    straight, run = (cli.cwd / "checkpoints" / f"version_{n}" for n in (0, 2))
    assert _same_weights(run, straight)
    metrics = json.loads((run / "model.json").read_text())["metrics"]
    assert metrics == json.loads((straight / "model.json").read_text())["metrics"]


def test_a_swa_run_without_an_epoch_limit_stopped_by_a_signal_resumes_from_its_trained_weights(cli, monkeypatch):
    # with --trainer.max_epochs -1 (max_steps ends the run) StochasticWeightAveraging puts its average into the
    # model at any end of training, a SIGTERM's too; last.ckpt, written at that end, held the average and the
    # resume went on from it: final train/acc 0.68750 where the straight run has 0.80000
    endless = ("--trainer.callbacks+=StochasticWeightAveraging", "--trainer.callbacks.swa_lrs", "0.05",
               "--trainer.callbacks.swa_epoch_start", "2", "--data.n_samples", "200", "--export.figures", "false",
               "--export.onnx", "false", "--checkpoint.last_interval", "1000", "--trainer.max_epochs", "-1",
               "--trainer.max_steps", "6")
    straight = cli("fit", *endless)
    assert straight.returncode == 0, straight.output
    assert "final metrics: train/acc=0.80000" in straight.stdout

    stopped_in_epoch(cli, monkeypatch, 3, *endless)
    resumed = cli("fit", "--ckpt_path", "last")
    assert resumed.returncode == 0, resumed.output
    assert "final metrics: train/acc=0.80000" in resumed.stdout
    assert _same_weights(*(cli.cwd / "checkpoints" / f"version_{n}" for n in (1, 0)))


RATES = ("--lr_scheduler", "StepLR", "--lr_scheduler.step_size", "3", "--trainer.callbacks+=LearningRateMonitor",
         "--trainer.callbacks.logging_interval", "epoch", "--trainer.callbacks.log_momentum", "true", *SMALL)


def test_a_learning_rate_monitors_curve_loses_no_point_at_a_resume(cli, monkeypatch):
    # the monitor logs an epoch's learning rate at its start; a resume from that epoch's checkpoint drops the
    # epoch's logged points and logged again only train/ and val/ values: lr-SGD missed one point at every resume
    assert cli("fit", *RATES, "--trainer.max_epochs", "8").returncode == 0

    stopped_in_epoch(cli, monkeypatch, 5, *RATES, "--trainer.max_epochs", "8")
    assert cli("fit", "--ckpt_path", "last").returncode == 0
    wanted, curves = (scalars(cli.cwd / "lightning_logs" / f"version_{n}") for n in (0, 1))
    assert [step for step, _ in wanted["lr-SGD"]] == list(range(8))
    assert [value for _, value in wanted["lr-SGD"]][2:4] == [0.10000000149011612, 0.009999999776482582]
    for tag in ("lr-SGD", "lr-SGD-momentum", "train/loss", "val/acc"):
        assert curves[tag] == wanted[tag], tag
    assert _same_weights(cli.cwd / "checkpoints" / "version_1", cli.cwd / "checkpoints" / "version_0")
