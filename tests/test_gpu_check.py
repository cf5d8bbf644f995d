"""benchmarks/gpu_check.py on a CPU: what it reports must be true before a GPU session spends its minutes on it."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile

import pytest
import torch
from conftest import REPO

from blobclf import BlobClassifier
from blobclf.graphs import ReplayEmulation


@pytest.fixture
def gpu_check(tmp_path, monkeypatch):
    """The script as a module, its temporary folders under ``tmp_path``, graph replays emulated."""
    spec = importlib.util.spec_from_file_location("gpu_check", REPO / "benchmarks" / "gpu_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # the checks change folder; back afterwards
    monkeypatch.setattr(BlobClassifier, "step_capture", ReplayEmulation())
    monkeypatch.setattr(sys, "path", list(sys.path))
    threads = torch.get_num_threads()
    yield module
    torch.set_num_threads(threads)  # the CLI sets the thread count for its run


def test_the_table_counts_the_groups_its_timed_epoch_replayed(gpu_check):
    # 16,000 training points in 63 minibatches of 256: groups of 16, 16, 16 and 15 minibatches; the
    # timed second epoch replays the three full groups (the recording stays valid: no scheduler)
    rate, replays, splits = gpu_check.blobclf_rate(20_000, 256, 16, True, "cpu", None)
    assert replays == 3
    assert rate > 0 and splits["train"][1].shape[0] == 16_000
    assert gpu_check.blobclf_rate(20_000, 256, 16, False, "cpu", splits)[1] == 0  # eager: nothing replayed


def test_equality_compares_k1_eager_and_replayed_runs(gpu_check):
    result = gpu_check.equality(gpu_check.EQUALITY_POINTS, 2048, "cpu")
    assert result["global_step"] == {"k1": 3 * 79, "eager": 3 * 79, "replayed": 3 * 79}
    assert result["replays_last_epoch"] == 4  # the rate changed: recorded again, then 4 full groups replayed
    for pair in ("eager_vs_k1", "replayed_vs_eager", "replayed_vs_k1"):
        assert result[pair] == {"weights_identical": True, "max_abs_weight_difference": 0.0, "metrics_identical": True,
                                "steps_equal": True}
    assert result["ok"] is True


class CannotRecord(ReplayEmulation):
    def record(self, step, optimizer):
        raise RuntimeError("operation not permitted when stream is capturing")


def test_a_recording_that_fails_takes_no_eager_figure_with_it(gpu_check, monkeypatch):
    # after a failed capture torch (before 2.12) may fail every later empty_cache of the process,
    # so the eager figures of every row are measured before anything records a graph
    monkeypatch.setattr(BlobClassifier, "step_capture", CannotRecord())
    result = gpu_check.table(40_000, [512, 1024], "cpu")  # 63 and 32 minibatches: groups recorded
    for row in result["rows"]:
        assert {"blobclf_k1", "blobclf_k16_eager", "plain_eager"} <= set(row) and "blobclf_k16" not in row
        assert row["error"].startswith('blobclf_k16: RecordingFailed("CUDA graphs: recording the training steps failed')
    assert result["ok"] is False


def test_a_row_that_failed_keeps_its_figures_in_the_table(gpu_check):
    rows = [{"batch_size": 8192, "blobclf_k1": 2e6, "blobclf_k16_eager": 3e6, "blobclf_k16": 4e6, "replays": 61,
             "plain_eager": 5e6, "plain_graph": 8e6},
            {"batch_size": 65536, "blobclf_k1": 7e6, "error": "RuntimeError('CUDA out of memory')"}]
    lines = gpu_check.markdown_table(rows, 16).splitlines()
    assert lines[2] == "| 8192 | 2.00 M/s | 3.00 M/s | 4.00 M/s | 5.00 M/s | 8.00 M/s | 0.80x | 0.50x | 61 |"
    assert lines[3] == ("| 65536 | 7.00 M/s | n/a | n/a | n/a | n/a | n/a | n/a | n/a | "
                        "error: RuntimeError('CUDA out of memory')")


@pytest.mark.slow
def test_the_gpu_session_runs_every_part_and_prints_its_summary_last(tmp_path):
    """benchmarks/gpu_session.sh end to end, dry-run on a CPU (as its header says), the rest of the suite left out."""
    out = tmp_path / "out"
    env = {**os.environ, "OUT": str(out), "TMPDIR": str(tmp_path), "GPU_SESSION_REST": "0",
           "GPU_SESSION_SITE": str(tmp_path / "site"), "PYTHONPATH": str(REPO),
           "GPU_CHECK_ARGS": "--cpu --throughput-points 40000 --batch-sizes 1024 --points 20000 --batch-size 1024"}
    done = subprocess.run(["bash", str(REPO / "benchmarks" / "gpu_session.sh")], env=env, capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]  # no GPU: not a pass
    summary = (out / "summary.txt").read_text()
    assert "gpu_session: NO CUDA DEVICE is visible to torch: nothing below runs on a GPU" in summary.splitlines()
    assert done.stdout.endswith(summary)  # printed last: a device call shows only the end of the output
    assert sorted(p.name for p in out.iterdir()) == ["gpu_check.json", "gpu_check.log", "pytest_gpu.log", "summary.txt",
                                                     "table.md", "versions.txt"]
    assert sorted(json.loads((out / "gpu_check.json").read_text())) == ["copies", "equality", "table", "tutorial_run"]
    lines = summary.splitlines()
    assert "--- A+C. gpu_check (exit 0, 0)" in lines and "--- B. pytest -m gpu (exit 0)" in lines
    assert [line.split(";")[0] for line in lines if line.startswith("gpu_check: ") and ";" in line] == [
        "gpu_check: table: measured", "gpu_check: equality: passed", "gpu_check: tutorial_run: passed",
        "gpu_check: copies: measured"]
    # 32,000 training points, 32 minibatches: groups of 16 and 16, the second ending short (256 points), so the
    # timed epoch replays its first group and runs the second eagerly
    assert any(line.startswith("| 1024 | ") and line.endswith(" | 1 |") for line in lines), summary
    assert any(re.fullmatch(r"\d+ skipped, \d+ deselected in [\d.]+s", line) for line in lines)
