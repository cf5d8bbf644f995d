"""Each command's own cost, an older commit against this tree, side by side in one run.

    python benchmarks/overhead.py                  # against main, 3 rounds
    python benchmarks/overhead.py --old HEAD~3 --rounds 5

The older commit is checked out in a temporary git worktree and put first on ``PYTHONPATH``
(this tree for the new side), so both sides use the same interpreter and libraries. Every
round runs, for each side in turn (old then new, alternating which goes first), the tutorial's
``fit --config configs/sgd.yaml`` and then ``test``, ``validate`` and ``predict --ckpt_path last``
in a fresh folder, each a fresh process, plus a process that only imports the command line
(``import blobclf.cli``). Each figure is the minimum over the rounds (the machine may be shared:
the minimum is the least disturbed run). The last column is the command's own cost past the import.

It then compares what the two sides wrote in their last round: the printed lines (timings and
folder names aside) and every output file byte for byte, except TensorBoard event files and
checkpoints (which hold times and paths), with each round's folder name masked and JSON keys sorted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMMANDS = {
    "import": ["-c", "import blobclf.cli"],
    "fit": ["-m", "blobclf", "fit", "--config", str(REPO / "configs" / "sgd.yaml")],
    "test": ["-m", "blobclf", "test", "--ckpt_path", "last"],
    "validate": ["-m", "blobclf", "validate", "--ckpt_path", "last"],
    "predict": ["-m", "blobclf", "predict", "--ckpt_path", "last"],
}
UNCOMPARED = re.compile(r"(events\.out\.tfevents|\.ckpt$)")
VARYING = re.compile(r"\d+(\.\d+)?\s*(s|ms|it/s|s/it)\b|/tmp/\S+")


def run_round(source: Path, folder: Path) -> tuple[dict[str, float], dict[str, str]]:
    """Every command once in ``folder`` with ``source`` first on the path: wall seconds and output of each."""
    env = {**os.environ, "PYTHONPATH": str(source), "PYTHONWARNINGS": "ignore"}
    times, outputs = {}, {}
    for name, words in COMMANDS.items():
        start = time.perf_counter()
        done = subprocess.run([sys.executable, *words], cwd=folder, env=env, capture_output=True, text=True)
        times[name] = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"{name} failed with {source} on the path:\n{done.stdout}{done.stderr}")
        outputs[name] = done.stdout
    return times, outputs


def files(folder: Path) -> dict[str, bytes]:
    """The files a round wrote, by relative path, those that hold times left out; the round's own folder
    (``model.json`` names its checkpoints by absolute path) written as ``ROUND``, JSON with sorted keys (the
    linked model settings in ``model.json`` come in an order that differs from run to run, on main too)."""
    written = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not UNCOMPARED.search(path.name):
            content = path.read_bytes().replace(os.fsencode(folder), b"ROUND")
            if path.suffix == ".json":
                content = json.dumps(json.loads(content), sort_keys=True).encode()
            written[str(path.relative_to(folder))] = content
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default="main", help="the commit to compare with (default: main)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; each figure is the minimum (default: 3)")
    options = parser.parse_args()
    best: dict[str, dict[str, float]] = {"old": {}, "new": {}}
    with tempfile.TemporaryDirectory(prefix="blobclf-overhead-") as scratch:
        old = Path(scratch) / "old"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "-q", "--detach", str(old), options.old], check=True)
        try:
            sources = {"old": old, "new": REPO}
            last: dict[str, tuple[dict[str, str], dict[str, bytes]]] = {}
            for index in range(options.rounds):
                order = ["old", "new"] if index % 2 == 0 else ["new", "old"]
                for side in order:
                    folder = Path(scratch) / f"{side}-{index}"
                    folder.mkdir()
                    times, outputs = run_round(sources[side], folder)
                    for name, seconds in times.items():
                        best[side][name] = min(best[side].get(name, seconds), seconds)
                    last[side] = outputs, files(folder)
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(old)], check=True)
    print(f"wall seconds, minimum of {options.rounds} rounds: old = {options.old}, new = this tree")
    print(f"{'command':<10}{'old':>8}{'new':>8}{'new-old':>9}{'old past import':>17}{'new past import':>17}")
    for name in COMMANDS:
        o, n = best["old"][name], best["new"][name]
        past = "" if name == "import" else (f"{o - best['old']['import']:>17.2f}{n - best['new']['import']:>17.2f}")
        print(f"{name:<10}{o:>8.2f}{n:>8.2f}{n - o:>+9.2f}{past}")
    (old_out, old_files), (new_out, new_files) = last["old"], last["new"]
    differ = [name for name in COMMANDS if VARYING.sub("", old_out[name]) != VARYING.sub("", new_out[name])]
    differ += [path for path in sorted(set(old_files) | set(new_files)) if old_files.get(path) != new_files.get(path)]
    print(f"compared {len(COMMANDS)} outputs and {len(new_files)} files:",
          "identical" if not differ else "DIFFERENT: " + ", ".join(differ))


if __name__ == "__main__":
    main()
