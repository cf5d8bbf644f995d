"""Run folders: every new run claims its own version, even when many start at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
import torch
import yaml

from blobclf.errors import UserError
from blobclf.runs import (
    claim_run,
    lock_run,
    newest_run,
    release_run,
    resolve_checkpoint,
    run_version,
    unlock_runs,
)


def test_concurrent_claims_get_distinct_versions(tmp_path):
    root = tmp_path / "checkpoints"
    claimed: list[int] = []
    start = threading.Barrier(16)

    def claim() -> None:
        start.wait()
        claimed.append(claim_run(root))

    threads = [threading.Thread(target=claim) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == list(range(16))
    assert sorted(p.name for p in root.iterdir()) == sorted(f"version_{n}" for n in range(16))


def test_a_claim_skips_versions_used_by_logs_or_older_runs(tmp_path):
    (tmp_path / "logs" / "version_4").mkdir(parents=True)
    (tmp_path / "checkpoints" / "version_1").mkdir(parents=True)
    (tmp_path / "checkpoints" / "notes").mkdir()
    assert claim_run(tmp_path / "checkpoints", tmp_path / "logs") == 5
    assert claim_run(tmp_path / "checkpoints", tmp_path / "logs") == 6


def test_a_file_where_the_run_folder_should_be_is_one_line(tmp_path):
    (tmp_path / "checkpoints").write_text("not a folder")
    with pytest.raises(UserError, match="is a file, but blobclf keeps its runs in a folder of that name"):
        claim_run(tmp_path / "checkpoints")


def test_releasing_removes_only_an_empty_claim(tmp_path):
    root = tmp_path / "checkpoints"
    empty, used = claim_run(root), claim_run(root)
    (root / f"version_{used}" / "last.ckpt").write_bytes(b"x")
    release_run(root, empty)
    release_run(root, used, remove_root=True)
    assert sorted(p.name for p in root.iterdir()) == [f"version_{used}"]
    release_run(root, used)  # a second release changes nothing
    assert (root / f"version_{used}" / "last.ckpt").exists()


def test_last_means_the_newest_run_with_a_checkpoint(tmp_path):
    root = tmp_path / "checkpoints"
    for _ in range(3):
        claim_run(root)
    (root / "version_1" / "last.ckpt").write_bytes(b"x")
    # version_2 was just claimed by a run still in its first epoch
    assert newest_run(root) == root / "version_1"
    assert resolve_checkpoint("last", root) == os.fspath(root / "version_1" / "last.ckpt")
    assert resolve_checkpoint("some/other.ckpt", root) == "some/other.ckpt"
    assert run_version(root / "version_1" / "last.ckpt", root) == 1
    assert run_version(tmp_path / "elsewhere" / "last.ckpt", root) is None


def test_no_run_at_all_is_one_line(tmp_path):
    with pytest.raises(UserError, match="no runs found under"):
        resolve_checkpoint("last", tmp_path / "checkpoints")


def _best_record(checkpoint: dict, name: str) -> dict:
    """``checkpoint`` with its checkpoint callback recording ``name`` (in its own folder) as the best."""
    for key, state in checkpoint["callbacks"].items():
        if "Checkpoint" in key and "best_model_path" in state:
            folder = os.path.dirname(state["best_model_path"])
            state["best_model_path"] = os.path.join(folder, name)
            state["best_k_models"] = {state["best_model_path"]: state.get("best_model_score")}
    return checkpoint


def test_best_of_a_run_in_training_is_its_newest_best_even_before_last_ckpt_records_it(cli):
    # a run in training writes each new best at once (deleting the old one) but last.ckpt, which
    # records the best, at most once a second: in between, 'best' once said "records no best"
    assert cli("fit", "--trainer.max_epochs", "2", "--export.figures", "false", "--export.onnx", "false").returncode == 0
    run = cli.cwd / "checkpoints" / "version_0"
    (best,) = [p for p in run.glob("*.ckpt") if p.name != "last.ckpt"]
    last = torch.load(run / "last.ckpt", weights_only=True)
    torch.save(_best_record(last, "best-epoch=0-val_acc=0.0000.ckpt"), run / "last.ckpt")  # replaced since
    assert resolve_checkpoint("best", cli.cwd / "checkpoints") == os.fspath(best)
    os.unlink(run / "last.ckpt")  # the run's first epoch: its best is written just before last.ckpt
    assert resolve_checkpoint("best", cli.cwd / "checkpoints") == os.fspath(best)


def test_last_of_a_run_in_its_first_epoch_says_it_is_training(tmp_path):
    root = tmp_path / "checkpoints"
    run = root / f"version_{claim_run(root)}"
    lock_run(run)  # as the fit training it holds it
    try:
        with pytest.raises(UserError, match=r"is in its first epoch \(a fit is training it right now\) and has no "
                                            r"last.ckpt yet; wait until that epoch ends, or pass a checkpoint path"):
            resolve_checkpoint("last", root)
    finally:
        unlock_runs()
    with pytest.raises(UserError, match=r"it stopped before its first epoch ended"):  # no fit holds it now
        resolve_checkpoint("last", root)


def test_last_of_a_run_in_training_past_its_first_epoch_is_not_said_to_be_in_its_first_epoch(tmp_path):
    # last.ckpt is first written once --checkpoint.last_interval has passed: a run at its epoch 781
    # with --checkpoint.last_interval 600 was said to be 'in its first epoch'
    root = tmp_path / "checkpoints"
    run = root / f"version_{claim_run(root)}"
    (run / "best-epoch=781-val_acc=0.9800.ckpt").write_bytes(b"")
    lock_run(run)
    try:
        with pytest.raises(UserError) as refused:
            resolve_checkpoint("last", root)
    finally:
        unlock_runs()
    assert "first epoch" not in str(refused.value)
    assert str(refused.value).endswith(f"--ckpt_path {run / 'best-epoch=781-val_acc=0.9800.ckpt'}")


@pytest.mark.slow
def test_six_fits_started_at_once_get_six_runs_that_match_their_own_settings(tmp_path):
    rates = ["0.01", "0.02", "0.03", "0.04", "0.05", "0.06"]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("BLOBCLF_DEBUG", None)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "blobclf", "fit", "--trainer.max_epochs", "3", "--optimizer.lr", lr,
             "--export.figures", "false", "--export.onnx", "false"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            stdin=subprocess.DEVNULL,
        )
        for lr in rates
    ]
    outputs = [process.communicate(timeout=300)[0] for process in processes]
    assert [p.returncode for p in processes] == [0] * 6, "\n=====\n".join(outputs)
    runs = sorted((tmp_path / "checkpoints").iterdir())
    assert [r.name for r in runs] == [f"version_{n}" for n in range(6)]
    seen = []
    for run in runs:
        meta = json.loads((run / "model.json").read_text())
        lr = meta["optimizer"]["init_args"]["lr"]
        config = yaml.safe_load((tmp_path / "lightning_logs" / run.name / "config.yaml").read_text())
        assert config["optimizer"]["init_args"]["lr"] == lr
        assert meta["log_dir"].endswith(os.path.join("lightning_logs", run.name))
        checkpoint = torch.load(run / "last.ckpt", weights_only=True)
        recorded = [s["training"] for s in checkpoint["callbacks"].values() if "training" in s]
        assert recorded[0]["optimizer"]["init_args"]["lr"] == lr
        seen.append(lr)
    assert sorted(seen) == sorted(float(r) for r in rates)
    # each process printed its own run's folder
    printed = sorted(line.split()[-1] for out in outputs for line in out.splitlines()
                     if line.startswith("exported weights:"))
    assert printed == sorted(os.path.join("checkpoints", f"version_{n}", "model.pth") for n in range(6))


def test_a_claim_removes_abandoned_runs_only_where_it_knows_their_log_folders(tmp_path):
    # a new run without a logger cannot see whether an empty run folder's logs hold curves: taking
    # its number would put the new run's checkpoints beside another run's curves
    root, logs = tmp_path / "checkpoints", tmp_path / "logs"
    (root / "version_0").mkdir(parents=True)
    (logs / "version_0").mkdir(parents=True)
    (logs / "version_0" / "config.yaml").write_text("seed_everything: 42\n")
    removed: list = []
    try:
        assert claim_run(root, removed=removed) == 1 and removed == []
        assert claim_run(root, logs, removed=removed) == 2  # version 1 is this process's own, held
        assert removed == [root / "version_0", logs / "version_0"]
        assert sorted(p.name for p in root.iterdir()) == ["version_1", "version_2"] and not list(logs.iterdir())
    finally:
        unlock_runs()
