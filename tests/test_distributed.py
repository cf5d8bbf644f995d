"""Lightning's DDP strategy on CPU: two processes, and two "nodes" launched by torchrun on loopback."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import SGD_CONFIG, run_cli
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

pytestmark = pytest.mark.slow
REFERENCE_ACCURACY = 0.965  # the single-process tutorial run


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def check_single_run(cwd: Path) -> dict:
    """One run folder, one export, one set of curves, accuracy within a point of one process."""
    assert sorted(p.name for p in (cwd / "checkpoints").iterdir()) == ["version_0"]
    assert sorted(p.name for p in (cwd / "lightning_logs").iterdir()) == ["version_0"]
    run = cwd / "checkpoints" / "version_0"
    meta = json.loads((run / "model.json").read_text())
    assert abs(meta["metrics"]["val/acc"] - REFERENCE_ACCURACY) <= 0.01
    state = torch.load(run / "model.pth", weights_only=True)
    assert list(state)[0] == "linear_layer_stack.0.weight"
    events = EventAccumulator(str(cwd / "lightning_logs" / "version_0"))
    events.Reload()
    assert [e.step for e in events.Scalars("val/acc")] == list(range(100))
    return meta


def test_ddp_two_processes_on_cpu(tmp_path):
    result = run_cli(
        tmp_path, "fit", "--config", str(SGD_CONFIG),
        "--trainer.strategy", "ddp", "--trainer.devices", "2", "--trainer.accelerator", "cpu",
        "--export.figures", "false", "--export.onnx", "false",
        timeout=600,
    )
    assert result.returncode == 0, result.output
    meta = check_single_run(tmp_path)
    # every sample is counted once: the validation accuracy is a multiple of 1/200
    assert round(meta["metrics"]["val/acc"] * 200, 4) == round(meta["metrics"]["val/acc"] * 200)
    assert result.stdout.count("exported weights:") == 1


def test_two_nodes_with_torchrun_on_loopback(tmp_path):
    port = free_port()
    nodes = []
    for rank in (0, 1):
        cwd = tmp_path / f"node{rank}"
        cwd.mkdir()
        command = [
            sys.executable, "-m", "torch.distributed.run",
            "--nnodes", "2", "--nproc_per_node", "1", "--node_rank", str(rank),
            "--master_addr", "127.0.0.1", "--master_port", str(port),
            "-m", "blobclf", "fit", "--config", str(SGD_CONFIG),
            "--trainer.strategy", "ddp", "--trainer.num_nodes", "2", "--trainer.devices", "1",
            "--trainer.accelerator", "cpu", "--export.figures", "false", "--export.onnx", "false",
        ]
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        # output goes to files: an undrained pipe can stall one node while the other waits for it
        log = (tmp_path / f"node{rank}.log").open("w")
        nodes.append(subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                      stdin=subprocess.DEVNULL))
    codes = [node.wait(timeout=600) for node in nodes]
    outputs = [(tmp_path / f"node{rank}.log").read_text()[-3000:] for rank in (0, 1)]
    assert codes == [0, 0], "\n=====\n".join(outputs)
    check_single_run(tmp_path / "node0")
    # the second node writes nothing: checkpoints, exports and logs are written once, by rank 0
    assert not (tmp_path / "node1" / "checkpoints").exists()
    assert not (tmp_path / "node1" / "lightning_logs").exists()


def test_the_process_group_is_closed_before_the_program_exits(tmp_path):
    """A gloo group left open until the interpreter exits sometimes aborted a worker after its work."""
    script = (
        "import sys, torch.distributed as dist\n"
        "from blobclf.cli import cli_main\n"
        "sys.argv = ['blobclf', *sys.argv[1:]]\n"
        "cli_main()\n"
        "print('process group open after the command:', dist.is_initialized())\n"
    )
    port = free_port()
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)}
    done = subprocess.run(
        [sys.executable, "-c", script, "fit", "--config", str(SGD_CONFIG), "--trainer.max_epochs", "2",
         "--trainer.strategy", "ddp", "--trainer.devices", "1", "--trainer.accelerator", "cpu",
         "--export.figures", "false", "--export.onnx", "false"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "distributed_backend=gloo" in done.stdout + done.stderr
    assert "process group open after the command: False" in done.stdout


def test_test_and_predict_under_ddp_write_what_one_process_writes(tmp_path, cli, tutorial_run):
    # the one-process reference runs in this process; the DDP runs are the command line's two processes
    source, _ = tutorial_run
    shutil.copytree(source / "checkpoints", tmp_path / "checkpoints")
    run = tmp_path / "checkpoints" / "version_0"
    for old in [*run.glob("predictions*.csv"), run / "test_report-last.json"]:
        old.unlink(missing_ok=True)
    ckpt = "checkpoints/version_0/last.ckpt"
    ddp = ["--trainer.strategy", "ddp", "--trainer.devices", "2", "--trainer.accelerator", "cpu"]

    def two_processes(*args: str):
        return run_cli(tmp_path, *args, *ddp, timeout=600)

    outputs = {}
    for name, command in (("one process", cli), ("ddp", two_processes)):
        tested = command("test", "--ckpt_path", ckpt)
        assert tested.returncode == 0, tested.output
        predicted = command("predict", "--ckpt_path", ckpt, "--prediction.overwrite", "true")
        assert predicted.returncode == 0, predicted.output
        # written once, by rank 0, from all 200 test points
        assert predicted.stdout.count("predictions: checkpoints/version_0/predictions-last-test-split.csv (200 rows)") == 1
        assert tested.stdout.count("test report:") == 1
        outputs[name] = (json.loads((run / "test_report-last.json").read_text()), (run / "predictions-last-test-split.csv").read_bytes())
    (ddp_report, ddp_rows), (one_report, one_rows) = outputs["ddp"], outputs["one process"]
    assert ddp_rows == one_rows
    assert ddp_report["accuracy"] == one_report["accuracy"] == REFERENCE_ACCURACY
    # the mean loss is summed per process, then across processes: float32 rounding differs (2 ulp seen)
    assert ddp_report.pop("loss") == pytest.approx(one_report.pop("loss"), rel=1e-6)
    assert ddp_report == one_report
