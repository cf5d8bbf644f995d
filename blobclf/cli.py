"""``python -m blobclf``: LightningCLI over the blob data module and classifier."""

from __future__ import annotations

import difflib
import enum
import errno
import inspect
import json
import os
import re
import shlex
import signal
import sys
import threading
import warnings
from pathlib import Path
from typing import Any, ClassVar, NoReturn, Optional, Union, get_type_hints

import lightning as L
import yaml
import torch
from jsonargparse import ActionSubCommands, ArgumentParser, Namespace
from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch.callbacks import ProgressBar
from lightning.pytorch.cli import (
    LightningArgumentParser,
    LightningCLI,
    instantiate_class,
)
from lightning.pytorch.utilities import rank_zero_info, rank_zero_only
from torch.optim import Optimizer

from blobclf import __version__
from blobclf.accelerators import check_accelerator, check_devices
from blobclf.callbacks import RngState, RunCheckpoint, RunExport, TestReport, epoch_values, run_checkpoint, shown
from blobclf.classrefs import check_recorded_classes, loaded_class, unloaded_classes
from blobclf.configfiles import check_config_files, use_limited_yaml
from blobclf.data import NotEnoughMemory, SplitDataModule, split_sizes
from blobclf.dataoptions import unknown_data_module, unknown_data_option
from blobclf.errors import SIGPIPE, Stopped, UserError, debugging, printable, recording_failure, silence_stdout
from blobclf.execution import check_trainer_settings
from blobclf.export import checkpoint_tag
from blobclf.helptext import SEED_HELP, TRAINER_HELP, with_plain_help
from blobclf.interrupt import GracefulStop, ignore_signals_from_now, signals_stop_the_command
from blobclf.logger import EpochAxis, events_files, remove_replaced_events
from blobclf.monitors import check_monitors
from blobclf.predictions import PredictionWriter
from blobclf.progress import default_progress
from blobclf.quiet import quiet_known_notices
from blobclf.runconfig import RunConfig
from blobclf.runs import (
    LOG_ROOT,
    claim_run,
    lock_resumed_run,
    lock_run,
    logs_where_started,
    newer_without_last,
    own_root,
    recorded_root,
    recorded_save_dir,
    release_run,
    remove_run_leftovers,
    resolve_checkpoint,
    run_name,
    run_version,
    unlock_runs,
)
from blobclf.safeload import load_checkpoint
from blobclf.system import DEFAULT_LR, LEGACY_SGD, BlobClassifier, legacy_optimizer, model_settings
from blobclf.tablecli import (
    add_table_arguments,
    as_defaults,
    check_training_table,
    data_defaults,
    preselect_data_class,
    read_predict_file,
    same_setting,
    same_selection,
    same_table,
    switch_data_class,
    table_rows_bound,
)
from blobclf.argtypes import PositiveInt

EVAL_COMMANDS = ("validate", "test", "predict")
LINKED = ("num_features", "num_classes", "standardize", "class_names", "feature_names")
SMALL_BATCH = 4096
MAX_SEED = 2**32 - 1  # the seeds numpy's generator (and so Lightning's seed_everything) accepts
# settings a checkpoint records but that a later command may change without contradicting it
FREE = ("data.eval_batch_size", "data.predict_file")
RESUME_KEEPS = ("data.eval_batch_size",)
"""Of :data:`FREE`, those a resumed fit takes from its run unless given (its validation goes on as it was)."""
# settings taken from the checkpoint that test, validate and predict may replace (a resumed fit may not:
# the run validates on its test table when it has no validation split)
EVALUATION_MAY_CHANGE = ("data.test_path", "data.delimiter", "data.decimal")
# options that moved from the model to the optimizer, with the option that replaces each
MOVED = {"--model.lr": "--optimizer.lr", "--model.momentum": "--optimizer.momentum",
         "--model.weight_decay": "--optimizer.weight_decay"}
MOVED_NAMES = {option.removeprefix("--") for option in MOVED}
FIXED_MODEL = ("blobclf's model is always BlobClassifier: give its options without class_path and init_args "
               "('model:' then 'hidden_units: 16' in a config, --model.hidden_units 16)")
"""What a config written for a LightningCLI with a choice of models (``model: class_path: ...``) is told."""
OLD_LOGGER_OPTIONS = ("comment", "checkpoint_root")
"""Logger options of blobclf of 2026-11-28 or earlier, which its runs' config.yaml files hold."""
DEFAULT_OPTIMIZER = {"class_path": "torch.optim.SGD", "init_args": {"lr": DEFAULT_LR}}
TUTORIAL_EPOCHS = 100
"""Epochs of a new run that sets no limit (no ``max_epochs``, ``max_steps`` or ``max_time``): the
tutorial's, so ``blobclf fit`` without a config (an installed package has no ``configs/``) is the
tutorial's run rather than Lightning's 1000 epochs."""
RECORDED = ("optimizer", "lr_scheduler")  # training settings recorded beside the model's
SETTINGS = "settings"
"""Key, in the recorded training settings, of the run's other options (trainer, checkpointing,
export, seed) as ``{"trainer.max_epochs": 100, ...}``: a resume takes them from the checkpoint."""
SETTING_GROUPS = ("trainer", "checkpoint", "export", "seed_everything")
NOT_SETTINGS = (
    "trainer.plugins", "trainer.default_root_dir",
    "checkpoint.dirpath", "checkpoint.root",
)
"""Options a run does not carry into its resume: where its files go is fixed by the run itself."""
CHANGEABLE = (
    "trainer.max_epochs", "trainer.max_steps", "trainer.max_time", "trainer.accelerator", "trainer.devices",
    "trainer.num_nodes", "trainer.enable_progress_bar", "trainer.enable_model_summary", "export.onnx",
    "export.figures", "checkpoint.last_interval", "model.cuda_graphs",
)
"""Options a resume may change: how long to train, on what hardware, what is shown and exported."""


def program_name() -> str:
    """The program as the user typed it: ``python -m blobclf``, or ``blobclf`` (the installed command; also
    for :func:`cli_main` called from Python)."""
    main = Path(__file__).with_name("__main__.py")
    return "python -m blobclf" if sys.argv and os.path.realpath(sys.argv[0]) == os.path.realpath(main) else "blobclf"


def description(program: str) -> str:
    """The top-level help text under the usage line."""
    return (f"blobclf: a PyTorch Lightning classifier (the PyTorch multiclass tutorial's MLP on scikit-learn "
            f"blobs). '{program} fit' runs the tutorial; '{program} SUBCOMMAND --help' lists a subcommand's options.")


ALL_LISTED = "Every option is listed below; a data module's with --data.help BlobDataModule (or TableDataModule)."
FIT_COMMON = (
    "Most used: --config FILE, --ckpt_path last|best|PATH (resume), --trainer.max_epochs N (a new run without "
    f"max_steps or max_time: {TUTORIAL_EPOCHS}, the tutorial's), --trainer.accelerator cpu|gpu|auto, "
    "--data.batch_size N, --optimizer CLASS --optimizer.lr X, --data TableDataModule --data.path CSV "
    "--data.target COLUMN, --threads N, --checkpoint.root DIR. " + ALL_LISTED
)
EVAL_COMMON = (
    "Most used: --ckpt_path last|best|PATH (required; the checkpoint carries its settings, no --config "
    "needed), --data.eval_batch_size N, --trainer.accelerator cpu|gpu|auto, --threads N, --checkpoint.root DIR"
)
SUBCOMMAND_SUMMARY = {
    "fit": "Train a classifier (a new run in checkpoints/version_N), or resume one with --ckpt_path.",
    "validate": "Evaluate a checkpoint on the validation split.",
    "test": "Evaluate a checkpoint on the test split; writes test_report-<checkpoint>.json beside it.",
    "predict": ("Predict with a checkpoint: the test split, or --data.predict_file CSV; writes "
                "predictions-<checkpoint>-<input>.csv beside it."),
}
"""What each subcommand does, in one sentence: its line in the top-level help, and the start of its own help."""
SUBCOMMAND_HELP = {
    "fit": SUBCOMMAND_SUMMARY["fit"] + " " + FIT_COMMON,
    "validate": SUBCOMMAND_SUMMARY["validate"] + " " + EVAL_COMMON + ". " + ALL_LISTED,
    "test": SUBCOMMAND_SUMMARY["test"] + " " + EVAL_COMMON + ", --data.test_path CSV (a table run). " + ALL_LISTED,
    "predict": (SUBCOMMAND_SUMMARY["predict"] + " " + EVAL_COMMON
                + ", --data.predict_file CSV, --prediction.output PATH, --prediction.overwrite true. " + ALL_LISTED),
}
"""Each subcommand's help text, shown right under its one-line usage: what it does, its common options."""


def as_group(kwargs: dict[str, Any]) -> bool:
    """Whether ``add_class_arguments`` keyword arguments add the class's options as a group (jsonargparse's default)."""
    return bool(kwargs.get("as_group", True)) and not kwargs.get("as_positional", False)


def without_limit(config: Any) -> bool:
    """Whether ``config`` (a ``fit`` command's) is a new run that sets no training limit: no ``--ckpt_path``
    (a resume keeps its run's), no ``max_epochs``, ``max_steps`` or ``max_time``; it trains
    ``TUTORIAL_EPOCHS`` epochs."""
    trainer = config.get("trainer")
    if config.get("ckpt_path") or not hasattr(trainer, "get"):
        return False
    return trainer.get("max_epochs") is None and trainer.get("max_steps") in (None, -1) and trainer.get("max_time") is None


def union_expectation(text: str, first: str) -> str:
    """What a value of a union-typed option must be: every type the union takes, null only if it does.

    Args:
        text: jsonargparse's message, collapsed to one line, listing ``Subtypes: [...]`` and each error.
        first: The first subtype's error, kept where the errors are not plain type mismatches.
    """
    subtypes = re.search(r"Subtypes: \[(.*?)\]", text)
    nullable = subtypes is None or "NoneType" in subtypes.group(1)
    expected = [t for t in re.findall(r"- Expected a (<class '\w+'>)", text) if t != "<class 'NoneType'>"]
    said = f"Expected a {' or a '.join(expected)}" if expected and first.startswith("Expected a") else first
    return f"{said} (or null)" if nullable else said


def unknown_class_option(group: str, option: str, class_path: str) -> str | None:
    """The line for ``--GROUP.OPTION`` that the chosen class (an optimizer, a scheduler) does not take,
    with the option it probably misspells; ``None`` if the class takes it or is not loaded."""
    chosen = loaded_class(class_path)
    try:
        parameters = inspect.signature(chosen).parameters
    except (TypeError, ValueError):
        return None
    names = [name for name in parameters if name not in ("params", "optimizer")]
    if option in names or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return None  # taken, or maybe taken by a base class through **kwargs
    short = class_path.rsplit(".", 1)[-1]
    close = difflib.get_close_matches(option, names, n=1)
    fix = f"did you mean --{group}.{close[0]}?" if close else f"its options: --{group}.help {short}"
    return f"--{group}.{option} is not an option of {short}; {fix}"


WANTED = {
    "int": "an integer", "float": "a number", "bool": "true or false", "str": "a text",
    "PositiveInt": "an integer > 0", "NonNegativeInt": "an integer >= 0", "AtLeastTwoInt": "an integer >= 2",
    "PositiveFloat": "a number > 0", "NonNegativeFloat": "a number >= 0",
    "OpenUnitInterval": "a number between 0 and 1 (neither 0 nor 1)",
}
"""What a value of each type must be, in the words of blobclf's errors."""


def wanted(kinds: list[str]) -> str | None:
    """What a value of one of ``kinds`` (type names) must be: ``true, false or an integer``; ``None`` if a
    type has no words in :data:`WANTED`."""
    if not kinds or any(kind not in WANTED for kind in kinds):
        return None
    words = [WANTED[kind].replace(" or ", ", ") if len(kinds) > 1 else WANTED[kind] for kind in kinds]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def typed_value_error(text: str) -> str | None:
    """An option's value that is not of its type, in blobclf's words: the option, the value and what to give
    (jsonargparse's ``Parser key "trainer.max_epochs": ten is invalid: Expected a <class 'int'> (or null)``
    is ``--trainer.max_epochs='ten' is invalid: give an integer, or null``); ``None`` for another error."""
    union = re.fullmatch(r'Parser key "([\w.]+)": (.+?) is invalid: (?:Expected a ((?:<class \'\w+\'>(?: or a )?)+)'
                         r'|Not of type (\w+): .*?)( \(or null\))?', text)
    single = re.fullmatch(r'Parser key "([\w.]+)": Expected a <class \'(\w+)\'>\. Got value: (.*)', text)
    if union:
        key, value, classes, kind, nullable = union.groups()
        kinds = re.findall(r"<class '(\w+)'>", classes) if classes else [kind]
    elif single:
        key, kind, value = single.groups()
        kinds, nullable = [kind], None
    else:
        return None
    words = wanted(kinds)
    if words is None:
        return None
    try:
        float(value)
    except ValueError:
        value = repr(value)
    return f"--{key}={value} is invalid: give {words}{', or null' if nullable else ''}"


def one_line(message: str) -> str:
    """Collapse a multi-line parser message into one line, keeping the reason that matters."""
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    text = re.sub(r"\s+", " ", ": ".join(lines)).replace(":: ", ": ")
    whole = text
    union = re.match(r'(Parser key "[^"]+"): Does not validate against any of the Union subtypes.*?Errors: - (.*?)(?: - |$)', text)
    if union:
        given = re.search(r"Given value: (.*?)(?: \(see|$)", text)
        value = f"{given.group(1)} is invalid: " if given else ""
        text = f"{union.group(1)}: {value}{union_expectation(text, union.group(2).rstrip(': '))}"
    nested = re.search(r"NestedArg\(key='([^']+)', val='([^']*)'\)", text)
    group = re.match(r'Parser key "([^"]+)"', text)
    cls = re.search(r"Problem with given class_path '([^']+)'", text)
    if nested and group and cls:
        expected = re.search(r"Subtypes: \[<class '([^']+)'", text)
        kind = f" (expected {expected.group(1)})" if expected else ""
        reason = re.search(r"Not of type (\w+): (?:\S+ )?(does not conform to restriction [^:]*?):?(?: - | Given value| Expected|$)", whole)
        kind = f": not {reason.group(1)} ({reason.group(2)})" if reason else kind
        literal = re.search(r"Not of type (\w+): (?:invalid literal for|could not convert)", whole)
        if literal and not reason and literal.group(1) in WANTED:
            kind = f": not {literal.group(1)}; give {WANTED[literal.group(1)]}"
        text = f"--{group.group(1)}.{nested.group(1)}={nested.group(2)!r} is invalid for {cls.group(1)}{kind}"
    if nested and group and cls and group.group(1) != "data":
        text = unknown_class_option(group.group(1), nested.group(1), cls.group(1)) or text
    rejected = re.search(r"Option '(\w+)' is not accepted", whole)
    if rejected and group and group.group(1) == "data" and cls:
        text = unknown_data_option(rejected.group(1), cls.group(1))
    elif rejected and group and cls:
        option = rejected.group(1)
        if cls.group(1).endswith("RunLogger") and option in OLD_LOGGER_OPTIONS:
            text = (f"{group.group(1)}.init_args.{option} is not an option of {cls.group(1)} (blobclf of 2026-11-28 "
                    "or earlier wrote it in a run's config.yaml); remove it")
        else:
            text = unknown_class_option(group.group(1), option, cls.group(1)) or text
    texts = re.search(r"NestedArg\(key='([^']+)', val=(\[.*?\])\)", whole)
    if texts and group and cls and "Subtypes: [NameList" in whole:
        # an unquoted 01, 1.50, yes or null in a YAML list is a number, a boolean or null, not a name
        option = f"--{group.group(1)}.{texts.group(1)}"
        text = (f"{option}={texts.group(2)} is invalid for {cls.group(1)}: YAML read some names as numbers, booleans "
                f"or null; put those names in double quotes: {option} '[\"01\",\"yes\",b]'")
    module = re.search(r'^(?:Parser key "data"|--data\.help): .*?Expected a dot import path string: ([^:\s]+)', text)
    if module:
        text = unknown_data_module("--data" if text.startswith("Parser") else "--data.help", module.group(1))
    unknown = re.search(r'^Parser key "(optimizer|lr_scheduler)": .*Expected a dot import path string: ([^:]+?):', text)
    if unknown:
        group, name = unknown.groups()
        module = "torch.optim" if group == "optimizer" else "torch.optim.lr_scheduler"
        text = (f"--{group} {name}: no such class; name one in {module} (e.g. "
                f"{'Adam' if group == 'optimizer' else 'StepLR'}) or give a full import path")
    required = re.search(r'^Parser key "([^"]+)": .*Problem with given class_path \'([^\']+)\': '
                         r'the following arguments are required: ([\w, ]+)', text)
    if required:
        group, name, missing = required.groups()
        wanted = ", ".join(f"--{group}.{arg.strip()}" for arg in missing.split(","))
        text = f"--{group} {name} needs {wanted}"
    model_class = re.search(r"Parser key \"model\": Unable to load config '([\w.]+)'", whole)
    if model_class and not model_class.group(1).endswith((".yaml", ".yml", ".json")):
        text = f"--model {model_class.group(1)}: {FIXED_MODEL}"
    elif re.search(r"does not accept option 'model\.(class_path|init_args)\b|arguments: --model\.class_path\b", text):
        text += f"; {FIXED_MODEL}"
    for old, new in MOVED.items():
        config_form = f"does not accept option '{old.removeprefix('--')}'"  # in a config file
        if config_form in text or f"unrecognized arguments: {old}" in text or f"unrecognized arguments: {old}=" in text:
            text += f" (optimizer settings are given as {new}, as in any LightningCLI program)"
    if re.match(r"unrecognized arguments: --model\.help\b", text):
        text += " (the model is always BlobClassifier: --help lists its options, --model.hidden_units and others)"
    return text


CKPT_PATH_HELP = (
    "Checkpoint to start from: fit resumes that run with every setting it was started with; "
    "validate, test and predict evaluate it. A .ckpt file written by 'blobclf fit', or 'last' / 'best' "
    "for the newest run under --checkpoint.root."
)
WEIGHTS_ONLY_HELP = (
    "blobclf always loads checkpoints with weights_only=True (only tensors and plain values, no code); "
    "false is refused (null means true)."
)


class SubcommandSummaries(ActionSubCommands):
    """The subcommands of the top-level help, each with blobclf's summary of it.

    LightningCLI describes each subcommand by the first line of the ``Trainer`` method's
    docstring, which for ``test`` and ``predict`` stops mid-sentence ("It's separated from fit to
    make sure you never run on your").
    """

    parsers: dict[str, ArgumentParser]
    """Each subcommand's parser, by name (see :meth:`BlobArgumentParser.close_option`)."""

    def add_subcommand(self, name: str, parser: ArgumentParser, **kwargs: Any) -> ArgumentParser:
        if name in SUBCOMMAND_SUMMARY:
            kwargs["help"] = SUBCOMMAND_SUMMARY[name]
        if not hasattr(self, "parsers"):
            self.parsers = {}
        self.parsers[name] = parser
        return super().add_subcommand(name, parser, **kwargs)


CLASS_HELP = re.compile(r"Help for (--[\w.]+)\.help=([\w.]+)")
"""The description jsonargparse gives the parser it builds for ``--data.help CLASS`` and the like."""


class BlobArgumentParser(LightningArgumentParser):
    """A parser whose errors are one line on stderr (``BLOBCLF_DEBUG=1`` restores the details),
    whose ``--ckpt_path`` and ``--weights_only`` say what blobclf accepts, and whose help names
    the program as it was typed."""

    command: ClassVar[str] = "blobclf SUBCOMMAND"
    """The program and subcommand being run (set by :func:`cli_main`), for the usage line of a class's
    help (``fit --data.help TableDataModule``)."""

    def __init__(self, *args: Any, default_epochs: int | None = None, **kwargs: Any) -> None:
        """
        Args:
            args: Passed on to :class:`LightningArgumentParser`.
            default_epochs: For the parser of ``fit`` and the top-level one: the epochs that a new run
                without a training limit trains (see :func:`without_limit`), written into the
                configuration that ``--print_config`` prints.
            kwargs: Passed on to :class:`LightningArgumentParser`.
        """
        self.default_epochs = default_epochs
        helped = CLASS_HELP.fullmatch(str(kwargs.get("description") or ""))
        if helped and not args and "prog" not in kwargs:
            # jsonargparse builds this parser without a program name, and argparse's default is
            # sys.argv[0] ('__main__.py' for 'python -m blobclf')
            option, class_path = helped.groups()
            kwargs["prog"] = self.command
            kwargs.setdefault("usage", f"{self.command} {option} {class_path.rsplit('.', 1)[-1]} [OPTIONS]")
        super().__init__(*args, **with_plain_help(kwargs))

    def dump(self, cfg: Any = None, *args: Any, **kwargs: Any) -> str:
        # the configuration the run will have: fed back with --config, it trains the same epochs
        # (the top-level parser dumps the subcommand's settings under its name)
        inner = "fit." if cfg is not None and cfg.get("subcommand") == "fit" else ""
        if self.default_epochs is not None and cfg is not None and without_limit(cfg.get(inner[:-1]) if inner else cfg):
            cfg = cfg.clone()
            cfg[f"{inner}trainer.max_epochs"] = self.default_epochs
        if "skip_none" in kwargs:  # LightningCLI 2.6's name for it (deprecated by jsonargparse 4.49)
            kwargs["skip_unset"] = kwargs.pop("skip_none")
        text = super().dump(cfg, *args, **kwargs)
        trainer = cfg.get(f"{inner}trainer") if isinstance(cfg, Namespace) else None
        return _one_batch_written(text, trainer, "  " if inner else "")

    def add_class_arguments(self, class_type: Any, nested_key: str | None = None, *args: Any,
                            skip: set[str | int] | None = None, **kwargs: Any) -> list[str]:
        """jsonargparse's arguments of a class; the Trainer's options of :data:`TRAINER_HELP` with blobclf's help."""
        if not (isinstance(class_type, type) and issubclass(class_type, L.Trainer) and nested_key and as_group(kwargs)):
            return super().add_class_arguments(class_type, nested_key, *args, skip=skip, **kwargs)
        own = set(TRAINER_HELP) - set(skip or ())
        added = super().add_class_arguments(class_type, nested_key, *args, skip={*(skip or ()), *own}, **kwargs)
        hints, parameters = get_type_hints(class_type.__init__), inspect.signature(class_type.__init__).parameters
        for name in sorted(own, key=list(TRAINER_HELP).index):
            self.groups[nested_key].add_argument(f"--{nested_key}.{name}", type=hints[name],
                                                 default=parameters[name].default, help=TRAINER_HELP[name])
        return [*added, *(f"{nested_key}.{name}" for name in own)]

    def add_subcommands(self, required: bool = True, dest: str = "subcommand", **kwargs: Any) -> ActionSubCommands:
        kwargs.setdefault("action", SubcommandSummaries)
        self.subcommands_action = super().add_subcommands(required=required, dest=dest, **kwargs)
        return self.subcommands_action

    def add_method_arguments(
        self, class_type: type, method_name: str, nested_key: str | None = None, as_group: bool = True,
        as_positional: bool = False, skip: set[str | int] | None = None, fail_untyped: Any = True,
        sub_configs: bool = False,
    ) -> list[str]:
        own = {"ckpt_path", "weights_only"}
        if not (isinstance(class_type, type) and issubclass(class_type, L.Trainer)):
            own = set()
        added = super().add_method_arguments(
            class_type, method_name, nested_key=nested_key, as_group=as_group, as_positional=as_positional,
            skip={*(skip or set()), *own}, fail_untyped=fail_untyped, sub_configs=sub_configs,
        )
        if own:
            # Lightning's own texts offer URLs, 'hpc' and 'registry' paths and weights_only=false,
            # none of which blobclf takes
            self.add_argument("--ckpt_path", type=Optional[str], default=None, help=CKPT_PATH_HELP)
            self.add_argument("--weights_only", type=Optional[bool], default=None, help=WEIGHTS_ONLY_HELP)
            added = [*added, "ckpt_path", "weights_only"]
        return added

    recorded: ClassVar[tuple[str, dict[str, Any]] | None] = None
    """While a checkpoint's settings are the defaults: its path and those settings (see :meth:`error`)."""

    def error(self, message: str, ex: Exception | None = None) -> NoReturn:
        if debugging() or not self.exit_on_error:
            super().error(message, ex)
        recorded = recorded_value_error(one_line(message), *self.recorded) if self.recorded else None
        line = recorded or self.plain_error(one_line(message))
        sys.stderr.write(f"blobclf: error: {printable(line)}\n")
        sys.exit(2)

    def plain_error(self, text: str) -> str:
        """The command line's error in blobclf's words where jsonargparse's are its own: an option's value
        that is not of its type (``Parser key "model.hidden_units": Not of type PositiveInt: invalid literal
        for int() with base 10: 'abc'``), no subcommand; a misspelt option with the option it misspells."""
        typed = typed_value_error(text)
        if typed:
            return f"{typed} (see --help)"
        if re.fullmatch(r'expected "subcommand" to be one of \{[\w,]+\}, but it was not provided\.', text):
            return (f"give a subcommand: fit, validate, test or predict ('{self.prog} fit' trains the tutorial's "
                    f"model; '{self.prog} --help' says what each does)")
        typed = re.fullmatch(r'Parser key "([\w.]+)": Not of type (\w+): (.*)', text)
        if typed:
            key, kind, reason = typed.groups()
            literal = re.fullmatch(r"(?:invalid literal for (?:int|float)\(\)(?: with base 10)?|could not convert string "
                                   r"to float): (.*)", reason)
            value = re.fullmatch(r"(\S+) (does not conform to restriction .*|not an integer)", reason)
            if literal:
                return f"--{key}={literal.group(1)} is invalid: not {kind} (see --help)"
            if value:
                return f"--{key}={value.group(1)} is invalid: not {kind} ({reason}) (see --help)"
        return text + self.close_option(text) + " (see --help)"

    def close_option(self, text: str) -> str:
        """For an unknown option (on the command line, or a key of a config file), the option it is
        probably a misspelling of: ``; did you mean --trainer.max_epochs?``."""
        given = re.match(r"unrecognized arguments: --([\w.]+)", text)
        key = re.match(r"Subcommand '(\w+)' does not accept option '([\w.]+)'", text)
        if not (given or key) or (given and given.group(1) in MOVED_NAMES):
            return ""
        # a config file's keys are checked by the top-level parser, against the subcommand's options
        parsers = getattr(getattr(self, "subcommands_action", None), "parsers", {})
        parser = parsers.get(key.group(1), self) if key else self
        try:
            options = list(parser.get_defaults().keys())
        except Exception:  # noqa: BLE001 - only a hint: a parser that cannot list its defaults gives none
            return ""
        name = given.group(1) if given else key.group(2)
        close = difflib.get_close_matches(name, [option.replace(".init_args.", ".") for option in options], n=1, cutoff=0.8)
        if not close:
            return ""
        return f"; did you mean --{close[0]}?" if given else f" (a key of a --config file); did you mean '{close[0]}'?"

    def parse_object(self, obj: Namespace | dict[str, Any], *args: Any, **kwargs: Any) -> Namespace:
        """jsonargparse's ``parse_object``; an old checkpoint's SGD settings left out of its model's.

        LightningCLI parses a checkpoint's model hyperparameters again as ``{subcommand: {"model":
        ...}}``; those of a checkpoint written before 2026-11-28 hold ``lr``, ``momentum`` and
        ``weight_decay``, which :meth:`BlobCLI.parse_arguments` takes as the run's optimizer.
        """
        if isinstance(obj, dict) and len(obj) == 1:
            (subcommand, settings), = obj.items()
            model = settings.get("model") if isinstance(settings, dict) and len(settings) == 1 else None
            if subcommand in EVAL_COMMANDS + ("fit",) and isinstance(model, dict) and legacy_optimizer(model):
                obj = {subcommand: {"model": {k: v for k, v in model.items() if k not in LEGACY_SGD}}}
        return super().parse_object(obj, *args, **kwargs)


def recorded_value_error(text: str, path: str, settings: dict[str, Any]) -> str | None:
    """The parser's complaint about a value that a checkpoint records, said of the checkpoint.

    The command line alone was parsed first, so an invalid value found once the checkpoint's
    settings are the defaults is the checkpoint's (edited, or written by another program).
    """
    keys = re.findall(r'Parser key "([^"]+)": ', text)
    if not keys:
        return None
    key = keys[0] if len(keys) == 1 else f"{keys[0]}.{keys[-1]}"
    values = {k.replace(".init_args.", "."): v for k, v in settings.items()}
    if key not in values:
        return None
    reason = text.rsplit(f'Parser key "{keys[-1]}": ', 1)[-1].removesuffix(" (or null)")
    return (f"checkpoint {path!r} records {key}={values[key]!r}, which is invalid ({reason}); it was edited or "
            f"written by another program: use another checkpoint")


def _training_batch(data: Any) -> int:
    """Samples per training batch that the data settings give."""
    data = data.get("init_args") or data
    if data.get("batch_size"):
        return int(data.batch_size)
    if data.get("n_samples") is None:
        return table_rows_bound(data.get("path"))
    return split_sizes(int(data.n_samples), float(data.test_size), data.get("val_size"))["train"]


def _plain(value: Any) -> Any:
    """``value`` (a parsed Namespace, dict, tuple ...) as plain JSON-like data, for comparing and recording."""
    return json.loads(json.dumps(_unwrapped(value), default=str))


def _unwrapped(value: Any) -> Any:
    """Namespaces (also inside lists and dicts) as dicts."""
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    if isinstance(value, dict):
        return {k: _unwrapped(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_unwrapped(v) for v in value]
    return value


def run_config(stored: dict[str, Any], path: str, root: str) -> str | None:
    """The ``config.yaml`` of the run a checkpoint belongs to, if it is where the run's logger put it."""
    version = run_version(path, root)
    logger = stored.get("trainer.logger")
    init = logger.get("init_args") if isinstance(logger, dict) and isinstance(logger.get("init_args"), dict) else {}
    candidate = Path(str(init.get("save_dir") or LOG_ROOT)) / run_name(version) / "config.yaml"
    return str(candidate) if version is not None and candidate.is_file() else None


def logs_record_root(stored: dict[str, Any], path: str, root: str) -> bool:
    """Whether the log folder that a resume of the run in ``root`` would go on in (``lightning_logs/version_N``
    here) is that run's: its ``config.yaml`` names ``root`` as the checkpoint root.

    A run's logs lie under the folder it was started from; a run resumed by its path from another
    folder (another project's, whose ``lightning_logs/version_N`` is a run of its own) goes on in a
    new TensorBoard run instead.
    """
    config = run_config(stored, path, root)
    value = None if config is None else recorded_root(Path(config))
    return value is not None and os.path.realpath(value) == os.path.realpath(root)


def _check_seed(config: Any) -> None:
    """Refuse a seed that Lightning's ``seed_everything`` cannot take (it would end in a traceback)."""
    seed = config.get("seed_everything")
    if isinstance(seed, int) and not isinstance(seed, bool) and not 0 <= seed <= MAX_SEED:
        raise UserError(f"--seed_everything={seed} is out of range: use a number from 0 to {MAX_SEED}")


def _missing_package(error: BaseException) -> str | None:
    """The message of a ``ModuleNotFoundError`` behind a class the parser could not build (``RichProgressBar``
    without ``rich``: Lightning's own line names the ``pip install``), as one line naming the class."""
    seen: list[BaseException] = []
    cause: BaseException | None = error
    while cause is not None and cause not in seen:
        seen.append(cause)
        if isinstance(cause, ModuleNotFoundError):
            problem = next((re.search(r"Problem with given class_path '([^']+)'", str(e)) for e in seen
                            if "Problem with given class_path" in str(e)), None)
            said = str(cause).strip().splitlines()[0]
            name = problem.group(1).rsplit(".", 1)[-1] if problem else None
            return said if name is None or name in said else f"{name}: {said}"
        cause = cause.__cause__ or cause.__context__
    return None


ONE_BATCH = ("limit_train_batches", "limit_val_batches", "limit_test_batches", "limit_predict_batches",
             "overfit_batches", "val_check_interval")
"""Trainer options where the integer 1 (one batch) and the float 1.0 (the whole epoch) differ."""


def _one_batch_written(text: str, trainer: Any, indent: str) -> str:
    """A dumped configuration (YAML ``text``) with the :data:`ONE_BATCH` options that ``trainer`` holds as
    the integer 1 written ``1``: jsonargparse writes them ``1.0``, and ``fit --config`` of a run's
    ``config.yaml`` then used the whole split where the run used one batch."""
    ones = [name for name in ONE_BATCH if hasattr(trainer, "get") and type(trainer.get(name)) is int
            and trainer.get(name) == 1]
    if not ones:
        return text
    lines, inside = text.split("\n"), False
    for i, line in enumerate(lines):
        if line == f"{indent}trainer:":
            inside = True
        elif inside and line and not line.startswith(f"{indent}  "):
            inside = False
        elif inside and line.removeprefix(f"{indent}  ").split(":")[0] in ones and line.endswith(": 1.0"):
            lines[i] = line.removesuffix("1.0") + "1"
    return "\n".join(lines)


def _file_setting(given: str, name: str, within_trainer: bool, default: str | None) -> str | None:
    """The Trainer option ``name`` as a ``--config`` (or ``--trainer``) file or text ``given`` sets it, written
    out (``1`` for the integer, ``1.0`` for the float); ``default`` where it does not set it."""
    try:
        if os.path.isfile(given):
            with open(given, encoding="utf-8") as handle:
                given = handle.read()
        settings = yaml.safe_load(given)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return default
    if not isinstance(settings, dict):
        return default
    if not within_trainer:
        # a subcommand's config, or the top-level one (its settings under the subcommand's name)
        trainers = [settings.get("trainer")] + [v.get("trainer") for v in settings.values() if isinstance(v, dict)]
        settings = next((t for t in trainers if isinstance(t, dict) and name in t), {})
    value = settings.get(name, default) if isinstance(settings, dict) else default
    return value if value is None or isinstance(value, str) else json.dumps(value)


def _keep_one_batch(config: Any, words: list[str], recorded: dict[str, Any] | None = None) -> None:
    """Keep ``--trainer.limit_val_batches 1`` (and the like) the integer 1, one batch, as Lightning documents it.

    The Trainer types these options ``Union[float, int]``, so the parser reads ``1`` as ``1.0``, which
    Lightning takes as the whole epoch: the option silently did nothing. A ``1`` written on the command
    line, written as the integer in a ``--config`` file (a run's ``config.yaml``), or recorded as the integer
    by the run being resumed, stays the integer.
    """
    trainer = config.get("trainer") if hasattr(config, "get") else None
    if trainer is None:
        return
    for name in ONE_BATCH:
        option, text = f"--trainer.{name}", None
        for i, word in enumerate(words):
            if word == option and i + 1 < len(words):
                text = words[i + 1]
            elif word.startswith(option + "="):
                text = word.split("=", 1)[1]
            elif word in ("-c", "--config", "--trainer") and i + 1 < len(words) or word.startswith(("--config=",
                                                                                                    "--trainer=")):
                given = words[i + 1] if word in ("-c", "--config", "--trainer") else word.split("=", 1)[1]
                text = _file_setting(given, name, within_trainer=word.startswith("--trainer"), default=text)
        if trainer.get(name) != 1:
            continue
        if text is not None and re.fullmatch(r"\s*\+?0*1\s*", text):
            trainer[name] = 1
        elif text is None and recorded is not None and type(recorded.get(f"trainer.{name}")) is int:
            trainer[name] = 1


def _enum_values(trainer: Any) -> None:
    """Replace enum and ``torch.device`` defaults in the callbacks' and loggers' arguments by their values.

    ``Timer``'s ``interval`` defaults to ``Interval.step``, an enum YAML cannot write: LightningCLI's dump
    of the config (when it builds the model) ended in a traceback. Its value, ``"step"``, means the same.
    ``StochasticWeightAveraging``'s ``device`` defaults to ``torch.device("cpu")``, which the dump wrote as
    ``device: Unable to serialize instance cpu`` in the run's ``config.yaml`` (``fit --config`` on it failed);
    ``"cpu"`` means the same.
    """
    for key in ("callbacks", "logger"):
        for item in _callback_list(trainer.get(key)):
            init = item.get("init_args") if hasattr(item, "get") else None
            for name, value in (init.items() if hasattr(init, "items") else []):
                if isinstance(value, enum.Enum):
                    init[name] = value.value
                elif isinstance(value, torch.device):
                    init[name] = str(value)


def _check_run_files(trainer: Any) -> None:
    """Refuse the Trainer options that would take away what a blobclf run is made of (its checkpoints,
    its log folder), each with the options that do what the user likely wants."""
    if trainer.get("enable_checkpointing") is False:
        raise UserError("--trainer.enable_checkpointing=false is refused: a blobclf run keeps checkpoints (last.ckpt "
                        "resumes it, the best one is tested); to write fewer, use --checkpoint.save_top_k 0 "
                        "(no best checkpoint) and --checkpoint.save_last false (no last.ckpt)")
    if trainer.get("barebones"):
        raise UserError("--trainer.barebones=true is refused: it turns off the logger and checkpoints a blobclf run "
                        "is made of; for speed use --trainer.enable_progress_bar false --trainer.enable_model_summary "
                        "false --export.figures false --export.onnx false")
    if trainer.get("default_root_dir") is not None:
        raise UserError(f"--trainer.default_root_dir={trainer.default_root_dir!r} is not used by blobclf, whose runs "
                        "go to --checkpoint.root (checkpoints) and the logger's save_dir (lightning_logs); give those "
                        "instead: --checkpoint.root DIR/checkpoints --trainer.logger.init_args.save_dir "
                        "DIR/lightning_logs (or run blobclf from DIR)")


def _check_optimizer(config: Any) -> None:
    """Build the configured optimizer and scheduler once on a stand-in parameter, so that an
    invalid value (a negative learning rate, a scheduler missing its required argument) is a
    one-line error before anything is written."""
    if not config.get("optimizer"):
        return
    try:
        optimizer = instantiate_class([torch.nn.Parameter(torch.zeros(1))], _plain(config.optimizer))
    except (ValueError, TypeError) as error:
        raise UserError(f"--optimizer {config.optimizer.class_path}: {error}") from None
    if config.get("lr_scheduler"):
        try:
            scheduler = instantiate_class(optimizer, _plain(config.lr_scheduler))
        except (ValueError, TypeError, KeyError) as error:
            raise UserError(f"--lr_scheduler {config.lr_scheduler.class_path}: {error}") from None
        _check_schedule_length(scheduler, config)


def _check_schedule_length(scheduler: Any, config: Any) -> None:
    """Refuse a ``OneCycleLR`` whose schedule ends before ``max_epochs``: torch raises at the first step past
    its ``total_steps``, mid-run (LightningCLI steps a scheduler once an epoch)."""
    total = getattr(scheduler, "total_steps", None)
    epochs = config.trainer.get("max_epochs")
    if not isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR) or not isinstance(epochs, int) or epochs < 0:
        return
    if total < epochs:
        fix = ("start a new run to train longer (a resume keeps the run's scheduler)" if config.get("ckpt_path") else
               f"give --lr_scheduler.total_steps {epochs} (or more), or fewer --trainer.max_epochs")
        raise UserError(f"--lr_scheduler OneCycleLR: its schedule has {total} steps, one per epoch, and ends before "
                        f"--trainer.max_epochs={epochs}; {fix}")


def _flatten(value: Any, prefix: str) -> dict[str, Any]:
    if isinstance(value, dict) and "class_path" not in value:
        flat: dict[str, Any] = {}
        for name, inner in value.items():
            flat.update(_flatten(inner, f"{prefix}.{name}"))
        return flat
    return {prefix: value}


def _settings(config: Any) -> dict[str, Any]:
    """The run's options a resume takes over (see ``SETTINGS``), as ``{dotted key: plain value}``."""
    plain = _plain(config)
    flat: dict[str, Any] = {}
    for group in SETTING_GROUPS:
        if group in plain:
            flat.update(_flatten(plain[group], group))
    return {key: _comparable(key, value) for key, value in flat.items() if not key.startswith(NOT_SETTINGS)}


def _comparable(key: str, value: Any) -> Any:
    """A setting without its placement: the loggers' versions and purge steps are the run's own."""
    if key == "trainer.logger" and isinstance(value, list):
        return [_comparable(key, each) for each in value]
    if key == "trainer.logger" and isinstance(value, dict) and isinstance(value.get("init_args"), dict):
        return {**value, "init_args": {k: v for k, v in value["init_args"].items() if k not in ("version", "purge_step")}}
    return value


def _logger_inits(logger: Any) -> list[Any]:
    """The ``init_args`` of a ``trainer.logger`` setting's loggers (one, or each of a list), in order."""
    return [each.get("init_args") for each in _callback_list(logger)
            if hasattr(each, "get") and each.get("class_path") and each.get("init_args") is not None]


def _callback_list(value: Any) -> list[Any]:
    """A ``trainer.callbacks`` setting as a list (``None``: none; one class setting: a list of it)."""
    return value if isinstance(value, list) else [] if value is None else [value]


def _has_progress_bar(callbacks: Any) -> bool:
    """Whether the configured callbacks (``class_path`` settings, or one of them) include a progress bar."""
    for callback in _callback_list(callbacks):
        class_path = callback.get("class_path") if hasattr(callback, "get") else None
        cls = loaded_class(class_path) if class_path else None  # the parser has imported what it took
        if cls is not None and issubclass(cls, ProgressBar):
            return True
    return False


def _adds_callbacks(key: str, given: Any, stored: Any) -> bool:
    """Whether a resume's callbacks are the run's own followed by new ones (``--trainer.callbacks+=...``)."""
    if key != "trainer.callbacks":
        return False
    given, stored = _callback_list(given), _callback_list(stored)
    return given[: len(stored)] == stored


def _difference(key: str, given: Any, stored: Any) -> tuple[str, Any, Any]:
    """The first place where two settings differ, as (option, given value, stored value).

    A class setting (``{"class_path": ..., "init_args": {...}}``) differs in its class or in one
    of its arguments; naming just that one reads better than two whole dictionaries. In lists of
    class settings (callbacks), the first entry that differs is named by its position and class.
    """
    if key == "trainer.callbacks":
        given, stored = _callback_list(given), _callback_list(stored)
        ours = [c.get("class_path") if isinstance(c, dict) else c for c in given]
        theirs = [c.get("class_path") if isinstance(c, dict) else c for c in stored]
        if ours != theirs:
            return key, ours, theirs
        index = next(i for i, (g, t) in enumerate(zip(given, stored, strict=True)) if g != t)
        return _difference(f"{key}[{index}]", given[index], stored[index])
    if isinstance(given, dict) and isinstance(stored, dict):
        if given.get("class_path") != stored.get("class_path"):
            return key, given.get("class_path"), stored.get("class_path")
        ours, theirs = given.get("init_args") or {}, stored.get("init_args") or {}
        for name in sorted(set(ours) | set(theirs)):
            if ours.get(name) != theirs.get(name):
                return f"{key}.{name}", ours.get(name), theirs.get(name)
    return key, given, stored


class BlobCLI(LightningCLI):
    """LightningCLI wired for blobclf: linked shapes, run folders, safe checkpoints."""

    def __init__(self, *args: Any, parser_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        # settings for a subcommand this CLI does not offer (see cli_for) would reach the main parser
        offered, every = self.subcommands(), LightningCLI.subcommands()
        parser_kwargs = {k: v for k, v in (parser_kwargs or {}).items() if k not in every or k in offered}
        super().__init__(*args, parser_kwargs=parser_kwargs, **kwargs)

    def init_parser(self, **kwargs: Any) -> LightningArgumentParser:
        kwargs.setdefault("parser_mode", use_limited_yaml())
        parser = super().init_parser(**kwargs)
        parser.add_argument("--version", action="version", version=f"blobclf {__version__}")
        return parser

    def add_default_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        """LightningCLI's ``--seed_everything``, with blobclf's help (Lightning's ran two sentences together:
        "before classes instantiation.Set to True")."""
        parser.add_argument("--seed_everything", type=Union[bool, int], default=self.seed_everything_default,
                            help=SEED_HELP)

    claimed: tuple[str, int | str, bool] | None = None
    """The run folder that this command claimed for a new run: (checkpoint root, version,
    whether the root folder was made for it)."""
    version_given: bool = False
    """Whether the run folder claimed is the version the user gave (kept in the run's ``config.yaml``)."""
    made_dirpath: tuple[bool, bool] = (False, False)
    """Whether this command made the ``--checkpoint.dirpath`` folder of its new run, and the folder above it."""

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_lightning_class_args(RunCheckpoint, "checkpoint")
        parser.add_lightning_class_args(PredictionWriter, "prediction")
        parser.add_lightning_class_args(RunExport, "export")
        parser.add_argument(
            "--threads",
            type=Optional[PositiveInt],
            default=None,
            help=(
                "torch intra-op CPU threads. null applies blobclf's policy: 1 thread for fit, validate "
                f"and test when training batches hold at most {SMALL_BATCH} samples (small steps run "
                "faster on one thread), torch's default otherwise and for predict. The number used is "
                "recorded in the run's config.yaml."
            ),
        )
        parser.add_optimizer_args((Optimizer,))
        parser.set_defaults({"optimizer": DEFAULT_OPTIMIZER})
        parser.link_arguments("data.num_features", "model.num_features", apply_on="instantiate")
        parser.link_arguments("data.num_classes", "model.num_classes", apply_on="instantiate")
        add_table_arguments(parser)

    def parse_arguments(self, parser: LightningArgumentParser, args: Any) -> None:
        """Parse, then take the settings recorded in ``--ckpt_path`` as defaults.

        A checkpoint carries the model, data and optimizer settings of the run that wrote it, so
        ``test --ckpt_path`` needs no config. An explicit option that contradicts the checkpoint
        is refused rather than silently overridden in either direction.

        ``--print_config`` prints the settings once they are all known: a checkpoint's included
        (jsonargparse prints, and exits, in the first parse, which knows only the command line).
        """
        words = sys.argv[1:] if args is None else args
        printing = isinstance(words, (list, tuple)) and any(
            str(word) == "--print_config" or str(word).startswith("--print_config=") for word in words)
        if not printing:
            self.parse_with_checkpoint(parser, args)
            return
        with warnings.catch_warnings():
            # the command line given as a list, without its --print_config, where args was None
            warnings.filterwarnings("ignore", message="LightningCLI's args parameter is intended")
            self.parse_with_checkpoint(parser, [word for word in words if not str(word).startswith("--print_config")])
        super().parse_arguments(parser, args)  # prints and exits

    def parse_with_checkpoint(self, parser: LightningArgumentParser, args: Any) -> None:
        """:meth:`parse_arguments` without ``--print_config``."""
        preselect_data_class(parser, args)
        super().parse_arguments(parser, args)
        self.words = [str(word) for word in (sys.argv[1:] if args is None else args if isinstance(args, list) else [])]
        """The command line as given (see :func:`_keep_one_batch`)."""
        self.recorded_settings: dict[str, Any] = {}
        """The settings of the run being resumed, as its checkpoint records them."""
        self.resume_version: int | None = None
        self.ckpt_given = ""
        """``--ckpt_path`` as given (``last``, ``best`` or a path), before it was resolved."""
        self.run_logs: tuple[str, str, int] | None = None
        """The log root, checkpoint root and version of the checkpoint's run, found from the folder
        it was started in, for a command run in another folder (see :func:`logs_where_started`)."""
        self.model_hparams: dict[str, Any] = {}
        subcommand = self.config.get("subcommand")
        _check_seed(self.config[subcommand] if subcommand else self.config)
        ckpt_path = self.config[subcommand].get("ckpt_path") if subcommand else None
        if not ckpt_path:
            return
        root = self.config[subcommand].checkpoint.root
        self.ckpt_given = str(ckpt_path)
        path = resolve_checkpoint(self.ckpt_given, root)
        passed_over = newer_without_last(Path(path).parent, root) if ckpt_path in ("last", "best") else []
        if passed_over:
            rank_zero_info(f"note: --ckpt_path {ckpt_path} is {path}: the newer "
                           f"{', '.join(os.fspath(run) for run in passed_over)} has no last.ckpt (stopped or "
                           "diverged before writing one, or still training)")
        checkpoint = load_checkpoint(path)
        BlobClassifier.check_checkpoint(checkpoint, path)
        self.model_hparams = dict(checkpoint.get("hyper_parameters") or {})
        stored = {
            "model.steps_per_execution": 1,  # a checkpoint written before the option ran one step at a time
            **{f"model.{k}": v for k, v in model_settings(self.model_hparams).items()},
            **data_defaults(checkpoint),
        }
        if legacy_optimizer(self.model_hparams) is not None:
            stored["optimizer"] = legacy_optimizer(self.model_hparams)
        if subcommand == "fit" and not any(isinstance(state, dict) and isinstance(state.get("training"), dict)
                                           and SETTINGS in state["training"]
                                           for state in checkpoint.get("callbacks", {}).values()):
            # Lightning's defaults would stand in for them: 1000 epochs for the run's 100, seed 42 for its own
            raise UserError(
                f"checkpoint {path!r} was written by blobclf of 2026-11-28 or earlier, which did not record the "
                "run's settings (epochs, seed, trainer) that a resume takes from it; it cannot be resumed, but test, "
                "validate, predict and blobclf.regenerate take it as it is; train a new run to go on"
            )
        for state in checkpoint.get("callbacks", {}).values():
            if isinstance(state, dict) and isinstance(state.get("training"), dict):
                # an evaluation uses no optimizer: one whose class is not loaded is left out, not imported
                stored.update({k: v for k, v in state["training"].items()
                               if k in RECORDED and (subcommand == "fit" or not unloaded_classes(v))})
                if subcommand == "fit" and isinstance(state["training"].get(SETTINGS), dict):
                    stored.update(state["training"][SETTINGS])
        check_recorded_classes(stored, path, run_config(stored, path, root) if subcommand == "fit" else None)
        switch_data_class(parser, self.config, subcommand, stored, args, super().parse_arguments)
        known = {
            key: value
            for key, value in stored.items()
            if not key.rsplit(".", 1)[-1].startswith("_")
            and not key.endswith(LINKED)
            and (key.replace(".init_args.", ".") not in FREE
                 or (subcommand == "fit" and key.replace(".init_args.", ".") in RESUME_KEEPS))
            and key in self.config[subcommand]
        }
        parser.set_defaults(as_defaults(subcommand, known))
        BlobArgumentParser.recorded = (path, known)
        try:
            super().parse_arguments(parser, args)
        finally:
            BlobArgumentParser.recorded = None
        given = self.config[subcommand]
        self.recorded_settings = known
        for key, value in known.items():
            ours, theirs = _comparable(key, _plain(given[key])), _comparable(key, _plain(value))
            if (key in CHANGEABLE or key.replace(".init_args.", ".") in FREE or same_setting(key, ours, theirs)
                    or _adds_callbacks(key, ours, theirs)):
                continue
            if subcommand != "fit" and key.replace(".init_args.", ".") in EVALUATION_MAY_CHANGE:
                continue
            if same_table(key, ours, checkpoint, path):
                continue  # the run's training table, moved: the same bytes elsewhere
            if same_selection(key, given, known):
                # null or an exclude list (as the run's config.yaml holds them): the same columns and classes,
                # taken as the checkpoint records them, as when the options are not given
                for name in (("classes",) if key.endswith("classes") else ("features", "exclude")):
                    given[f"data.init_args.{name}"] = known.get(f"data.init_args.{name}")
                continue
            option, ours, theirs = _difference(key.replace(".init_args.", "."), ours, theirs)
            how = ("resume with just 'fit --ckpt_path', which takes every setting from the run"
                   if subcommand == "fit" else "drop the option (the checkpoint's value is used)")
            raise UserError(
                f"{option}={ours!r} (from the command line or a --config file) conflicts with the checkpoint "
                f"{path!r}, which was trained with {option}={theirs!r}; {how}, or pass another checkpoint"
            )
        if subcommand == "fit":
            self._check_extension(given, checkpoint, path)
        check_training_table(subcommand, given, checkpoint)
        given.ckpt_path = path
        own = own_root(path, checkpoint) if run_version(path, root) is None else None
        if own is not None and not (subcommand == "fit" and logs_record_root(stored, path, own)):
            # a run resumed or evaluated by its path from another folder goes on in its own
            # TensorBoard run, under the folder it was started in
            self.run_logs = logs_where_started(path, recorded_save_dir(checkpoint))
        if subcommand == "fit":
            self.resume_version = run_version(path, root)
            if self.run_logs is not None:
                given.checkpoint.root, self.resume_version = self.run_logs[1], self.run_logs[2]
            elif own is not None and logs_record_root(stored, path, own):
                # a run started with its own --checkpoint.root goes on in its own TensorBoard run
                given.checkpoint.root = own
                self.resume_version = run_version(path, own)
            # the run's logs restart at the checkpoint's epoch: its events are replaced by the
            # values the checkpoint holds (see RunCheckpoint), later ones by the resumed run's
            values = [epoch_values(s, checkpoint) for s in checkpoint.get("callbacks", {}).values()
                      if isinstance(s, dict) and isinstance(s.get("epoch_values"), dict)]
            self.resume_epoch = int(values[0]["epoch"]) if values else int(checkpoint.get("epoch", -1)) + 1

    @staticmethod
    def _check_extension(config: Any, checkpoint: dict[str, Any], path: str) -> None:
        """Refuse a resume whose ``max_epochs`` lies below the epochs the checkpoint has done."""
        done = int(checkpoint.get("epoch", -1)) + 1
        loops = checkpoint.get("loops", {}).get("fit_loop", {}).get("epoch_progress", {}).get("current", {})
        done = int(loops.get("completed", done)) if isinstance(loops, dict) else done
        max_epochs = config.trainer.get("max_epochs")
        if max_epochs is not None and max_epochs != -1 and max_epochs < done:
            raise UserError(
                f"--trainer.max_epochs={max_epochs} is below the {done} epochs {path!r} has done; give a larger "
                "number to train on, or drop the option to keep the run's own"
            )

    overfit_batches: ClassVar[Any] = None
    """The ``--trainer.overfit_batches`` of the command being run (see :func:`overfit_error`)."""

    def before_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        if config.trainer.get("enable_progress_bar") is False or _has_progress_bar(config.trainer.get("callbacks")):
            # progress turned off, or the user's own progress bar: Lightning takes only one, and
            # none at all with enable_progress_bar false
            callbacks = self.trainer_defaults.get("callbacks", [])
            self.trainer_defaults["callbacks"] = [c for c in callbacks if not isinstance(c, ProgressBar)]
        # here, not when parsing: Lightning parses the config again after parse_arguments (a checkpoint's hparams)
        _keep_one_batch(config, getattr(self, "words", []), getattr(self, "recorded_settings", None))
        BlobCLI.overfit_batches = config.trainer.get("overfit_batches")
        _enum_values(config.trainer)
        # every check before anything is printed or created: a refused command is one line
        self._check_settings(config)
        if self.subcommand == "fit":
            _check_optimizer(config)
            if not config.get("ckpt_path"):
                check_monitors(config)  # a resume keeps its run's own (and would conflict with another)
        if self.subcommand in EVAL_COMMANDS:
            self._place_evaluation(config)
        if self.subcommand == "predict":
            self.predict_points = read_predict_file(config, getattr(self, "model_hparams", {}))
        self._set_threads(config)
        if self.subcommand == "fit":
            self._place_run(config)
        if self.subcommand == "predict" and config.get("return_predictions") is None:
            config.return_predictions = False  # the PredictionWriter keeps every prediction

    def _set_threads(self, config: Any) -> None:
        """Apply ``--threads`` or blobclf's policy, and record the number used in the config."""
        threads = config.get("threads")
        if threads is None and self.subcommand != "predict" and _training_batch(config.data) <= SMALL_BATCH:
            threads = 1
        if threads is not None:
            torch.set_num_threads(int(threads))
        config.threads = torch.get_num_threads()  # recorded in the run's config.yaml
        rank_zero_info(f"torch threads: {config.threads} (--threads to change)")

    def _check_settings(self, config: Any) -> None:
        """Refuse settings that Lightning would take but that cannot work, in one line each."""
        max_epochs = config.trainer.get("max_epochs")
        if max_epochs is not None and max_epochs < -1:
            raise UserError(f"--trainer.max_epochs={max_epochs} is invalid: use -1 (no limit) or a number >= 0")
        if self.subcommand == "fit" and not config.get("ckpt_path"):
            if without_limit(config):
                config.trainer.max_epochs = TUTORIAL_EPOCHS  # recorded in config.yaml and the checkpoint
            for option in ("max_epochs", "max_steps"):
                if config.trainer.get(option) == 0:
                    raise UserError(f"--trainer.{option}=0 trains nothing, and a new run would export an untrained "
                                    f"model; give at least 1")
        check_accelerator(config.trainer.get("accelerator"))
        check_devices(config.trainer.get("devices"))
        _check_run_files(config.trainer)
        if self.subcommand in EVAL_COMMANDS and not config.get("ckpt_path"):
            raise UserError(
                f"'{self.subcommand}' needs --ckpt_path PATH (a .ckpt written by 'blobclf fit', or 'last'/'best' "
                "for the newest run); without it there is no trained model to evaluate"
            )
        if config.get("weights_only") is False:
            raise UserError("--weights_only=false is refused: blobclf loads checkpoints with weights_only=True only")
        if self.subcommand == "fit":
            check_trainer_settings(config.model.steps_per_execution, config.trainer, config.get("lr_scheduler"))
        if "weights_only" in config:
            config.weights_only = True

    def _place_run(self, config: Any) -> None:
        """Give the run its folders: a resumed run its own, a new run a freshly claimed version."""
        inits = _logger_inits(config.trainer.get("logger"))
        init = inits[0] if inits else None
        versioned = init is not None and "version" in init
        # a list of loggers: the first places the run (Lightning's trainer.logger), the others follow it
        others = [other for other in inits[1:] if "version" in other]
        dirpath = config.checkpoint.get("dirpath")
        ckpt_path = config.get("ckpt_path")
        if ckpt_path and dirpath is not None and Path(dirpath).resolve() != Path(ckpt_path).resolve().parent:
            raise UserError(
                f"--checkpoint.dirpath={dirpath!r} is not the folder of the run being resumed "
                f"({os.fspath(Path(ckpt_path).parent)!r}), whose checkpoints stay in their own folder; drop the option"
            )
        if self.resume_version is not None:
            if versioned and init.get("version") not in (None, self.resume_version):
                raise UserError(
                    f"--trainer.logger.init_args.version={init.version} conflicts with the resumed run "
                    f"version_{self.resume_version}; drop the option"
                )
            if versioned:
                init.version = self.resume_version
                if self.run_logs is not None and "save_dir" in init:
                    init.save_dir = self.run_logs[0]
            for each in inits:
                if "purge_step" in each:
                    each.purge_step = self.resume_epoch
            if versioned:
                for other in others:
                    other.version = self.resume_version
        folder = Path(ckpt_path).resolve().parent if ckpt_path else None
        if (folder is not None and self.resume_version is None and versioned and init.get("version") is None
                and folder.parent == Path(config.checkpoint.root).resolve()):
            # a run named by its logger's version (checkpoints/NAME) goes on in its own log folder too
            for each in [init, *others]:
                each.version = folder.name
        if ckpt_path:
            if dirpath is None and self.resume_version is None:
                # a run folder outside the checkpoint root (moved, copied) goes on in that folder
                config.checkpoint.dirpath = os.fspath(Path(ckpt_path).parent)
            if rank_zero_only.rank == 0:
                folder = Path(ckpt_path).parent
                if not os.access(folder, os.W_OK):
                    raise UserError(f"cannot resume into {os.fspath(folder)!r}: the run folder is read-only; make it "
                                    "writable, or copy the run folder somewhere writable and resume from there")
                lock_resumed_run(folder, self.ckpt_given, config.checkpoint.root)
            return
        if dirpath is not None and rank_zero_only.rank == 0 and not config.trainer.get("fast_dev_run"):
            self.made_dirpath = self._claim_folder(dirpath)
        if dirpath is not None or config.trainer.get("fast_dev_run"):
            return  # a fast_dev_run is a smoke test: it saves nothing, so it takes no run folder
        if rank_zero_only.rank != 0:
            # another process of a distributed run: process 0 claims the run folder and Lightning
            # hands its folder names to every process (the checkpoint folder and log folder are
            # broadcast from process 0)
            return
        chosen = init.get("version") if versioned else None
        log_roots = [Path(each.save_dir) / (each.get("name") or "") for each in ([init] if versioned else []) + others
                     if each.get("save_dir")]
        new_root = not Path(config.checkpoint.root).exists()
        removed: list[Path] = []
        taken = None
        try:
            # a version the user chose is claimed and held as a free one is: never shared with another fit
            version: int | str | None = claim_run(config.checkpoint.root, *log_roots, removed=removed, version=chosen)
        except FileExistsError as error:
            version, taken = None, error.filename
        if removed:
            one = sum(folder.parent == Path(config.checkpoint.root) for folder in removed) == 1
            rank_zero_info(f"note: removed {', '.join(os.fspath(folder) for folder in removed)}: left by "
                           f"{'a run killed while it' if one else 'runs killed while they'} started (no checkpoint, "
                           f"only {'its' if one else 'their'} start files; no process holds {'it' if one else 'them'})")
        if version is None:
            raise UserError(f"run folder {os.fspath(taken)!r} already exists; choose another "
                            "--trainer.logger.init_args.version (or leave it unset for the next free one)")
        self.claimed = (config.checkpoint.root, version, new_root)
        self.version_given = chosen is not None
        config.checkpoint.dirpath = os.fspath(Path(config.checkpoint.root) / run_name(version))
        if versioned:
            for each in [init, *others]:
                each.version = version

    @staticmethod
    def _claim_folder(dirpath: str) -> tuple[bool, bool]:
        """Take ``--checkpoint.dirpath`` for a new run: locked, and empty once locked; whether it, and the
        folder above it, were created."""
        folder = Path(dirpath)
        created, above = not folder.exists(), not folder.parent.exists()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UserError(f"cannot create --checkpoint.dirpath={dirpath!r}: {error.strerror or error}") from None
        try:
            lock_run(folder)
            if any(folder.iterdir()):
                raise UserError(
                    f"--checkpoint.dirpath={dirpath!r} already holds another run's files; choose an empty or new "
                    "folder (or resume that run with --ckpt_path)"
                )
        except UserError:
            if created:
                release_run(folder.parent, folder.name)
            raise
        return created, above

    def _place_evaluation(self, config: Any) -> None:
        """Keep an evaluation with the run it evaluates: it takes no run version of its own.

        Its logs go to ``{run's log folder}/{subcommand}-{checkpoint}`` (TensorBoard shows it as a
        run of its own, beside the training curves, with only the latest evaluation of that
        checkpoint: earlier events there are purged); a checkpoint outside any run folder is
        evaluated without a logger. The checkpoint callback keeps the checkpoint's own folder.
        """
        ckpt_path = Path(config.ckpt_path)
        config.checkpoint.dirpath = os.fspath(ckpt_path.resolve().parent)
        logger = config.trainer.get("logger")
        init = logger.get("init_args") if hasattr(logger, "get") and logger.get("class_path") else None
        if self.subcommand == "predict" and init is not None and str(logger.get("class_path")).endswith("RunLogger"):
            config.trainer.logger = False  # predict logs nothing: it writes its CSV, and no log folder
        elif init is not None and "version" in init:
            version = run_version(ckpt_path, config.checkpoint.root)
            if version is None and self.run_logs is not None and init.get("save_dir") == LOG_ROOT:
                init.save_dir, version = self.run_logs[0], self.run_logs[2]
            if version is None and init.get("version") is None:
                config.trainer.logger = False
            else:
                if init.get("version") is None:
                    init.version = version
                if "sub_dir" in init and init.get("sub_dir") is None:
                    # named as the test report is: one folder per checkpoint and separate test table
                    data = config.data.get("init_args") or config.data
                    test_path = data.get("test_path") if hasattr(data, "get") else None
                    source = f"-{Path(test_path).stem}" if test_path else ""
                    init.sub_dir = f"{self.subcommand}-{checkpoint_tag(ckpt_path)}{source}"
                    if "purge_step" in init and init.get("purge_step") is None:
                        # the evaluation of the checkpoint as it is now replaces any earlier one there,
                        # as its report does: TensorBoard hides the earlier events of this folder, and
                        # their files go once this evaluation has ended (see after_validate)
                        init.purge_step = 0
                        self.replaced_events = tuple(events_files(
                            Path(init.save_dir) / (init.get("name") or "") / run_name(init.version) / init.sub_dir))
        if self.subcommand == "predict":
            data = config.data.get("init_args") or config.data
            writer, source = PredictionWriter(**_plain(config.prediction)), data.get("predict_file")
            writer.check_target(writer.target(writer.output, os.fspath(ckpt_path), source), os.fspath(ckpt_path), source)

    replaced_events: tuple[Path, ...] = ()
    """The event files an evaluation's own replace (see :meth:`_place_evaluation`)."""

    def after_validate(self) -> None:
        """Remove the event files of earlier evaluations that this one's replace (see :func:`remove_replaced_events`)."""
        if rank_zero_only.rank == 0:
            remove_replaced_events(self.replaced_events)

    after_test = after_validate

    def instantiate_classes(self) -> None:
        try:
            with warnings.catch_warnings():
                # the optimizer always comes from --optimizer (default: the tutorial's SGD), so
                # LightningCLI's notice that it replaces the model's own default is noise
                warnings.filterwarnings("ignore", message=r"`BlobClassifier.configure_optimizers` will be overridden")
                super().instantiate_classes()
        except BaseException as error:
            self.release_claim()
            cause = error.__cause__ if isinstance(error, ValueError) else error
            if isinstance(cause, NotEnoughMemory) and self.ckpt_given:
                raise UserError(self._memory_for_checkpoint(cause)) from None
            if isinstance(error, ValueError) and isinstance(error.__cause__, UserError):
                # jsonargparse wraps what a subclass-mode data module's constructor raised
                raise error.__cause__ from None
            missing = _missing_package(error)
            if missing is not None:
                raise UserError(missing) from None
            raise

    def _memory_for_checkpoint(self, error: NotEnoughMemory) -> str:
        """The memory refusal for data a checkpoint records: a smaller ``--data.n_samples`` would
        contradict the checkpoint, so the fix is another machine (or, for predict, a file of points)."""
        subcommand = self.subcommand or "fit"
        path = self.config[subcommand].ckpt_path
        fix = f"{'resume' if subcommand == 'fit' else subcommand} it on a machine with more memory"
        if subcommand == "predict":
            fix += ", or predict the points of a CSV file with --data.predict_file (no blobs are drawn then)"
        return f"{error.args[0]}, for the data the checkpoint {path!r} was trained on; {fix}"

    def instantiate_trainer(self, **kwargs: Any) -> L.Trainer:
        """LightningCLI's trainer; a ``--trainer`` value that Lightning's ``Trainer`` refuses (an
        unknown accelerator or strategy name, ``--trainer.devices -5``) is one line, not a traceback.

        Args:
            kwargs: Passed on to :meth:`LightningCLI.instantiate_trainer`.
        """
        config = self.config[self.subcommand] if self.subcommand else self.config
        for name in ONE_BATCH:  # the instantiation reads the integer 1 as 1.0 again (see _keep_one_batch)
            if type(config.trainer.get(name)) is int:
                kwargs.setdefault(name, config.trainer.get(name))
        try:
            return super().instantiate_trainer(**kwargs)
        except (ValueError, TypeError, ModuleNotFoundError) as error:
            raise UserError(f"the --trainer settings were refused by Lightning: {error} (see --help)") from error

    def after_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        self._check_data_fits_model(config)
        if self.subcommand in EVAL_COMMANDS and rank_zero_only.rank == 0:
            remove_run_leftovers(Path(config.ckpt_path).parent)  # what killed commands there left
        if getattr(self, "predict_points", None) is not None and isinstance(self.datamodule, SplitDataModule):
            self.datamodule.points = self.predict_points  # read and checked before anything ran
        export = self.config_init[self.subcommand].get("export") if self.subcommand else None
        if isinstance(export, RunExport):
            export.training = {key: _plain(config.get(key)) for key in RECORDED}
            export.training[SETTINGS] = _settings(config)
        stop = next((c for c in getattr(self.trainer, "callbacks", []) if isinstance(c, GracefulStop)), None)
        if stop is not None and self.subcommand == "fit" and not config.get("ckpt_path") and rank_zero_only.rank == 0:
            # a new run: what a signal before its first epoch may remove (see blobclf.unstarted);
            # a logger folder that exists already (a given logger version) is another run's
            log_dir = getattr(self.trainer.logger, "log_dir", None) if self.trainer.logger is not None else None
            log_dir = log_dir if log_dir is not None and not Path(log_dir).exists() else None
            made = self.claimed is not None or self.made_dirpath[0]
            roots = [self.claimed[0]] if self.claimed is not None and self.claimed[2] else []
            checkpoint_dir = getattr(run_checkpoint(self.trainer), "dirpath", None) if made else None
            roots += [os.fspath(Path(checkpoint_dir).parent)] if checkpoint_dir and self.made_dirpath[1] else []
            roots += [os.fspath(Path(log_dir).parent)] if log_dir is not None and not Path(log_dir).parent.exists() else []
            stop.new_run = (checkpoint_dir, log_dir, tuple(roots))
        if self.claimed is not None:
            # config.yaml records what the user asked for; the version was only the next free one
            config.checkpoint.dirpath = None
            for init in _logger_inits(config.trainer.get("logger")):
                if "version" in init and not self.version_given:
                    init.version = None

    def _check_data_fits_model(self, config: Any) -> None:
        """Refuse a checkpoint whose data settings give another input or output size than its model
        has (an edited checkpoint): Lightning would end in a traceback loading its weights."""
        trained = getattr(self, "model_hparams", {})
        for key in ("num_features", "num_classes"):
            given = self.model.hparams.get(key)
            if key in trained and given is not None and given != trained[key]:
                raise UserError(
                    f"checkpoint {os.fspath(config.ckpt_path)!r} does not fit its own data settings: they give "
                    f"{key}={given}, but its model was trained with {key}={trained[key]}; it was edited or written "
                    "by another program, use another checkpoint"
                )

    def release_claim(self) -> None:
        """Remove the run folder this command claimed, if nothing was written into it."""
        if self.claimed is not None:
            release_run(*self.claimed)
            self.claimed = None


def stage_callbacks(subcommand: str | None) -> list[Any]:
    """The callbacks a subcommand uses (all of them when it is not known in advance).

    Lightning calls every hook of every callback, a few dozen times an epoch; a callback that
    cannot act in a subcommand is not given to its trainer.
    """
    every = {"fit": [RngState(), GracefulStop(), EpochAxis()], "test": [TestReport()]}
    if subcommand in LightningCLI.subcommands():
        return every.get(subcommand, [])
    return [callback for callbacks in every.values() for callback in callbacks]


def cli_kwargs(subcommand: str | None = None) -> dict[str, Any]:
    """The arguments ``cli_main`` builds :class:`BlobCLI` with (benchmarks and tests reuse them).

    Args:
        subcommand: The subcommand that will run, when known: only its callbacks are made.
    """
    program = program_name()
    return {
        "model_class": BlobClassifier,
        "datamodule_class": SplitDataModule,
        "subclass_mode_data": True,
        "parser_class": BlobArgumentParser,
        "seed_everything_default": 42,
        "save_config_callback": RunConfig,
        "trainer_defaults": {
            "logger": {"class_path": "blobclf.logger.RunLogger"},
            "callbacks": [default_progress(), *stage_callbacks(subcommand)],
            "plugins": [{"class_path": "blobclf.checkpointio.AtomicCheckpointIO"}],
            "enable_progress_bar": True,
            "num_sanity_val_steps": 0,
            "deterministic": True,
        },
        # no abbreviations: a misspelt --trainer.max_epoch must not quietly mean --trainer.max_epochs
        "parser_kwargs": {"prog": program, "description": description(program), "allow_abbrev": False,
                          "default_epochs": TUTORIAL_EPOCHS,
                          **{name: {"description": text, "allow_abbrev": False, "usage": f"{program} [options] {name} [OPTIONS]",
                                    **({"default_epochs": TUTORIAL_EPOCHS} if name == "fit" else {})}
                             for name, text in SUBCOMMAND_HELP.items()}},
    }


def close_process_group() -> None:
    """Shut down the distributed process group a DDP run opened, before the program exits.

    Lightning keeps the group open after ``fit`` (a process may go on to ``test``) and closes it
    at exit only for NCCL. With a gloo group left open until the interpreter exited, two-node runs
    on a loaded machine sometimes aborted a worker after its work was done ("terminate called
    without an active exception"); closing it here stopped that. It is local to each process.
    """
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def cli_for(subcommand: str | None) -> type[BlobCLI]:
    """:class:`BlobCLI` offering only ``subcommand`` (all subcommands for ``None`` or an unknown name).

    LightningCLI builds a complete parser (every Trainer, model, data and callback option, with
    their types and documentation) for each subcommand it offers, before it parses anything; a
    command that runs ``fit`` needs only ``fit``'s. ``subcommands`` is LightningCLI's public,
    overridable list of subcommands.
    """
    every = LightningCLI.subcommands()
    if subcommand not in every:
        return BlobCLI
    only = {subcommand: every[subcommand]}

    class OneSubcommandCLI(BlobCLI):
        @staticmethod
        def subcommands() -> dict[str, set[str]]:
            return only

    return OneSubcommandCLI


FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
"""Errors of a write that found no room: a full disk, a file size limit (``ulimit -f``), a quota."""


def refused_write(error: OSError, stop: GracefulStop | None = None) -> str:
    """The line for a read or write the machine refused, with the way on when the disk was full.

    Args:
        error: The refusal; a full disk names its file where blobclf wrote it (see
            :func:`blobclf.atomic.atomic_write`), not where a library did (TensorBoard's writer).
        stop: The training run's stop callback: a ``fit`` whose run has a ``last.ckpt`` names
            the resume that completes it.
    """
    what = f"cannot use {shown(os.fspath(error.filename))!r}: " if error.filename is not None else "a write failed: "
    line = what + (error.strerror or str(error))
    if error.errno not in FULL:
        return line
    last = Path(stop.run_folder) / "last.ckpt" if stop is not None and stop.run_folder else None
    if last is not None and last.is_file():
        return f"{line}; free some space, then resume with: python -m blobclf fit --ckpt_path {shlex.quote(shown(last))}"
    return f"{line}; free some space (or raise the file size limit, ulimit -f) and run the command again"


def _quiet_thread_errors(args: threading.ExceptHookArgs) -> None:
    """A library's writer thread (TensorBoard's) that fails to write keeps its error for the
    command, which raises it again and says it in one line; the thread prints no traceback."""
    if debugging() or not issubclass(args.exc_type, OSError):
        threading.__excepthook__(args)


def overfit_error(text: str, overfit: Any) -> str:
    """Lightning's refusal of a fraction of a split that is less than one batch, said of ``--trainer.overfit_batches``
    where that option's fraction ``overfit`` set the limit.

    Lightning's line ("Please increase the `limit_val_batches` argument") names an option that changes
    nothing then: ``overfit_batches`` sets the limits of both the training and the validation batches.
    """
    found = re.fullmatch(r"You requested to check (\S+) of the `(train|val)_dataloader` but \S+ \* (\d+) < 1\..*", text)
    if not found or type(overfit) is not float or not overfit > 0:
        return text
    value, loader, batches = found.groups()
    split = "training" if loader == "train" else "validation"
    return (f"--trainer.overfit_batches={value} is less than one batch: {value} of the {split} split's {batches} "
            f"batch{'' if batches == '1' else 'es'} (it overrides --trainer.limit_{loader}_batches); give a number of "
            "batches instead: --trainer.overfit_batches 1 (or more)")


def cli_main(args: list[str] | None = None, only: str | None = None) -> None:
    """Run the blobclf command line; user errors end in one line on stderr and exit status 2.

    Args:
        args: The command line (``None``: ``sys.argv[1:]``).
        only: Build only this subcommand's parser (see :func:`cli_for`); ``python -m blobclf``
            passes the subcommand it was given.
    """
    argv = sys.argv[1:] if args is None else args
    quiet_known_notices()
    kwargs = cli_kwargs(argv[0] if argv and argv[0] in LightningCLI.subcommands() else None)
    subcommand = next((arg for arg in argv if arg in LightningCLI.subcommands()), "SUBCOMMAND")
    BlobArgumentParser.command = f"{kwargs['parser_kwargs']['prog']} {subcommand}"
    stop = next((c for c in kwargs["trainer_defaults"]["callbacks"] if isinstance(c, GracefulStop)), GracefulStop())
    if args is None:
        threading.excepthook = _quiet_thread_errors
    try:
        check_config_files(argv)
        try:
            with signals_stop_the_command():
                cli_for(only)(**kwargs, args=args)
        except SystemExit:
            if not stop.stopped():  # a second signal under DDP ends in Lightning's own exit
                raise
        except Stopped as stopped:
            if stop.exporting and not stop.stopped():
                stop.stopped_exporting(stopped.signum)
            if args is not None and stopped.signum == signal.SIGINT and not stop.stopped():
                raise KeyboardInterrupt from None  # called in-process (a test run): Ctrl-C is the caller's
            if not stop.stopped():  # not while a run trained or was exported: nothing to resume
                if args is None:
                    ignore_signals_from_now()  # a second signal must not cut the removal short, or the line
                stop.remove_unstarted()  # a new run stopped before its first epoch leaves no folders
                name = signal.Signals(stopped.signum).name
                sys.stderr.write(f"blobclf: stopped by {name} before training started; nothing was trained\n"
                                 if argv and argv[0] == "fit" else f"blobclf: stopped by {name}\n")
                sys.exit(128 + stopped.signum)
        if stop.stopped():
            if args is None:
                ignore_signals_from_now()  # what was asked is done: the program ends with 128 + signal
            if rank_zero_only.rank == 0:
                sys.stderr.write(stop.report() + "\n")
            sys.exit(128 + int(stop.signal or 0))
    except (UserError, MisconfigurationException) as error:
        stop.remove_unstarted()  # a new run refused before its first epoch leaves no folders
        if debugging():
            raise
        sys.stderr.write(f"blobclf: error: {printable(overfit_error(one_line(str(error)), BlobCLI.overfit_batches))}\n")
        sys.exit(2)
    except BrokenPipeError:
        # standard output's reader left (| head, a closed less) outside training's epochs, which stop
        # themselves (see EpochLines): after a run's exports or an evaluation's files were written
        silence_stdout()
        if debugging():
            raise
        if stop.exporting and not stop.stopped():
            stop.stopped_exporting(SIGPIPE)
        sys.stderr.write((stop.report() if stop.stopped() else
                          "blobclf: stopped by SIGPIPE: standard output was closed (the reader of the pipe left)") + "\n")
        sys.exit(128 + SIGPIPE)
    except OSError as error:
        # the machine refused a read or write (disk full, read-only folder, a file where a folder
        # should be ...): say which path and why; everything written before stays whole
        if debugging() or (error.filename is None and error.errno not in FULL):
            raise
        line = refused_write(error, stop if argv and argv[0] == "fit" else None)
        sys.stderr.write(f"blobclf: error: {printable(line)}\n")
        sys.exit(2)
    except Exception as error:
        # Lightning's teardown failing after a failed CUDA graph recording: the recording is the cause
        failed = recording_failure(error)
        if failed is None or debugging():
            raise
        sys.stderr.write(f"blobclf: error: {printable(one_line(str(failed)))}\n")
        sys.exit(2)
    finally:
        unlock_runs()
        if args is None:
            close_process_group()
