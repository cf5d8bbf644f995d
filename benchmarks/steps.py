"""Training throughput with several optimizer steps per Lightning step, against a plain PyTorch loop.

    python benchmarks/steps.py                      # K = 1 and blobclf's default K, 5 repeats
    python benchmarks/steps.py --ks 1 4 16 64       # a sweep, to choose the default

One epoch over the training split of N blob points (default 10M) at batch B (default 8192), validation
off: blobclf (the CLI's own trainer, logger and callbacks) with ``--model.steps_per_execution K`` for
each K, and the plain loop of benchmarks/throughput.py (shuffled minibatches, train loss and accuracy
tracked, gathered with ``x[index]``) over the same tensors, same batch size and thread count. Every
run is a fresh process; the implementations are interleaved and each figure is the median, so the
ratios are measured side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
THROUGHPUT = str(REPO / "benchmarks" / "throughput.py")
ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}


def one(impl: str, points: int, batch_size: int, threads: int, steps: int | None) -> dict:
    command = [sys.executable, THROUGHPUT, "train", impl, "--points", str(points), "--batch-size", str(batch_size),
               "--threads", str(threads)]
    if steps is not None:
        command += ["--steps-per-execution", str(steps)]
    done = subprocess.run(command, env=ENV, check=True, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    sys.path.insert(0, str(REPO))
    from blobclf.system import DEFAULT_STEPS_PER_EXECUTION

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000_000)
    parser.add_argument("--batch-size", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=1, help="torch threads in every run (blobclf's policy: 1)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--ks", type=int, nargs="+", default=[1, DEFAULT_STEPS_PER_EXECUTION])
    args = parser.parse_args()
    runs: dict[str, tuple[str, int | None]] = {f"blobclf K={k}": ("blobclf", k) for k in dict.fromkeys(args.ks)}
    runs["plain PyTorch loop"] = ("plain", None)
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for repeat in range(args.repeats):
        for name, (impl, steps) in runs.items():
            rates[name].append(one(impl, args.points, args.batch_size, args.threads, steps)["samples_per_s"])
        print(f"repeat {repeat + 1}/{args.repeats} done", file=sys.stderr, flush=True)
    import torch

    median = {name: statistics.median(values) for name, values in rates.items()}
    plain = median["plain PyTorch loop"]
    print(f"{platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, {args.points:,} points, batch "
          f"{args.batch_size}, {args.threads} thread(s), median of {args.repeats} interleaved fresh processes; "
          f"blobclf's default K = {DEFAULT_STEPS_PER_EXECUTION}")
    print()
    print("| training, one epoch | M samples/s | vs plain loop |")
    print("| --- | ---: | ---: |")
    for name, rate in median.items():
        print(f"| {name} | {rate / 1e6:.3f} | {rate / plain:.2f}x |")


if __name__ == "__main__":
    main()
