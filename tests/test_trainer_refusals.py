"""A ``--trainer`` value that this machine or Lightning's ``Trainer`` cannot take is one line, exit 2,
with nothing written: no traceback for a typo in an accelerator or strategy name."""

from __future__ import annotations

import pytest
from lightning.pytorch.accelerators import MPSAccelerator, XLAAccelerator
from lightning.pytorch.plugins.environments import MPIEnvironment

from conftest import one_error

REFUSED = "the --trainer settings were refused by Lightning: "


@pytest.fixture
def no_tpu_or_mps(monkeypatch):
    monkeypatch.setattr(XLAAccelerator, "is_available", staticmethod(lambda: False))
    monkeypatch.setattr(MPSAccelerator, "is_available", staticmethod(lambda: False))


@pytest.mark.parametrize(("name", "device"), [("tpu", "TPU (torch_xla)"), ("TPU", "TPU (torch_xla)"),
                                              ("mps", "Apple MPS device")])
def test_an_accelerator_this_machine_lacks_is_one_line_naming_the_fix(cli, no_tpu_or_mps, name, device):
    line = one_error(cli("fit", "--trainer.accelerator", name))
    assert line == (f"--trainer.accelerator={name} but this machine has no usable {device}; "
                    "use --trainer.accelerator cpu (or auto)")
    assert list(cli.cwd.iterdir()) == []


@pytest.mark.parametrize(("option", "value", "said"), [
    ("--trainer.accelerator", "gpuu", "You selected an invalid accelerator name: `accelerator='gpuu'`. Available names"),
    ("--trainer.strategy", "dpp", "You selected an invalid strategy name: `strategy='dpp'`."),
    ("--trainer.devices", "-5", "`devices` selected with `CPUAccelerator` should be an int > 0."),
])
def test_a_trainer_value_lightning_refuses_is_one_line(cli, option, value, said):
    line = one_error(cli("fit", "--trainer.accelerator", "cpu", option, value))  # the last value given counts
    assert line.startswith(REFUSED + said) and line.endswith(" (see --help)")
    assert list(cli.cwd.iterdir()) == []


@pytest.mark.parametrize(("args", "said"), [
    (["--trainer.callbacks+=EarlyStopping", "--trainer.callbacks.monitor", "val_loss"],
     "--trainer.callbacks.monitor='val_loss' (EarlyStopping)"),
    (["--trainer.callbacks+=ModelCheckpoint", "--trainer.callbacks.monitor", "val_acc"],
     "--trainer.callbacks.monitor='val_acc' (ModelCheckpoint)"),
    (["--checkpoint.monitor", "val_loss"], "--checkpoint.monitor='val_loss'"),
], ids=["EarlyStopping", "ModelCheckpoint", "checkpoint"])
def test_a_monitor_that_no_logged_metric_matches_is_one_line_before_anything_runs(cli, args, said):
    line = one_error(cli("fit", "--trainer.max_epochs", "2", *args))
    assert line == (f"{said} is not a metric blobclf logs while fitting; use one of val/loss, val/acc, train/loss, "
                    "train/acc")
    assert list(cli.cwd.iterdir()) == []


def test_a_callback_monitoring_a_logged_metric_trains(cli):
    result = cli("fit", "--trainer.max_epochs", "2", "--trainer.callbacks+=EarlyStopping",
                 "--trainer.callbacks.monitor", "val/loss", "--export.figures", "false", "--export.onnx", "false")
    assert result.returncode == 0, result.output
    config = (cli.cwd / "lightning_logs" / "version_0" / "config.yaml").read_text()
    assert "- class_path: lightning.pytorch.callbacks.EarlyStopping\n    init_args:\n      monitor: val/loss\n" in config
    assert "exported metadata: checkpoints/version_0/model.json" in result.output


@pytest.mark.parametrize(("args", "option", "mode", "monitor", "better"), [
    (["--trainer.callbacks+=EarlyStopping", "--trainer.callbacks.monitor", "val/acc"],
     "--trainer.callbacks.mode", "min", "val/acc", "max"),  # EarlyStopping's default mode is min
    (["--checkpoint.monitor", "val/loss"], "--checkpoint.mode", "max", "val/loss", "min"),
], ids=["EarlyStopping-acc", "checkpoint-loss"])
def test_a_mode_that_counts_the_worst_epochs_as_the_best_is_one_line(cli, args, option, mode, monitor, better):
    line = one_error(cli("fit", "--trainer.max_epochs", "2", *args))
    grows = "grows" if better == "max" else "falls"
    assert line == (f"{option}={mode!r} with monitor {monitor!r} counts the worst epochs as the best ({monitor} "
                    f"improves as it {grows}); use {option} {better}")
    assert list(cli.cwd.iterdir()) == []


@pytest.mark.parametrize(("args", "option", "mode"), [
    (["--checkpoint.mode", "maxx"], "--checkpoint.mode", "maxx"),
    (["--trainer.callbacks+=EarlyStopping", "--trainer.callbacks.monitor", "val/loss", "--trainer.callbacks.mode", "Min"],
     "--trainer.callbacks.mode", "Min"),
], ids=["checkpoint", "EarlyStopping"])
def test_a_mode_that_is_neither_min_nor_max_is_named_as_a_typo(cli, args, option, mode):
    # it was told that it "counts the worst epochs as the best", as if it were the other direction
    line = one_error(cli("fit", "--trainer.max_epochs", "2", *args))
    monitor, better, grows = ("val/acc", "max", "grows") if option == "--checkpoint.mode" else ("val/loss", "min", "falls")
    assert line == (f"{option}={mode!r} is not a mode (min or max); use {option} {better} ({monitor} improves as it "
                    f"{grows})")
    assert list(cli.cwd.iterdir()) == []


def test_no_devices_at_all_is_one_line_naming_what_works(cli):
    assert one_error(cli("fit", "--trainer.devices", "0")) == (
        "--trainer.devices=0 asks for no device; give a number of devices (1 or more) or auto")
    assert list(cli.cwd.iterdir()) == []


def test_more_cpu_processes_than_the_memory_holds_is_one_line(cli, monkeypatch):
    # --trainer.devices 1000 started a process per device until the memory ran out, then hung for good,
    # leaving hundreds of processes behind
    import blobclf.accelerators

    monkeypatch.setattr(blobclf.accelerators, "available_memory", lambda: 2 * 2**30)
    assert one_error(cli("fit", "--trainer.accelerator", "cpu", "--trainer.devices", "1000")) == (
        "--trainer.devices=1000 starts 1,000 processes on the CPU, about 293.0 GiB of memory (300.0 MiB each), "
        "and 2.0 GiB is available; give at most 6")
    assert list(cli.cwd.iterdir()) == []


LAUNCHED = [{"LOCAL_RANK": "1"}, {"LOCAL_RANK": "0", "RANK": "0", "GROUP_RANK": "0", "TORCHELASTIC_RUN_ID": "x"},
            {"SLURM_NTASKS": "2", "SLURM_NTASKS_PER_NODE": "2", "SLURM_PROCID": "0", "SLURM_JOB_NAME": "train"},
            {"LSB_JOBID": "7", "LSB_DJOB_RANKFILE": "/nonexistent", "JSM_NAMESPACE_LOCAL_RANK": "0",
             "JSM_NAMESPACE_SIZE": "2"},
            "MPI"]
LAUNCHER_VARIABLES = ("LOCAL_RANK", "RANK", "GROUP_RANK", "TORCHELASTIC_RUN_ID", "SLURM_NTASKS",
                      "SLURM_NTASKS_PER_NODE", "SLURM_PROCID", "SLURM_JOB_NAME", "LSB_JOBID", "LSB_DJOB_RANKFILE",
                      "JSM_NAMESPACE_LOCAL_RANK", "JSM_NAMESPACE_SIZE")


@pytest.fixture
def first_process(monkeypatch):
    """A process that no launcher started, with 500 MiB of memory available."""
    import blobclf.accelerators

    monkeypatch.setattr(blobclf.accelerators, "available_memory", lambda: 500 * 2**20)
    for name in LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(MPIEnvironment, "detect", staticmethod(lambda: False))


@pytest.mark.parametrize("env", LAUNCHED, ids=["launcher's child", "torchrun", "srun", "jsrun", "mpirun"])
def test_the_cpu_process_count_is_checked_before_the_processes_start_only(monkeypatch, first_process, env):
    # each child of Lightning's launcher parses the command again while its siblings start: it saw less memory than
    # the launching process, which had let --trainer.devices 2 through, refused it, and Lightning killed the run;
    # srun's, jsrun's and mpirun's processes (no LOCAL_RANK) were all checked so, rank 0 too, though every one of
    # them had been started already
    from blobclf.accelerators import check_devices
    from blobclf.errors import UserError

    with pytest.raises(UserError, match=r"^--trainer.devices=2 starts 2 processes on the CPU"):
        check_devices(2, "cpu")  # the launching process
    if env == "MPI":  # mpi4py is not installed here: Lightning's detection is what counts
        monkeypatch.setattr(MPIEnvironment, "detect", staticmethod(lambda: True))
    else:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
    check_devices(2, "cpu")  # started already: nothing is left to refuse
    check_devices("2", "auto")


@pytest.mark.parametrize("job", ["interactive", "bash"])
def test_a_first_process_in_an_interactive_slurm_job_is_still_checked(monkeypatch, first_process, job):
    # 'srun --pty bash' sets SLURM_NTASKS and SLURM_PROCID=0 for the shell, but Lightning starts the run's processes
    # itself there (it does not take it for a SLURM launch): they must be counted before it does
    from blobclf.accelerators import check_devices
    from blobclf.errors import UserError

    for name, value in {"SLURM_NTASKS": "1", "SLURM_PROCID": "0", "SLURM_JOB_NAME": job}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(UserError) as refused:
        check_devices(4, "cpu")
    assert str(refused.value) == ("--trainer.devices=4 starts 4 processes on the CPU, about 1.2 GiB of memory "
                                  "(300.0 MiB each), and 500.0 MiB is available; give at most 1")


def test_the_cpu_process_count_is_checked_for_an_accelerator_given_as_a_class(cli, monkeypatch, first_process):
    # '{class_path: lightning.pytorch.accelerators.CPUAccelerator}' (or an instance in Python) skipped the check:
    # --trainer.devices 1000 with it started processes until the memory ran out
    from lightning.pytorch.accelerators import CPUAccelerator

    from blobclf.accelerators import check_devices
    from blobclf.errors import UserError

    line = ("--trainer.devices=1000 starts 1,000 processes on the CPU, about 293.0 GiB of memory (300.0 MiB each), "
            "and 500.0 MiB is available; give at most 1")
    assert one_error(cli("fit", "--trainer.accelerator", "{class_path: lightning.pytorch.accelerators.CPUAccelerator}",
                         "--trainer.devices", "1000", "--trainer.strategy", "ddp")) == line
    assert list(cli.cwd.iterdir()) == []
    as_class = {"class_path": "lightning.pytorch.accelerators.CPUAccelerator"}
    for accelerator in (CPUAccelerator(), CPUAccelerator, as_class):
        with pytest.raises(UserError) as refused:
            check_devices(1000, accelerator)
        assert str(refused.value) == line


def test_a_gpu_accelerator_class_on_a_machine_without_one_is_one_line(cli, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    given = "{class_path: lightning.pytorch.accelerators.CUDAAccelerator}"
    assert one_error(cli("fit", "--trainer.accelerator", given)) == (
        "--trainer.accelerator=lightning.pytorch.accelerators.CUDAAccelerator but this machine has no usable CUDA GPU; "
        "use --trainer.accelerator cpu (or auto)")
    assert list(cli.cwd.iterdir()) == []


def test_several_nodes_that_no_other_machine_can_join_is_one_line(cli, monkeypatch, first_process):
    # --trainer.num_nodes 2 without torchrun or srun waited for ever after "Initializing distributed: GLOBAL_RANK: 0,
    # MEMBER: 1/2", leaving an empty checkpoints/version_0
    from blobclf.accelerators import check_nodes

    for name in ("MASTER_ADDR", "NODE_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert one_error(cli("fit", "--trainer.num_nodes", "2", "--trainer.max_epochs", "1")) == (
        "--trainer.num_nodes=2 but no other machine can join this run: it was started by neither torchrun, srun, "
        "jsrun nor mpirun, and MASTER_ADDR and NODE_RANK are not set, so it would wait for ever; start it on each "
        "machine as docs/devices.md shows, or drop the option to train on this machine")
    assert list(cli.cwd.iterdir()) == []
    check_nodes(1)
    for env in ({"SLURM_NTASKS": "4", "SLURM_NTASKS_PER_NODE": "2", "SLURM_JOB_NAME": "train"},  # srun
                {"MASTER_ADDR": "host0", "NODE_RANK": "1"}):  # Lightning's own set-up, run on each machine
        with monkeypatch.context() as launched:
            for name, value in env.items():
                launched.setenv(name, value)
            check_nodes(2)


@pytest.mark.parametrize(("strategy", "device"), [
    ("fsdp", "a CUDA GPU"), ("fsdp_cpu_offload", "a CUDA GPU"), ("deepspeed", "a CUDA GPU"),
    ("deepspeed_stage_2", "a CUDA GPU"), ("xla", "a TPU (torch_xla)"), ("single_xla", "a TPU (torch_xla)"),
])
def test_a_strategy_that_needs_a_gpu_on_a_machine_without_one_is_one_line(cli, monkeypatch, no_tpu_or_mps, strategy,
                                                                          device):
    # Lightning said to set accelerator='cuda' (fsdp) or to install DeepSpeed or torch_xla, none of which runs here
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert one_error(cli("fit", "--trainer.strategy", strategy, "--trainer.devices", "2")) == (
        f"--trainer.strategy={strategy} needs {device} and this machine has none; use --trainer.strategy ddp to "
        "train in several CPU processes, or leave the option out")
    assert list(cli.cwd.iterdir()) == []
