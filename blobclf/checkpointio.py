"""Checkpoint files written atomically on any filesystem; the checkpoint a command checked is the one it uses."""

from __future__ import annotations

import os
from collections.abc import Iterable
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

    Loading, it hands Lightning the checkpoint the command line read and checked for an evaluation's
    ``--ckpt_path`` (see :meth:`hold`) instead of reading the path again: the file may have changed
    since, or be gone (``test --ckpt_path best`` of a run in training, whose fit deletes a best it replaces).
    """

    def __init__(self) -> None:
        super().__init__()
        self.held: tuple[str, dict[str, Any]] | None = None
        """The path and contents of the checkpoint the command checked, until Lightning loads it."""

    def hold(self, path: str | os.PathLike[str], checkpoint: dict[str, Any]) -> None:
        """Keep ``checkpoint``, read from ``path``, for this plugin's next load of that path."""
        self.held = (os.fspath(path), checkpoint)

    @override
    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | os.PathLike[str],
                        storage_options: Any | None = None) -> None:
        if storage_options is not None:
            raise TypeError(f"{type(self).__name__} takes no storage_options, got {storage_options!r}")
        atomic_write(path, lambda handle: torch.save(checkpoint, handle))

    @override
    def load_checkpoint(self, path: str | os.PathLike[str], *args: Any, **kwargs: Any) -> dict[str, Any]:
        held, self.held = self.held, None  # handed over once
        if held is not None and held[0] == os.fspath(path):
            return held[1]
        return super().load_checkpoint(path, *args, **kwargs)


def evaluation_states(checkpoint: dict[str, Any], callbacks: Iterable[Any]) -> dict[str, Any]:
    """``checkpoint`` for an evaluation whose trainer holds ``callbacks``: the callback states none of them takes
    are left out (a shallow copy; the file is not touched).

    An evaluation restores no training state, yet Lightning warns of every state its trainer has no callback for
    ("Be aware that when using `ckpt_path`, callbacks used to create the checkpoint need to be provided ...
    Please add the following callbacks: ['StochasticWeightAveraging', "EarlyStopping{...}"]"): a run's own
    ``--trainer.callbacks`` would only repeat their training hooks, which an evaluation never calls.
    """
    states = checkpoint.get("callbacks")
    if not isinstance(states, dict):
        return checkpoint
    taken = {callback.state_key for callback in callbacks}
    return {**checkpoint, "callbacks": {key: state for key, state in states.items() if key in taken}}
