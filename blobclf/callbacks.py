"""Callbacks that give each run its own checkpoint folder, exports and RNG state."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.utilities import rank_zero_only
from typing_extensions import override

from blobclf.export import export_model
from blobclf.logger import CHECKPOINT_ROOT


class RunCheckpoint(ModelCheckpoint):
    """:class:`~lightning.pytorch.callbacks.ModelCheckpoint` writing to ``checkpoints/version_N``.

    ``N`` is the run's TensorBoard version, so a run's logs and checkpoints share a name and a
    second run never overwrites the first. Keeps the best checkpoint by ``monitor`` and
    ``last.ckpt``, which ``fit --ckpt_path last`` resumes from.

    Args:
        dirpath: Fixed folder for the checkpoints; ``None`` uses ``{root}/version_N``.
        root: Folder holding one sub-folder per run.
        filename: Name pattern of the best checkpoint.
        monitor: Metric that decides which checkpoint is best.
        mode: ``max`` if a larger ``monitor`` is better, ``min`` otherwise.
        save_top_k: How many best checkpoints to keep.
        save_last: Also keep ``last.ckpt``, rewritten at the end of every epoch.
        every_n_epochs: Epochs between checks of ``monitor``.
    """

    def __init__(
        self,
        dirpath: str | None = None,
        root: str = CHECKPOINT_ROOT,
        filename: str = "best-epoch={epoch}-val_acc={val/acc:.4f}",
        monitor: str = "val/acc",
        mode: str = "max",
        save_top_k: int = 1,
        save_last: bool = True,
        every_n_epochs: int = 1,
    ) -> None:
        super().__init__(
            dirpath=dirpath,
            filename=filename,
            monitor=monitor,
            mode=mode,
            save_top_k=save_top_k,
            save_last=save_last,
            every_n_epochs=every_n_epochs,
            auto_insert_metric_name=False,
        )
        self.root = root

    @override
    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if self.dirpath is None:
            logger = trainer.logger
            version = getattr(logger, "version", None) if logger is not None else None
            if version is not None:
                name = version if isinstance(version, str) else f"version_{version}"
                self.dirpath = str(Path(self.root) / name)
            else:
                self.dirpath = str(Path(self.root))
        super().setup(trainer, pl_module, stage)

    @override
    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        super().on_train_epoch_end(trainer, pl_module)
        # Stock ``save_last`` only refreshes last.ckpt when a best checkpoint was written in the
        # same step, so after the best epoch it goes stale; resuming needs it every epoch.
        if self.save_last and not self._should_skip_saving_checkpoint(trainer):
            if self._last_global_step_saved != trainer.global_step:
                self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))


class ExportWeights(Callback):
    """At the end of ``fit``, export the trained ``BlobModel`` beside the run's checkpoints.

    Writes ``model.pth`` (a plain ``state_dict``) and ``model.json`` (constructor arguments,
    class count, final metrics, library versions) and prints both paths.
    """

    @override
    def on_fit_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._export(trainer, pl_module)

    @rank_zero_only
    def _export(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.interrupted or trainer.sanity_checking:
            return
        checkpoint = trainer.checkpoint_callback
        directory = Path(checkpoint.dirpath) if checkpoint is not None and checkpoint.dirpath else Path(".")
        metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if "/" in k}
        extra: dict[str, Any] = {
            "epochs": trainer.current_epoch,
            "global_step": trainer.global_step,
            "data": {k: v for k, v in (trainer.datamodule.hparams if trainer.datamodule is not None else {}).items() if not k.startswith("_")},
            "model": {k: v for k, v in pl_module.hparams.items() if not k.startswith("_")},
        }
        if checkpoint is not None:
            extra["checkpoints"] = {"best": checkpoint.best_model_path, "last": checkpoint.last_model_path}
        weights, metadata = export_model(pl_module.model, directory, metrics=metrics, extra=extra)
        summary = "  ".join(f"{k}={v:.5f}" for k, v in sorted(metrics.items()))
        print(f"final metrics: {summary}")
        if checkpoint is not None:
            print(f"best checkpoint: {checkpoint.best_model_path}")
            print(f"last checkpoint: {checkpoint.last_model_path}")
        print(f"exported weights: {weights}")
        print(f"exported metadata: {metadata}")


class RngState(Callback):
    """Store the random number generators' state in checkpoints and restore it on resume.

    Without it a resumed run would continue from the seed's state rather than from where the
    killed run stood, and could end with different weights.
    """

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
        torch.set_rng_state(state_dict["torch"])
        random.setstate((state_dict["python_version"], tuple(state_dict["python"]), state_dict["python_gauss"]))
        if "cuda" in state_dict and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state_dict["cuda"])
