"""The tutorial's job with the least Lightning can do: the floor under blobclf's epoch.

A bare LightningModule (the tutorial's model, loss and SGD; no metrics, no logging) trained by a
Trainer with logger, checkpointing, progress bar and model summary off, on the same in-memory
full-batch loaders blobclf uses, validating every epoch. Usage:
python benchmarks/bare_lightning.py [EPOCHS]
"""

import sys
import warnings

import lightning as L
import torch
from torch import nn

from blobclf.data import BlobDataModule
from blobclf.loader import TensorBatchLoader
from blobclf.model import BlobModel


class Bare(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.model = BlobModel(2, 4)
        self.loss_fn = nn.CrossEntropyLoss()

    def training_step(self, batch, batch_idx):
        features, labels = batch
        return self.loss_fn(self.model(features), labels)

    def validation_step(self, batch, batch_idx):
        features, labels = batch
        self.loss_fn(self.model(features), labels)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def main() -> None:
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)  # blobclf's policy at this batch size
    data = BlobDataModule()
    data.setup()
    L.seed_everything(42, verbose=False)
    trainer = L.Trainer(
        accelerator="cpu", max_epochs=epochs, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, num_sanity_val_steps=0,
    )
    trainer.fit(Bare(), TensorBatchLoader(*data.splits["train"]), TensorBatchLoader(*data.splits["val"]))


if __name__ == "__main__":
    main()
