"""blobclf against plain PyTorch, side by side in one run. Prints a Markdown results table.

    python benchmarks/run.py            # full suite (about 15 minutes on 2 cores), writes RESULTS.md
    python benchmarks/run.py --quick    # smaller sizes and fewer repeats, for a smoke test

Every measurement runs in a fresh process; each figure is the median of ``--repeats`` runs.
a. whole process: ``python -m blobclf fit --config configs/sgd.yaml`` vs a plain script doing
   the tutorial's job (benchmarks/plain_tutorial.py); also, for reference, the same without the
   figures and ONNX export, and a process that only imports blobclf's dependencies;
b. marginal cost of an epoch: (time at E2 epochs - time at E1 epochs) / (E2 - E1), both tools,
   and a bare LightningModule with the same self.log calls and a Trainer
   (benchmarks/bare_lightning.py): Lightning's idiomatic floor;
c. training throughput at N points, batches of 8192, one epoch: blobclf vs a plain loop over the
   same tensors (same batch size and thread count) vs a DataLoader over a TensorDataset; for
   reference also the plain loop without loss/accuracy tracking and with blobclf's gather;
d. prediction throughput at N points: blobclf (Trainer.predict) vs plain inference;
e. peak RSS of c and d.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PY = sys.executable
CONFIG = str(REPO / "configs" / "sgd.yaml")
PLAIN = str(REPO / "benchmarks" / "plain_tutorial.py")
THROUGHPUT = str(REPO / "benchmarks" / "throughput.py")
BARE = str(REPO / "benchmarks" / "bare_lightning.py")
ENV = {**os.environ, "PYTHONWARNINGS": "ignore"}
# what `python -m blobclf` cannot avoid importing: Lightning (which imports torchmetrics, and
# through it scipy.signal and matplotlib.pyplot, and torch._dynamo), scikit-learn, TensorBoard
# (with the garbage collector paused during the imports, as `python -m blobclf` does)
IMPORTS = ("import gc; gc.disable(); import lightning.pytorch.cli, sklearn.datasets, sklearn.model_selection, "
           "torch.utils.tensorboard; gc.freeze(); gc.enable()")


def wall(command: list[str]) -> float:
    """Seconds for one command, run in a fresh empty folder."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        subprocess.run(command, cwd=folder, env=ENV, check=True, stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start


def alternate(commands: dict[str, list[str]], repeats: int) -> dict[str, float]:
    """Median wall time of each command, the commands interleaved so drift hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, command in commands.items():
            times[name].append(wall(command))
    return {name: statistics.median(values) for name, values in times.items()}


def blobclf_fit(epochs: int) -> list[str]:
    return [PY, "-m", "blobclf", "fit", "--config", CONFIG, "--trainer.max_epochs", str(epochs)]


def throughput(task: str, impl: str, points: int, extra: list[str], repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        done = subprocess.run([PY, THROUGHPUT, task, impl, "--points", str(points), *extra], env=ENV, check=True,
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    rates = sorted(r["samples_per_s"] for r in runs)
    return {"samples_per_s": statistics.median(rates), "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
            "threads": runs[0]["threads"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, 2 repeats")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--points", type=int, default=None)
    parser.add_argument("--threads", type=int, default=1, help="threads for c (both sides); d uses torch's default")
    parser.add_argument("--output", default=str(REPO / "benchmarks" / "RESULTS.md"),
                        help="Markdown file the table is written to (besides stdout); '-' for stdout only")
    args = parser.parse_args()
    repeats = args.repeats or (2 if args.quick else 5)
    points = args.points or (1_000_000 if args.quick else 10_000_000)
    e1, e2 = (100, 300) if args.quick else (100, 1100)
    rows = []

    lean = ["--export.figures", "false", "--export.onnx", "false"]
    whole = alternate({"blobclf": blobclf_fit(100), "lean": [*blobclf_fit(100), *lean],
                       "plain": [PY, PLAIN, "100", "plain.pth"], "imports": [PY, "-c", IMPORTS]}, repeats)
    rows.append(("a. whole process, tutorial run (s)", whole["blobclf"], whole["plain"],
                 whole["blobclf"] / whole["plain"], "<= 1.3x"))
    rows.append(("a'. same without figures and ONNX export (s)", whole["lean"], whole["plain"],
                 whole["lean"] / whole["plain"], "(information)"))
    rows.append(("a''. a process that only imports blobclf's dependencies (s)", whole["imports"], whole["plain"],
                 whole["imports"] / whole["plain"], "(information: the floor)"))

    ends = alternate({"blobclf_1": [*blobclf_fit(e1), *lean], "blobclf_2": [*blobclf_fit(e2), *lean],
                      "plain_1": [PY, PLAIN, str(e1), "p.pth"], "plain_2": [PY, PLAIN, str(e2), "p.pth"],
                      "bare_1": [PY, BARE, str(e1)], "bare_2": [PY, BARE, str(e2)]}, repeats)
    ours = (ends["blobclf_2"] - ends["blobclf_1"]) / (e2 - e1) * 1000
    plain = (ends["plain_2"] - ends["plain_1"]) / (e2 - e1) * 1000
    bare = (ends["bare_2"] - ends["bare_1"]) / (e2 - e1) * 1000
    rows.append((f"b. marginal epoch, {e1}->{e2} epochs (ms)", ours, plain, ours / plain, "(information)"))
    rows.append(("b'. bare LightningModule, same self.log calls, vs plain (ms)", bare, plain, bare / plain,
                 "(information)"))
    rows.append(("b''. blobclf vs that bare LightningModule (ms; 'plain' column: bare)", ours, bare, ours / bare,
                 "<= 1.3x"))

    threads = ["--threads", str(args.threads)]
    train = {impl: throughput("train", impl, points, threads, repeats)
             for impl in ("blobclf", "plain", "plain-bare", "plain-select")}
    train["blobclf-k1"] = throughput("train", "blobclf", points, [*threads, "--steps-per-execution", "1"], repeats)
    train["dataloader"] = throughput("train", "dataloader", points, [*threads, "--max-batches", "60"], 1)
    rows.append((f"c. train throughput, {points:,} points (M samples/s)", train["blobclf"]["samples_per_s"] / 1e6,
                 train["plain"]["samples_per_s"] / 1e6, train["blobclf"]["samples_per_s"] / train["plain"]["samples_per_s"],
                 ">= 1.0x"))
    rows.append(("c. same, blobclf with --model.steps_per_execution 1", train["blobclf-k1"]["samples_per_s"] / 1e6,
                 train["plain"]["samples_per_s"] / 1e6,
                 train["blobclf-k1"]["samples_per_s"] / train["plain"]["samples_per_s"], "(information)"))
    rows.append(("c'. same, plain loop without loss/accuracy tracking", train["blobclf"]["samples_per_s"] / 1e6,
                 train["plain-bare"]["samples_per_s"] / 1e6,
                 train["blobclf"]["samples_per_s"] / train["plain-bare"]["samples_per_s"], "(information)"))
    rows.append(("c''. same, plain loop gathering with index_select like blobclf",
                 train["blobclf"]["samples_per_s"] / 1e6, train["plain-select"]["samples_per_s"] / 1e6,
                 train["blobclf"]["samples_per_s"] / train["plain-select"]["samples_per_s"], "(information)"))
    rows.append(("c. vs DataLoader(TensorDataset) (M samples/s)", train["blobclf"]["samples_per_s"] / 1e6,
                 train["dataloader"]["samples_per_s"] / 1e6,
                 train["blobclf"]["samples_per_s"] / train["dataloader"]["samples_per_s"], ">= 10x"))
    predict = {impl: throughput("predict", impl, points, ["--batch-size", "65536"], repeats)
               for impl in ("blobclf", "plain")}
    rows.append((f"d. predict throughput, {points:,} points (M samples/s)", predict["blobclf"]["samples_per_s"] / 1e6,
                 predict["plain"]["samples_per_s"] / 1e6,
                 predict["blobclf"]["samples_per_s"] / predict["plain"]["samples_per_s"], ">= 0.75x"))
    rows.append(("e. peak RSS, train c (MiB)", train["blobclf"]["peak_rss_mib"], train["plain"]["peak_rss_mib"],
                 train["blobclf"]["peak_rss_mib"] / 1024, "<= 1 GiB"))
    rows.append(("e. peak RSS, predict d (MiB)", predict["blobclf"]["peak_rss_mib"], predict["plain"]["peak_rss_mib"],
                 predict["blobclf"]["peak_rss_mib"] / 1024, "<= 1 GiB"))

    import lightning
    import torch

    lines = [
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs; date {datetime.date.today()}; python "
        f"{platform.python_version()}, torch {torch.__version__}, lightning {lightning.__version__}; "
        f"median of {repeats} runs; threads for c: {args.threads}, for d: {predict['blobclf']['threads']}",
        "",
        "| measurement | blobclf | plain PyTorch | ratio | target |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, ours_value, base, ratio, target in rows:
        unit = "GiB" if "RSS" in name else "x"
        lines.append(f"| {name} | {ours_value:.3f} | {base:.3f} | {ratio:.2f}{unit} | {target} |")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.output != "-":
        command = "python benchmarks/run.py" + (" --quick" if args.quick else "")
        # sections (## headings) written by the other benchmark scripts are kept
        output = Path(args.output)
        previous = output.read_text() if output.exists() else ""
        others = previous[previous.index("\n## ") :] if "\n## " in previous else ""
        output.write_text(f"# Benchmark results\n\nWritten by `{command}`; every ratio is measured "
                          f"side by side in that one run.\n\n{text}{others}")


if __name__ == "__main__":
    main()
