"""Reading a table with ``--data.missing drop``, beside the same table read as before.

    python benchmarks/missing.py [--rows 200000] [--gaps 0.01] [--repeats 3]

Writes a CSV of ``rows`` x 8 float features plus a ``label`` column, and a copy with an empty feature cell on a
``gaps`` fraction of its rows, then times :func:`blobclf.table.read_table` (median of ``repeats``, wall and CPU):

* ``refuse, no gaps``: the default on the table without gaps (numpy's C reader, as before);
* ``drop, no gaps``: the option on that table (should be the same: the option reads the same way first);
* ``drop, gaps``: the option on the table with gaps (read again by numpy with the missing cells written ``nan``:
  :mod:`blobclf.tablenan`; the rows left out);
* ``refuse, rows deleted``: the reference, the table with gaps with those rows deleted by hand, read as before.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from blobclf.table import read_table

FEATURES = 8


def write(path: Path, rows: int, gaps: np.ndarray | None) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, FEATURES))
    with open(path, "w") as handle:
        handle.write(",".join(f"x{j}" for j in range(FEATURES)) + ",label\n")
        for i in range(rows):
            cells = [f"{v:.5f}" for v in x[i]]
            if gaps is not None and gaps[i]:
                cells[i % FEATURES] = ""
            handle.write(",".join(cells) + f",{i % 4}\n")


def timed(path: Path, missing: str, repeats: int) -> tuple[float, float, int]:
    """Median wall and CPU seconds of reading ``path``, and the rows kept (CPU time moves less on a shared
    machine)."""
    times, cpu, kept = [], [], 0
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        kept = len(read_table(path, "label", missing=missing).features)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), statistics.median(cpu), kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--gaps", type=float, default=0.01)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    gaps = np.random.default_rng(1).random(args.rows) < args.gaps
    with tempfile.TemporaryDirectory() as folder:
        clean, gapped, deleted = (Path(folder, name) for name in ("clean.csv", "gapped.csv", "deleted.csv"))
        write(clean, args.rows, None)
        write(gapped, args.rows, gaps)
        lines = gapped.read_text().splitlines(keepends=True)
        deleted.write_text("".join([lines[0], *(line for i, line in enumerate(lines[1:]) if not gaps[i])]))
        for label, path, missing in (("refuse, no gaps", clean, "refuse"), ("drop, no gaps", clean, "drop"),
                                     ("drop, gaps", gapped, "drop"), ("refuse, rows deleted", deleted, "refuse")):
            seconds, cpu, kept = timed(path, missing, args.repeats)
            print(f"{label:22} {seconds:7.3f} s  CPU {cpu:7.3f} s  ({kept:,} of {args.rows:,} rows)")


if __name__ == "__main__":
    main()
