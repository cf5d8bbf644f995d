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
from typing import Any

import torch

from blobclf import artifacts
from blobclf.data import BlobDataModule
from blobclf.errors import SIGPIPE, UserError, debugging, encodable_output, error_line, printable, silence_stdout
from blobclf.export import (
    METADATA_NAME,
    checkpoint_tag,
    report_name,
    write_report,
)
from blobclf.messages import one_line
from blobclf.quiet import quiet_known_notices
from blobclf.recorded import public_hparams
from blobclf.runs import (
    LAST_NAME,
    logs_where_started,
    own_root,
    recorded_checkpointing,
    recorded_save_dir,
    run_name,
)
from blobclf.safeload import load_checkpoint, max_metadata_bytes, read_capped
from blobclf.system import BlobClassifier
from blobclf.tabledata import TableDataModule, check_table_unchanged, recorded_data_class


def run_log_dir(checkpoint_path: Path, checkpoint: dict[str, Any],
                logs_root: str | os.PathLike[str] | None = None) -> Path | None:
    """The TensorBoard folder of the run that wrote ``checkpoint_path``, whose curves it draws.

    With ``logs_root``: ``{logs_root}/version_N``. Otherwise the folder ``model.json`` records, if
    it is the run's: an absolute one; the run's own under the folder it was started in (found
    from wherever this runs, for a run folder where the run wrote it); or a relative one (under
    the folder a resume of a moved run ran in) whose ``config.yaml`` names this run folder. A
    relative record from another folder would name another run's logs.
    """
    folder = checkpoint_path.parent
    if logs_root is not None:
        guess = Path(logs_root) / folder.name
        return guess if guess.is_dir() else None
    try:
        # read as every other reader of model.json does: capped, and never waiting on a pipe
        metadata = read_capped(folder / METADATA_NAME, max_metadata_bytes(), "metadata file", "not read")
        recorded = json.loads(metadata.decode("utf-8")).get("log_dir")
    except (OSError, ValueError, AttributeError, UserError):
        recorded = None
    if isinstance(recorded, str) and Path(recorded).is_absolute():
        return Path(recorded) if Path(recorded).is_dir() else None
    if own_root(checkpoint_path, checkpoint) is not None:
        found = logs_where_started(os.fspath(checkpoint_path), recorded_save_dir(checkpoint))
        if found is not None and (Path(found[0]) / run_name(found[2])).is_dir():
            return Path(found[0]) / run_name(found[2])
    if isinstance(recorded, str) and Path(recorded).is_dir():
        config = Path(recorded) / "config.yaml"
        dirpath, root = recorded_checkpointing(config, "dirpath"), recorded_checkpointing(config, "root")
        here = folder.resolve()
        if (dirpath is not None and Path(dirpath).resolve() == here) or (
                root is not None and (Path(root) / folder.name).resolve() == here):
            return Path(recorded)
    return None


def data_module(checkpoint: dict) -> BlobDataModule | TableDataModule:
    """The data module a checkpoint was trained on, rebuilt from the settings it records."""
    hparams = checkpoint.get("datamodule_hyper_parameters", {})
    table = recorded_data_class(hparams).endswith("TableDataModule")
    return (TableDataModule if table else BlobDataModule)(**public_hparams(hparams))


def regenerate(run: str | os.PathLike[str], output: str | os.PathLike[str] | None = None,
               logs_root: str | os.PathLike[str] | None = None) -> dict[str, Path]:
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
    log_dir = run_log_dir(checkpoint_path, checkpoint, logs_root)
    curves = artifacts.read_curves(log_dir) if log_dir is not None else {}
    names = system.classes
    inputs = data.feature_names if data.hparams.get("features") else None  # a table's, categorical ones one-hot
    drawn = artifacts.fit_figures(model, data.splits, data.num_classes, curves, names, inputs)
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
    typed = sys.argv and Path(sys.argv[0]).stem == "blobclf-regenerate"  # the installed command
    parser = argparse.ArgumentParser(prog="blobclf-regenerate" if typed else "python -m blobclf.regenerate",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("run", help="a run folder (checkpoints/version_N) or a .ckpt file")
    parser.add_argument("--output", default=None, help="folder for the outputs (default: the run folder)")
    parser.add_argument("--logs", default=None,
                        help="TensorBoard log root holding the run's version_N (default: the run's own, as recorded)")
    args = parser.parse_args(argv)
    if argv is None:
        encodable_output()
    quiet_known_notices()
    try:
        written = regenerate(args.run, args.output, args.logs)
    except OSError as error:
        sys.stderr.write(f"blobclf: error: cannot write to {error.filename or args.output!r}: {error.strerror}; "
                         "write the outputs to another folder with --output\n")
        sys.exit(2)
    except UserError as error:
        if debugging():
            raise
        sys.stderr.write(f"blobclf: error: {error_line(one_line(str(error)))}\n")
        sys.exit(2)
    try:
        for name, path in written.items():
            print(f"{name}: {printable(str(path))}", flush=True)
    except BrokenPipeError:  # the reader left (| head): every file is written; one line, as the command line says it
        silence_stdout()
        sys.stderr.write("blobclf: stopped by SIGPIPE: standard output was closed (the reader of the pipe left)\n")
        sys.exit(128 + SIGPIPE)


if __name__ == "__main__":
    main()
