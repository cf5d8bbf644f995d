"""The random number generators' state in checkpoints, restored on resume."""

from __future__ import annotations

import random
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback
from typing_extensions import override

from blobclf.errors import UserError


class RngState(Callback):
    """Store the random number generators' state in checkpoints and restore it on resume.

    Without it a resumed run would continue from the seed's state rather than from where the
    killed run stood, and could end with different weights. An evaluation's trainer holds one too, so that
    every state its checkpoint carries has its callback (Lightning warns of a state none takes), and leaves
    the generators as the seed set them: the state matters only to a resumed fit.
    """

    def __init__(self) -> None:
        self.fitting = True
        """Whether the trainer set up is fitting: only then does a checkpoint's state restore the generators."""

    @override
    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        self.fitting = stage == "fit"

    @override
    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {"torch": torch.get_rng_state(), "python": list(random.getstate()[1])}
        state["python_version"] = random.getstate()[0]
        state["python_gauss"] = random.getstate()[2]
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            state["cuda"] = torch.cuda.get_rng_state_all()
        return state

    @override
    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if not self.fitting:
            return
        try:
            torch.set_rng_state(state_dict["torch"])
            random.setstate((state_dict["python_version"], tuple(state_dict["python"]), state_dict["python_gauss"]))
            if "cuda" in state_dict and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(state_dict["cuda"])
        except (KeyError, TypeError, ValueError, RuntimeError) as error:
            reason = " ".join(str(error).split()) or type(error).__name__
            raise UserError(f"the checkpoint's random number generator state does not load ({reason}): it was edited "
                            "or written by another program; use another checkpoint") from None
