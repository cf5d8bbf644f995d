"""One throughput measurement in a fresh process; prints one JSON line.

Usage: python benchmarks/throughput.py {train,predict} {blobclf,plain,plain-bare,plain-select,dataloader}
           [--points N] [--batch-size B] [--threads T] [--max-batches K] [--steps-per-execution S]

train: one epoch of SGD over the training split (80% of N points), batches of B, validation off.
    plain tracks train loss and accuracy as the tutorial's loop does (blobclf logs both);
    plain-bare only trains; plain-select is plain gathering batches with index_select, as
    blobclf's loader does; dataloader is the stock DataLoader(TensorDataset) path.
predict: class probabilities and labels for N points, batches of B (the Trainer.predict path,
    without writing the CSV).
The JSON line holds samples/s, the timed seconds, and the process's peak RSS in MiB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
import warnings

import torch
from torch import nn


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def blob_tensors(points: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The blobclf data module's own data, so every implementation sees the same tensors."""
    from blobclf import BlobDataModule

    data = BlobDataModule(n_samples=points)
    data.setup()
    return data.splits["train"]


def plain_train(
    x: torch.Tensor, y: torch.Tensor, batch_size: int, max_batches: int | None, track: bool = True,
    select: bool = False,
) -> tuple[int, float]:
    """The tutorial's loop over shuffled minibatches; ``track`` keeps its train loss and accuracy,
    ``select`` gathers batches with ``index_select`` (as blobclf's loader does) instead of ``x[batch]``."""
    from blobclf.model import BlobModel

    torch.manual_seed(42)
    model = BlobModel(x.shape[1], 4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(0))
    seen = 0
    loss_sum = torch.zeros(())
    correct = torch.zeros((), dtype=torch.long)
    start = time.perf_counter()
    for index, begin in enumerate(range(0, x.shape[0], batch_size)):
        if max_batches is not None and index >= max_batches:
            break
        batch = order[begin : begin + batch_size]
        xb, yb = (x.index_select(0, batch), y.index_select(0, batch)) if select else (x[batch], y[batch])
        logits = model(xb)
        loss = loss_fn(logits, yb)
        if track:  # what the tutorial's loop reports: train loss and accuracy
            loss_sum += loss.detach() * len(yb)
            correct += (logits.argmax(dim=1) == yb).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seen += len(yb)
    if track:
        (loss_sum / seen).item(), (correct / seen).item()
    return seen, time.perf_counter() - start


def dataloader_train(x: torch.Tensor, y: torch.Tensor, batch_size: int, max_batches: int | None) -> tuple[int, float]:
    from torch.utils.data import DataLoader, TensorDataset

    from blobclf.model import BlobModel

    torch.manual_seed(42)
    model = BlobModel(x.shape[1], 4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    seen = 0
    start = time.perf_counter()
    for index, (xb, yb) in enumerate(loader):
        if max_batches is not None and index >= max_batches:
            break
        loss = loss_fn(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        seen += len(yb)
    return seen, time.perf_counter() - start


class _EpochTimer:
    def __init__(self) -> None:
        import lightning as L

        class Timer(L.Callback):
            def on_train_epoch_start(self, trainer, pl_module):
                self.start = time.perf_counter()

            def on_train_epoch_end(self, trainer, pl_module):
                self.seconds = time.perf_counter() - self.start

        self.callback = Timer()


def blobclf_train(points: int, batch_size: int, threads: int | None, steps: int | None = None) -> tuple[int, float]:
    """``blobclf fit`` as the CLI builds it (logger, checkpoints, callbacks), one epoch, no validation;
    ``steps``: ``--model.steps_per_execution`` (``None``: blobclf's default)."""
    from blobclf.cli import BlobCLI, cli_kwargs

    timer = _EpochTimer()
    args = [
        "--data.n_samples", str(points), "--data.batch_size", str(batch_size),
        "--trainer.max_epochs", "1", "--trainer.limit_val_batches", "0",
        "--export.figures", "false", "--export.onnx", "false",
    ]
    if threads is not None:
        args += ["--threads", str(threads)]
    if steps is not None:
        args += ["--model.steps_per_execution", str(steps)]
    cli = BlobCLI(**cli_kwargs(), args=args, run=False)
    cli.trainer.callbacks.append(timer.callback)
    cli.trainer.fit(cli.model, cli.datamodule)
    return cli.datamodule.splits["train"][1].shape[0], timer.callback.seconds


def plain_predict(x: torch.Tensor, batch_size: int) -> tuple[int, float]:
    from blobclf.model import BlobModel

    model = BlobModel(x.shape[1], 4).eval()
    start = time.perf_counter()
    probabilities = torch.empty((x.shape[0], 4))
    with torch.inference_mode():
        for begin in range(0, x.shape[0], batch_size):
            probabilities[begin : begin + batch_size] = torch.softmax(model(x[begin : begin + batch_size]), dim=1)
        probabilities.argmax(dim=1)
    return x.shape[0], time.perf_counter() - start


def blobclf_predict(x: torch.Tensor, y: torch.Tensor, batch_size: int) -> tuple[int, float]:
    """``Trainer.predict`` on the blobclf system over an in-memory loader of the points."""
    import lightning as L

    from blobclf import BlobClassifier
    from blobclf.loader import TensorBatchLoader
    from blobclf.predictions import PredictionCollector

    model = BlobClassifier(num_features=x.shape[1], num_classes=4)
    collector = PredictionCollector()  # what `blobclf predict` gathers with, before writing its CSV
    trainer = L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False,
                        callbacks=[collector])
    loader = TensorBatchLoader(x, y, batch_size=batch_size)
    start = time.perf_counter()
    trainer.predict(model, dataloaders=loader, return_predictions=False)
    probabilities = collector.result
    probabilities.argmax(dim=1)
    return x.shape[0], time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["train", "predict"])
    parser.add_argument("impl", choices=["blobclf", "plain", "plain-bare", "plain-select", "dataloader"])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--batch-size", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--max-batches", type=int, default=None)
    parser.add_argument("--steps-per-execution", type=int, default=None, help="blobclf train: K (default: blobclf's)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    os.chdir(tempfile.mkdtemp(prefix="blobclf-bench-"))
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if args.task == "train" and args.impl == "blobclf":
        samples, seconds = blobclf_train(args.points, args.batch_size, args.threads, args.steps_per_execution)
    else:
        x, y = blob_tensors(args.points) if args.task == "train" else _predict_points(args.points)
        if args.task == "train" and args.impl == "dataloader":
            samples, seconds = dataloader_train(x, y, args.batch_size, args.max_batches)
        elif args.task == "train":
            samples, seconds = plain_train(x, y, args.batch_size, args.max_batches, track=args.impl != "plain-bare",
                                           select=args.impl == "plain-select")
        elif args.impl == "plain":
            samples, seconds = plain_predict(x, args.batch_size)
        else:
            samples, seconds = blobclf_predict(x, y, args.batch_size)
    print(json.dumps({
        "task": args.task, "impl": args.impl, "points": args.points, "samples": samples,
        "seconds": seconds, "samples_per_s": samples / seconds, "threads": torch.get_num_threads(),
        "steps_per_execution": args.steps_per_execution,
        "peak_rss_mib": peak_rss_mib(),
    }))


def _predict_points(points: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Points spread like the blobs; inference speed does not depend on where they lie, and
    generating them directly keeps make_blobs' own peak memory out of the predict measurement."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(points, 2, generator=generator) * 6.0
    y = torch.randint(0, 4, (points,), generator=generator)
    return x, y


if __name__ == "__main__":
    main()
