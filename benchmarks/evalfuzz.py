"""Kill fuzzer for evaluations: stop `test`, `validate` and `predict` at random moments, then check every file.

    python benchmarks/evalfuzz.py WORKDIR [--iterations N] [--seed S] [--rows R]

WORKDIR/base is a project made once: a short tutorial run (3 epochs, extended to 5, every export), a
table run (iris, ``configs/table.yaml``, the same) and ``big.csv`` (R points to predict, written as a
streamed CSV of several MB); each run's ``last.ckpt`` of epoch 3 is kept as ``earlier/.../last.ckpt``.
Each command below is first run uninterrupted in a copy of the base (its reference).
Each iteration copies the base, sometimes runs the command once beforehand (so an old complete
version of each output exists; half of those times on the epoch-3 ``last.ckpt``, put in place for that
command only, so the old outputs differ from the new ones), runs it again and sends SIGKILL, SIGTERM or
SIGINT at a random moment of its run (40 %: within 0.3 s of the moment a temporary file first appears, a
write; most others while it evaluates, timed from the moment its checkpoint is restored), then checks that
every file is absent, its old complete version or the reference's new one (never truncated; temporaries
``.NAME.*.tmp`` allowed only until the next command), and that a test report is beside figures of its own
evaluation (old with old, new with new); then runs the command again, uninterrupted, which must succeed (or
refuse an existing predictions file in one line) and leave exactly the reference's files, byte for byte, no
temporary anywhere, as many TensorBoard event files in each evaluation's log folder as the reference (the
killed and earlier evaluations' removed), and the evaluation's TensorBoard scalars as the reference shows
them (purges applied). One JSON line per iteration goes to WORKDIR/log-S.jsonl.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIGNALS = {"KILL": signal.SIGKILL, "TERM": signal.SIGTERM, "INT": signal.SIGINT}
RUN = "checkpoints/version_0"
TABLE = "table/checkpoints/version_0"
COMMANDS = {
    "test": ["test", "--ckpt_path", "last"],
    "test-best": ["test", "--ckpt_path", "best"],
    "validate": ["validate", "--ckpt_path", "last"],
    "predict": ["predict", "--ckpt_path", "last"],
    "predict-big": ["predict", "--ckpt_path", "last", "--data.predict_file", "big.csv"],
    "predict-big-overwrite": ["predict", "--ckpt_path", "last", "--data.predict_file", "big.csv",
                              "--prediction.overwrite", "true"],
    "table-test": ["test", "--ckpt_path", "last", "--checkpoint.root", "table/checkpoints"],
    "table-predict": ["predict", "--ckpt_path", "last", "--checkpoint.root", "table/checkpoints",
                      "--prediction.output", "table/out.csv", "--prediction.overwrite", "true"],
}


def blobclf(cwd: Path, args: list[str], kill: tuple | None = None) -> tuple[int, str, float, float]:
    """Run ``python -m blobclf ARGS`` in ``cwd``, sending ``kill``: (signal, seconds after the start), or
    (signal, seconds, "write"): that many seconds after a temporary file first appears under ``cwd``, or
    (signal, seconds, "restored"): that many seconds after the checkpoint was restored.

    Returns the exit status, the output, the seconds it ran and the second its checkpoint was restored
    (the line Lightning prints then; ``0`` if none).
    """
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "ignore"}
    env.pop("BLOBCLF_DEBUG", None)
    start = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "blobclf", *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, stdin=subprocess.DEVNULL,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines: list[str] = []
    restored = [0.0]
    seen = threading.Event()

    def read() -> None:
        for line in process.stdout:
            if not restored[0] and line.startswith("Restoring states"):
                restored[0] = time.monotonic() - start
                seen.set()
            lines.append(line)
        seen.set()

    reader = threading.Thread(target=read)
    reader.start()
    if kill is not None:
        if len(kill) == 3 and kill[2] == "write":  # once a temporary appears, then after kill[1] seconds
            before = set(cwd.rglob("*.tmp"))
            while process.poll() is None and not set(cwd.rglob("*.tmp")) - before:
                time.sleep(0.002)
        elif len(kill) == 3:  # kill[1] seconds after the checkpoint was restored (the evaluation and its writes)
            seen.wait()
        try:
            process.wait(timeout=kill[1])
        except subprocess.TimeoutExpired:
            process.send_signal(SIGNALS[kill[0]])
    process.wait(timeout=600)
    reader.join()
    return process.returncode, "".join(lines), time.monotonic() - start, restored[0]


def is_events(path: Path) -> bool:
    return path.name.startswith("events.out.tfevents.")


def files(cwd: Path) -> dict[str, bytes | None]:
    """Every file under ``cwd`` (but the command outputs of this fuzzer) with its bytes (``None`` for events files)."""
    return {os.fspath(p.relative_to(cwd)): None if is_events(p) else p.read_bytes()
            for p in sorted(cwd.rglob("*")) if p.is_file() and not p.name.startswith("output-")}


def evaluation_folders(cwd: Path) -> list[Path]:
    """The log folders of evaluations (``lightning_logs/version_N/test-last`` ...)."""
    return [folder for folder in sorted(cwd.glob("**/lightning_logs/version_*/*-*")) if folder.is_dir()]


def scalars(cwd: Path) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """Each evaluation log folder's scalars as TensorBoard shows them (purges applied)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    logging.getLogger("tensorboard").setLevel(logging.ERROR)
    shown = {}
    for folder in evaluation_folders(cwd):
        events = EventAccumulator(str(folder), size_guidance={"scalars": 0})
        events.Reload()
        shown[os.fspath(folder.relative_to(cwd))] = {
            tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}
    return shown


def events_counts(cwd: Path) -> dict[str, int]:
    """The number of TensorBoard event files in each evaluation log folder."""
    return {os.fspath(folder.relative_to(cwd)): sum(map(is_events, folder.iterdir()))
            for folder in evaluation_folders(cwd)}


def mismatched_sets(now: dict, old: dict, new: dict) -> list[str]:
    """Test reports beside a figure of another evaluation (one old, the other new)."""
    problems = []
    for path, data in now.items():
        name = Path(path).name
        if data is None or not (name.startswith("test_report-") and name.endswith(".json")):
            continue
        tag = name.removeprefix("test_report-").removesuffix(".json")
        version = new if data == new.get(path) else old
        for figure in (f"confusion_matrix_test-{tag}.png", f"reliability_test-{tag}.png"):
            figure_path = os.fspath(Path(path).parent / figure)
            if now.get(figure_path) != version.get(figure_path):
                problems.append(f"{path} ({'new' if version is new else 'old'}) beside {figure} of another evaluation")
    return problems


def make_base(base: Path, rows: int) -> None:
    """The project every iteration starts from."""
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    subprocess.run([sys.executable, str(REPO / "examples" / "write_datasets.py"), str(base / "data")], check=True,
                   capture_output=True)
    table = ["--checkpoint.root", "table/checkpoints", "--trainer.logger.init_args.save_dir", "table/lightning_logs"]
    for run, first in ((RUN, ["--config", str(REPO / "configs" / "sgd.yaml")]),
                       (TABLE, ["--config", str(REPO / "configs" / "table.yaml"), "--data.path", "data/iris.csv",
                                "--data.target", "species", *table])):
        root = table if run == TABLE else []
        code, output, *_ = blobclf(base, ["fit", *first, "--trainer.max_epochs", "3", "--trainer.enable_progress_bar",
                                          "false"])
        assert code == 0, output
        (base / "earlier" / run).mkdir(parents=True)
        shutil.copy2(base / run / "last.ckpt", base / "earlier" / run / "last.ckpt")
        code, output, *_ = blobclf(base, ["fit", "--ckpt_path", f"{run}/last.ckpt", "--trainer.max_epochs", "5",
                                          *root[:2]])
        assert code == 0, output
    rng = random.Random(0)
    with open(base / "big.csv", "w") as out:
        out.write("id,x0,x1\n")
        out.writelines(f"p{i},{rng.uniform(-12, 12):.4f},{rng.uniform(-12, 12):.4f}\n" for i in range(rows))


def fresh(base: Path, cwd: Path) -> None:
    shutil.rmtree(cwd, ignore_errors=True)
    shutil.copytree(base, cwd, symlinks=True)


def refused_existing(code: int, output: str) -> bool:
    """A predict that found its output there already (written completely by the command killed before)."""
    return code == 2 and "already exists; pass --prediction.overwrite true" in output and "Traceback" not in output


def iteration(name: str, base: Path, cwd: Path, reference: dict, rng: random.Random) -> dict:
    args = COMMANDS[name]
    fresh(base, cwd)
    record: dict = {"command": name, "problems": []}
    replaces = args[0] != "predict" or "--prediction.overwrite" in args  # predict refuses an existing output
    if replaces and rng.random() < 0.4:  # an old complete version of every output exists
        run = TABLE if "table/checkpoints" in args else RUN
        earlier = args[2] == "last" and rng.random() < 0.5  # of another checkpoint: the run before it was extended
        if earlier:
            shutil.copy2(cwd / "earlier" / run / "last.ckpt", cwd / run / "last.ckpt")
        code, output, *_ = blobclf(cwd, args)
        assert code == 0, output
        if earlier:
            shutil.copy2(base / run / "last.ckpt", cwd / run / "last.ckpt")
        record["before"] = "earlier" if earlier else True
    old = files(cwd)
    # mostly once the checkpoint is restored (the evaluation and its writes), sometimes while it starts
    name = rng.choice(["KILL", "KILL", "TERM", "INT"])
    if rng.random() < 0.4:  # in the middle of a write (a report, a figure, hparams.yaml, the CSV)
        kill = (name, rng.uniform(0, 0.3), "write")
    elif rng.random() < 0.8:  # while it evaluates and writes
        kill = (name, rng.uniform(0, 1.1 * (reference["seconds"] - reference["restored"])), "restored")
    else:  # while it starts
        kill = (name, rng.uniform(0.2, reference["restored"]))
    code, output, *_ = blobclf(cwd, args, kill)
    record.update(kill=[kill[0], round(kill[1], 2), *kill[2:]], rc=code)
    (cwd / "output-killed.txt").write_text(output)
    if "Traceback" in output or "Exception ignored" in output:
        record["problems"].append("traceback when killed")
    if kill[0] != "KILL" and code not in (0, 128 + SIGNALS[kill[0]]) and not refused_existing(code, output):
        record["problems"].append(f"{kill[0]} ended with {code}")
    temporaries = []
    for path, data in files(cwd).items():
        if data is None:
            continue
        if Path(path).name.endswith(".tmp"):
            temporaries.append(path)
        elif data != old.get(path) and data != reference["files"].get(path):
            record["problems"].append(f"after the kill: {path} is neither its old nor its new version "
                                      f"({len(data)} bytes, new {len(reference['files'].get(path) or b'')})")
    record["temporaries"] = temporaries
    record["problems"] += mismatched_sets(files(cwd), old, reference["files"])
    code, output, *_ = blobclf(cwd, args)
    (cwd / "output-again.txt").write_text(output)
    record["again"] = code
    if code != 0 and not refused_existing(code, output):
        record["problems"].append(f"the command again: {code}: {output[-300:]}")
    now = files(cwd)
    expected = {path: data for path, data in reference["files"].items() if data is not None}
    for path in sorted(set(p for p, data in now.items() if data is not None) | set(expected)):
        if path not in now:
            record["problems"].append(f"missing {path}")
        elif path not in expected:
            record["problems"].append(f"left: {path}")
        elif now[path] != expected[path]:
            record["problems"].append(f"differs: {path}")
    if scalars(cwd) != reference["scalars"]:
        record["problems"].append("TensorBoard scalars of the evaluation differ from the reference's")
    if events_counts(cwd) != reference["events"]:
        record["problems"].append(f"event files per evaluation folder: {events_counts(cwd)}, "
                                  f"the reference's {reference['events']}")
    return record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--commands", nargs="*", default=list(COMMANDS), choices=list(COMMANDS))
    options = parser.parse_args()
    base = options.workdir / "base"
    if not (base / "big.csv").is_file():
        make_base(base, options.rows)
    references = {}
    for name in options.commands:
        cwd = options.workdir / f"reference-{name}"
        fresh(base, cwd)
        code, output, seconds, restored = blobclf(cwd, COMMANDS[name])
        assert code == 0, output
        references[name] = {"files": files(cwd), "scalars": scalars(cwd), "events": events_counts(cwd),
                            "seconds": seconds, "restored": restored}
        print(f"reference {name}: {seconds:.1f} s, checkpoint restored at {restored:.1f} s", flush=True)
    rng = random.Random(options.seed)
    with open(options.workdir / f"log-{options.seed}.jsonl", "a") as log:
        for i in range(options.iterations):
            name = rng.choice(options.commands)
            record = iteration(name, base, options.workdir / f"run-{options.seed}-{i:03d}", references[name], rng)
            log.write(json.dumps(record) + "\n")
            log.flush()
            print(i, name, record.get("before", False), record["kill"], record["rc"], record["again"],
                  record["temporaries"] or "", record["problems"] or "OK", flush=True)


if __name__ == "__main__":
    main()
