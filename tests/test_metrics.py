"""Epoch losses are means over samples, whatever the batch sizes; one batch gives its loss exactly."""

from __future__ import annotations

import lightning as L
import torch
import torch.nn.functional as F

from blobclf import BlobClassifier, BlobDataModule
from blobclf.metrics import BatchMeanLoss


def test_batches_of_unequal_size_weigh_by_their_samples():
    metric = BatchMeanLoss()
    metric.update(torch.tensor(1.0), weight=torch.tensor(3.0))
    metric.update(torch.tensor(5.0), weight=torch.tensor(1.0))
    assert metric.compute().item() == 2.0  # (1*3 + 5*1) / 4, not (1 + 5) / 2


def test_one_batch_gives_its_loss_bit_for_bit():
    generator = torch.Generator().manual_seed(0)
    for _ in range(200):
        loss = torch.rand((), generator=generator) * 3
        n = float(torch.randint(1, 10_000_000, (), generator=generator))
        metric = BatchMeanLoss()
        metric.update(loss, weight=torch.tensor(n))
        assert metric.compute().item() == loss.item()


def test_a_nan_loss_stays_in_the_mean():
    metric = BatchMeanLoss()
    metric.update(torch.tensor(1.0), weight=torch.tensor(2.0))
    metric.update(torch.tensor(float("nan")), weight=torch.tensor(2.0))
    assert metric.compute().isnan()


def test_processes_means_combine_weighted_by_their_counts():
    metric = BatchMeanLoss()
    metric.update(torch.tensor(0.0), weight=torch.tensor(1.0))
    # the states as a DDP sync leaves them: one row per process
    metric.mean, metric.count = torch.tensor([1.0, 4.0]), torch.tensor([30.0, 10.0])
    assert metric.compute().item() == (1.0 * 30 + 4.0 * 10) / 40


def test_validation_loss_is_the_mean_over_samples_with_a_short_last_batch(tmp_path):
    # 1000 points: 160 validation points in batches of 64, 64 and 32
    data = BlobDataModule(val_size=0.2, batch_size=64, eval_batch_size=64)
    system = BlobClassifier(steps_per_execution=1)
    trainer = L.Trainer(max_epochs=1, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path)
    trainer.fit(system, data)
    features, labels = data.split("val")
    assert labels.shape[0] == 160
    expected = F.cross_entropy(system(features), labels).item()
    (result,) = trainer.validate(system, data, verbose=False)
    assert abs(result["val/loss"] - expected) < 1e-6
    per_batch = [F.cross_entropy(system(features[i : i + 64]), labels[i : i + 64]).item() for i in (0, 64, 128)]
    assert abs(sum(per_batch) / 3 - expected) > 1e-4  # the unweighted mean of batch means would be off
