"""Finding runs and their checkpoints under ``checkpoints/version_N``."""

from __future__ import annotations

import os
import re
from pathlib import Path

from blobclf.errors import UserError
from blobclf.logger import CHECKPOINT_ROOT
from blobclf.safeload import load_checkpoint

LAST_NAME = "last.ckpt"
_VERSION = re.compile(r"^version_(\d+)$")


def run_folders(root: str | os.PathLike[str] = CHECKPOINT_ROOT) -> list[Path]:
    """Run folders under ``root``, oldest (lowest version) first."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir() if p.is_dir() and (m := _VERSION.match(p.name))]
    return [path for _, path in sorted(found)]


def newest_run(root: str | os.PathLike[str] = CHECKPOINT_ROOT) -> Path:
    """The run folder with the highest version number."""
    runs = run_folders(root)
    if not runs:
        raise UserError(f"no runs found under {os.fspath(root)!r}; train one first with 'blobclf fit'")
    return runs[-1]


def resolve_checkpoint(value: str, root: str | os.PathLike[str] = CHECKPOINT_ROOT) -> str:
    """Turn ``last`` / ``best`` into the newest run's checkpoint path; return other paths unchanged."""
    if value not in ("last", "best"):
        return value
    run = newest_run(root)
    last = run / LAST_NAME
    if not last.is_file():
        raise UserError(
            f"--ckpt_path {value}: the newest run {os.fspath(run)!r} has no {LAST_NAME} (it stopped before its "
            "first epoch ended); pass a checkpoint path, or start a new run without --ckpt_path"
        )
    if value == "last":
        return os.fspath(last)
    best = best_checkpoint(last)
    if best is None:
        raise UserError(f"--ckpt_path best: {os.fspath(run)!r} records no best checkpoint; pass a path")
    return best


def best_checkpoint(last: str | os.PathLike[str]) -> str | None:
    """The best checkpoint recorded by the checkpoint callback's state in ``last``."""
    checkpoint = load_checkpoint(last)
    for key, state in checkpoint.get("callbacks", {}).items():
        if "Checkpoint" in key and isinstance(state, dict) and state.get("best_model_path"):
            best = Path(state["best_model_path"])
            if best.is_file():
                return os.fspath(best)
            local = Path(last).parent / best.name
            if local.is_file():
                return os.fspath(local)
    return None


def run_version(checkpoint: str | os.PathLike[str], root: str | os.PathLike[str] = CHECKPOINT_ROOT) -> int | None:
    """The version ``N`` if ``checkpoint`` lies directly in ``{root}/version_N``, else ``None``."""
    path = Path(checkpoint).resolve()
    match = _VERSION.match(path.parent.name)
    if match and path.parent.parent == Path(root).resolve():
        return int(match.group(1))
    return None
