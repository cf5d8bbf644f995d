"""Recorded steps (``--model.cuda_graphs``): a replay computes what the eager steps compute.

On a CPU the recorded path runs with :class:`~blobclf.graphs.ReplayEmulation`, which "replays"
with the optimizer's hyperparameters frozen at recording, as a CUDA graph freezes them; the GPU
tests at the end record real CUDA graphs.
"""

from __future__ import annotations

import inspect
import logging
import os
import subprocess
import sys

import lightning as L
import pytest
import torch
from lightning.pytorch.accelerators import CPUAccelerator
from conftest import REPO
from test_steps_per_execution import SGD_CONFIG, assert_identical, fit, outcome

from blobclf import BlobClassifier, BlobDataModule
from blobclf.cli import cli_main
from blobclf.graphs import CudaGraphCapture, ReplayEmulation, StepGraph

# 640 training points in 10 shuffled minibatches of 64, a validation split; SGD with momentum
# (optimizer state) and a StepLR that changes the learning rate every epoch (a new recording)
SGD_ARGS = ["fit", "--config", str(SGD_CONFIG), "--data.batch_size", "64", "--data.val_size", "0.2",
            "--optimizer", "SGD", "--optimizer.lr", "0.1", "--optimizer.momentum", "0.9",
            "--lr_scheduler", "StepLR", "--lr_scheduler.step_size", "1", "--lr_scheduler.gamma", "0.5",
            "--export.figures", "false", "--export.onnx", "false", "--trainer.enable_progress_bar", "false",
            "--checkpoint.last_interval", "0"]
EPOCHS = 4


@pytest.fixture
def emulated(monkeypatch: pytest.MonkeyPatch) -> ReplayEmulation:
    """Every BlobClassifier of the test records its steps with a fresh emulation."""
    backend = ReplayEmulation()
    monkeypatch.setattr(BlobClassifier, "step_capture", backend)
    return backend


@pytest.fixture(scope="module")
def eager(tmp_path_factory: pytest.TempPathFactory) -> dict:
    cwd = tmp_path_factory.mktemp("eager")
    fit(cwd, *SGD_ARGS, "--trainer.max_epochs", str(EPOCHS), "--model.steps_per_execution", "1")
    return outcome(cwd)


def graph_line(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("CUDA graphs:")]


def test_replayed_steps_give_the_weights_curves_and_step_count_of_eager_steps(tmp_path, eager, emulated, caplog):
    caplog.set_level(logging.INFO)
    replays = []
    original = StepGraph.run

    def counting_run(self, minibatches):
        original(self, minibatches)
        replays.append(self.replays)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StepGraph, "run", counting_run)
        fit(tmp_path, *SGD_ARGS, "--trainer.max_epochs", str(EPOCHS), "--model.steps_per_execution", "4")
    result = outcome(tmp_path)
    assert result["global_step"] == EPOCHS * 10
    assert_identical(result, eager)
    # per epoch the groups hold 4, 4 and 2 minibatches: the first group of the run is the warm-up,
    # every other full group a replay (the short one runs eagerly); the rate changes every epoch,
    # so every epoch records again
    assert replays == list(range(0, 2 * EPOCHS))
    assert emulated.recordings == EPOCHS
    assert graph_line(caplog) == [
        "CUDA graphs: the 4 minibatch steps of each training step are recorded once and replayed "
        "(--model.cuda_graphs false: eager)"
    ]


def test_a_replay_of_a_stale_recording_would_be_caught(tmp_path, eager, emulated, monkeypatch):
    # the check of the tests above can fail: never recording again replays the first epoch's rate
    monkeypatch.setattr(StepGraph, "_fingerprint", lambda self: ())
    fit(tmp_path, *SGD_ARGS, "--trainer.max_epochs", str(EPOCHS), "--model.steps_per_execution", "4")
    result = outcome(tmp_path)
    assert emulated.recordings == 1
    assert not torch.equal(result["weights"]["linear_layer_stack.0.weight"], eager["weights"]["linear_layer_stack.0.weight"])


def test_a_run_resumed_mid_way_with_replays_is_bit_identical_to_one_uninterrupted_eager_run(tmp_path, eager, emulated):
    fit(tmp_path, *SGD_ARGS, "--trainer.max_epochs", "2", "--model.steps_per_execution", "4")
    fit(tmp_path, "fit", "--ckpt_path", "last", "--trainer.max_epochs", str(EPOCHS))
    assert_identical(outcome(tmp_path), eager)


@pytest.mark.parametrize("max_steps", [7, 13])
def test_groups_cut_short_by_max_steps_run_eagerly_and_stop_exactly(tmp_path, emulated, max_steps):
    fit(tmp_path, *SGD_ARGS, "--trainer.max_steps", str(max_steps), "--model.steps_per_execution", "1")
    fit(tmp_path, *SGD_ARGS, "--trainer.max_steps", str(max_steps), "--model.steps_per_execution", "4")
    one, four = outcome(tmp_path, 0), outcome(tmp_path, 1)
    assert four["global_step"] == max_steps
    assert_identical(four, one)


class WatchesGradients(L.Callback):
    """A callback that looks at every optimizer step: a replay would not call it."""

    def __init__(self) -> None:
        self.calls = 0

    def on_before_optimizer_step(self, trainer, pl_module, optimizer):
        self.calls += 1


class EveryStep(BlobClassifier):
    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=0.1)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.99)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


class WithAdam(BlobClassifier):
    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=0.01)


class OwnHook(BlobClassifier):
    def on_after_backward(self):
        pass


class OwnSharedStep(BlobClassifier):
    def _shared_step(self, batch, stage, predictions=None):
        return super()._shared_step(batch, stage, predictions)


class OwnBackward(BlobClassifier):
    def backward(self, loss, *args, **kwargs):
        loss.backward(*args, **kwargs)


class NotTorchOptimizer(torch.optim.SGD):
    """An optimizer class of the user's own (torch.optim.SGD's code, another module)."""


NotTorchOptimizer.__module__ = "users_own_optimizers"


class WithOwnOptimizer(BlobClassifier):
    def configure_optimizers(self):
        return NotTorchOptimizer(self.parameters(), lr=0.1)


@pytest.mark.parametrize(
    ("system", "callbacks", "reason"),
    [
        (lambda: BlobClassifier(steps_per_execution=4, cuda_graphs=False), [], "--model.cuda_graphs false"),
        (lambda: BlobClassifier(steps_per_execution=4), [WatchesGradients()],
         "callback WatchesGradients uses on_before_optimizer_step, which a replay would not call"),
        (lambda: EveryStep(steps_per_execution=4), [], "a learning-rate scheduler steps every minibatch"),
        (lambda: WithAdam(steps_per_execution=4), [],
         "Adam is recorded only with capturable=True (--optimizer.capturable true, where Adam has it)"),
        (lambda: OwnHook(steps_per_execution=4), [], "the model overrides on_after_backward, which a replay would not call"),
        (lambda: OwnBackward(steps_per_execution=4), [], "the model overrides backward, which a replay would not call"),
        (lambda: OwnSharedStep(steps_per_execution=4), [],
         "the model overrides _shared_step, which a replay would not call"),
        (lambda: WithOwnOptimizer(steps_per_execution=4), [],
         "NotTorchOptimizer is not one of torch.optim's optimizers, known to record as they run"),
    ],
    ids=["off", "callback", "step-scheduler", "adam", "model-hook", "model-backward", "model-shared-step",
         "own-optimizer"],
)
def test_what_a_replay_cannot_reproduce_runs_eagerly_and_says_why(tmp_path, emulated, caplog, system, callbacks, reason):
    caplog.set_level(logging.INFO)
    results = []
    for recorded in (False, True):
        L.seed_everything(0, verbose=False)
        model = system()
        if not recorded:
            model.step_capture = None  # eager on the CPU, no line
        trainer = L.Trainer(max_epochs=2, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                            enable_model_summary=False, default_root_dir=tmp_path, deterministic=True,
                            accelerator="cpu", callbacks=list(callbacks))
        trainer.fit(model, BlobDataModule(batch_size=64, val_size=0.2))
        results.append((model.state_dict(), trainer.global_step))
    assert emulated.recordings == 0
    assert graph_line(caplog) == [f"CUDA graphs: off, {reason}; the 4 minibatch steps of each training step run eagerly"]
    assert_identical(results[1], results[0])


class CannotRecord(ReplayEmulation):
    """A recording that fails, as CUDA's does on an operation a graph cannot hold."""

    def record(self, step, optimizer):
        raise RuntimeError("operation not permitted when stream is capturing\nmore detail")


def test_a_recording_that_fails_stops_the_run_with_the_way_out(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(BlobClassifier, "step_capture", CannotRecord())
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stop:
        cli_main([*SGD_ARGS, "--trainer.max_epochs", "2", "--model.steps_per_execution", "4"])
    assert stop.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("blobclf: error:")]
    assert lines == [
        "blobclf: error: CUDA graphs: recording the training steps failed (operation not permitted when stream is "
        "capturing); run again with --model.cuda_graphs false (a resume of the run's last.ckpt, if one was written, "
        "may add it)"
    ]


def test_a_teardown_that_fails_after_a_failed_recording_still_ends_in_the_recordings_line(cli, monkeypatch):
    # torch before 2.12 leaves its allocator counting a failed capture as under way, and then the
    # torch.cuda.empty_cache() of Lightning's teardown fails (pytorch/pytorch#180395)
    def failing_teardown(self):
        raise RuntimeError("captures_underway.empty() INTERNAL ASSERT FAILED at CUDACachingAllocator.cpp")

    monkeypatch.setattr(BlobClassifier, "step_capture", CannotRecord())
    monkeypatch.setattr(CPUAccelerator, "teardown", failing_teardown)
    result = cli(*SGD_ARGS, "--trainer.max_epochs", "2", "--model.steps_per_execution", "4")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "INTERNAL ASSERT" not in result.stderr, result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("blobclf: error:")] == [
        "blobclf: error: CUDA graphs: recording the training steps failed (operation not permitted when stream is "
        "capturing); run again with --model.cuda_graphs false (a resume of the run's last.ckpt, if one was written, "
        "may add it)"
    ]


class FakeCuda:
    """Stand-ins for the torch.cuda calls of CudaGraphCapture, recording what they were asked, in order."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        fake = self
        graph_signature = inspect.signature(torch.cuda.graph)  # the real one, before the stand-ins replace it

        class Stream:
            def __init__(self, name: str = "side") -> None:
                self.name = name

            def wait_stream(self, other: Stream) -> None:
                fake.calls.append(f"{self.name} waits for {other.name}")

        class StreamContext:
            def __init__(self, stream: Stream) -> None:
                self.stream = stream

            def __enter__(self) -> None:
                fake.calls.append(f"enter stream {self.stream.name}")

            def __exit__(self, *args) -> None:
                fake.calls.append(f"leave stream {self.stream.name}")

        class CUDAGraph:
            def replay(self) -> None:
                fake.calls.append("replay")

        class Graph:
            def __init__(self, *args, **kwargs) -> None:
                # the arguments must be ones torch.cuda.graph takes
                bound = graph_signature.bind(*args, **kwargs)
                fake.graph_arguments = dict(bound.arguments)

            def __enter__(self) -> None:
                fake.calls.append("begin capture")

            def __exit__(self, *args) -> None:
                fake.calls.append("end capture")

        self.current = Stream("current")
        self.Stream, self.CUDAGraph, self.graph = Stream, CUDAGraph, Graph
        self.stream = StreamContext

    def current_stream(self):
        return self.current


def test_the_cuda_backend_warms_up_on_a_side_stream_and_records_with_torchs_own_arguments(monkeypatch):
    fake = FakeCuda()
    for name in ("Stream", "CUDAGraph", "graph", "stream", "current_stream"):
        monkeypatch.setattr(torch.cuda, name, getattr(fake, name))
    backend = CudaGraphCapture()
    backend.warm_up(lambda: fake.calls.append("step"))
    assert fake.calls == ["side waits for current", "enter stream side", "step", "leave stream side",
                          "current waits for side"]
    fake.calls.clear()
    replay = backend.record(lambda: fake.calls.append("step"), torch.optim.SGD([torch.zeros(1, requires_grad=True)]))
    assert fake.calls == ["begin capture", "step", "end capture"]  # recorded once, not run again
    assert isinstance(fake.graph_arguments["cuda_graph"], fake.CUDAGraph)
    # another thread may pin memory meanwhile (the next epoch's order): only this thread's calls are checked
    assert fake.graph_arguments["capture_error_mode"] == "thread_local"
    replay()
    assert fake.calls[-1] == "replay"


def test_on_a_cpu_the_steps_run_eagerly_without_a_word(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    fit(tmp_path, *SGD_ARGS, "--trainer.max_epochs", "1", "--model.steps_per_execution", "4")
    assert graph_line(caplog) == []


# --- on a GPU: real CUDA graphs --------------------------------------------------------------

@pytest.mark.parametrize(
    "optimizer",
    [["--optimizer", "SGD", "--optimizer.lr", "0.1", "--optimizer.momentum", "0.9"],
     ["--optimizer", "Adam", "--optimizer.lr", "0.01", "--optimizer.capturable", "true"]],
    ids=["sgd-momentum", "adam-capturable"],
)
@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_graph_replays_give_the_weights_of_eager_steps_on_the_same_gpu(tmp_path, caplog, optimizer):
    caplog.set_level(logging.INFO)
    common = [*SGD_ARGS, *optimizer, "--trainer.max_epochs", "3", "--trainer.accelerator", "gpu",
              "--model.steps_per_execution", "4"]
    fit(tmp_path, *common, "--model.cuda_graphs", "false")
    fit(tmp_path, *common, "--model.cuda_graphs", "true")
    assert any("are recorded once and replayed" in line for line in graph_line(caplog)), graph_line(caplog)
    eager_run, replayed = outcome(tmp_path, 0), outcome(tmp_path, 1)
    assert replayed["global_step"] == 30
    assert_identical(replayed, eager_run)



class CapturableAdam(BlobClassifier):
    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=0.01, capturable=True)


class MomentumSGD(BlobClassifier):
    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("system_class", [BlobClassifier, MomentumSGD, CapturableAdam])
@pytest.mark.parametrize("deterministic", [False, True])
def test_replays_wait_for_the_host_nowhere(tmp_path, system_class, deterministic):
    """No step of a replayed group synchronises with the host (torch's sync debug mode raises)."""
    data = BlobDataModule(n_samples=20_000, batch_size=256, val_size=0.1)
    system = system_class(steps_per_execution=8)
    trainer = L.Trainer(max_epochs=1, accelerator="gpu", devices=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path,
                        limit_val_batches=0, deterministic=deterministic)
    groups = []
    original = StepGraph.run

    def strict_run(self, minibatches):
        if self.replays >= 1:  # recorded and replayed once: from now on nothing may wait
            torch.cuda.set_sync_debug_mode("error")
            try:
                original(self, minibatches)
            finally:
                torch.cuda.set_sync_debug_mode(0)
        else:
            original(self, minibatches)
        groups.append(self.replays)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StepGraph, "run", strict_run)
        trainer.fit(system, data)
    assert groups[-1] >= 5
    torch.use_deterministic_algorithms(False)


RECORDING_FAILS = """
import sys
from blobclf.cli import cli_main
from blobclf.graphs import StepGraph
original = StepGraph._step
def syncing_step(self):
    original(self)
    float(self.mean)  # waits for the device: forbidden while recording
StepGraph._step = syncing_step
cli_main(["fit", "--trainer.accelerator", sys.argv[1], "--trainer.max_epochs", "1", "--data.n_samples", "20000",
          "--data.batch_size", "256", "--model.steps_per_execution", "4", "--export.figures", "false",
          "--export.onnx", "false", "--trainer.enable_progress_bar", "false"])
"""


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_a_step_that_cannot_be_recorded_stops_with_the_way_out(tmp_path):
    """A host sync inside the recorded steps fails the recording: the command ends in one line and exit
    status 2, as a user runs it (in a process of its own: CUDA's failed capture may leave torch's
    allocators unusable, and Lightning's teardown may then fail too)."""
    done = subprocess.run([sys.executable, "-c", RECORDING_FAILS, "gpu"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                              filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))})
    lines = [line for line in done.stderr.splitlines() if line.startswith("blobclf: error:")]
    assert len(lines) == 1 and lines[0].startswith(
        "blobclf: error: CUDA graphs: recording the training steps failed ("), done.stdout[-2000:] + done.stderr[-4000:]
    assert "--model.cuda_graphs false" in lines[0]
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-4000:]
