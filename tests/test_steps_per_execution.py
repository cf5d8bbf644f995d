"""``--model.steps_per_execution K``: several optimizer steps per Lightning step, results those of K = 1."""

from __future__ import annotations

import os
from pathlib import Path

import lightning as L
import pytest
import torch
import yaml
from conftest import SGD_CONFIG, run_cli
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from blobclf import BlobClassifier, BlobDataModule
from blobclf.cli import cli_main
from blobclf.safeload import load_checkpoint
from blobclf.system import DEFAULT_STEPS_PER_EXECUTION

# 640 training points in 10 shuffled minibatches of 64 and a validation split; Adam (optimizer
# state) and a StepLR halving the rate every epoch (an epoch scheduler)
ARGS = ["fit", "--config", str(SGD_CONFIG), "--data.batch_size", "64", "--data.val_size", "0.2",
        "--optimizer", "Adam", "--optimizer.lr", "0.01", "--lr_scheduler", "StepLR", "--lr_scheduler.step_size", "1",
        "--lr_scheduler.gamma", "0.5", "--export.figures", "false", "--export.onnx", "false",
        "--trainer.enable_progress_bar", "false", "--checkpoint.last_interval", "0"]
EPOCHS = 4


def fit(cwd: Path, *args: str) -> None:
    """``blobclf ARGS`` in this process, in ``cwd``; fails the test on a non-zero exit."""
    previous, threads = os.getcwd(), torch.get_num_threads()
    os.chdir(cwd)
    try:
        cli_main(list(args))
    except SystemExit as stop:
        assert stop.code in (0, None), f"blobclf {' '.join(args)} exited {stop.code}"
    finally:
        os.chdir(previous)
        torch.set_num_threads(threads)


def outcome(cwd: Path, version: int = 0) -> dict:
    """What a run leaves that K must not change: weights, optimizer and scheduler states, epoch
    and step counts of its last checkpoint, and every logged curve."""
    run = cwd / "checkpoints" / f"version_{version}"
    checkpoint = load_checkpoint(run / "last.ckpt")
    events = EventAccumulator(str(cwd / "lightning_logs" / f"version_{version}"))
    events.Reload()
    return {
        "weights": torch.load(run / "model.pth", weights_only=True),
        "state_dict": checkpoint["state_dict"],
        "optimizer_states": checkpoint["optimizer_states"],
        "lr_schedulers": checkpoint["lr_schedulers"],
        "epoch": checkpoint["epoch"],
        "global_step": checkpoint["global_step"],
        "curves": {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]},
    }


def assert_identical(a: object, b: object, where: str = "") -> None:
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape, where
        # the size of a difference, which a GPU run must state when it is not zero
        assert torch.equal(a, b), f"{where}: largest difference {(a.double() - b.double()).abs().max().item():.3g}"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), where
        for key in a:
            assert_identical(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_identical(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict:
    cwd = tmp_path_factory.mktemp("k1")
    fit(cwd, *ARGS, "--trainer.max_epochs", str(EPOCHS), "--model.steps_per_execution", "1")
    return outcome(cwd)


@pytest.mark.parametrize("steps", [3, 4, 64], ids=["3-of-10", "4-of-10", "more-than-an-epoch"])
def test_k_steps_per_execution_give_bit_identical_runs(tmp_path, reference, steps):
    fit(tmp_path, *ARGS, "--trainer.max_epochs", str(EPOCHS), "--model.steps_per_execution", str(steps))
    result = outcome(tmp_path)
    assert set(result["curves"]) >= {"train/loss", "train/acc", "val/loss", "val/acc"}
    assert result["global_step"] == reference["global_step"] == EPOCHS * 10  # optimizer steps, not groups
    assert_identical(result, reference)
    config = yaml.safe_load((tmp_path / "lightning_logs" / "version_0" / "config.yaml").read_text())
    assert config["model"]["steps_per_execution"] == steps


def test_a_run_resumed_mid_way_with_k_steps_is_bit_identical_to_one_uninterrupted(tmp_path, reference):
    fit(tmp_path, *ARGS, "--trainer.max_epochs", "2", "--model.steps_per_execution", "3")
    fit(tmp_path, "fit", "--ckpt_path", "last", "--trainer.max_epochs", str(EPOCHS))
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == ["version_0"]
    assert_identical(outcome(tmp_path), reference)


def test_the_default_is_recorded_and_a_checkpoint_from_before_the_option_resumes_one_step_at_a_time(tmp_path):
    fit(tmp_path, *ARGS, "--trainer.max_epochs", "1", "--model.steps_per_execution", "1")
    last = tmp_path / "checkpoints" / "version_0" / "last.ckpt"
    checkpoint = torch.load(last, weights_only=True)
    del checkpoint["hyper_parameters"]["steps_per_execution"]
    torch.save(checkpoint, last)
    fit(tmp_path, "fit", "--ckpt_path", "last", "--trainer.max_epochs", "2")
    assert load_checkpoint(last)["global_step"] == 20
    assert BlobClassifier().hparams.steps_per_execution == DEFAULT_STEPS_PER_EXECUTION > 1


@pytest.mark.parametrize("max_steps", [7, 10, 13])
def test_max_steps_counts_optimizer_steps_exactly(tmp_path, max_steps):
    for steps in (1, 4):
        fit(tmp_path, *ARGS, "--trainer.max_steps", str(max_steps), "--model.steps_per_execution", str(steps))
    one, four = outcome(tmp_path, 0), outcome(tmp_path, 1)
    assert four["global_step"] == max_steps
    assert_identical(four, one)


def test_full_batch_training_is_unchanged_by_k(tmp_path):
    for steps in (1, 5):
        fit(tmp_path, "fit", "--config", str(SGD_CONFIG), "--trainer.max_epochs", "5", "--export.figures", "false",
            "--export.onnx", "false", "--model.steps_per_execution", str(steps))
    assert_identical(outcome(tmp_path, 1), outcome(tmp_path, 0))


class EveryThirdStep(BlobClassifier):
    """A scheduler with ``interval="step"`` and ``frequency=3``, as a user's own subclass would configure it."""

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.9)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step", "frequency": 3}}


def test_step_schedulers_step_after_the_same_minibatches(tmp_path):
    results = []
    for steps in (1, 4):
        L.seed_everything(0, verbose=False)
        system = EveryThirdStep(steps_per_execution=steps)
        trainer = L.Trainer(max_epochs=2, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                            enable_model_summary=False, default_root_dir=tmp_path, deterministic=True)
        trainer.fit(system, BlobDataModule(batch_size=64, val_size=0.2))
        results.append((system.state_dict(), trainer.optimizers[0].param_groups[0]["lr"], trainer.global_step))
    assert results[1][1] == pytest.approx(0.1 * 0.9 ** (20 // 3)) and results[1][2] == 20
    assert_identical(results[1], results[0])


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--trainer.accumulate_grad_batches", "2"], "--trainer.accumulate_grad_batches=2 needs "
         "--model.steps_per_execution 1 (got 4): each minibatch takes its own step"),
        (["--trainer.gradient_clip_val", "0.5"], "--trainer.gradient_clip_val=0.5 needs --model.steps_per_execution 1 "
         "(got 4): Lightning clips only its own optimizer steps"),
        (["--trainer.limit_train_batches", "0.5"], "--trainer.limit_train_batches=0.5 needs --model.steps_per_execution 1 "
         "(got 4): Lightning would count groups of minibatches"),
        (["--trainer.val_check_interval", "0.5"], "--trainer.val_check_interval=0.5 needs --model.steps_per_execution "
         "1 (got 4): Lightning would count groups of minibatches"),
        (["--lr_scheduler", "ReduceLROnPlateau", "--lr_scheduler.monitor", "val/loss"],
         "--lr_scheduler lightning.pytorch.cli.ReduceLROnPlateau needs --model.steps_per_execution 1 (got 4): it steps "
         "on a metric between Lightning's own steps"),
        (["--model.steps_per_execution", "0"], None),
    ],
    ids=["accumulate", "clip", "limit", "val-interval", "plateau", "zero"],
)
def test_settings_that_cannot_work_with_k_steps_are_refused_in_one_line(cli, args, line):
    result = cli("fit", "--model.steps_per_execution", "4", *args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    if line is not None:
        assert result.stderr == f"blobclf: error: {line}\n"
    else:
        assert "steps_per_execution" in result.stderr
    assert not (cli.cwd / "checkpoints").exists()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_k_steps_on_a_gpu_give_the_weights_of_one_step_at_a_time(tmp_path):
    for steps in (1, 4):
        fit(tmp_path, *ARGS, "--trainer.max_epochs", "2", "--trainer.accelerator", "gpu",
            "--model.steps_per_execution", str(steps))
    assert_identical(outcome(tmp_path, 1), outcome(tmp_path, 0))


@pytest.mark.slow
def test_ddp_with_k_steps_gives_the_weights_of_one_step_at_a_time(tmp_path):
    for steps in (1, 4):
        result = run_cli(tmp_path, *ARGS, "--trainer.max_epochs", "3", "--trainer.strategy", "ddp",
                         "--trainer.devices", "2", "--trainer.accelerator", "cpu",
                         "--model.steps_per_execution", str(steps), timeout=600)
        assert result.returncode == 0, result.output
    one, four = outcome(tmp_path, 0), outcome(tmp_path, 1)
    assert four["global_step"] == 3 * 5  # 320 samples per process: 5 minibatches of 64 per epoch
    assert_identical(four, one)


def test_the_predicted_class_counted_for_groups_is_the_metrics_own_argmax():
    logits = torch.randn(5000, 4)
    logits[::7, 2] = logits[::7, 1]  # ties: the first maximal index
    logits[::11] = logits[::11, :1]  # a whole row tied
    logits[::13, 3] = float("nan")
    logits[::17, 0] = float("inf")
    logits[::19, 1] = float("-inf")
    assert torch.equal(logits.max(dim=1).indices, logits.argmax(dim=1))
