"""Resume matrix: settings beyond the tutorial's x ways of stopping a fit, each compared with an uninterrupted run.

    python benchmarks/resumematrix.py WORKDIR [--settings NAME ...] [--modes NAME ...] [--seed S] [--epochs E]

For each setting (``--settings``, default all of SETTINGS) an uninterrupted reference run is trained in
WORKDIR/NAME/reference, then each mode (``--modes``, default all of MODES) stops the same run in its own folder
and resumes it (with the command the run printed, else ``fit --ckpt_path last``, or by explicit path) until it
completes; the result is checked as benchmarks/killfuzz.py checks it (``model.pth`` bit-identical, ``model.json``
metrics, exports, every epoch once in TensorBoard with the reference's values), and ``test --ckpt_path last``
of both must write the same ``test_report-last.json`` (``extend`` of a setting in REFUSED_EXTEND: refused in one
line, the finished run kept). Modes that kill at a random moment draw it from ``--seed``.
One JSON line per (setting, mode) goes to WORKDIR/matrix.jsonl; a summary table is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from killfuzz import REPO, SIGNALS, check_run  # noqa: E402

CSV = "iris.csv"  # written by examples/write_datasets.py into WORKDIR/data

SGD = ["--config", str(REPO / "configs" / "sgd.yaml")]
ADAM = ["--config", str(REPO / "configs" / "adam.yaml")]
SETTINGS: dict[str, list[str]] = {
    "sgd": SGD,
    "adam": ADAM,
    "steplr": [*SGD, "--lr_scheduler", "StepLR", "--lr_scheduler.step_size", "3", "--lr_scheduler.gamma", "0.5"],
    "plateau": [*ADAM, "--lr_scheduler", "ReduceLROnPlateau", "--lr_scheduler.monitor", "val/loss",
                "--lr_scheduler.patience", "0", "--lr_scheduler.factor", "0.5", "--model.steps_per_execution", "1"],
    "cosine": [*SGD, "--lr_scheduler", "CosineAnnealingLR", "--lr_scheduler.T_max", "5"],
    "earlystop": [*ADAM, "--trainer.callbacks+=EarlyStopping", "--trainer.callbacks.monitor", "val/acc",
                  "--trainer.callbacks.mode", "max", "--trainer.callbacks.patience", "2"],
    "minibatch": [*SGD, "--data.batch_size", "64"],
    "spe3": [*SGD, "--data.batch_size", "16", "--model.steps_per_execution", "3"],
    "spe2of3": [*SGD, "--data.batch_size", "64", "--model.steps_per_execution", "2"],
    "accum2": [*SGD, "--data.batch_size", "32", "--trainer.accumulate_grad_batches", "2",
               "--model.steps_per_execution", "1"],
    "valevery3": [*SGD, "--trainer.check_val_every_n_epoch", "3"],
    "val02": [*ADAM, "--data.val_size", "0.2", "--data.batch_size", "32"],
    "val01": [*SGD, "--data.val_size", "0.1"],
    "clip": [*SGD, "--data.batch_size", "32", "--trainer.gradient_clip_val", "0.05",
             "--model.steps_per_execution", "1"],
    "bf16": [*SGD, "--trainer.precision", "bf16-mixed"],
    "table": ["--config", str(REPO / "configs" / "table.yaml"), "--data.target", "species"],
    "swa": [*SGD, "--trainer.callbacks+=StochasticWeightAveraging", "--trainer.callbacks.swa_lrs", "0.05",
            "--trainer.callbacks.swa_epoch_start", "0.5"],
    "swa-int": [*SGD, "--data.batch_size", "64", "--trainer.callbacks+=StochasticWeightAveraging",
                "--trainer.callbacks.swa_lrs", "0.05", "--trainer.callbacks.swa_epoch_start", "2",
                "--trainer.callbacks.annealing_epochs", "3"],
    "swa-steplr": [*SGD, "--lr_scheduler", "StepLR", "--lr_scheduler.step_size", "2",
                   "--trainer.callbacks+=StochasticWeightAveraging", "--trainer.callbacks.swa_lrs", "0.05",
                   "--trainer.callbacks.swa_epoch_start", "0.5"],
    "lrmonitor": [*SGD, "--lr_scheduler", "StepLR", "--lr_scheduler.step_size", "3",
                  "--trainer.callbacks+=LearningRateMonitor", "--trainer.callbacks.logging_interval", "epoch"],
    "ckptmonitor": [*ADAM, "--trainer.callbacks+=ModelCheckpoint", "--trainer.callbacks.monitor", "val/acc",
                    "--trainer.callbacks.mode", "max", "--trainer.callbacks.save_top_k", "2",
                    "--trainer.callbacks.dirpath", "extra", "--trainer.callbacks.filename", "{epoch}"],
}
REFUSED_EXTEND = {"swa", "swa-int", "swa-steplr"}
"""Settings whose finished run a resume does not extend: its StochasticWeightAveraging put the average into the
model (docs/configuration.md); ``extend`` checks the one-line refusal and that the run is kept."""
MODES = ("term", "int", "term2", "kill", "kill-epoch0", "kill-exports", "kill-figures", "kill-ckpt-write",
         "kill-twice", "path", "resume-twice", "extend")


def base_args(setting: str, epochs: int, workdir: Path) -> list[str]:
    args = ["fit", *SETTINGS[setting], "--trainer.max_epochs", str(epochs), "--checkpoint.last_interval", "0",
            "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]
    if setting == "table":
        return [*args, "--data.path", str((workdir / "data" / CSV).resolve())]
    return [*args, "--data.n_samples", "200"]


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore"}
    env.pop("BLOBCLF_DEBUG", None)
    return env


def _last_epoch(cwd: Path) -> int:
    for last in cwd.glob("checkpoints/version_*/last.ckpt"):
        try:
            return torch.load(last, weights_only=True, map_location="cpu")["epoch"]
        except Exception:  # being replaced right now
            return -1
    return -1


def run(cwd: Path, args: list[str], sig: str | None = None, when: str = "", delay: float = 0.0) -> tuple[int, str]:
    """``python -m blobclf ARGS`` in ``cwd``; ``sig`` sent once ``when`` holds (then ``delay`` seconds later).

    when: ``start`` (the run's config/resume record appears), ``epoch:N`` (last.ckpt records epoch N or later),
    ``file:NAME`` (NAME appears in the run folder), ``tmp`` (a checkpoint temporary appears)."""
    process = subprocess.Popen([sys.executable, "-m", "blobclf", *args], cwd=cwd, env=_env(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    if sig is not None:
        before = set(cwd.glob("lightning_logs/*/*.yaml"))
        while when == "tmp" and process.poll() is None and _last_epoch(cwd) < 1:
            time.sleep(0.01)
        deadline = time.monotonic() + 120
        while process.poll() is None and time.monotonic() < deadline:
            if when == "start" and set(cwd.glob("lightning_logs/*/*.yaml")) - before:
                break
            if when.startswith("epoch:") and _last_epoch(cwd) >= int(when[6:]):
                break
            if when.startswith("file:") and any(cwd.glob(f"checkpoints/*/{when[5:]}")):
                break
            if when == "tmp" and any(p.name.endswith(".tmp") for p in cwd.glob("checkpoints/*/*")):
                break  # (after the first epoch: a run killed in its first checkpoint's write is a new start)
            time.sleep(0.001 if when == "tmp" else 0.01)
        time.sleep(delay)
        if process.poll() is None:
            for name in sig.split(","):
                if process.poll() is None:
                    process.send_signal(SIGNALS[name])
                    time.sleep(0.3)
    output, _ = process.communicate(timeout=600)
    return process.returncode, output


def resume_args(output: str, cwd: Path) -> list[str]:
    said = re.findall(r"^resume with: python -m blobclf (.*?)(?: \(it completes the exports\))?$", output, re.M)
    if said:
        return shlex.split(said[-1])
    return ["fit", "--ckpt_path", "last"]


def test_report(cwd: Path) -> dict | None:
    code, output = run(cwd, ["test", "--ckpt_path", "last", "--trainer.enable_progress_bar", "false"])
    reports = list(cwd.glob("checkpoints/*/test_report-last.json"))
    if code != 0 or len(reports) != 1:
        return {"error": output[-300:]}
    return json.loads(reports[0].read_text())


def play(mode: str, cwd: Path, base: list[str], epochs: int, rng: random.Random) -> tuple[list[dict], list[str]]:
    """Stop and resume a run in ``cwd`` as ``mode`` says; its steps and problems."""
    steps: list[dict] = []
    problems: list[str] = []

    def step(args: list[str], *stop) -> str:
        code, output = run(cwd, args, *stop)
        (cwd / f"output-{len(steps)}.txt").write_text(output)
        steps.append({"args": args[:3] if args is not base else ["fit", "--config"], "stop": stop, "rc": code})
        if "Traceback" in output or "Exception ignored" in output:
            problems.append(f"traceback in step {len(steps) - 1}")
        errors = [line for line in output.splitlines() if line.startswith("blobclf: error")]
        if errors:
            problems.append(f"step {len(steps) - 1}: {errors}")
        return output

    half = max(1, epochs // 2)
    if mode in ("term", "int"):
        out = step(base, mode.upper(), f"epoch:{half}")
        step(resume_args(out, cwd))
    elif mode == "term2":  # a second signal: stops at once
        out = step(base, "TERM,TERM", f"epoch:{half}")
        step(resume_args(out, cwd))
    elif mode == "kill":
        step(base, "KILL", "start", rng.uniform(0.2, 3.0))
        step(["fit", "--ckpt_path", "last"])
    elif mode == "kill-epoch0":  # in the first epoch: no last.ckpt yet, start again
        step(base, "KILL", "start", 0.0)
        has_last = any(cwd.glob("checkpoints/*/last.ckpt"))
        step(["fit", "--ckpt_path", "last"] if has_last else base)
    elif mode in ("kill-exports", "kill-figures"):
        out = step(base, "KILL", "file:" + ("model.pth" if mode == "kill-exports" else "data.png"))
        if "exported metadata:" not in out:
            step(["fit", "--ckpt_path", "last"])
    elif mode == "kill-ckpt-write":
        step(base, "KILL", "tmp")
        has_last = any(cwd.glob("checkpoints/*/last.ckpt"))
        step(["fit", "--ckpt_path", "last"] if has_last else base)
    elif mode == "kill-twice":
        step(base, "KILL", "epoch:1")
        step(["fit", "--ckpt_path", "last"], "KILL", "start", rng.uniform(0.2, 2.0))
        step(["fit", "--ckpt_path", "last"])
    elif mode == "path":  # explicit path, after SIGTERM
        out = step(base, "TERM", "epoch:1")
        last = next(cwd.glob("checkpoints/*/last.ckpt"))
        step(["fit", "--ckpt_path", os.fspath(last.resolve())])
    elif mode == "resume-twice":
        out = step(base, "TERM", "epoch:1")
        out = step(resume_args(out, cwd), "TERM", f"epoch:{half + 1}")
        step(resume_args(out, cwd))
    elif mode == "extend":  # a finished shorter run extended to the reference's length
        step([*base, "--trainer.max_epochs", str(half)])
        step(["fit", "--ckpt_path", "last", "--trainer.max_epochs", str(epochs)])
    else:
        raise ValueError(mode)
    if steps[-1]["rc"] != 0:
        problems.append(f"last step ended {steps[-1]['rc']}")
    return steps, problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--settings", nargs="*", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--modes", nargs="*", default=list(MODES), choices=list(MODES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=8)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    workdir = options.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    if "table" in options.settings and not (workdir / "data" / CSV).is_file():
        subprocess.run([sys.executable, str(REPO / "examples" / "write_datasets.py"), str(workdir / "data")], check=True,
                       capture_output=True)
    table = []
    for setting in options.settings:
        base = base_args(setting, options.epochs, workdir)
        reference = workdir / setting / "reference"
        if not any(reference.glob("checkpoints/*/model.json")):
            shutil.rmtree(reference, ignore_errors=True)
            reference.mkdir(parents=True)
            code, output = run(reference, base)
            if code != 0:
                print(setting, "reference failed:", output[-500:], flush=True)
                continue
        wanted = test_report(reference)
        for mode in options.modes:
            cwd = workdir / setting / mode
            shutil.rmtree(cwd, ignore_errors=True)
            cwd.mkdir(parents=True)
            steps, problems = play(mode, cwd, base, options.epochs, rng)
            if mode == "extend" and setting in REFUSED_EXTEND:
                said = (cwd / f"output-{len(steps) - 1}.txt").read_text()
                refused = steps[-1]["rc"] == 2 and "StochasticWeightAveraging ended" in said
                problems = [] if refused and (cwd / "checkpoints" / "version_0" / "model.pth").is_file() else problems
                record = {"setting": setting, "mode": mode, "steps": steps, "problems": problems}
                with open(workdir / "matrix.jsonl", "a") as log:
                    log.write(json.dumps(record) + "\n")
                table.append((setting, mode, not problems))
                print(setting, mode, problems or "refused, as documented", flush=True)
                continue
            problems += check_run(cwd, reference)
            if not problems and test_report(cwd) != wanted:
                problems.append("test report differs")
            record = {"setting": setting, "mode": mode, "steps": steps, "problems": problems}
            with open(workdir / "matrix.jsonl", "a") as log:
                log.write(json.dumps(record) + "\n")
            table.append((setting, mode, not problems))
            print(setting, mode, [(s["stop"], s["rc"]) for s in steps], problems or "identical", flush=True)
    print(f"identical: {sum(ok for *_, ok in table)} of {len(table)}")


if __name__ == "__main__":
    main()
