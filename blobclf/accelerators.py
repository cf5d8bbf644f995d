"""Refuse, in one line, a ``--trainer.accelerator`` this machine cannot run, before anything is built."""

from __future__ import annotations

import importlib
import os
import warnings
from typing import Any

import torch
from lightning.pytorch.accelerators import Accelerator, CPUAccelerator, CUDAAccelerator, MPSAccelerator, XLAAccelerator
from lightning.pytorch.plugins.environments import (
    LSFEnvironment,
    MPIEnvironment,
    SLURMEnvironment,
    TorchElasticEnvironment,
)

from blobclf.data import available_memory, memory_size
from blobclf.errors import UserError

OTHER_DEVICES = {"tpu": ("TPU (torch_xla)", XLAAccelerator), "mps": ("Apple MPS device", MPSAccelerator)}
"""Accelerator names Lightning takes besides ``cpu``, ``auto`` and the CUDA ones, with what each needs."""

ACCELERATOR_NAMES = ((CPUAccelerator, "cpu"), (CUDAAccelerator, "cuda"), (XLAAccelerator, "tpu"),
                     (MPSAccelerator, "mps"))
"""The name Lightning gives each of its accelerator classes (and their subclasses)."""

EXTERNAL_LAUNCHERS = (TorchElasticEnvironment, SLURMEnvironment, LSFEnvironment, MPIEnvironment)
"""The cluster environments Lightning detects (in its order) whose launcher (torchrun, srun, jsrun, mpirun) starts
all of a run's processes itself; Lightning starts none of them then."""

PROCESS_MEMORY = 300 * 2**20
"""Memory one CPU process of a run takes: a rank of the tutorial run under ``--trainer.devices 8`` held
200 to 280 MB (resident) while it started."""


def accelerator_name(accelerator: Any) -> tuple[Any, str]:
    """``accelerator`` as the name Lightning gives it (``cpu``, ``cuda``, ...), and the text naming it in a message.

    A name is returned as given; an accelerator given as a class (``--trainer.accelerator
    '{class_path: lightning.pytorch.accelerators.CPUAccelerator}'``, which reaches here as a class path), an instance
    or a class object is named by its Lightning class. Anything else (a class of another kind, a path that does not
    import) is returned unchanged, for Lightning to judge.
    """
    if isinstance(accelerator, str):
        return accelerator, accelerator
    path = accelerator.get("class_path") if hasattr(accelerator, "get") else None
    cls = accelerator if isinstance(accelerator, type) else type(accelerator)
    if isinstance(path, str):
        module, _, name = path.rpartition(".")
        try:
            cls = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError, ValueError):
            return accelerator, path
    shown = path if isinstance(path, str) else f"{cls.__module__}.{cls.__qualname__}"
    if isinstance(cls, type) and issubclass(cls, Accelerator):
        for base, name in ACCELERATOR_NAMES:
            if issubclass(cls, base):
                return name, shown
    return accelerator, shown


def check_accelerator(accelerator: Any) -> None:
    """Raise :class:`UserError` when ``accelerator`` names a device that this machine does not have.

    Lightning would otherwise stop with a traceback (``tpu`` without torch_xla) or a message that
    does not say what to pass instead (``mps`` off a Mac).

    Args:
        accelerator: The ``--trainer.accelerator`` value: a name, or an ``Accelerator`` class or object
            (Lightning's own are checked as their names are).
    """
    name, accelerator = accelerator_name(accelerator)
    if not isinstance(name, str):
        return
    name = name.lower()
    if name in ("gpu", "cuda") and not torch.cuda.is_available():
        raise UserError(
            f"--trainer.accelerator={accelerator} but this machine has no usable CUDA GPU; "
            "use --trainer.accelerator cpu (or auto)"
        )
    if name in OTHER_DEVICES:
        device, cls = OTHER_DEVICES[name]
        if not cls.is_available():
            raise UserError(
                f"--trainer.accelerator={accelerator} but this machine has no usable {device}; "
                "use --trainer.accelerator cpu (or auto)"
            )


def check_strategy(strategy: Any) -> None:
    """Raise :class:`UserError` for a ``--trainer.strategy`` that needs a CUDA GPU (``fsdp``, ``deepspeed`` and
    their variants) or a TPU (``xla``, ``single_xla``, ...) on a machine without one: Lightning's own lines told to set
    ``accelerator='cuda'`` or to install DeepSpeed or torch_xla, none of which makes them run here."""
    if not isinstance(strategy, str):
        return
    name = strategy.lower()
    if name.startswith(("fsdp", "deepspeed")) and not torch.cuda.is_available():
        device = "a CUDA GPU"
    elif name.startswith(("xla", "single_xla", "single_tpu")) and not XLAAccelerator.is_available():
        device = "a TPU (torch_xla)"
    else:
        return
    raise UserError(f"--trainer.strategy={strategy} needs {device} and this machine has none; use "
                    "--trainer.strategy ddp to train in several CPU processes, or leave the option out")


def check_devices(devices: Any, accelerator: Any = "auto") -> None:
    """Raise :class:`UserError` for ``--trainer.devices 0`` (or ``"0"``), which asks for no device at all,
    and for more CPU processes than this machine's memory holds.

    Lightning refuses ``0`` with "value is not a valid input", naming no value that works. On the CPU each
    device is a process of its own: ``--trainer.devices 1000`` started processes until the memory ran out
    and then hung, leaving hundreds of them behind.

    Args:
        devices: The ``--trainer.devices`` value: a count, a list of indices, ``"auto"``, ...
        accelerator: The ``--trainer.accelerator`` value; the process count is checked on the CPU only
            (``cpu`` or a ``CPUAccelerator``, or ``auto`` on a machine without a CUDA GPU).
    """
    if not isinstance(devices, (int, str)) or isinstance(devices, bool):
        return
    text = str(devices).strip()
    if text == "0":
        raise UserError(f"--trainer.devices={devices} asks for no device; give a number of devices (1 or more) "
                        "or auto")
    name, _ = accelerator_name(accelerator)
    name = name.lower() if isinstance(name, str) else name
    on_cpu = name == "cpu" or (name in (None, "auto") and not torch.cuda.is_available())
    if not on_cpu or not text.isdigit() or started_already():
        return
    count, available = int(text), available_memory()
    if available is not None and count > 1 and count * PROCESS_MEMORY > available:
        most = max(1, available // PROCESS_MEMORY)
        raise UserError(f"--trainer.devices={devices} starts {count:,} processes on the CPU, about "
                        f"{memory_size(count * PROCESS_MEMORY)} of memory ({memory_size(PROCESS_MEMORY)} each), "
                        f"and {memory_size(available)} is available; give at most {most:,}")


def check_nodes(num_nodes: Any) -> None:
    """Raise :class:`UserError` for ``--trainer.num_nodes`` above 1 on a run that no other machine can join.

    Without a launcher (torchrun, srun, jsrun, mpirun) and without ``MASTER_ADDR`` or ``NODE_RANK`` (Lightning's
    own multi-machine set-up, the command run on each machine), the run waited for ever for the other machines'
    processes after "Initializing distributed: GLOBAL_RANK: 0, MEMBER: 1/2".
    """
    if not isinstance(num_nodes, int) or isinstance(num_nodes, bool) or num_nodes <= 1:
        return
    if started_already() or "MASTER_ADDR" in os.environ or "NODE_RANK" in os.environ:
        return
    raise UserError(f"--trainer.num_nodes={num_nodes} but no other machine can join this run: it was started by "
                    "neither torchrun, srun, jsrun nor mpirun, and MASTER_ADDR and NODE_RANK are not set, so it would "
                    "wait for ever; start it on each machine as docs/devices.md shows, or drop the option to train on "
                    "this machine")


def started_already() -> bool:
    """Whether this process is one of a run's processes that were all started already, so that none is left to refuse.

    That is a child of Lightning's launcher (``LOCAL_RANK`` 1 or more), which parses the command again while its
    siblings start and take memory, and any process of a launcher that starts them all itself: torchrun, srun (a
    SLURM job's tasks), LSF's jsrun, mpirun, found as Lightning finds them. A first process that Lightning starts the
    others from is checked, under SLURM too (in an interactive job, as ``srun --pty bash``, Lightning starts the
    processes itself).
    """
    if os.environ.get("LOCAL_RANK", "0") != "0":
        return True
    with warnings.catch_warnings():  # SLURM's "srun is available but not used" is Lightning's to give, once
        warnings.simplefilter("ignore")
        return any(environment.detect() for environment in EXTERNAL_LAUNCHERS)
