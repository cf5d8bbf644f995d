"""Killed runs resume where they stopped; same config and seed give bit-identical results."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import SGD_CONFIG, run_cli
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from blobclf.safeload import load_checkpoint

pytestmark = pytest.mark.slow  # each test runs blobclf in a fresh process

# Minibatches with shuffling, so the resumed run must also continue the data order exactly. 20 epochs of 13
# minibatches, killed after epoch 5: the resume must restore weights, optimizer and data order as at any length,
# and the run has 14 epochs left when the test looks at its last.ckpt and kills it.
EPOCHS = 20
ARGS = ["fit", "--config", str(SGD_CONFIG), "--trainer.max_epochs", str(EPOCHS), "--data.batch_size", "64",
        "--checkpoint.last_interval", "0"]


def weights(run: Path) -> dict[str, torch.Tensor]:
    return torch.load(run / "model.pth", weights_only=True)


def curves(log_dir: Path) -> dict[str, list[tuple[int, float]]]:
    events = EventAccumulator(str(log_dir))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def start_and_kill(cwd: Path, after_epoch: int, args: list[str] = ARGS) -> None:
    """Start a fit of ``args`` and SIGKILL it once last.ckpt records ``after_epoch`` or later."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    process = subprocess.Popen(
        [sys.executable, "-m", "blobclf", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    last = cwd / "checkpoints" / "version_1" / "last.ckpt"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            if last.exists():
                try:
                    if torch.load(last, weights_only=True)["epoch"] >= after_epoch:
                        break
                except Exception:  # being replaced right now; look again
                    pass
            time.sleep(0.02)
        assert process.poll() is None, "the run ended before it could be killed"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("resume")
    uninterrupted = run_cli(cwd, *ARGS)
    assert uninterrupted.returncode == 0, uninterrupted.output
    start_and_kill(cwd, after_epoch=5)
    killed_files = sorted(p.name for p in (cwd / "checkpoints" / "version_1").iterdir())
    for path in (cwd / "checkpoints" / "version_1").glob("*.ckpt"):
        load_checkpoint(path)  # every checkpoint left by the kill loads
    resumed = run_cli(cwd, *ARGS, "--ckpt_path", "last")
    assert resumed.returncode == 0, resumed.output
    return cwd, killed_files, resumed


def test_killed_run_left_loadable_checkpoints_and_no_export(killed_and_resumed):
    _, killed_files, _ = killed_and_resumed
    assert "last.ckpt" in killed_files
    assert "model.pth" not in killed_files


def test_a_temporary_file_a_kill_left_is_gone_after_the_resume(killed_and_resumed):
    # a kill in the middle of a write can leave its temporary file (never a partial checkpoint);
    # the next start in that run folder removes it
    cwd, _, _ = killed_and_resumed
    assert not [p.name for p in (cwd / "checkpoints" / "version_1").iterdir() if p.name.endswith(".tmp")]


def test_resumed_run_continues_in_its_own_folders(killed_and_resumed):
    cwd, _, resumed = killed_and_resumed
    assert sorted(p.name for p in (cwd / "checkpoints").iterdir()) == ["version_0", "version_1"]
    assert sorted(p.name for p in (cwd / "lightning_logs").iterdir()) == ["version_0", "version_1"]
    assert f"exported weights: {Path('checkpoints/version_1/model.pth')}" in resumed.stdout


def test_resumed_run_ends_bit_identical_to_an_uninterrupted_run(killed_and_resumed):
    cwd, _, _ = killed_and_resumed
    first, second = weights(cwd / "checkpoints" / "version_0"), weights(cwd / "checkpoints" / "version_1")
    assert list(first) == list(second)
    for key in first:
        assert torch.equal(first[key], second[key]), key


def test_resumed_curves_have_every_epoch_once_and_match(killed_and_resumed):
    cwd, _, _ = killed_and_resumed
    reference = curves(cwd / "lightning_logs" / "version_0")
    resumed = curves(cwd / "lightning_logs" / "version_1")
    for tag in ("train/loss", "train/acc", "val/loss", "val/acc"):
        assert [step for step, _ in resumed[tag]] == list(range(EPOCHS)), tag
        assert resumed[tag] == reference[tag], tag


def test_two_runs_with_the_same_config_and_seed_are_bit_identical(tmp_path):
    # each run a fresh process, as a user's would be; 5 epochs of 8 shuffled minibatches
    args = ["fit", "--config", str(SGD_CONFIG), "--trainer.max_epochs", "5", "--data.batch_size", "100"]
    assert run_cli(tmp_path, *args).returncode == 0
    assert run_cli(tmp_path, *args).returncode == 0
    runs = [tmp_path / "checkpoints" / f"version_{v}" for v in (0, 1)]
    a, b = weights(runs[0]), weights(runs[1])
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert curves(tmp_path / "lightning_logs" / "version_0") == curves(tmp_path / "lightning_logs" / "version_1")
    other = run_cli(tmp_path, *args, "--seed_everything", "7")
    assert other.returncode == 0
    c = weights(tmp_path / "checkpoints" / "version_2")
    assert not torch.equal(a["linear_layer_stack.0.weight"], c["linear_layer_stack.0.weight"])


def test_resuming_a_finished_run_keeps_its_exports(killed_and_resumed, cli_at):
    cwd, _, _ = killed_and_resumed
    run = cwd / "checkpoints" / "version_1"
    before = {name: (run / name).read_bytes() for name in ("model.pth", "model.json")}
    again = cli_at(cwd)(*ARGS, "--ckpt_path", "last")  # in this process: the resume's start is what is tested
    assert again.returncode == 0, again.output
    assert "nothing was trained; the exports in" in again.stdout
    assert {name: (run / name).read_bytes() for name in before} == before


def test_a_swa_run_killed_while_it_averages_resumes_bit_identical(tmp_path):
    # StochasticWeightAveraging's average, count and SWALR schedule go into last.ckpt at every epoch's end:
    # a SIGKILL after epoch 6 of 12 (averaging since epoch 5) loses nothing the resume needs
    args = ["fit", "--config", str(SGD_CONFIG), "--trainer.max_epochs", "12", "--data.batch_size", "32",
            "--checkpoint.last_interval", "0", "--export.figures", "false", "--export.onnx", "false",
            "--trainer.callbacks+=StochasticWeightAveraging", "--trainer.callbacks.swa_lrs", "0.05",
            "--trainer.callbacks.swa_epoch_start", "0.5"]
    assert run_cli(tmp_path, *args).returncode == 0
    start_and_kill(tmp_path, after_epoch=6, args=args)
    resumed = run_cli(tmp_path, "fit", "--ckpt_path", "last")
    assert resumed.returncode == 0, resumed.output
    straight, run = (tmp_path / "checkpoints" / f"version_{n}" for n in (0, 1))
    first, second = weights(straight), weights(run)
    assert list(first) == list(second) and all(torch.equal(first[k], second[k]) for k in first)
    metrics = json.loads((run / "model.json").read_text())["metrics"]
    assert metrics == json.loads((straight / "model.json").read_text())["metrics"]
    reference = curves(tmp_path / "lightning_logs" / "version_0")
    ours = curves(tmp_path / "lightning_logs" / "version_1")
    for tag in ("train/loss", "train/acc", "val/loss", "val/acc"):
        assert ours[tag] == reference[tag], tag
