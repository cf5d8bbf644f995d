"""The command line's part in choosing a data module: ``--data BlobDataModule`` (default) or ``--data TableDataModule``.

Kept apart from :mod:`blobclf.cli` so that each concern has one home: which data class a run
uses, how the data's names reach the model, and how a checkpoint's data settings come back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lightning.pytorch.cli import LightningArgumentParser

from blobclf.table import count_lines
from blobclf.tabledata import TableDataModule

DEFAULT_DATA = "blobclf.data.BlobDataModule"
__all__ = ["DEFAULT_DATA", "TableDataModule", "add_table_arguments", "as_defaults", "data_defaults", "switch_data_class"]


def add_table_arguments(parser: LightningArgumentParser) -> None:
    """Make the blobs the default data and link the data's names and preprocessing into the model."""
    parser.set_defaults({"data": {"class_path": DEFAULT_DATA}})
    for name in ("standardize", "class_names", "feature_names"):
        parser.link_arguments(f"data.{name}", f"model.{name}", apply_on="instantiate")


def data_defaults(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """The data settings a checkpoint records, as ``{"data.class_path": ..., "data.init_args.x": ...}``.

    Checkpoints of blob runs written before the data class was selectable have no class path:
    they are blob runs.
    """
    hparams = checkpoint.get("datamodule_hyper_parameters", {}) or {}
    settings = {"data.class_path": hparams.get("_class_path", DEFAULT_DATA)}
    settings.update({f"data.init_args.{k}": v for k, v in hparams.items() if not str(k).startswith("_")})
    return settings


def switch_data_class(
    parser: LightningArgumentParser,
    config: Any,
    subcommand: str,
    stored: dict[str, Any],
    args: Any,
    parse: Callable[[LightningArgumentParser, Any], None],
) -> None:
    """Parse again with the checkpoint's data class as the default, when it is not the one parsed.

    Only then do the options of that class exist in the parsed config, so that the checkpoint's
    values can become their defaults; an explicit ``--data`` still wins (and is then refused as
    a conflict with the checkpoint).
    """
    wanted = stored.get("data.class_path")
    if not wanted or config[subcommand].data.get("class_path") == wanted:
        return
    init = {k.removeprefix("data.init_args."): v for k, v in stored.items() if k.startswith("data.init_args.")}
    parser.set_defaults({f"{subcommand}.data": {"class_path": wanted, "init_args": init}})
    parse(parser, args)


def table_rows_bound(path: str | None) -> int:
    """An upper bound of the rows of a table (its line count), for choosing the thread count before reading it."""
    if path is None:
        return 0
    try:
        return count_lines(path)
    except OSError:
        return 0  # the data module reports the missing file in one line


def as_defaults(subcommand: str, settings: dict[str, Any]) -> dict[str, Any]:
    """``{"data.class_path": ..., "data.init_args.x": ..., "model.y": ...}`` as ``parser.set_defaults`` takes them.

    The data class and its arguments are one default (``{"class_path": ..., "init_args": {...}}``):
    jsonargparse sets a subclass option as a whole.
    """
    defaults: dict[str, Any] = {}
    data: dict[str, Any] = {}
    for key, value in settings.items():
        if key == "data.class_path":
            data["class_path"] = value
        elif key.startswith("data.init_args."):
            data.setdefault("init_args", {})[key.removeprefix("data.init_args.")] = value
        else:
            defaults[f"{subcommand}.{key}"] = value
    if data:
        defaults[f"{subcommand}.data"] = data
    return defaults
