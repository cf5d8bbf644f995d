"""Kill fuzzer: stop `fit` at random moments, resume until it completes, compare with an uninterrupted run.

    python benchmarks/killfuzz.py WORKDIR [--iterations N] [--seed S] [--epochs E] [--last-interval SECONDS]
                                          [--window SECONDS] [--table CSV TARGET] [--version V [--race]]

Each iteration trains the tutorial run (``configs/sgd.yaml``, batch 16, E epochs; or ``configs/table.yaml`` on
a table with ``--table``) in its own folder
under WORKDIR, and sends SIGKILL, SIGTERM or SIGINT (sometimes a second SIGTERM / SIGINT soon after)
at a random moment: uniformly over ``--window`` seconds from the moment start-up ended (the run's
``config.yaml`` or ``resume-K.yaml`` appears), so kills land in training, the exports and the end.
It then resumes with the command the run printed, or ``fit --ckpt_path last`` after a SIGKILL
(``fit --config`` again if no ``last.ckpt`` exists), possibly killed again, until a run completes.
The result must equal an uninterrupted run's: ``model.pth`` bit-identical (``torch.equal``),
``model.json`` metrics equal, every export present, no ``*.tmp`` left, ``config.yaml`` present,
each epoch once in TensorBoard (as TensorBoard reads the run, purges applied) with the same values;
and no traceback, no wrong resume command. One JSON line per iteration goes to WORKDIR/log-S.jsonl.

With ``--version V`` every new run is given ``--trainer.logger.init_args.version V``. With ``--race`` as well,
an iteration kills nothing: it starts two such fits in its folder, the second 0 to ``--race-within`` seconds
(default 3) after the first, and
checks that exactly one trains (the other is refused in one line, exit 2, having written nothing) and that
the run it trains equals the uninterrupted one.
"""

from __future__ import annotations

import argparse
import json
import logging
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
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

REPO = Path(__file__).resolve().parents[1]
SIGNALS = {"KILL": signal.SIGKILL, "TERM": signal.SIGTERM, "INT": signal.SIGINT}
EXPORTS = ("model.onnx", "data.png", "loss_curves.png", "accuracy_curves.png", "decision_boundary.png")
Kill = tuple[str, float, float | None]  # signal name, delay, delay of a second signal (None: none)


def fit_args(epochs: int, last_interval: float, table: list[str] | None = None, version: str | None = None) -> list[str]:
    """The run every iteration trains (and the reference trains uninterrupted): the tutorial's, or
    ``configs/table.yaml`` on ``table`` (a CSV file and its target column); given ``version``, if any."""
    config = ["--config", str(REPO / "configs" / "sgd.yaml")]
    if table:
        config = ["--config", str(REPO / "configs" / "table.yaml"), "--data.path", str(Path(table[0]).resolve()),
                  "--data.target", table[1]]
    given = ["--trainer.logger.init_args.version", version] if version is not None else []
    return ["fit", *config, "--trainer.max_epochs", str(epochs), "--checkpoint.last_interval", str(last_interval),
            "--trainer.enable_progress_bar", "false", "--data.batch_size", "16", *given]


def _markers(cwd: Path) -> set[Path]:
    return set(cwd.glob("lightning_logs/*/config.yaml")) | set(cwd.glob("lightning_logs/*/resume-*.yaml"))


def run_once(cwd: Path, args: list[str], kill: Kill | None) -> tuple[int, str]:
    """Run ``python -m blobclf ARGS`` in ``cwd``; send ``kill`` counted from the end of start-up."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore"}
    env.pop("BLOBCLF_DEBUG", None)
    before = _markers(cwd)
    process = subprocess.Popen(
        [sys.executable, "-m", "blobclf", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as in a terminal, even from a background job
    if kill is not None:
        name, delay, second = kill
        while process.poll() is None and not _markers(cwd) - before:
            time.sleep(0.005)
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(SIGNALS[name])
            if second is not None:
                try:
                    process.wait(timeout=second)
                except subprocess.TimeoutExpired:
                    process.send_signal(SIGNALS[name])
    output, _ = process.communicate(timeout=600)
    return process.returncode, output


def scalars(log_dir: Path) -> dict[str, list[tuple[int, float]]]:
    """The run's scalars as TensorBoard shows them (events hidden by a resume's purge left out)."""
    logging.getLogger("tensorboard").setLevel(logging.ERROR)  # its notice of each purge a resume made
    events = EventAccumulator(str(log_dir), size_guidance={"scalars": 0})
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def check_run(cwd: Path, reference: Path) -> list[str]:
    """What differs between the completed run in ``cwd`` and the uninterrupted one in ``reference``."""
    complete = [run for run in sorted((cwd / "checkpoints").iterdir()) if (run / "model.json").is_file()]
    if len(complete) != 1:
        return [f"complete runs: {[run.name for run in complete]}"]
    run, ref_run = complete[0], next(run for run in (reference / "checkpoints").iterdir() if (run / "model.json").is_file())
    problems = []
    ours = torch.load(run / "model.pth", weights_only=True)
    theirs = torch.load(ref_run / "model.pth", weights_only=True)
    if ours.keys() != theirs.keys() or not all(torch.equal(ours[k], theirs[k]) for k in ours):
        problems.append("model.pth differs")
    exports = [name for name in EXPORTS if (ref_run / name).is_file()]  # a table of more than two features: no boundary
    problems += [f"missing {name}" for name in exports if not (run / name).is_file()]
    metrics = json.loads((run / "model.json").read_text()).get("metrics")
    if metrics != json.loads((ref_run / "model.json").read_text()).get("metrics"):
        problems.append(f"model.json metrics differ: {metrics}")
    if leftovers := [os.fspath(p.relative_to(cwd)) for p in cwd.rglob("*.tmp")]:
        problems.append(f"temporaries left: {leftovers}")
    logs = cwd / "lightning_logs" / run.name
    if not (logs / "config.yaml").is_file():
        problems.append("no config.yaml")
    got = scalars(logs)
    for tag, points in scalars(reference / "lightning_logs" / ref_run.name).items():
        if tag.startswith(("train/", "val/")) and got.get(tag) != points:
            steps = [step for step, _ in got.get(tag, [])]
            wanted = [step for step, _ in points]  # every epoch, or those validated (check_val_every_n_epoch)
            problems.append(f"{tag}: epochs {sorted(set(wanted) - set(steps))} missing, "
                            f"{sorted(set(steps) - set(wanted))} extra, "
                            f"{sorted({s for s in steps if steps.count(s) > 1})} twice, or values differ")
    return problems


def iteration(cwd: Path, base: list[str], reference: Path, window: float, rng: random.Random) -> dict:
    """One run killed and resumed until it completes; its record."""
    shutil.rmtree(cwd, ignore_errors=True)
    cwd.mkdir(parents=True)
    args, record = base, {"folder": os.fspath(cwd), "steps": [], "problems": []}
    for attempt in range(8):
        kill: Kill | None = None
        if attempt < 3 and rng.random() < (0.9 if attempt == 0 else 0.5):
            name = rng.choice(["KILL", "KILL", "TERM", "INT"])
            second = rng.uniform(0, 1) if name != "KILL" and rng.random() < 0.4 else None
            kill = (name, rng.uniform(0, window), second)
        code, output = run_once(cwd, args, kill)
        (cwd / f"output-{attempt}.txt").write_text(output)
        said = [line for line in output.splitlines() if line.startswith(("blobclf: error", "blobclf: stopped"))]
        record["steps"].append({"args": args if args is not base else "fit --config", "kill": kill, "rc": code,
                                "said": said})
        if "Traceback" in output or "Exception ignored" in output:
            record["problems"].append(f"traceback in attempt {attempt}")
        if code in (-signal.SIGINT, -signal.SIGTERM):
            record["problems"].append(f"attempt {attempt} ended by its signal, not with 128 + signal")
        if code == 0 or code == -signal.SIGKILL and "exported metadata:" in output:
            break  # complete (a SIGKILL after the last line printed ends a complete run too)
        if any(line.startswith("blobclf: error") for line in said):
            record["problems"].append(f"attempt {attempt}: {said}")
        resume = re.findall(r"^resume with: python -m blobclf (.*?)(?: \(it completes the exports\))?$", output, re.M)
        if resume:
            args = shlex.split(resume[-1])
            if args[:2] != ["fit", "--ckpt_path"] or not (cwd / args[2]).is_file():
                record["problems"].append(f"attempt {attempt}: wrong resume command {resume[-1]!r}")
        else:
            has_last = any(cwd.glob("checkpoints/version_*/last.ckpt"))
            args = ["fit", "--ckpt_path", "last"] if has_last else base
    else:
        record["problems"].append("never completed")
    record["problems"] += check_run(cwd, reference)
    return record


def race(cwd: Path, base: list[str], reference: Path, within: float, rng: random.Random) -> dict:
    """Two fits given one version started in ``cwd`` at once (the second 0 to ``within`` seconds later); their record."""
    shutil.rmtree(cwd, ignore_errors=True)
    cwd.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore"}
    env.pop("BLOBCLF_DEBUG", None)
    delay = rng.uniform(0, within)
    processes = []
    for index in range(2):
        processes.append(subprocess.Popen([sys.executable, "-m", "blobclf", *base], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        if index == 0:
            time.sleep(delay)
    outputs = [process.communicate(timeout=600)[0] for process in processes]
    codes = [process.returncode for process in processes]
    record = {"folder": os.fspath(cwd), "delay": round(delay, 2), "rc": codes, "problems": []}
    for index, output in enumerate(outputs):
        (cwd / f"output-{index}.txt").write_text(output)
        if "Traceback" in output or "Exception ignored" in output:
            record["problems"].append(f"traceback in fit {index}")
    if sorted(codes) != [0, 2]:
        record["problems"].append(f"exit statuses {codes}, not one 0 and one 2")
    else:
        refused = outputs[codes.index(2)]
        said = [line for line in refused.splitlines() if line.startswith("blobclf: error")]
        record["said"] = said
        if len(said) != 1 or not ("already exists; choose another --trainer.logger.init_args.version" in said[0]
                                  or "is in use by another blobclf fit" in said[0]):
            record["problems"].append(f"the refused fit said {said}")
    record["problems"] += check_run(cwd, reference)
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--last-interval", type=float, default=0.0, help="--checkpoint.last_interval of the runs")
    parser.add_argument("--table", nargs=2, metavar=("CSV", "TARGET"),
                        help="train configs/table.yaml on this table instead of the tutorial's blobs")
    parser.add_argument("--window", type=float, default=5.5,
                        help="kills land uniformly in this many seconds after start-up (training + exports)")
    parser.add_argument("--version", help="give every new run --trainer.logger.init_args.version VERSION")
    parser.add_argument("--race", action="store_true",
                        help="with --version: start two fits given that version at once instead of killing one")
    parser.add_argument("--race-within", type=float, default=3.0,
                        help="with --race: the second fit starts up to this many seconds after the first")
    options = parser.parse_args()
    if options.race and options.version is None:
        parser.error("--race needs --version")
    base = fit_args(options.epochs, options.last_interval, options.table, options.version)
    reference = options.workdir / "reference"
    if not any((reference / "checkpoints").glob("*/model.json")):
        shutil.rmtree(reference, ignore_errors=True)
        reference.mkdir(parents=True)
        code, output = run_once(reference, base, None)
        assert code == 0, output
    rng = random.Random(options.seed)
    with open(options.workdir / f"log-{options.seed}.jsonl", "a") as log:
        for i in range(options.iterations):
            if options.race:
                record = race(options.workdir / f"race-{options.seed}-{i:03d}", base, reference, options.race_within, rng)
                log.write(json.dumps(record) + "\n")
                log.flush()
                print(i, record["delay"], record["rc"], record["problems"] or "OK", flush=True)
                continue
            record = iteration(options.workdir / f"run-{options.seed}-{i:03d}", base, reference, options.window, rng)
            log.write(json.dumps(record) + "\n")
            log.flush()
            steps = [(s["kill"] and (s["kill"][0], round(s["kill"][1], 2)), s["rc"]) for s in record["steps"]]
            print(i, steps, record["problems"] or "OK", flush=True)


if __name__ == "__main__":
    main()
