"""GPU check: the throughput table, graph replays against eager steps, the tutorial's run on a GPU,
and no per-step copies of the data between host and GPU.

Usage: python benchmarks/gpu_check.py [--points N] [--batch-size B] [--throughput-points M]
           [--batch-sizes B1 B2 ...] [--only CHECK ...] [--out DIR] [--cpu]

1. ``table``: one training epoch at M points (default 10M) at batches of 8192, 65536 and 1048576
   (blobclf's second epoch, see ``blobclf_rate``): blobclf with ``--model.steps_per_execution`` 1,
   with the default K eagerly and with the default (K steps replayed from a CUDA graph), a plain
   eager PyTorch loop, and the same plain loop with its whole step captured in one CUDA graph, all
   over the same GPU-resident tensors, in this one process (one import of torch and Lightning,
   the blobs made once). Printed as JSON lines and a Markdown table with the ratios; ``replays``
   counts the groups of the timed epoch that replayed a recording (0 where an epoch has fewer
   than K minibatches, so no group is ever recorded).
2. ``equality``: three fits of 3 epochs (SGD with momentum, a StepLR that changes the rate every
   epoch, so every epoch records again): K = 1, the default K eagerly, the default K replayed.
   Prints whether the weights are bit-identical and the largest absolute difference.
3. ``tutorial_run``: ``blobclf fit --config configs/sgd.yaml --trainer.accelerator gpu`` in a fresh
   process, then ``test`` of its last checkpoint on the GPU and on the CPU, and ``predict`` on the GPU.
4. ``copies``: two minibatch fits of 2 epochs (validation on), the second with a quarter of the
   batch size, under the PyTorch profiler. Host-to-device and device-to-host copies are counted by
   size; copies that grow with the number of training steps would mean data (or a host sync) per
   step. Last: it runs CUDA graphs under the profiler (CUPTI), the likeliest to break the process.

Prints one JSON line per check and a summary; exits 1 if a check fails. ``--out DIR`` also writes
``gpu_check.json`` (each check's result by name, rewritten after each check, kept across calls that
run other checks) and ``table.md`` (row by row) there.
Without CUDA it says so and exits 0; ``--cpu`` runs every check on the CPU instead, a smoke test of
this script: the recorded path replays through ``blobclf.graphs.ReplayEmulation``, no plain graph
column, no device copies to count, and CPU figures belong to benchmarks/steps.py.
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
        timeout=150, stdin=subprocess.DEVNULL,  # a hung command must not take the other checks' time
    )
    if done.returncode != 0:
        raise RuntimeError(f"blobclf {' '.join(args)} exited {done.returncode}:\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}")
    return done.stdout + done.stderr


def tutorial_lines() -> list[str]:
    """The tutorial's printed table (epochs 0, 10, ..., 90), as the tests hold it (tests/conftest.py)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("blobclf_tests_conftest", os.path.join(ROOT, "tests", "conftest.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return [f"Epoch: {epoch} | Train Loss: {loss}, Train Acc: {acc} | Test Loss: {test_loss}, Test Acc: {test_acc}"
            for epoch, (loss, acc, test_loss, test_acc) in module.TUTORIAL_TABLE.items()]


def newest(pattern: str) -> str:
    return max(glob.glob(pattern, recursive=True), key=os.path.getmtime)


def tutorial_run(accelerator: str = "gpu") -> dict:
    """The tutorial's run trained on ``accelerator``; its last checkpoint tested there and on the CPU."""
    workdir = tempfile.mkdtemp(prefix="blobclf-gpu-")
    start = time.perf_counter()
    output = blobclf(workdir, "fit", "--config", CONFIG, "--trainer.accelerator", accelerator)
    fit_seconds = time.perf_counter() - start
    result: dict = {"check": "tutorial_run", "accelerator": accelerator, "fit_seconds": round(fit_seconds, 2),
                    "table": [line for line in output.splitlines() if line.startswith("Epoch: ")][:10]}
    expected = tutorial_lines()
    result["table_lines_differing"] = sum(a != b for a, b in zip(result["table"], expected, strict=False)) + abs(
        len(expected) - len(result["table"]))
    for where in dict.fromkeys((accelerator, "cpu")):
        blobclf(workdir, "test", "--ckpt_path", "last", "--trainer.accelerator", where)
        with open(newest(os.path.join(workdir, "**", "test_report-*.json"))) as handle:
            report = json.load(handle)
        result[f"test_acc_{where}"] = report["accuracy"]
        result[f"test_loss_{where}"] = report["loss"]
    blobclf(workdir, "predict", "--ckpt_path", "last", "--trainer.accelerator", accelerator)
    with open(newest(os.path.join(workdir, "**", "predictions-*.csv"))) as handle:
        result["predict_rows"] = sum(1 for _ in handle) - 1
    state = torch.load(newest(os.path.join(workdir, "**", "model.pth")), map_location="cpu", weights_only=True)
    result["exported_tensors_on"] = sorted({str(value.device) for value in state.values()})
    result["ok"] = (
        result["table_lines_differing"] == 0
        and abs(result[f"test_acc_{accelerator}"] - 0.965) <= 0.01
        and abs(result[f"test_acc_{accelerator}"] - result["test_acc_cpu"]) < 1e-9
        and abs(result[f"test_loss_{accelerator}"] - result["test_loss_cpu"]) < 1e-4
        and result["predict_rows"] == 200
    )
    return result


def _cli(points: int, batch_size: int, epochs: int, validate: bool, *extra: str, accelerator: str = "gpu"):
    from blobclf.cli import BlobCLI, cli_kwargs

    args = [
        "--trainer.accelerator", accelerator, "--trainer.max_epochs", str(epochs),
        "--trainer.enable_model_summary", "false",
        "--data.n_samples", str(points), "--data.batch_size", str(batch_size),
        "--export.figures", "false", "--export.onnx", "false", *extra,
    ]
    if not validate:
        args += ["--trainer.limit_val_batches", "0"]
    return BlobCLI(**cli_kwargs(), args=args, run=False)


def copies_during_fit(points: int, batch_size: int, epochs: int, accelerator: str) -> tuple[int, dict, dict]:
    """(training steps, {bytes: count} of host-to-device copies, the same for device-to-host)."""
    from torch.profiler import ProfilerActivity, profile

    os.chdir(tempfile.mkdtemp(prefix="blobclf-gpu-"))
    # checkpoints only at the end (no best ones, no timed last.ckpt), so both fits write the same
    cli = _cli(points, batch_size, epochs, True, "--checkpoint.save_top_k", "0", "--checkpoint.last_interval", "1e9",
               accelerator=accelerator)
    cli.datamodule.setup()  # the data is made on the host before training, as `fit` does
    cuda = accelerator == "gpu"
    activities = [ProfilerActivity.CPU, ProfilerActivity.CUDA] if cuda else [ProfilerActivity.CPU]
    with profile(activities=activities) as prof:
        cli.trainer.fit(cli.model, cli.datamodule)
        if cuda:
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


def copy_check(points: int, batch_size: int, accelerator: str = "gpu") -> dict:
    """Two fits of the same 2 epochs, one with 4x the steps: per-epoch copies (the shuffled order,
    epoch metrics, checkpoints) are equal in both, so any difference is a per-step copy."""
    few_steps, h2d_few, d2h_few = copies_during_fit(points, batch_size, 2, accelerator)
    many_steps, h2d_many, d2h_many = copies_during_fit(points, batch_size // 4, 2, accelerator)
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
        # no copy recorded at all would mean the profiler saw nothing, not that nothing was copied;
        # on a CPU there is no device to copy to: nothing to judge
        "ok": None if accelerator != "gpu" else (
            abs(h2d_per_step) < 0.05 and abs(d2h_per_step) < 0.05 and sum(h2d_few.values()) > 0),
    }


class _EpochTimer:
    """Seconds of the last training epoch, with the device's queue drained at both ends, and the
    groups of minibatches that epoch replayed from a recording."""

    def __init__(self, device: str) -> None:
        import lightning as L

        sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

        def replays(pl_module) -> int:  # blobclf's own attribute: the recording of this fit, if any
            graph = getattr(pl_module, "_step_graph", None)
            return graph.replays if graph is not None else 0

        class Timer(L.Callback):
            def on_train_epoch_start(self, trainer, pl_module):
                sync()
                self.replays_before = replays(pl_module)
                self.start = time.perf_counter()

            def on_train_epoch_end(self, trainer, pl_module):
                sync()
                self.seconds = time.perf_counter() - self.start
                self.replays = replays(pl_module) - self.replays_before  # read before on_train_end frees it

        self.callback = Timer()


def blobclf_rate(points: int, batch_size: int, steps: int, graphs: bool, device: str, splits: dict | None
                 ) -> tuple[float, int, dict]:
    """Samples/s of blobclf's second training epoch (validation off) with ``steps_per_execution=steps``
    and ``cuda_graphs=graphs``, the groups of that epoch replayed from a recording, and the splits used.

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
    return cli.datamodule.splits["train"][1].shape[0] / timer.callback.seconds, timer.callback.replays, cli.datamodule.splits


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
    if full == 0:
        raise ValueError(f"batch size {batch_size} is larger than the {x.shape[0]} training points")
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


def markdown_table(rows: list[dict], default: int) -> str:
    """The issue's table, in M samples/s, with blobclf's default K against both plain loops."""

    def rate(value: float | None) -> str:
        return "n/a" if not value else f"{value / 1e6:.2f} M/s"

    def ratio(a: float | None, b: float | None) -> str:
        return "n/a" if not a or not b else f"{a / b:.2f}x"

    lines = [f"| batch | blobclf K=1 | blobclf K={default}, eager | blobclf K={default} (default: CUDA graphs) "
             f"| plain eager loop | plain loop, one CUDA graph per step | K={default} vs eager | K={default} vs graph "
             f"| groups replayed |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in rows:
        best = row.get(f"blobclf_k{default}")
        lines.append(
            f"| {row['batch_size']} | {rate(row.get('blobclf_k1'))} | {rate(row.get(f'blobclf_k{default}_eager'))}"
            f" | {rate(best)} | {rate(row.get('plain_eager'))} | {rate(row.get('plain_graph'))} | "
            f"{ratio(best, row.get('plain_eager'))} | {ratio(best, row.get('plain_graph'))} | {row.get('replays', 'n/a')} |"
            + (f" error: {row['error'][:200]}" if "error" in row else "")
        )
    return "\n".join(lines)


def table(points: int, batch_sizes: list[int], device: str, out: str | None = None) -> dict:
    """The issue's table: blobclf (K = 1 and the default K) vs plain eager vs plain graph-captured.

    Every eager figure is measured first, for every batch size, then the ones that record CUDA
    graphs: with torch before 2.12 a recording that fails leaves torch's allocator counting it as
    under way, and every later ``torch.cuda.empty_cache()`` in this process (Lightning's teardown,
    ``torch.cuda.graph``) may fail, so a failed recording must not take the eager figures with it.
    A measurement that fails is recorded in its row (the first error) and the others go on.
    """
    from blobclf.system import DEFAULT_STEPS_PER_EXECUTION as default

    rows = [{"batch_size": batch_size} for batch_size in batch_sizes]
    splits = None

    def measure(row: dict, key: str, how) -> None:
        try:
            row[key] = how()
        except Exception as error:
            row.setdefault("error", f"{key}: {error!r}"[:1000])
            return
        if out is not None:  # each figure as it comes: a time limit must not take the finished ones
            with open(os.path.join(out, "table.md"), "w") as handle:
                handle.write(f"{device}, {points} points, one epoch (the second), samples per second\n\n"
                             f"{markdown_table(rows, default)}\n")

    def blobclf_figure(row: dict, steps: int, graphs: bool) -> float:
        nonlocal splits
        rate, replays, splits = blobclf_rate(points, row["batch_size"], steps, graphs, device, splits)
        if graphs:
            row["replays"] = replays
        return round(rate)

    def plain_figure(row: dict, graph: bool) -> float:
        x, y = (t.to(device) for t in splits["train"])
        if not graph:
            plain_rate(x, y, row["batch_size"], graph=False)  # warm-up: kernels, allocator, cuBLAS handles
        return round(plain_rate(x, y, row["batch_size"], graph=graph))

    for row in rows:
        measure(row, "blobclf_k1", lambda row=row: blobclf_figure(row, 1, False))
        measure(row, f"blobclf_k{default}_eager", lambda row=row: blobclf_figure(row, default, False))
        measure(row, "plain_eager", lambda row=row: plain_figure(row, False))
    for row in rows:
        measure(row, f"blobclf_k{default}", lambda row=row: blobclf_figure(row, default, True))
        if device == "cuda":
            measure(row, "plain_graph", lambda row=row: plain_figure(row, True))
    for row in rows:
        print(json.dumps({"check": "table_row", "device": device, **row}), flush=True)
    print(markdown_table(rows, default), flush=True)
    return {"check": "table", "device": device, "points": points, "rows": rows,
            "ok": False if any("error" in row for row in rows) else None}


def equality(points: int, batch_size: int, device: str) -> dict:
    """K = 1, the default K eagerly and the default K replayed, 3 epochs each: identical weights?

    SGD with momentum (optimizer state) and a StepLR that changes the rate every epoch (a new
    recording each epoch); validation off. Compares every tensor of the model's state, the epoch's
    train loss and accuracy, and ``global_step``.
    """
    from blobclf.system import DEFAULT_STEPS_PER_EXECUTION as default

    accelerator = "gpu" if device == "cuda" else "cpu"
    runs, splits = {}, None
    for name, steps, graphs in (("k1", 1, False), ("eager", default, False), ("replayed", default, True)):
        os.chdir(tempfile.mkdtemp(prefix="blobclf-gpu-"))
        cli = _cli(points, batch_size, 3, False, "--model.steps_per_execution", str(steps),
                   "--model.cuda_graphs", str(graphs).lower(), "--optimizer", "SGD", "--optimizer.lr", "0.1",
                   "--optimizer.momentum", "0.9", "--lr_scheduler", "StepLR", "--lr_scheduler.step_size", "1",
                   "--lr_scheduler.gamma", "0.5", accelerator=accelerator)
        if splits is not None:
            cli.datamodule.splits = splits
        timer = _EpochTimer(device)
        cli.trainer.callbacks.insert(0, timer.callback)
        cli.trainer.fit(cli.model, cli.datamodule)
        torch.use_deterministic_algorithms(False)
        splits = cli.datamodule.splits
        runs[name] = {
            "state": {k: v.detach().cpu() for k, v in cli.model.state_dict().items()},
            "global_step": cli.trainer.global_step,
            "replays_last_epoch": timer.callback.replays,
            "metrics": {k: float(v) for k, v in cli.trainer.callback_metrics.items() if k.startswith("train/")},
        }

    def compare(a: dict, b: dict) -> dict:
        diffs = [(x.double() - b["state"][k].double()).abs().max().item() for k, x in a["state"].items()
                 if x.is_floating_point()]
        return {
            "weights_identical": all(torch.equal(x, b["state"][k]) for k, x in a["state"].items()),
            "max_abs_weight_difference": max(diffs, default=0.0),
            "metrics_identical": a["metrics"] == b["metrics"],
            "steps_equal": a["global_step"] == b["global_step"],
        }

    pairs = {"eager_vs_k1": compare(runs["eager"], runs["k1"]), "replayed_vs_eager": compare(runs["replayed"], runs["eager"]),
             "replayed_vs_k1": compare(runs["replayed"], runs["k1"])}
    return {
        "check": "equality", "device": device, "points": points, "batch_size": batch_size, "k": default, "epochs": 3,
        "global_step": {name: run["global_step"] for name, run in runs.items()},
        "replays_last_epoch": runs["replayed"]["replays_last_epoch"],
        "metrics": {name: run["metrics"] for name, run in runs.items()},
        **pairs,
        # identical is what the design promises on one device; a replay that never happened proves nothing
        "ok": all(p["weights_identical"] and p["metrics_identical"] and p["steps_equal"] for p in pairs.values())
        and runs["replayed"]["replays_last_epoch"] > 0,
    }


def summary(results: list[dict]) -> str:
    """One line per check: whether it passed and its key figures (the table is printed beside it)."""
    lines = []
    for result in results:
        name, ok = result["check"], result.get("ok")
        if "error" in result:
            figures = result["error"].splitlines()[0][:300]
        elif name == "table":
            from blobclf.system import DEFAULT_STEPS_PER_EXECUTION as default

            figures = f"{result['device']}, {result['points']} points\n{markdown_table(result['rows'], default)}"
        elif name == "equality":
            figures = " ".join(
                f"{pair}: identical={result[pair]['weights_identical']} max|d|={result[pair]['max_abs_weight_difference']:.3g}"
                for pair in ("eager_vs_k1", "replayed_vs_eager", "replayed_vs_k1")
            ) + f"; replays in the last epoch {result['replays_last_epoch']}"
        elif name == "tutorial_run":
            figures = " ".join(f"{k}={v}" for k, v in result.items()
                               if k.startswith(("table_lines", "test_", "predict", "fit_")))
        elif name == "copies":
            figures = (f"steps {result['steps']}, host-to-device per step {result['h2d_copies_per_step']:.3f}, "
                       f"device-to-host per step {result['d2h_copies_per_step']:.3f}")
        else:
            figures = ""
        status = "passed" if ok else "measured" if ok is None else "FAILED"
        lines.append(f"gpu_check: {name}: {status}; {figures}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000, help="points of the copies check")
    parser.add_argument("--batch-size", type=int, default=8192, help="batch size of the copies check")
    parser.add_argument("--throughput-points", type=int, default=10_000_000)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[8192, 65536, 1_048_576],
                        help="batch sizes of the throughput table")
    parser.add_argument("--only", nargs="*", choices=list(CHECKS), help="checks to run, in this script's order")
    parser.add_argument("--out", help="folder for gpu_check.json and table.md, written as results come")
    parser.add_argument("--cpu", action="store_true",
                        help="smoke test without CUDA: every check on the CPU, graph replays emulated")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if not torch.cuda.is_available() and not args.cpu:
        print("gpu_check: no CUDA device is visible to torch; nothing was measured (--cpu runs the checks on the CPU)")
        sys.exit(0)
    import lightning

    device = "cpu" if args.cpu else "cuda"
    accelerator = "cpu" if args.cpu else "gpu"
    if args.cpu:
        from blobclf import BlobClassifier
        from blobclf.graphs import ReplayEmulation

        BlobClassifier.step_capture = ReplayEmulation()  # the recorded path's bookkeeping, run eagerly
    out = os.path.abspath(args.out) if args.out else None
    if out is not None:
        os.makedirs(out, exist_ok=True)
    print(json.dumps({
        "device": torch.cuda.get_device_name(0) if device == "cuda" else "cpu", "torch": torch.__version__,
        "lightning": lightning.__version__, "python": sys.version.split()[0],
    }), flush=True)
    checks = {  # the table first: it is what a time limit must not cut off; copies last: the riskiest
        "table": lambda: table(args.throughput_points, args.batch_sizes, device, out),
        "equality": lambda: equality(EQUALITY_POINTS, 2048, device),
        "tutorial_run": lambda: tutorial_run(accelerator),
        "copies": lambda: copy_check(args.points, args.batch_size, accelerator),
    }
    results = []
    for name, check in checks.items():
        if name not in (args.only or CHECKS):
            continue
        start = time.perf_counter()
        try:
            result = check()
        except Exception as error:  # report every check, even after one breaks
            result = {"check": name, "ok": False, "error": repr(error)[:2000]}
        result["seconds"] = round(time.perf_counter() - start, 1)
        results.append(result)
        print(json.dumps(result), flush=True)
        if out is not None:  # by check name, beside the results of an earlier call with other --only checks
            path = os.path.join(out, "gpu_check.json")
            saved = {}
            if os.path.exists(path):
                with open(path) as handle:
                    saved = json.load(handle)
            saved[name] = result
            with open(path, "w") as handle:
                json.dump(saved, handle, indent=1)
    failed = [r["check"] for r in results if r.get("ok") is False]
    print(summary(results), flush=True)
    print("gpu_check:", "FAILED " + ", ".join(failed) if failed else "all checks passed", flush=True)
    sys.exit(1 if failed else 0)


CHECKS = ("table", "equality", "tutorial_run", "copies")
EQUALITY_POINTS = 200_000
"""160,000 training points: 79 minibatches of 2048 an epoch, groups of 16, 16, 16, 16 and 15."""

if __name__ == "__main__":
    main()
