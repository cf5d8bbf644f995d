"""Host time between epochs spent on the shuffled order, at N training points (default 8M of 10M).

    python benchmarks/order.py [--points N] [--repeats R]

Side by side in one process, interleaved, medians of R: the time from the start of an epoch's
iteration to its first batch (batch 8192) for
  a. the order as it was drawn before (``torch.randperm`` into int64, at the epoch's start),
  b. blobclf's loader in a run's first epoch (int32 ``randperm``: the same permutation),
  c. blobclf's loader in a later epoch (the order drawn ahead on a background thread while the
     previous epoch ran; here the previous epoch is a pass of index_select gathers over the data).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from blobclf.loader import TensorBatchLoader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=8_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)  # blobclf's policy for batches of 8192
    x, y = torch.randn(args.points, 2), torch.randint(0, 4, (args.points,))
    times: dict[str, list[float]] = {"a": [], "b": [], "c": []}
    for repeat in range(args.repeats):
        start = time.perf_counter()
        order = torch.randperm(args.points, generator=torch.Generator().manual_seed(repeat))
        x.index_select(0, order[:8192])
        times["a"].append(time.perf_counter() - start)
        epoch = {"now": 2 * repeat}
        loader = TensorBatchLoader(x, y, batch_size=8192, shuffle=True, seed=1, epoch=lambda now=epoch: now["now"])
        start = time.perf_counter()
        batches = iter(loader)
        next(batches)
        times["b"].append(time.perf_counter() - start)
        for _ in batches:  # the rest of the epoch, while the next epoch's order is drawn
            pass
        epoch["now"] += 1
        start = time.perf_counter()
        next(iter(loader))
        times["c"].append(time.perf_counter() - start)
    a, b, c = (statistics.median(times[k]) for k in "abc")
    print(f"{args.points:,} points, batch 8192, 1 thread, median of {args.repeats} interleaved")
    print()
    print("| start of an epoch to its first batch | ms | vs before |")
    print("| --- | ---: | ---: |")
    print(f"| a. before: int64 randperm at the epoch's start | {a * 1e3:.1f} | 1.00x |")
    print(f"| b. blobclf, first epoch: int32 randperm (same order) | {b * 1e3:.1f} | {b / a:.2f}x |")
    print(f"| c. blobclf, later epochs: order drawn ahead | {c * 1e3:.1f} | {c / a:.3f}x |")


if __name__ == "__main__":
    main()
