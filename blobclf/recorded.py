"""A run's recorded settings, and the settings a command gives compared with them: which options a
checkpoint records for a resume (:data:`SETTINGS`), which a later command may change (:data:`FREE`,
:data:`CHANGEABLE`, :data:`EVALUATION_MAY_CHANGE`), the values as plain data comparable across the two
(a logger's version left out), the first place where they differ, and the line for a recorded value the
parser refuses. :meth:`blobclf.resumesettings.CheckpointSettings.read` decides what to do with a difference."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Mapping
from typing import Any

LINKED = ("num_features", "num_classes", "standardize", "class_names", "feature_names")
"""The model settings linked from the data module (``--help`` lists them under "Linked arguments")."""
FREE = ("data.eval_batch_size", "data.predict_file")
"""Settings a checkpoint records but that a later command may change without contradicting it."""
RESUME_KEEPS = ("data.eval_batch_size",)
"""Of :data:`FREE`, those a resumed fit takes from its run unless given (its validation goes on as it was)."""
EVALUATION_MAY_CHANGE = ("data.test_path", "data.delimiter", "data.decimal", "data.missing")
"""Settings taken from the checkpoint that test, validate and predict may replace (a resumed fit may not: the
run validates on its test table when it has no validation split). ``data.missing drop`` given to test a run trained
without it leaves the same training rows (that run's table had no missing values) and drops those of the test
table, as the refusal of its missing values offers."""
EVALUATION_KEEPS = ("model.steps_per_execution",)
"""Settings taken from the checkpoint that test, validate and predict do not use (the training steps each step of
Lightning's loop runs): a config file's other value is not compared with the checkpoint's, which stands."""
RECORDED = ("optimizer", "lr_scheduler")
"""Training settings recorded beside the model's."""
SETTINGS = "settings"
"""Key, in the recorded training settings, of the run's other options (trainer, checkpointing,
export, seed) as ``{"trainer.max_epochs": 100, ...}``: a resume takes them from the checkpoint."""
SETTING_GROUPS = ("trainer", "checkpoint", "export", "seed_everything")
NOT_SETTINGS = (
    "trainer.plugins", "trainer.default_root_dir",
    "checkpoint.dirpath", "checkpoint.root",
)
"""Options a run does not carry into its resume: where its files go is fixed by the run itself."""
EPOCH_PROGRESS = ("loops", "fit_loop", "epoch_progress", "current")
"""Where a Lightning checkpoint holds the fit loop's epoch counters (``processed``, ``completed``, ...): the layout
of the loops' ``state_dict``, which Lightning does not document, so it is read in :func:`epoch_progress` only."""
CHANGEABLE = (
    "trainer.max_epochs", "trainer.max_steps", "trainer.max_time", "trainer.accelerator", "trainer.devices",
    "trainer.num_nodes", "trainer.enable_progress_bar", "trainer.enable_model_summary", "export.onnx",
    "export.figures", "checkpoint.last_interval", "model.cuda_graphs",
)
"""Options a resume may change: how long to train, on what hardware, what is shown and exported."""


def in_signature_order(hparams: dict[str, Any], owner: Any) -> dict[str, Any]:
    """``hparams`` in the order of ``owner``'s constructor arguments, the rest after them by name.

    LightningCLI hands the arguments linked from the data module (``num_features``, ``class_names``, ...) after the
    others, in an order that changes from process to process (jsonargparse keeps the links applied in a ``set``), so
    ``model.json`` and the checkpoint's ``hyper_parameters`` of two identical runs differed.
    """
    order = {name: i for i, name in enumerate(inspect.signature(type(owner).__init__).parameters)}
    return {key: hparams[key] for key in sorted(hparams, key=lambda key: (order.get(key, len(order)), str(key)))}


def public_hparams(hparams: Mapping[str, Any]) -> dict[str, Any]:
    """Hyperparameters without Lightning's private entries (``_instantiator``, ``_class_path``)."""
    return {key: value for key, value in hparams.items() if not str(key).startswith("_")}


def recorded_value_error(text: str, path: str, settings: dict[str, Any], shown: bool = False) -> str | None:
    """The parser's complaint about a value that a checkpoint records, said of the checkpoint.

    The command line alone was parsed first, so an invalid value found once the checkpoint's
    settings are the defaults is the checkpoint's (edited, or written by another program). With ``shown`` (a parse
    whose command line was not parsed alone first), only a refusal that shows the checkpoint's value is.
    """
    keys = re.findall(r'Parser key "([^"]+)": ', text)
    if not keys:
        return None
    key = keys[0] if len(keys) == 1 else f"{keys[0]}.{keys[-1]}"
    values = {k.replace(".init_args.", "."): v for k, v in settings.items()}
    if key not in values:
        return None
    given = re.search(r"Got value: (.*?)(?: \(or null\))?$", text)
    named = f"{keys[-1]}={values[key]!r}" in text  # the group's settings, shown as a Namespace
    if shown and not named and (given is None or given.group(1) != str(values[key])):
        return None  # another value: the command line's or a config file's
    reason = text.rsplit(f'Parser key "{keys[-1]}": ', 1)[-1].removesuffix(" (or null)")
    choice = re.fullmatch(r"Expected a typing\.Literal\[(.*)\]\. Got value: .*", reason)
    if choice:  # jsonargparse's type, in the words of the command line's refusal (messages.not_a_choice)
        reason = f"it must be {' or '.join(choice.group(1).split(', '))}"
    return (f"checkpoint {path!r} records {key}={values[key]!r}, which is invalid ({reason}); it was edited or "
            f"written by another program: use another checkpoint")


def recorded_text_error(path: str, option: str, text: Any, value: Any = None) -> str | None:
    """The line for a checkpoint that records ``option`` as text (``hidden_units: '8'``) where blobclf writes a
    number or a true/false value (``value``, the parser's reading of ``text``; None: ``text`` reads as no number).

    None where ``text`` is not text, or reads as another value than ``value`` (a real difference).
    """
    if not isinstance(text, str) or (value is not None and not _reads_as(text, value)):
        return None
    kind = "a boolean" if isinstance(value, bool) else "a number"
    example = f" ({value!r}, not {text!r})" if value is not None else ""
    return (f"checkpoint {path!r} was edited or written by another program: it records {option} as the text "
            f"{text!r}, where blobclf writes {kind}; store {kind} there{example}, or use another checkpoint")


def _reads_as(text: str, value: Any) -> bool:
    """Whether the parser's reading of ``text`` is ``value``, a number or true/false."""
    if isinstance(value, bool):
        return text.strip().lower() == str(value).lower()
    if not isinstance(value, (int, float)):
        return False
    try:
        return float(text) == value
    except ValueError:
        return False


def as_plain(value: Any) -> Any:
    """``value`` (a parsed Namespace, dict, tuple ...) as plain JSON-like data, for comparing and recording."""
    return json.loads(json.dumps(_unwrapped(value), default=_import_path_or_text))


def _import_path_or_text(value: Any) -> str:
    """A function as the import path a config names it by (``pkg.schedule``), as jsonargparse writes it; else text.

    Its text, ``<function schedule at 0x7f...>``, differs in each process: a resume compared it with the run's,
    and the parser could not read it back.
    """
    module, name = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if callable(value) and isinstance(module, str) and isinstance(name, str) and "<" not in name:
        return f"{module}.{name}"
    return str(value)


def _unwrapped(value: Any) -> Any:
    """Namespaces (also inside lists and dicts) as dicts."""
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    if isinstance(value, dict):
        return {k: _unwrapped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_unwrapped(v) for v in value]
    return value


WHOLE = ("trainer.max_time",)
"""Settings whose value may be a dict (``--trainer.max_time '{minutes: 5}'``), recorded whole: split into
``trainer.max_time.minutes`` (as before 2026-12-07), a resume found no such option and trained without the limit."""


def folded(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` with the parts of a :data:`WHOLE` setting that an older blobclf recorded split
    (``trainer.max_time.seconds: 5``) joined into its dict again (``trainer.max_time: {seconds: 5}``)."""
    joined = dict(settings)
    for key in WHOLE:
        parts = {name[len(key) + 1:]: joined.pop(name) for name in list(joined) if name.startswith(f"{key}.")}
        if parts:
            joined[key] = parts
    return joined


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict) and "class_path" not in value and prefix not in WHOLE:
        flat: dict[str, Any] = {}
        for name, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}.{name}"))
        return flat
    return {prefix: value}


def run_settings(config: Any) -> dict[str, Any]:
    """The run's options a resume takes over (see ``SETTINGS``), as ``{dotted key: plain value}``."""
    plain = as_plain(config)
    flat: dict[str, Any] = {}
    for group in SETTING_GROUPS:
        if group in plain:
            flat.update(_flatten(plain[group], group))
    return {key: comparable(key, value) for key, value in flat.items() if not key.startswith(NOT_SETTINGS)}


CHECKPOINT_IDENTITY = ("monitor", "mode", "every_n_epochs")
"""The ``--checkpoint`` options that :class:`~blobclf.runcheckpoint.RunCheckpoint`'s state is kept under in a checkpoint
(Lightning's ``ModelCheckpoint.state_key``)."""


def recorded_run_settings(checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    """The run's options (see ``SETTINGS``) that ``checkpoint`` records; ``{}`` for one that records none (written by
    a script's own Trainer, or by blobclf of 2026-11-28 or earlier)."""
    for state in (checkpoint.get("callbacks") or {}).values():
        training = state.get("training") if isinstance(state, dict) else None
        if isinstance(training, dict) and isinstance(training.get(SETTINGS), dict):
            return training[SETTINGS]
    return {}


def checkpoint_identity(checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    """The ``--checkpoint`` options of ``CHECKPOINT_IDENTITY`` that ``checkpoint``'s run was trained with, where it
    records them: an evaluation's checkpoint callback given them takes the checkpoint's state."""
    settings = recorded_run_settings(checkpoint)
    return {key: settings[f"checkpoint.{key}"] for key in CHECKPOINT_IDENTITY if f"checkpoint.{key}" in settings}


def comparable(key: str, value: Any) -> Any:
    """A setting without its placement: the loggers' versions and purge steps are the run's own."""
    if key == "trainer.logger" and isinstance(value, list):
        return [comparable(key, each) for each in value]
    if key == "trainer.logger" and isinstance(value, dict) and isinstance(value.get("init_args"), dict):
        init = {k: v for k, v in value["init_args"].items() if k not in ("version", "purge_step")}
        return {**value, "init_args": init}
    return value


def callback_list(value: Any) -> list[Any]:
    """A ``trainer.callbacks`` setting as a list (``None``: none; one class setting: a list of it)."""
    return value if isinstance(value, list) else [] if value is None else [value]


def logger_inits(logger: Any) -> list[Any]:
    """The ``init_args`` of a ``trainer.logger`` setting's loggers (one, or each of a list), in order."""
    return [each.get("init_args") for each in callback_list(logger)
            if hasattr(each, "get") and each.get("class_path") and each.get("init_args") is not None]


def adds_callbacks(key: str, given: Any, stored: Any) -> bool:
    """Whether a resume's callbacks are the run's own followed by new ones (``--trainer.callbacks+=...``)."""
    if key != "trainer.callbacks":
        return False
    given, stored = callback_list(given), callback_list(stored)
    return given[: len(stored)] == stored


def difference(key: str, given: Any, stored: Any) -> tuple[str, Any, Any]:
    """The first place where two settings differ, as (option, given value, stored value).

    A class setting (``{"class_path": ..., "init_args": {...}}``) differs in its class or in one
    of its arguments; naming just that one reads better than two whole dictionaries. In lists of
    class settings (callbacks), the first entry that differs is named by its position and class.
    """
    if key == "trainer.callbacks":
        given, stored = callback_list(given), callback_list(stored)
        ours = [c.get("class_path") if isinstance(c, dict) else c for c in given]
        theirs = [c.get("class_path") if isinstance(c, dict) else c for c in stored]
        if ours != theirs:
            return key, ours, theirs
        index = next(i for i, (g, t) in enumerate(zip(given, stored, strict=True)) if g != t)
        return difference(f"{key}[{index}]", given[index], stored[index])
    if isinstance(given, dict) and isinstance(stored, dict):
        if given.get("class_path") != stored.get("class_path"):
            return key, given.get("class_path"), stored.get("class_path")
        ours, theirs = given.get("init_args") or {}, stored.get("init_args") or {}
        for name in sorted(set(ours) | set(theirs)):
            if ours.get(name) != theirs.get(name):
                return f"{key}.{name}", ours.get(name), theirs.get(name)
    return key, _class_named(given), _class_named(stored)


def _class_named(value: Any) -> Any:
    """A class setting (also each of a list of them) as its class: what differs from a setting of another kind
    (``trainer.logger`` false against a logger's class), which its arguments would only bury."""
    if isinstance(value, dict) and "class_path" in value:
        return value["class_path"]
    if isinstance(value, list) and any(isinstance(each, dict) and "class_path" in each for each in value):
        return [_class_named(each) for each in value]
    return value


def epoch_progress(checkpoint: Any) -> Any:
    """The fit loop's epoch counters that ``checkpoint`` records (a mapping such as ``{"processed": 3, "completed":
    3, ...}``): ``{}`` where a level of :data:`EPOCH_PROGRESS` is missing, ``None`` where one is not a mapping (a
    checkpoint edited by hand, or written by a Lightning that keeps them elsewhere)."""
    progress = checkpoint
    for key in EPOCH_PROGRESS:
        progress = progress.get(key, {}) if isinstance(progress, dict) else None
    return progress
