"""The tutorial's job with the least idiomatic Lightning: the floor under blobclf's epoch.

A bare LightningModule with the tutorial's model, loss and SGD and the same metric objects and
``self.log`` calls as blobclf (metric objects updated each step, logged as ``{stage}/loss`` and
``{stage}/acc`` at each epoch's end), trained by a Trainer with logger, checkpointing, progress bar and model summary
off, on the same in-memory full-batch loaders blobclf uses, validating every epoch. Usage:
python benchmarks/bare_lightning.py [EPOCHS]
"""

import sys
import warnings

import lightning as L
import torch
from torch import nn
from torchmetrics import MeanMetric
from torchmetrics.classification import MulticlassAccuracy

from blobclf.data import BlobDataModule
from blobclf.loader import TensorBatchLoader
from blobclf.model import BlobModel


class Bare(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.model = BlobModel(2, 4)
        self.loss_fn = nn.CrossEntropyLoss()
        self.train_loss, self.val_loss = MeanMetric(), MeanMetric()
        self.train_acc = MulticlassAccuracy(num_classes=4, average="micro")
        self.val_acc = MulticlassAccuracy(num_classes=4, average="micro")

    def step(self, batch, stage, mean_loss, accuracy):
        features, labels = batch
        logits = self.model(features)
        loss = self.loss_fn(logits, labels)
        mean_loss.update(loss.detach(), weight=labels.shape[0])
        accuracy.update(logits.detach(), labels)
        return loss

    def log_epoch(self, stage, mean_loss, accuracy):
        self.log(f"{stage}/loss", mean_loss, on_step=False, on_epoch=True, prog_bar=True)
        self.log(f"{stage}/acc", accuracy, on_step=False, on_epoch=True, prog_bar=True)

    def on_train_epoch_end(self):
        self.log_epoch("train", self.train_loss, self.train_acc)

    def on_validation_epoch_end(self):
        self.log_epoch("val", self.val_loss, self.val_acc)

    def training_step(self, batch, batch_idx):
        return self.step(batch, "train", self.train_loss, self.train_acc)

    def validation_step(self, batch, batch_idx):
        self.step(batch, "val", self.val_loss, self.val_acc)

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
