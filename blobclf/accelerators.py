"""Refuse, in one line, a ``--trainer.accelerator`` this machine cannot run, before anything is built."""

from __future__ import annotations

import os
from typing import Any

import torch
from lightning.pytorch.accelerators import MPSAccelerator, XLAAccelerator
from lightning.pytorch.plugins.environments import TorchElasticEnvironment

from blobclf.data import available_memory
from blobclf.errors import UserError

OTHER_DEVICES = {"tpu": ("TPU (torch_xla)", XLAAccelerator), "mps": ("Apple MPS device", MPSAccelerator)}
"""Accelerator names Lightning takes besides ``cpu``, ``auto`` and the CUDA ones, with what each needs."""

PROCESS_MEMORY = 300 * 2**20
"""Memory one CPU process of a run takes: a rank of the tutorial run under ``--trainer.devices 8`` held
200 to 280 MB (resident) while it started."""


def check_accelerator(accelerator: Any) -> None:
    """Raise :class:`UserError` when ``accelerator`` names a device that this machine does not have.

    Lightning would otherwise stop with a traceback (``tpu`` without torch_xla) or a message that
    does not say what to pass instead (``mps`` off a Mac).

    Args:
        accelerator: The ``--trainer.accelerator`` value: a name, or an ``Accelerator`` object
            (left to Lightning).
    """
    if not isinstance(accelerator, str):
        return
    name = accelerator.lower()
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


def check_devices(devices: Any, accelerator: Any = "auto") -> None:
    """Raise :class:`UserError` for ``--trainer.devices 0`` (or ``"0"``), which asks for no device at all,
    and for more CPU processes than this machine's memory holds.

    Lightning refuses ``0`` with "value is not a valid input", naming no value that works. On the CPU each
    device is a process of its own: ``--trainer.devices 1000`` started processes until the memory ran out
    and then hung, leaving hundreds of them behind.

    Args:
        devices: The ``--trainer.devices`` value: a count, a list of indices, ``"auto"``, ...
        accelerator: The ``--trainer.accelerator`` value; the process count is checked on the CPU only
            (``cpu``, or ``auto`` on a machine without a CUDA GPU).
    """
    if not isinstance(devices, (int, str)) or isinstance(devices, bool):
        return
    text = str(devices).strip()
    if text == "0":
        raise UserError(f"--trainer.devices={devices} asks for no device; give a number of devices (1 or more) "
                        "or auto")
    name = accelerator.lower() if isinstance(accelerator, str) else accelerator
    on_cpu = name == "cpu" or (name in (None, "auto") and not torch.cuda.is_available())
    if not on_cpu or not text.isdigit() or started_already():
        return
    count, available = int(text), available_memory()
    if available is not None and count > 1 and count * PROCESS_MEMORY > available:
        most = max(1, available // PROCESS_MEMORY)
        raise UserError(f"--trainer.devices={devices} starts {count:,} processes on the CPU, about "
                        f"{count * PROCESS_MEMORY / 2**30:,.1f} GiB of memory ({PROCESS_MEMORY // 2**20} MiB each), "
                        f"and {available / 2**30:.1f} GiB is available; give at most {most:,}")


def started_already() -> bool:
    """Whether this process is one of a run's processes that were all started already: a child of Lightning's launcher
    (``LOCAL_RANK`` 1 or more), which parses the command again while its siblings start and take memory, or one
    that torchrun started."""
    return os.environ.get("LOCAL_RANK", "0") != "0" or TorchElasticEnvironment.detect()
