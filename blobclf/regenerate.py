"""``python -m blobclf.regenerate RUN``: redraw the figures and rewrite the test report of a run.

RUN is a run folder (``checkpoints/version_N``, whose ``last.ckpt`` is used) or a checkpoint
file. Curves come from the run's TensorBoard event files; everything else is recomputed from the
checkpoint and the data settings it carries.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import torch

from blobclf import artifacts
from blobclf.data import BlobDataModule
from blobclf.errors import UserError, debugging, printable
from blobclf.export import (
    METADATA_NAME,
    checkpoint_tag,
    public_hparams,
    report_name,
    write_report,
)
from blobclf.quiet import quiet_known_notices
from blobclf.runs import LAST_NAME
from blobclf.safeload import load_checkpoint
from blobclf.system import BlobClassifier
from blobclf.tabledata import TableDataModule, check_table_unchanged


def _log_dir(folder: Path, logs_root: Path) -> Path | None:
    meta = folder / METADATA_NAME
    if meta.is_file():
        try:
            recorded = json.loads(meta.read_text()).get("log_dir")
        except ValueError:
            recorded = None
        if recorded and Path(recorded).is_dir():
            return Path(recorded)
    guess = logs_root / folder.name
    return guess if guess.is_dir() else None


def data_module(checkpoint: dict) -> BlobDataModule | TableDataModule:
    """The data module a checkpoint was trained on, rebuilt from the settings it records."""
    hparams = checkpoint.get("datamodule_hyper_parameters", {})
    table = str(hparams.get("_class_path", "")).endswith("TableDataModule")
    return (TableDataModule if table else BlobDataModule)(**public_hparams(hparams))


def regenerate(run: str | os.PathLike[str], output: str | os.PathLike[str] | None = None,
               logs_root: str | os.PathLike[str] = "lightning_logs") -> dict[str, Path]:
    """Write every figure and ``test_report-<checkpoint>.json`` for ``run``; returns ``{name: path}``."""
    path = Path(run)
    if not path.exists():
        raise UserError(f"{os.fspath(run)!r} does not exist; pass a run folder (checkpoints/version_N) or a .ckpt")
    checkpoint_path = path / LAST_NAME if path.is_dir() else path
    if not checkpoint_path.is_file():
        raise UserError(f"{os.fspath(run)!r} holds no {LAST_NAME}; pass a checkpoint file instead")
    checkpoint = load_checkpoint(checkpoint_path)
    system = BlobClassifier.check_checkpoint(checkpoint, checkpoint_path)
    try:
        data = data_module(checkpoint)
        system.load_state_dict(checkpoint["state_dict"])
    except (TypeError, ValueError, RuntimeError) as error:
        first = str(error).strip().splitlines()[0]
        raise UserError(f"{os.fspath(checkpoint_path)!r} was not written by blobclf fit: {first}") from None
    if isinstance(data, TableDataModule):
        check_table_unchanged(checkpoint.get(TableDataModule.__qualname__), data.hparams.path)
    data.setup()
    model = system.model.eval()
    folder = Path(output) if output is not None else checkpoint_path.parent
    log_dir = _log_dir(checkpoint_path.parent, Path(logs_root))
    curves = artifacts.read_curves(log_dir) if log_dir is not None else {}
    names = system.classes
    drawn = artifacts.fit_figures(model, data.splits, data.num_classes, curves, names, data.hparams.get("features"))
    drawn.update(artifacts.evaluation_figures(artifacts.evaluate(model, *data.splits["val"], class_names=names), "val"))
    features, labels = data.splits["test"]
    with torch.inference_mode():
        loss = float(system.loss_fn(model(features), labels))
    report = artifacts.evaluate(model, features, labels, loss=loss, class_names=names)
    report["checkpoint"] = os.fspath(checkpoint_path)
    tag = checkpoint_tag(checkpoint_path)
    drawn.update({f"{name}-{tag}": fig for name, fig in artifacts.evaluation_figures(report, "test").items()})
    written = artifacts.save_figures(artifacts.render_figures(drawn), folder)
    written["test_report"] = write_report(report, folder / report_name(checkpoint_path))
    if log_dir is None:
        print(f"note: no TensorBoard logs found for {os.fspath(checkpoint_path.parent)!r}; curves not drawn")
    return written


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python -m blobclf.regenerate", description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a run folder (checkpoints/version_N) or a .ckpt file")
    parser.add_argument("--output", default=None, help="folder for the outputs (default: the run folder)")
    parser.add_argument("--logs", default="lightning_logs", help="TensorBoard log root (default: lightning_logs)")
    args = parser.parse_args(argv)
    quiet_known_notices()
    try:
        written = regenerate(args.run, args.output, args.logs)
    except OSError as error:
        sys.stderr.write(f"blobclf: error: cannot write to {error.filename or args.output!r}: {error.strerror}\n")
        sys.exit(2)
    except UserError as error:
        if debugging():
            raise
        sys.stderr.write(f"blobclf: error: {error}\n")
        sys.exit(2)
    for name, path in written.items():
        print(f"{name}: {printable(str(path))}")


if __name__ == "__main__":
    main()
