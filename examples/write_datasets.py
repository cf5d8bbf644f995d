"""Write scikit-learn's bundled iris and wine datasets as CSV tables (no download needed).

    python examples/write_datasets.py [FOLDER]      # writes FOLDER/iris.csv and FOLDER/wine.csv

Each file has a header row, one numeric column per feature and a last column ``species``
(iris: setosa, versicolor, virginica) or ``cultivar`` (wine: class_0, class_1, class_2) holding
the class by name, ready for ``python -m blobclf fit --config configs/table.yaml --data.path data/iris.csv
--data.target species`` (README.md).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from sklearn.datasets import load_iris, load_wine

DATASETS = {"iris": (load_iris, "species"), "wine": (load_wine, "cultivar")}


def write_dataset(name: str, folder: Path) -> Path:
    """Write dataset ``name`` (a key of ``DATASETS``) as ``folder/name.csv``; returns the path."""
    load, target = DATASETS[name]
    bunch = load()
    columns = [feature.replace(" (cm)", "").replace(" ", "_").replace("/", "_") for feature in bunch.feature_names]
    path = folder / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*columns, target])
        for row, label in zip(bunch.data.tolist(), bunch.target.tolist(), strict=True):
            writer.writerow([*(repr(value) for value in row), bunch.target_names[label]])
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python examples/write_datasets.py",
                                     description="Write scikit-learn's iris and wine datasets as CSV tables.")
    parser.add_argument("folder", nargs="?", default=".", type=Path, help="where to write iris.csv and wine.csv")
    folder = parser.parse_args(argv).folder  # '--help' is help, not a folder to create
    folder.mkdir(parents=True, exist_ok=True)
    for name in DATASETS:
        print(f"wrote {write_dataset(name, folder)}")

if __name__ == "__main__":
    main()
