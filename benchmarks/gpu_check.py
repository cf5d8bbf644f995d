"""GPU check: the tutorial's run on a GPU, and no per-step copies of the data between host and GPU.

Usage: python benchmarks/gpu_check.py [--points N] [--batch-size B] [--throughput-points M]
           [--batch-sizes B1 B2 ...] [--only CHECK ...] [--cpu]

1. ``blobclf fit --config configs/sgd.yaml --trainer.accelerator gpu`` in a fresh process, then
   ``test`` of its last checkpoint on the GPU and on the CPU, and ``predict`` on the GPU.
2. Two minibatch fits of 2 epochs (validation on), the second with a quarter of the batch size,
   under the PyTorch profiler. Host-to-device and device-to-host copies are counted by size;
   copies that grow with the number of training steps would mean data (or a host sync) per step.
3. The throughput table: one training epoch at M points (default 10M) at batches of 8192, 65536
   and 1048576 (blobclf's second epoch, see ``blobclf_rate``): blobclf with
   ``--model.steps_per_execution`` 1, with the default K eagerly and with the default (K steps
   replayed from a CUDA graph), a plain
   eager PyTorch loop, and the same plain loop with its whole step captured in one CUDA graph, all
   over the same GPU-resident tensors, in this one process (one import of torch and Lightning,
   the blobs made once). Printed as JSON lines and a Markdown table with the ratios.

Prints one JSON line per check and a summary; exits 1 if a check fails. Without CUDA it says so
and exits 0; ``--cpu`` runs the table on the CPU instead (a smoke test of this script: no graph
column, and CPU figures belong to benchmarks/steps.py).
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "configs", "sgd.yaml")
sys.path.insert(0, ROOT)  # the checks below also import blobclf in this process


def blobclf(workdir: str, *args: str) -> str:
    """``python -m blobclf ARGS`` in ``workdir``; returns its combined output (raises on failure)."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run(
        [sys.executable, "-m", "blobclf", *args], cwd=workdir, env=env, capture_output=True, text=True,
        timeout=150,  # a hung command must not take the table's time
    )
    if done.returncode != 0:
        raise RuntimeError(f"blobclf {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout + done.stderr


def newest(pattern: str) -> str:
    return max(glob.glob(pattern, recursive=True), key=os.path.getmtime)


def tutorial_run() -> dict:
    workdir = tempfile.mkdtemp(prefix="blobclf-gpu-")
    start = time.perf_counter()
    blobclf(workdir, "fit", "--config", CONFIG, "--trainer.accelerator", "gpu")
    fit_seconds = time.perf_counter() - start
    result: dict = {"check": "tutorial_run", "fit_seconds": round(fit_seconds, 2)}
    for accelerator in ("gpu", "cpu"):
        blobclf(workdir, "test", "--ckpt_path", "last", "--trainer.accelerator", accelerator)
        with open(newest(os.path.join(workdir, "**", "test_report-*.json"))) as handle:
            report = json.load(handle)
        result[f"test_acc_{accelerator}"] = report["accuracy"]
        result[f"test_loss_{accelerator}"] = report["loss"]
    blobclf(workdir, "predict", "--ckpt_path", "last", "--trainer.accelerator", "gpu")
    with open(newest(os.path.join(workdir, "**", "predictions-*.csv"))) as handle:
        result["predict_rows"] = sum(1 for _ in handle) - 1
    state = torch.load(newest(os.path.join(workdir, "**", "model.pth")), map_location="cpu", weights_only=True)
    result["exported_tensors_on"] = sorted({str(value.device) for value in state.values()})
    result["ok"] = (
        abs(result["test_acc_gpu"] - 0.965) <= 0.01
        and abs(result["test_acc_gpu"] - result["test_acc_cpu"]) < 1e-9
        and abs(result["test_loss_gpu"] - result["test_loss_cpu"]) < 1e-4
        and result["predict_rows"] == 200
    )
    return result


def _cli(points: int, batch_size: int, epochs: int, validate: bool, *extra: str, accelerator: str = "gpu"):
    from blobclf.cli import BlobCLI, cli_kwargs

    args = [
        "--trainer.accelerator", accelerator, "--trainer.max_epochs", str(epochs),
        "--data.n_samples", str(points), "--data.batch_size", str(batch_size),
        "--export.figures", "false", "--export.onnx", "false", *extra,
    ]
    if not validate:
        args += ["--trainer.limit_val_batches", "0"]
    return BlobCLI(**cli_kwargs(), args=args, run=False)


def copies_during_fit(points: int, batch_size: int, epochs: int) -> tuple[int, dict, dict]:
    """(training steps, {bytes: count} of host-to-device copies, the same for device-to-host)."""
    from torch.profiler import ProfilerActivity, profile

    os.chdir(tempfile.mkdtemp(prefix="blobclf-gpu-"))
    # checkpoints only at the end (no best ones, no timed last.ckpt), so both fits write the same
    cli = _cli(points, batch_size, epochs, True, "--checkpoint.save_top_k", "0", "--checkpoint.last_interval", "1e9")
    cli.datamodule.setup()  # the data is made on the host before training, as `fit` does
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        cli.trainer.fit(cli.model, cli.datamodule)
        torch.cuda.synchronize()
    trace = os.path.join(os.getcwd(), "trace.json")
    prof.export_chrome_trace(trace)
    with open(trace) as handle:
        events = json.load(handle)["traceEvents"]
    sizes = {"HtoD": collections.Counter(), "DtoH": collections.Counter()}
    for event in events:
        name = event.get("name", "")
        for kind, counter in sizes.items():
            if event.get("cat") == "gpu_memcpy" and kind in name:
                counter[int(event.get("args", {}).get("bytes", -1))] += 1
    return cli.trainer.global_step, dict(sizes["HtoD"]), dict(sizes["DtoH"])


def copy_check(points: int, batch_size: int) -> dict:
    """Two fits of the same 2 epochs, one with 4x the steps: per-epoch copies (the shuffled order,
    epoch metrics, checkpoints) are equal in both, so any difference is a per-step copy."""
    few_steps, h2d_few, d2h_few = copies_during_fit(points, batch_size, 2)
    many_steps, h2d_many, d2h_many = copies_during_fit(points, batch_size // 4, 2)
    extra_steps = many_steps - few_steps
    h2d_per_step = (sum(h2d_many.values()) - sum(h2d_few.values())) / extra_steps
    d2h_per_step = (sum(d2h_many.values()) - sum(d2h_few.values())) / extra_steps
    batch_bytes = batch_size // 4 * (4 * 2 + 8)  # float32 features (2) and an int64 label per sample
    return {
        "check": "copies",
        "points": points,
        "epochs": 2,
        "batch_sizes": [batch_size, batch_size // 4],
        "steps": [few_steps, many_steps],
        "h2d_copies_by_bytes": [h2d_few, h2d_many],
        "d2h_copies_by_bytes": [d2h_few, d2h_many],
        "h2d_copies_per_step": h2d_per_step,
        "d2h_copies_per_step": d2h_per_step,
        "h2d_copies_of_a_batch_or_more": {size: n for size, n in h2d_many.items() if size >= batch_bytes},
        # no copy recorded at all would mean the profiler saw nothing, not that nothing was copied
        "ok": abs(h2d_per_step) < 0.05 and abs(d2h_per_step) < 0.05 and sum(h2d_few.values()) > 0,
    }


class _EpochTimer:
    """Seconds of the last training epoch, with the device's queue drained at both ends."""

    def __init__(self, device: str) -> None:
        import lightning as L

        sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

        class Timer(L.Callback):
            def on_train_epoch_start(self, trainer, pl_module):
                sync()
                self.start = time.perf_counter()

            def on_train_epoch_end(self, trainer, pl_module):
                sync()
                self.seconds = time.perf_counter() - self.start

        self.callback = Timer()


def blobclf_rate(points: int, batch_size: int, steps: int, graphs: bool, device: str, splits: dict | None
                 ) -> tuple[float, int, dict]:
    """Samples/s of blobclf's second training epoch (validation off) with ``steps_per_execution=steps``
    and ``cuda_graphs=graphs``, the groups replayed from a CUDA graph, and the splits used.

    The second epoch is timed: the first holds the one-off work of a run (the first group's
    warm-up and the recording of the graph), and the plain loops below also leave their set-up
    (the order drawn, the first step) outside their timers. ``splits``: the data of an earlier
    fit, reused so the blobs are made once."""
    os.chdir(tempfile.mkdtemp(prefix="blobclf-gpu-"))
    cli = _cli(points, batch_size, 2, False, "--model.steps_per_execution", str(steps),
               "--model.cuda_graphs", str(graphs).lower(), accelerator="gpu" if device == "cuda" else "cpu")
    if splits is not None:
        cli.datamodule.splits = splits
    timer = _EpochTimer(device)
    # first, so the epoch's end is timed before the checkpoint callbacks write (the plain loops write nothing)
    cli.trainer.callbacks.insert(0, timer.callback)
    cli.trainer.fit(cli.model, cli.datamodule)
    torch.use_deterministic_algorithms(False)  # blobclf's deterministic=True must not reach the plain loops
    graph = getattr(cli.model, "_step_graph", None)
    replays = graph.replays if graph is not None else 0
    return cli.datamodule.splits["train"][1].shape[0] / timer.callback.seconds, replays, cli.datamodule.splits


def plain_rate(x: torch.Tensor, y: torch.Tensor, batch_size: int, graph: bool) -> float:
    """Samples/s of a plain PyTorch epoch over the complete batches of shuffled ``x``, ``y`` (on one
    device): SGD, train loss and accuracy tracked on the device. ``graph``: the whole step (gather,
    forward, loss, metrics, backward, optimizer step) replays one captured CUDA graph, after the
    warm-up and capture recipe of torch.cuda.graphs' documentation; the batch's indices are copied
    into the graph's static index tensor before each replay."""
    from torch import nn

    from blobclf.model import BlobModel

    device = x.device
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    torch.manual_seed(42)
    model = BlobModel(x.shape[1], 4).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(0)).to(device)
    full = x.shape[0] // batch_size * batch_size
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), dtype=torch.long, device=device)
    index = order[:batch_size].clone()

    def step() -> None:
        xb, yb = x.index_select(0, index), y.index_select(0, index)
        logits = model(xb)
        loss = loss_fn(logits, yb)
        loss_sum.add_(loss.detach() * batch_size)
        correct.add_((logits.argmax(dim=1) == yb).sum())
        loss.backward()
        optimizer.step()

    if graph:
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                optimizer.zero_grad(set_to_none=True)
                step()
        torch.cuda.current_stream().wait_stream(side)
        optimizer.zero_grad(set_to_none=True)
        captured = torch.cuda.CUDAGraph()
        with torch.cuda.graph(captured):
            step()
        run = captured.replay
    else:
        def run() -> None:
            optimizer.zero_grad()
            step()
    sync()
    start = time.perf_counter()
    for begin in range(0, full, batch_size):
        index.copy_(order[begin : begin + batch_size])
        run()
    (loss_sum / full).item(), (correct / full).item()
    sync()
    return full / (time.perf_counter() - start)


def table(points: int, batch_sizes: list[int], device: str) -> dict:
    """The issue's table: blobclf (K = 1 and the default K) vs plain eager vs plain graph-captured."""
    from blobclf.system import DEFAULT_STEPS_PER_EXECUTION as default

    rows, splits = [], None
    for batch_size in batch_sizes:
        row: dict = {"batch_size": batch_size}
        row["blobclf_k1"], _, splits = blobclf_rate(points, batch_size, 1, False, device, splits)
        row[f"blobclf_k{default}_eager"], _, splits = blobclf_rate(points, batch_size, default, False, device, splits)
        row[f"blobclf_k{default}"], replays, splits = blobclf_rate(points, batch_size, default, True, device, splits)
        x, y = (t.to(device) for t in splits["train"])
        plain_rate(x, y, batch_size, graph=False)  # warm-up: kernels, allocator, cuBLAS handles
        row["plain_eager"] = plain_rate(x, y, batch_size, graph=False)
        row["plain_graph"] = plain_rate(x, y, batch_size, graph=True) if device == "cuda" else None
        rows.append(row)
        print(json.dumps({"check": "table_row", "device": device, "replays": replays, **{
            k: v if k == "batch_size" or v is None else round(v) for k, v in row.items()}}), flush=True)
    lines = [f"| batch | blobclf K=1 | blobclf K={default}, eager | blobclf K={default} (default: CUDA graphs) "
             f"| plain eager loop | plain loop, one CUDA graph per step | K={default} vs eager | K={default} vs graph |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        graph = row["plain_graph"]
        best = row[f"blobclf_k{default}"]
        lines.append(
            f"| {row['batch_size']} | {row['blobclf_k1'] / 1e6:.2f} M/s | {row[f'blobclf_k{default}_eager'] / 1e6:.2f} M/s"
            f" | {best / 1e6:.2f} M/s | {row['plain_eager'] / 1e6:.2f} M/s | "
            f"{'n/a' if graph is None else f'{graph / 1e6:.2f} M/s'} | "
            f"{best / row['plain_eager']:.2f}x | {'n/a' if graph is None else f'{best / graph:.2f}x'} |"
        )
    print("\n".join(lines), flush=True)
    return {"check": "table", "device": device, "points": points, "rows": [
        {k: v if k == "batch_size" or v is None else round(v) for k, v in row.items()} for row in rows]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=8192)
    parser.add_argument("--throughput-points", type=int, default=10_000_000)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[8192, 65536, 1_048_576],
                        help="batch sizes of the throughput table")
    parser.add_argument("--only", nargs="*", choices=list(CHECKS), help="checks to run")
    parser.add_argument("--cpu", action="store_true",
                        help="smoke test without CUDA: the throughput table on the CPU (no graph column)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if not torch.cuda.is_available() and not args.cpu:
        print("gpu_check: no CUDA device is visible to torch; nothing was measured (--cpu runs the table on the CPU)")
        sys.exit(0)
    import lightning

    device = "cpu" if args.cpu else "cuda"
    print(json.dumps({
        "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu", "torch": torch.__version__,
        "lightning": lightning.__version__, "python": sys.version.split()[0],
    }), flush=True)
    results = []
    checks = {  # the table first: it is what a time limit must not cut off
        "table": lambda: table(args.throughput_points, args.batch_sizes, device),
        "copies": lambda: copy_check(args.points, args.batch_size),
        "tutorial_run": tutorial_run,
    }
    only = args.only or (["table"] if args.cpu else list(CHECKS))
    for name, check in checks.items():
        if name not in only:
            continue
        try:
            result = check()
        except Exception as error:  # report every check, even after one breaks
            result = {"check": name, "ok": False, "error": repr(error)[:2000]}
        results.append(result)
        print(json.dumps(result), flush=True)
    failed = [r["check"] for r in results if r.get("ok") is False]
    print("gpu_check:", "FAILED " + ", ".join(failed) if failed else "all checks passed", flush=True)
    sys.exit(1 if failed else 0)


CHECKS = ("table", "copies", "tutorial_run")

if __name__ == "__main__":
    main()
