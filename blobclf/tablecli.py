"""The command line's part in choosing a data module: ``--data BlobDataModule`` (default) or ``--data TableDataModule``.

Kept apart from :mod:`blobclf.cli` so that each concern has one home: which data class a run
uses, how the data's names reach the model, and how a checkpoint's data settings come back.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lightning.pytorch.cli import LightningArgumentParser

from blobclf.classrefs import loaded_class
from blobclf.data import split_sizes
from blobclf.errors import UserError, printable
from blobclf.optionnames import given_option
from blobclf.outputnames import file_state
from blobclf.points import LABEL_COLUMN, Points, read_points
from blobclf.recorded import public_hparams
from blobclf.runs import CHECKPOINT_ROOT, resolve_checkpoint
from blobclf.safeload import load_checkpoint
from blobclf.system import DEFAULT_LR
from blobclf.table import count_lines, read_header
from blobclf.tablecells import nfc
from blobclf.tabledata import (
    PREDICT_ELSEWHERE,
    RESUME_ELSEWHERE,
    TEST_ELSEWHERE,
    TableDataModule,
    check_table_unchanged,
    given_file,
    file_sha256,
    recorded_data_class,
)

DEFAULT_DATA = "blobclf.data.BlobDataModule"
__all__ = [
    "DEFAULT_DATA", "TableDataModule", "add_table_arguments", "as_defaults", "check_training_table", "data_defaults",
    "Preloaded", "preselect_data_class", "read_predict_file", "same_setting", "same_table", "switch_data_class",
    "tutorial_settings_note",
]


def add_table_arguments(parser: LightningArgumentParser) -> None:
    """Make the blobs the default data (the command line links the data's shape and names into the model)."""
    parser.set_defaults({"data": {"class_path": DEFAULT_DATA}})


def data_defaults(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """The data settings a checkpoint records, as ``{"data.class_path": ..., "data.init_args.x": ...}``.

    Checkpoints of blob runs written before the data class was selectable have no class path:
    they are blob runs.
    """
    hparams = checkpoint.get("datamodule_hyper_parameters", {}) or {}
    settings = {"data.class_path": recorded_data_class(hparams)}
    settings.update({f"data.init_args.{k}": v for k, v in public_hparams(hparams).items()})
    return settings


def check_training_table(subcommand: str, config: Any, checkpoint: dict[str, Any]) -> None:
    """Refuse, before anything runs, a command that would split a training table changed since the checkpoint.

    ``fit`` and ``validate`` always split the training table again; ``test`` and ``predict`` do
    unless a separate ``test_path`` (or, for ``predict``, a ``predict_file``) is given. A
    ``test_path`` or ``predict_file`` given now that holds the training table's very bytes is named
    in a note: its rows were trained on.
    """
    data = config.get("data")
    class_path = data.get("class_path") if hasattr(data, "get") else None
    if not class_path or str(class_path).rsplit(".", 1)[-1] != TableDataModule.__name__:
        return
    init = data.get("init_args")
    state = checkpoint.get(TableDataModule.__qualname__)
    recorded = state.get("sha256") if isinstance(state, dict) else None
    trained = (checkpoint.get("datamodule_hyper_parameters") or {}).get("test_path")
    test_path, predict_file = init.get("test_path"), init.get("predict_file")
    given = test_path if subcommand in ("test", "validate") and test_path != trained else None
    given = predict_file if subcommand == "predict" and predict_file else given
    if given and recorded and Path(given).is_file() and file_sha256(given) == recorded:
        # not refused: in-sample scores can be wanted, but never taken for a test's
        scores = "an accuracy on them overstates" if subcommand == "predict" else "its scores overstate"
        print(f"note: {printable(str(given))} is the table the model was trained on (the same bytes): most of its rows "
              f"are training rows, so {scores} how the model does on new rows")
    uses_table = subcommand in ("fit", "validate") or (not test_path and not (subcommand == "predict" and predict_file))
    if uses_table and init.get("path"):
        path = str(init.get("path"))
        if not Path(path).is_file():
            instead = "train a new run (no --ckpt_path)" if subcommand == "fit" else elsewhere(subcommand)
            raise UserError(
                f"the run's training table {path!r} is not there (moved, or a relative path from another folder?); "
                f"give its place with --data.path PATH (the same bytes are accepted), or {instead}"
            )
        fix = {"fit": RESUME_ELSEWHERE, "predict": PREDICT_ELSEWHERE}.get(subcommand, TEST_ELSEWHERE)
        check_table_unchanged(checkpoint.get(TableDataModule.__qualname__), path, fix)


def elsewhere(subcommand: str) -> str:
    """What an evaluation can do with another table than the run's own: ``predict`` reads
    ``--data.predict_file``, ``test`` and ``validate`` read ``--data.test_path``."""
    if subcommand == "predict":
        return "predict another table's rows with --data.predict_file"
    return "test on another table with --data.test_path"


def same_table(key: str, given: Any, checkpoint: dict[str, Any], ckpt_path: str, subcommand: str = "test") -> bool:
    """Whether ``--data.path`` names a file with the very bytes of the checkpoint's training table.

    A table moved or copied elsewhere is the same table: its SHA-256 is what the checkpoint
    records (a checkpoint without one accepts no other path).

    Raises:
        UserError: when the file exists but holds other bytes.
    """
    if key.replace(".init_args.", ".") != "data.path" or not given or not Path(str(given)).is_file():
        return False
    state = checkpoint.get(TableDataModule.__qualname__)
    recorded = state.get("sha256") if isinstance(state, dict) else None
    if not recorded:
        return False
    if file_sha256(str(given)) == recorded:
        return True
    instead = "train a new run on it (no --ckpt_path)" if subcommand == "fit" else elsewhere(subcommand)
    raise UserError(
        f"--data.path={given!r} is not the table {ckpt_path!r} was trained on (its SHA-256 differs); give the "
        f"run's own table (moved tables are accepted), or {instead}"
    )


def read_predict_file(config: Any, model_hparams: dict[str, Any]) -> Points | None:
    """Read ``--data.predict_file`` against the checkpoint's model before anything runs.

    A bad prediction input is then refused in one line before Lightning prints or loads anything,
    and the data module is handed the rows read (it does not read the file again). ``None`` when
    there is no predict file, or a checkpoint too old to record its feature names.
    """
    data = config.get("data")
    init = (data.get("init_args") if data.get("class_path") else data) if hasattr(data, "get") else None
    path = init.get("predict_file") if init is not None else None
    features, classes = model_hparams.get("feature_names"), model_hparams.get("class_names")
    if not path or not features or not classes:
        return None
    categories = init.get("categories")
    if categories:  # the model's inputs are the table's feature columns encoded
        features = list(init.get("features"))
    given_file("predict_file", path)
    batch_rows = init.get("eval_batch_size") if model_hparams.get("standardize", True) else 0
    return read_points(path, features, classes, init.get("target") or LABEL_COLUMN, init.get("delimiter"),
                       init.get("decimal") or ".", categories=dict(categories) if categories else None,
                       batch_rows=batch_rows)


def switch_data_class(
    parser: LightningArgumentParser,
    config: Any,
    subcommand: str,
    stored: dict[str, Any],
    args: Any,
    parse: Callable[[LightningArgumentParser, Any], Any],
) -> Any:
    """Parse again with the checkpoint's data class as the default, when it is not the one parsed; the
    configuration parsed again, or ``config`` where it was not.

    Only then do the options of that class exist in the parsed config, so that the checkpoint's
    values can become their defaults; an explicit ``--data`` of another class stays, and is then
    refused as a conflict with the checkpoint. Classes are compared as classes, not paths:
    ``blobclf.TableDataModule`` and ``blobclf.tabledata.TableDataModule`` are one class.
    """
    wanted = stored.get("data.class_path")
    if not wanted:
        return config
    given = config[subcommand].data.get("class_path")
    if _resolve(given) is _resolve(wanted):
        return config
    init = {k.removeprefix("data.init_args."): v for k, v in stored.items() if k.startswith("data.init_args.")}
    parser.set_defaults({f"{subcommand}.data": {"class_path": wanted, "init_args": init}})
    return parse(parser, args)


TABLE_DATA = ("blobclf.TableDataModule", "blobclf.tabledata.TableDataModule")
"""The class paths of TableDataModule that the command line writes (``--data TableDataModule``, a config file)."""
TUTORIAL_SETTINGS = ("torch.optim.SGD", DEFAULT_LR, 8)
"""The tutorial's optimizer, learning rate and hidden units: the command line's defaults, made for two blob features."""
TABLE_SETTINGS = "--optimizer Adam --optimizer.lr 0.01 --model.hidden_units 16"
"""``configs/table.yaml``'s model and optimizer, as options."""


def tutorial_settings_note(config: Any) -> str | None:
    """The note for a new table run left at the tutorial's blob settings (``fit --data TableDataModule`` without
    ``configs/table.yaml``), which trained iris to 0.77 and digits to 0.59 where the config reaches 0.97 and 0.95
    (docs/tables.md); ``None`` for any other run."""
    data, optimizer = config.get("data"), config.get("optimizer")
    if getattr(data, "class_path", None) not in TABLE_DATA or getattr(optimizer, "class_path", None) is None:
        return None
    lr = optimizer.get("init_args", {}).get("lr")
    if (optimizer.class_path, lr, config.model.get("hidden_units")) != TUTORIAL_SETTINGS:
        return None
    return (f"note: this table trains with the tutorial's settings for its two-feature blobs (SGD, lr 0.1, "
            f"8 hidden units); configs/table.yaml's ({TABLE_SETTINGS}) train most tables far better "
            f"(docs/tables.md)")


Preloaded = tuple[str, Any, dict[str, Any]]
"""A checkpoint read before the command was parsed: its path, :func:`~blobclf.outputnames.file_state` before it was
read, and its contents."""


Shown = tuple[str, dict[str, Any]]
"""A checkpoint's path and the data settings made the defaults from it (as ``data.init_args.NAME``)."""


def preselect_data_class(parser: LightningArgumentParser, args: Any) -> tuple[Preloaded | None, Shown | None]:
    """Make the data class of ``--ckpt_path``'s checkpoint the default before anything is parsed.

    Otherwise options only that class has (``--data.test_path`` of a table run) would be refused
    by the first parse, which knows only the default class. Looks at a command line given as a
    list (or ``sys.argv``); a checkpoint that cannot be found or read is left to the normal parse
    to report.

    Returns:
        The checkpoint read, for the command to use rather than read it again (``None``: none was read); and
        its path and the data settings made the defaults, for an error of the first parse that is the
        checkpoint's (see :meth:`blobclf.parser.BlobArgumentParser.recording`; ``None`` where none were).
    """
    words = [str(word) for word in args] if isinstance(args, (list, tuple)) else sys.argv[1:]
    subcommand = words[0] if words and words[0] in ("fit", "validate", "test", "predict") else None
    ckpt_path = given_option(words, "--ckpt_path")
    if subcommand is None or ckpt_path is None:
        return None, None
    try:
        root = given_option(words, "--checkpoint.root") or CHECKPOINT_ROOT
        path = resolve_checkpoint(ckpt_path, root)
        state = file_state(path)
        checkpoint = load_checkpoint(path)
    except (UserError, OSError):
        return None, None
    hparams = checkpoint.get("datamodule_hyper_parameters") or {}
    class_path = recorded_data_class(hparams)
    cls = loaded_class(class_path)  # one not loaded is refused after the first parse
    if cls is not None and cls is not _resolve(DEFAULT_DATA):
        # a setting the command line gives is not made a default: the command line's value wins, and the checkpoint's
        # is compared with it later (see blobclf.resumesettings), not parsed (an edited checkpoint's invalid value)
        typed = {key for key in hparams if given_option(words, f"--data.{key}") is not None
                 or given_option(words, f"--data.init_args.{key}") is not None}
        defaults = {key: value for key, value in public_hparams(hparams).items() if key not in typed}
        parser.set_defaults({f"{subcommand}.data": {"class_path": class_path, "init_args": defaults}})
        shown = str(path), {f"data.init_args.{key}": value for key, value in defaults.items()}
        return (path, state, checkpoint), shown
    return (path, state, checkpoint), None


def same_selection(key: str, given: Any, recorded: dict[str, Any]) -> bool:
    """Whether ``--data.features`` / ``--data.exclude`` (or ``--data.classes``) as given select the features
    (classes) the checkpoint records.

    A table run records the feature columns it found (``features``, ``exclude`` null); its own
    ``config.yaml`` holds what the user typed: ``features: null`` (every column but the target) or an
    ``exclude`` list. Those select the same columns of the same table, so ``test --config`` of the
    run's config is not a conflict; nor is ``classes: null`` (the classes found, which it records).
    ``given`` is the command's config; ``recorded`` the checkpoint's settings.
    """
    name = key.replace(".init_args.", ".")
    data = given.get("data")
    settings = data.get("init_args") if data is not None and hasattr(data, "get") else None
    if settings is None:
        return False
    if name == "data.classes":
        # null: the classes found in the run's table (checked to be the same bytes), which the checkpoint records
        return settings.get("classes") is None and isinstance(recorded.get("data.init_args.classes"), (list, tuple))
    if name == "data.categories":  # null: the categories found in the run's training split, as for classes
        return settings.get("categories") is None and isinstance(recorded.get("data.init_args.categories"), dict)
    if name not in ("data.features", "data.exclude"):
        return False
    features = recorded.get("data.init_args.features")
    if not isinstance(features, (list, tuple)) or recorded.get("data.init_args.exclude") is not None:
        return False
    if settings.get("features") is not None:
        return False  # a list given is compared as it is
    try:
        header = read_header(settings.get("path"), settings.get("delimiter"), settings.get("decimal") or ".")
    except (OSError, UserError, TypeError):
        return False
    target, exclude = composed(settings.get("target")), composed(list(settings.get("exclude") or []))
    return [c for c in header.columns if c != target and c not in exclude] == composed(list(features))


NAME_SETTINGS = ("data.target", "data.features", "data.exclude", "data.classes", "data.categorical")
"""The settings that name columns or classes: compared composed (NFC), as the table module reads them."""


def same_setting(key: str, given: Any, stored: Any) -> bool:
    """Whether a setting given now equals the checkpoint's; data classes compare as classes, not paths, and
    names as the same text however the accents are written (``Größe`` typed composed, a macOS name decomposed)."""
    if key == "data.class_path":
        return _resolve(given) is _resolve(stored)
    if key.replace(".init_args.", ".") in NAME_SETTINGS:
        return composed(given) == composed(stored)
    return given == stored


def composed(value: Any) -> Any:
    """A name, or a list of names, composed (NFC); any other value as it is."""
    if isinstance(value, str):
        return nfc(value)
    if isinstance(value, (list, tuple)):
        return [nfc(item) if isinstance(item, str) else item for item in value]
    return value


def _resolve(class_path: str | None) -> Any:
    """The class a path names, if loaded (nothing is imported for a checkpoint's path), else the path."""
    if not class_path:
        return None
    return loaded_class(class_path) or class_path


def training_batch(data: Any, beyond: int | None = None) -> int:
    """Samples per training batch that the data settings give (a ``--data`` setting, class and ``init_args``
    or the arguments alone): the batch size, else the training split, bounded by the table's lines (counted
    only until they pass ``beyond``, if given: see :func:`table_rows_bound`)."""
    data = data.get("init_args") or data
    if data.get("batch_size"):
        return int(data.batch_size)
    if data.get("n_samples") is None:
        return table_rows_bound(data.get("path"), beyond)
    return split_sizes(int(data.n_samples), float(data.test_size), data.get("val_size"))["train"]


def table_rows_bound(path: str | None, beyond: int | None = None) -> int:
    """An upper bound of the rows of a table (its line count), for choosing the thread count before reading it;
    with ``beyond``, a count above it once the lines pass it (the rest of the file is not read)."""
    if path is None:
        return 0
    try:
        return count_lines(path, beyond)
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
