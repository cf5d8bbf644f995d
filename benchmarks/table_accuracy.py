"""Test accuracy of ``configs/table.yaml`` on scikit-learn's bundled tables, per hidden size and seed, beside
``StandardScaler + LogisticRegression(max_iter=1000)`` fitted on the same training split.

    python benchmarks/table_accuracy.py [--hidden 16,32,64] [--seeds 42,0,1,2,3] [--datasets iris,wine,...]

Writes iris, wine, breast_cancer and digits as CSV into a temporary folder, then runs ``fit --config
configs/table.yaml`` in this process for each hidden size and ``--seed_everything`` (the split stays the
config's, ``random_state`` 42; only the weights' initialization and shuffling change) and prints one line per
dataset and hidden size: the test accuracy of each seed, their mean, and LogisticRegression's. It answers
whether a default is too small by the spread over seeds, not by one run (docs/tables.md).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import statistics
import tempfile
from pathlib import Path

from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from blobclf.cli import cli_main
from blobclf.tabledata import TableDataModule

CONFIG = Path(__file__).resolve().parent.parent / "configs" / "table.yaml"
DATASETS = {"iris": (load_iris, "species"), "wine": (load_wine, "cultivar"),
            "breast_cancer": (load_breast_cancer, "diagnosis"), "digits": (load_digits, "digit")}


def write_csv(name: str, folder: Path) -> Path:
    """Dataset ``name`` as ``folder/name.csv``: one column per feature, the class by name last."""
    load, target = DATASETS[name]
    bunch = load()
    path = folder / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*(f.replace(" ", "_").replace("/", "_") for f in bunch.feature_names), target])
        for row, label in zip(bunch.data.tolist(), bunch.target.tolist(), strict=True):
            writer.writerow([*(repr(value) for value in row), bunch.target_names[label]])
    return path


def reference(path: Path, target: str) -> tuple[float, int]:
    """LogisticRegression's test accuracy on the split a run of ``configs/table.yaml`` uses, and the test rows."""
    data = TableDataModule(str(path), target, random_state=42)
    data.setup("fit")
    (x_train, y_train), (x_test, y_test) = data.splits["train"], data.splits["test"]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x_train.numpy(), y_train.numpy())
    return float(model.score(x_test.numpy(), y_test.numpy())), len(y_test)


def blobclf_accuracy(path: Path, target: str, hidden: int, seed: int) -> float:
    """The final ``val/acc`` (the test split: table.yaml has no validation split) of one run, from its model.json."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        cli_main(["fit", "--config", str(CONFIG), "--data.path", str(path), "--data.target", target,
                  "--model.hidden_units", str(hidden), "--seed_everything", str(seed), "--export.figures", "false",
                  "--export.onnx", "false", "--trainer.enable_progress_bar", "false",
                  "--trainer.enable_model_summary", "false"])
    newest = max(Path("checkpoints").glob("version_*/model.json"), key=os.path.getmtime)
    return float(json.loads(newest.read_text())["metrics"]["val/acc"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", default="16,32,64")
    parser.add_argument("--seeds", default="42,0,1,2,3")
    parser.add_argument("--datasets", default=",".join(DATASETS))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        for name in args.datasets.split(","):
            path = write_csv(name, Path(folder))
            target = DATASETS[name][1]
            theirs, rows = reference(path, target)
            for hidden in (int(h) for h in args.hidden.split(",")):
                ours = [blobclf_accuracy(path, target, hidden, int(s)) for s in args.seeds.split(",")]
                print(f"{name:14s} test rows {rows:4d}  hidden_units {hidden:4d}  "
                      f"blobclf {' '.join(f'{a:.4f}' for a in ours)}  mean {statistics.mean(ours):.4f}  "
                      f"LogisticRegression {theirs:.4f}", flush=True)


if __name__ == "__main__":
    main()
