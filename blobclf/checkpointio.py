"""Checkpoint files written atomically on any filesystem."""

from __future__ import annotations

import os
from typing import Any

import torch
from lightning.fabric.plugins import TorchCheckpointIO
from typing_extensions import override

from blobclf.atomic import atomic_write


class AtomicCheckpointIO(TorchCheckpointIO):
    """Lightning's ``TorchCheckpointIO``, writing through a temporary file beside the checkpoint.

    The temporary file is flushed and fsynced in the checkpoint's own folder, then renamed over
    it, so the rename never crosses a filesystem (a cross-filesystem "rename" is a copy that a
    kill can cut short) and a reader sees the old checkpoint or the whole new one.
    """

    @override
    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | os.PathLike[str],
                        storage_options: Any | None = None) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options, got {storage_options!r}")
        atomic_write(path, lambda handle: torch.save(checkpoint, handle))
