"""Refuse, in one line, a ``--trainer.accelerator`` this machine cannot run, before anything is built."""

from __future__ import annotations

from typing import Any

import torch
from lightning.pytorch.accelerators import MPSAccelerator, XLAAccelerator

from blobclf.errors import UserError

OTHER_DEVICES = {"tpu": ("TPU (torch_xla)", XLAAccelerator), "mps": ("Apple MPS device", MPSAccelerator)}
"""Accelerator names Lightning takes besides ``cpu``, ``auto`` and the CUDA ones, with what each needs."""


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


def check_devices(devices: Any) -> None:
    """Raise :class:`UserError` for ``--trainer.devices 0`` (or ``"0"``), which asks for no device at all.

    Lightning refuses it with "value is not a valid input", naming no value that works.

    Args:
        devices: The ``--trainer.devices`` value: a count, a list of indices, ``"auto"``, ...
    """
    if isinstance(devices, (int, str)) and not isinstance(devices, bool) and str(devices).strip() == "0":
        raise UserError(f"--trainer.devices={devices} asks for no device; give a number of devices (1 or more) "
                        "or auto")
