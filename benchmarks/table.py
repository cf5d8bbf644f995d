"""Tables: loading a large CSV and training on it, each beside its plain reference, in one run.

    python benchmarks/table.py [--rows 5000000] [--repeats 3] [--csv PATH]

Writes (or reuses) a CSV of ``rows`` x 8 float features plus an integer ``label`` column, then
measures, each in a fresh process so that peak memory is the process's own:

* load: ``numpy.loadtxt`` of every column to float32 (the fastest CSV reader among blobclf's
  dependencies; the ``csv`` module with ``float()`` is measured once beside it) against blobclf's
  :func:`blobclf.table.read_table`, and the whole ``TableDataModule.setup("fit")`` (read and split);
* train: one epoch of ``blobclf fit --data TableDataModule`` (batches of 8192, no validation)
  against a plain PyTorch loop over the same training tensors with the same model
  (``ScaledBlobModel``), optimizer, loss and accuracy tracking (batches taken as ``x[batch]``, as
  the tutorial and benchmarks/throughput.py's ``plain`` do; a variant gathering with
  ``index_select`` like blobclf's loader is shown for information), both with ``--threads`` torch
  threads (1 by default: on a shared 2-core machine a second thread makes both sides erratic).

Prints one line per measurement and the ratios; the medians of ``repeats`` runs are used.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

FEATURES = 8
CLASSES = 4
BATCH = 8192


def write_csv(path: Path, rows: int) -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    with path.open("w") as handle:
        handle.write(",".join([f"f{i}" for i in range(FEATURES)] + ["label"]) + "\n")
        for start in range(0, rows, 500_000):
            n = min(500_000, rows - start)
            labels = rng.integers(0, CLASSES, size=n)
            block = rng.normal(size=(n, FEATURES)).astype(np.float32) + labels[:, None]
            np.savetxt(handle, np.column_stack([block, labels]), delimiter=",", fmt=["%.6g"] * FEATURES + ["%d"])


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(what: str, path: str) -> dict[str, float]:
    """One measurement, in this process."""
    import numpy as np

    warnings.filterwarnings("ignore")
    start = time.perf_counter()
    if what == "numpy.loadtxt":
        np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float32)
    elif what == "csv module":
        import csv
        from array import array

        values = array("f")
        with open(path, newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            for row in reader:
                values.extend(map(float, row))
    elif what == "blobclf read_table":
        from blobclf.table import read_table

        read_table(path, "label")
    elif what == "imports of TableDataModule (torch, lightning, sklearn)":
        import blobclf.tabledata  # noqa: F401
    elif what == "blobclf TableDataModule.setup":
        from blobclf.tabledata import TableDataModule

        TableDataModule(path, "label").setup("fit")
    elif what == "train blobclf":
        return {"samples_per_s": _blobclf_epoch(path), "peak_rss_mib": peak_rss_mib()}
    elif what == "train plain":
        return {"samples_per_s": _plain_epoch(path, select=False), "peak_rss_mib": peak_rss_mib()}
    elif what == "train plain, index_select":
        return {"samples_per_s": _plain_epoch(path, select=True), "peak_rss_mib": peak_rss_mib()}
    else:
        raise ValueError(what)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_rss_mib": peak_rss_mib()}


def _blobclf_epoch(path: str) -> float:
    import lightning as L

    from blobclf.cli import BlobCLI, cli_kwargs

    class Timer(L.Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            self.start = time.perf_counter()

        def on_train_epoch_end(self, trainer, pl_module):
            self.seconds = time.perf_counter() - self.start

    timer = Timer()
    os.chdir(tempfile.mkdtemp(prefix="blobclf-table-bench-"))
    args = ["--data", "TableDataModule", "--data.path", path, "--data.target", "label",
            "--data.batch_size", str(BATCH), "--trainer.max_epochs", "1", "--trainer.limit_val_batches", "0",
            "--export.figures", "false", "--export.onnx", "false", "--threads", os.environ["BENCH_THREADS"]]
    cli = BlobCLI(**cli_kwargs(), args=args, run=False)
    cli.trainer.callbacks.append(timer)
    cli.trainer.fit(cli.model, cli.datamodule)
    return cli.datamodule.splits["train"][1].shape[0] / timer.seconds


def _plain_epoch(path: str, select: bool) -> float:
    """The tutorial's loop over shuffled minibatches of the table's training split; ``select``
    gathers each batch with ``index_select`` (as blobclf's loader does) instead of ``x[batch]``."""
    import torch
    from torch import nn

    from blobclf.model import ScaledBlobModel
    from blobclf.tabledata import TableDataModule

    data = TableDataModule(path, "label")
    x, y = data.split("train")
    torch.set_num_threads(int(os.environ["BENCH_THREADS"]))
    torch.manual_seed(42)
    model = ScaledBlobModel(FEATURES, CLASSES)
    model.set_scaling(*data.feature_scaling())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(42))
    loss_sum = torch.zeros(())
    correct = torch.zeros((), dtype=torch.long)
    start = time.perf_counter()
    for begin in range(0, x.shape[0], BATCH):
        batch = order[begin : begin + BATCH]
        xb, yb = (x.index_select(0, batch), y.index_select(0, batch)) if select else (x[batch], y[batch])
        logits = model(xb)
        loss = loss_fn(logits, yb)
        loss_sum += loss.detach() * len(yb)  # the train loss and accuracy blobclf logs
        correct += (logits.argmax(dim=1) == yb).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    (loss_sum / x.shape[0]).item(), (correct / x.shape[0]).item()
    return x.shape[0] / (time.perf_counter() - start)


def run_one(what: str, path: Path, threads: int) -> dict[str, float]:
    done = subprocess.run([sys.executable, __file__, "--one", what, "--csv", str(path)],
                          capture_output=True, text=True, check=True, env={**os.environ, "BENCH_THREADS": str(threads)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--csv", default=None, help="the table (written if missing; default: a temporary file)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads of both training loops")
    parser.add_argument("--only", choices=["load", "train"], default=None, help="measure only loading or training")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.csv)))
        return
    path = Path(args.csv) if args.csv else Path(tempfile.gettempdir()) / f"blobclf-table-{args.rows}.csv"
    if not path.exists():
        print(f"writing {path} ({args.rows:,} rows x {FEATURES} features + label) ...", flush=True)
        write_csv(path, args.rows)
    size_mib = path.stat().st_size / 2**20
    print(f"table: {path}, {size_mib:.1f} MiB; machine: {os.cpu_count()} CPUs; median of {args.repeats} runs; "
          f"training with {args.threads} torch thread(s) on both sides")

    results: dict[str, dict[str, float]] = {}
    plan = [("numpy.loadtxt", args.repeats), ("blobclf read_table", args.repeats),
            ("imports of TableDataModule (torch, lightning, sklearn)", 1), ("blobclf TableDataModule.setup", 1),
            ("csv module", 1),
            ("train plain", args.repeats), ("train plain, index_select", args.repeats), ("train blobclf", args.repeats)]
    if args.only is not None:
        plan = [(what, count) for what, count in plan if what.startswith("train") == (args.only == "train")]
    runs: dict[str, list[dict[str, float]]] = {what: [] for what, _ in plan}
    for round_ in range(args.repeats):  # interleaved, so a busy moment hits both sides alike
        for what, count in plan:
            if round_ < count:
                runs[what].append(run_one(what, path, args.threads))
    for what, measured in runs.items():
        results[what] = {key: statistics.median(m[key] for m in measured) for key in measured[0]}
        shown = ", ".join(f"{key} {value:,.3f}" for key, value in results[what].items())
        print(f"{what}: {shown}")
    if args.only != "train":
        load = results["blobclf read_table"]["seconds"] / results["numpy.loadtxt"]["seconds"]
        rss = results["blobclf read_table"]["peak_rss_mib"] / size_mib
        imports = results["imports of TableDataModule (torch, lightning, sklearn)"]["peak_rss_mib"]
        setup_rss = (results["blobclf TableDataModule.setup"]["peak_rss_mib"] - imports) / size_mib
        print(f"load time, read_table / numpy.loadtxt: {load:.2f}x (target <= 1.3x)")
        print(f"peak RSS of read_table / file size: {rss:.2f}x (target <= 2x); read and split, above the imports: "
              f"{setup_rss:.2f}x")
    if args.only != "load":
        train = results["train blobclf"]["samples_per_s"] / results["train plain"]["samples_per_s"]
        select = results["train blobclf"]["samples_per_s"] / results["train plain, index_select"]["samples_per_s"]
        print(f"train throughput, blobclf / plain loop: {train:.2f}x (target >= 0.75x); "
              f"/ plain loop gathering with index_select: {select:.2f}x (information)")


if __name__ == "__main__":
    main()
