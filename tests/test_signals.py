"""SIGTERM (schedulers, docker stop) and SIGINT (Ctrl-C) end a fit without losing it."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from conftest import run_cli

pytestmark = pytest.mark.slow  # each test trains in a fresh process

ARGS = ["fit", "--trainer.max_epochs", "150", "--data.batch_size", "64", "--checkpoint.last_interval", "0",
        "--export.figures", "false", "--export.onnx", "false"]
# The run a SIGTERM stops and its resume completes: 30 epochs, so 26 are left when the signal comes after epoch 3,
# and the resume and the uninterrupted run each train 30, not 150.
RESUMED_ARGS = ["fit", "--trainer.max_epochs", "30", *ARGS[3:]]


def start_and_signal(cwd: Path, signum: int, after_epoch: int = 3, args: list[str] = ARGS
                     ) -> subprocess.CompletedProcess:
    """Start a fit of ``args``, send ``signum`` once last.ckpt holds ``after_epoch`` or later, wait for the end."""
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("BLOBCLF_DEBUG", None)
    process = subprocess.Popen([sys.executable, "-m", "blobclf", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    last = cwd / "checkpoints" / "version_0" / "last.ckpt"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if torch.load(last, weights_only=True)["epoch"] >= after_epoch:
                break
        except Exception:  # not written yet
            pass
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before the signal"
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_sigterm_finishes_the_epoch_keeps_the_checkpoint_and_the_resume_ends_bit_identical(tmp_path):
    stopped = start_and_signal(tmp_path, signal.SIGTERM, args=RESUMED_ARGS)
    assert stopped.returncode == 143, stopped.stderr
    run = tmp_path / "checkpoints" / "version_0"
    assert not (run / "model.pth").exists()  # a stopped run is not finished: nothing exported
    lines = stopped.stderr.strip().splitlines()
    assert lines[-2].startswith("blobclf: stopped by SIGTERM after epoch ")
    assert lines[-2].endswith("; last checkpoint: checkpoints/version_0/last.ckpt")
    epoch = int(lines[-2].split("after epoch ")[1].split(";")[0])
    assert torch.load(run / "last.ckpt", weights_only=True)["epoch"] == epoch
    assert lines[-1] == "resume with: python -m blobclf fit --ckpt_path checkpoints/version_0/last.ckpt"
    command = shlex.split(lines[-1].removeprefix("resume with: "))
    assert command[:3] == ["python", "-m", "blobclf"]
    resumed = run_cli(tmp_path, *command[3:])
    assert resumed.returncode == 0, resumed.output
    uninterrupted = tmp_path / "again"
    uninterrupted.mkdir()
    assert run_cli(uninterrupted, *RESUMED_ARGS).returncode == 0
    ours = torch.load(run / "model.pth", weights_only=True)
    theirs = torch.load(uninterrupted / "checkpoints" / "version_0" / "model.pth", weights_only=True)
    assert all(torch.equal(ours[k], theirs[k]) for k in theirs)


def test_ctrl_c_exits_130_naming_the_checkpoint(tmp_path):
    stopped = start_and_signal(tmp_path, signal.SIGINT)
    assert stopped.returncode == 130, stopped.stderr
    assert "blobclf: SIGINT received: finishing this epoch, then saving last.ckpt" in stopped.stderr
    assert "resume with: python -m blobclf fit --ckpt_path checkpoints/version_0/last.ckpt\n" in stopped.stderr
    assert "Traceback" not in stopped.stderr
    assert not (tmp_path / "checkpoints" / "version_0" / "model.pth").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_second_signal_right_after_the_resume_command_keeps_the_exit_status_and_prints_nothing(tmp_path, signum):
    # a scheduler repeating SIGTERM, or a second Ctrl-C, just after the run said how to resume
    # (found by the kill fuzzer): the process died by the signal, or printed a finalizer's
    # traceback or a second "stopped" line
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("BLOBCLF_DEBUG", None)
    process = subprocess.Popen([sys.executable, "-m", "blobclf", *ARGS], cwd=tmp_path, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    last = tmp_path / "checkpoints" / "version_0" / "last.ckpt"
    deadline = time.monotonic() + 120
    while not last.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signum)
    lines = []
    for line in process.stderr:
        lines.append(line)
        if line.startswith("resume with:"):
            process.send_signal(signum)
            break
    lines += process.stderr.readlines()
    assert process.wait(timeout=120) == 128 + signum, "".join(lines)
    assert lines[-1].startswith("resume with:"), "".join(lines)
    assert sum(line.startswith("blobclf: stopped") for line in lines) == 1, "".join(lines)


GLOO_LOST = ("[/__w/pytorch/pytorch/third_party/gloo/gloo/transport/tcp/pair.cc:553] Connection closed by peer "
             "[127.0.0.1]:3508. This is typically caused by a remote worker crashing. Check the logs of the remote "
             "worker before reporting an error. GLHF!")


def test_a_ddp_process_whose_process_zero_was_killed_says_so_in_one_line(capsys, monkeypatch, tmp_path):
    """After a SIGKILL of a DDP run's first process (``--trainer.strategy ddp --trainer.devices 2`` on CPU), the
    process it had started printed gloo's 40-line "Connection closed by peer" traceback. It now says in one line that
    process 0 has ended, and exits 1; the same error while process 0 lives (a real fault) keeps its traceback."""
    import blobclf.cli
    from lightning.pytorch.utilities import rank_zero_only

    from blobclf.interrupt import lost_process_zero

    def collective(*args, **kwargs):
        raise RuntimeError(GLOO_LOST)

    monkeypatch.setattr(blobclf.cli, "cli_for", lambda only: collective)
    monkeypatch.setattr(rank_zero_only, "rank", 1)
    parents = iter([4242])  # process 0's id when the process started; its own parent (init) after the kill
    monkeypatch.setattr(os, "getppid", lambda: next(parents, 1))
    with pytest.raises(SystemExit) as stop:
        blobclf.cli.cli_main(["fit"])
    assert stop.value.code == 1
    assert capsys.readouterr().err == (
        "blobclf: process 1 of the distributed run stopped: process 0, which started it, has ended (killed, or stopped "
        "by the error it printed); what the run saved is kept, and no last.ckpt was written yet: nothing to resume\n")
    # process 0 still there, process 0 itself, or another error: not this line (the traceback stays)
    monkeypatch.setattr(os, "getppid", lambda: 4242)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    assert lost_process_zero(RuntimeError(GLOO_LOST), 4242, 1) is None
    assert lost_process_zero(RuntimeError(GLOO_LOST), 7, 0) is None
    assert lost_process_zero(RuntimeError("Connection refused"), 7, 1) is None
    assert lost_process_zero(ValueError(GLOO_LOST), 7, 1) is None
    assert lost_process_zero(RuntimeError(GLOO_LOST), 7, 2).startswith("process 2 of the distributed run stopped")
    # a run that saved a last.ckpt: the line gives the command that resumes it, as a stop by a signal does
    run = tmp_path / "checkpoints" / "version 0"
    run.mkdir(parents=True)
    (run / "last.ckpt").write_bytes(b"")
    monkeypatch.chdir(tmp_path)
    assert lost_process_zero(RuntimeError(GLOO_LOST), 7, 1, os.fspath(run)).endswith(
        "what the run saved is kept; resume with: python -m blobclf fit --ckpt_path 'checkpoints/version 0/last.ckpt'")
    # under torchrun its agent started the process, not process 0, and torchrun starts the resume too
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "x")
    assert lost_process_zero(RuntimeError(GLOO_LOST), 7, 1, os.fspath(run)) == (
        "process 1 of the distributed run stopped: torchrun, which started it, has ended (killed, or stopped by the "
        "error it printed); what the run saved is kept; resume with the torchrun command that started the run, its "
        "blobclf arguments replaced by: fit --ckpt_path 'checkpoints/version 0/last.ckpt'")


PARENT = """
import os, signal, subprocess, sys
child = (f"import os, sys, time; from blobclf.deathsignal import end_with_process_zero, process_zero_connected; "
         f"armed = end_with_process_zero(os.getppid()); {sys.argv[1]}; print(armed, flush=True); time.sleep(60)")
started = subprocess.Popen([sys.executable, "-c", child, *sys.argv[2:]], stdout=subprocess.PIPE, text=True,
                           stderr=subprocess.DEVNULL,
                           env={**os.environ, "LOCAL_RANK": "1"})
print(started.pid, started.stdout.readline().strip(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux's")
@pytest.mark.parametrize(("then", "same", "armed", "ends"), [
    ("pass", True, "True", True),  # killed while connecting: the process it started ends with it
    ("process_zero_connected()", True, "True", False),  # connected: a lost process 0 is said in one line
    ("pass", False, "False", False),  # not process 0's arguments: not started by Lightning's launcher from it
])
def test_a_ddp_process_started_by_lightning_ends_with_process_zero_killed_before_they_connect(
        tmp_path, then, same, armed, ends):
    """A SIGKILL of process 0 while the processes connected (before the first epoch) left the process it had
    started waiting for the process group's 30 minutes, deaf to SIGTERM: the kernel now ends it with process 0."""
    code = PARENT if same else PARENT.replace("*sys.argv[2:]", "'other'")
    parent = subprocess.run([sys.executable, "-c", code, then, "fit", "--trainer.devices", "2"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    pid, said = parent.stdout.split()
    assert (parent.returncode, said) == (-signal.SIGKILL, armed), parent.stderr
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and os.path.exists(f"/proc/{pid}"):
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.05)
    alive = os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    if alive:
        os.kill(int(pid), signal.SIGKILL)
    assert alive is not ends
