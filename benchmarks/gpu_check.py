"""GPU check: the tutorial's run on a GPU, and no per-step copies of the data between host and GPU.

Usage: python benchmarks/gpu_check.py [--points N] [--batch-size B] [--throughput-points M]

1. ``blobclf fit --config configs/sgd.yaml --trainer.accelerator gpu`` in a fresh process, then
   ``test`` of its last checkpoint on the GPU and on the CPU, and ``predict`` on the GPU.
2. Two minibatch fits of 2 epochs (validation on), the second with a quarter of the batch size,
   under the PyTorch profiler. Host-to-device and device-to-host copies are counted by size;
   copies that grow with the number of training steps would mean data (or a host sync) per step.
3. Training throughput of one epoch at M points: blobclf against a plain loop over the same
   GPU-resident tensors.

Prints one JSON line per check and a summary; exits 1 if a check fails.
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
        [sys.executable, "-m", "blobclf", *args], cwd=workdir, env=env, capture_output=True, text=True
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
        with open(newest(os.path.join(workdir, "**", "test_report.json"))) as handle:
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


def _cli(points: int, batch_size: int, epochs: int, validate: bool, *extra: str):
    from blobclf.cli import BlobCLI, cli_kwargs

    args = [
        "--trainer.accelerator", "gpu", "--trainer.max_epochs", str(epochs),
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
        "ok": abs(h2d_per_step) < 0.05 and abs(d2h_per_step) < 0.05,
    }


def throughput(points: int, batch_size: int) -> dict:
    import lightning as L
    from torch import nn

    from blobclf.model import BlobModel

    class Timer(L.Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            torch.cuda.synchronize()
            self.start = time.perf_counter()

        def on_train_epoch_end(self, trainer, pl_module):
            torch.cuda.synchronize()
            self.seconds = time.perf_counter() - self.start

    os.chdir(tempfile.mkdtemp(prefix="blobclf-gpu-"))
    cli = _cli(points, batch_size, 1, validate=False)
    timer = Timer()
    cli.trainer.callbacks.append(timer)
    cli.trainer.fit(cli.model, cli.datamodule)
    samples = cli.datamodule.splits["train"][1].shape[0]
    blobclf_rate = samples / timer.seconds

    x, y = (t.cuda() for t in cli.datamodule.splits["train"])
    torch.manual_seed(42)
    model = BlobModel(x.shape[1], 4).cuda()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss_fn = nn.CrossEntropyLoss()
    order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(0)).cuda()
    loss_sum = torch.zeros((), device="cuda")
    correct = torch.zeros((), dtype=torch.long, device="cuda")
    torch.cuda.synchronize()
    start = time.perf_counter()
    for begin in range(0, x.shape[0], batch_size):
        index = order[begin : begin + batch_size]
        xb, yb = x[index], y[index]
        logits = model(xb)
        loss = loss_fn(logits, yb)
        loss_sum += loss.detach() * len(yb)
        correct += (logits.argmax(dim=1) == yb).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    (loss_sum / x.shape[0]).item(), (correct / x.shape[0]).item()
    plain_rate = x.shape[0] / (time.perf_counter() - start)
    return {
        "check": "throughput",
        "points": points,
        "batch_size": batch_size,
        "blobclf_samples_per_s": round(blobclf_rate),
        "plain_samples_per_s": round(plain_rate),
        "ratio": round(blobclf_rate / plain_rate, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=8192)
    parser.add_argument("--throughput-points", type=int, default=10_000_000)
    parser.add_argument("--only", nargs="*", choices=["tutorial_run", "copies", "throughput"], help="checks to run")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if not torch.cuda.is_available():
        sys.exit("gpu_check: no CUDA device is visible to torch")
    import lightning

    print(json.dumps({
        "device": torch.cuda.get_device_name(0), "torch": torch.__version__,
        "lightning": lightning.__version__, "python": sys.version.split()[0],
    }), flush=True)
    results = []
    checks = {
        "tutorial_run": tutorial_run,
        "copies": lambda: copy_check(args.points, args.batch_size),
        "throughput": lambda: throughput(args.throughput_points, args.batch_size),
    }
    for name, check in checks.items():
        if args.only and name not in args.only:
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


if __name__ == "__main__":
    main()
