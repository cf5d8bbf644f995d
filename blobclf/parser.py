"""The command line's parser and its help: :class:`BlobArgumentParser` (LightningCLI's parser whose errors
are one line, whose ``--ckpt_path`` and ``--weights_only`` say what blobclf accepts, whose Trainer options
carry blobclf's help, and whose ``--print_config`` writes the epochs a new run trains), and the program name as
typed; the help texts are :mod:`blobclf.helptext`'s. :mod:`blobclf.cli` builds the command on it."""

from __future__ import annotations

import contextlib
import difflib
import inspect
import re
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar, NoReturn, Optional, get_type_hints

import lightning as L
import yaml
from jsonargparse import ActionSubCommands, ArgumentParser, Namespace
from lightning.pytorch.cli import LightningArgumentParser

from blobclf.configfiles import config_setting, reads_standard_input
from blobclf.configkeys import class_option_in_config, unknown_config_key
from blobclf.configvalues import config_value_error, plain_value_error
from blobclf.errors import debugging, error_line
from blobclf.helptext import (
    CKPT_PATH_HELP,
    RETURN_PREDICTIONS_HELP,
    SUBCOMMAND_SUMMARY,
    HelpFormatter,
    TRAINER_HELP,
    WEIGHTS_ONLY_HELP,
    with_plain_help,
)
from blobclf.runcheckpoint import RunCheckpoint
from blobclf.messages import (
    LIGHTNING_1_OPTIONS, MOVED_NAMES, WANTED, config_name_list, missing_target, not_a_choice, null_name, one_line,
    typed_value_error,
)
from blobclf.monitors import not_a_mode
from blobclf.optionnames import given_option
from blobclf.onebatch import one_batch_written
from blobclf.optionorder import option_before_class
from blobclf.recorded import as_plain, recorded_value_error
from blobclf.system import LEGACY_SGD, legacy_optimizer
from blobclf.trainerclasses import appended_class_error, trainer_class_error

EVAL_COMMANDS = ("validate", "test", "predict")
UNWORDED = re.compile(r"--[\w.]+=.* is invalid for [\w.]+ \(see --help\)")
"""A line of blobclf's that names a class's option and its value but no fix (a value of another type)."""


def as_group(kwargs: dict[str, Any]) -> bool:
    """Whether ``add_class_arguments`` keyword arguments add the class's options as a group (jsonargparse's default)."""
    return bool(kwargs.get("as_group", True)) and not kwargs.get("as_positional", False)


def without_limit(config: Any) -> bool:
    """Whether ``config`` (a ``fit`` command's) is a new run that sets no training limit: no ``--ckpt_path``
    (a resume keeps its run's), no ``max_epochs``, ``max_steps`` or ``max_time``; it trains
    :data:`~blobclf.helptext.TUTORIAL_EPOCHS` epochs."""
    trainer = config.get("trainer")
    if config.get("ckpt_path") or not hasattr(trainer, "get"):
        return False
    return (trainer.get("max_epochs") is None and trainer.get("max_steps") in (None, -1)
            and trainer.get("max_time") is None)


UNSERIALIZED = "Unable to serialize instance"
"""What jsonargparse writes for a value it cannot write: a list of functions (``lr_lambda: [pkg.schedule]``) under
a type that is a union of a function and such a list, as ``LambdaLR``'s ``lr_lambda`` is (jsonargparse 4.53)."""


def with_import_paths(text: str, cfg: Any) -> str:
    """The YAML ``text`` of ``cfg`` with each value jsonargparse could not write (see :data:`UNSERIALIZED`) written as
    :func:`~blobclf.recorded.as_plain` writes it: functions by their import paths, as a config names them."""
    plain = as_plain(cfg)

    def written(node: Any, value: Any) -> Any:
        if isinstance(node, dict) and isinstance(value, dict):
            return {key: written(item, value.get(key)) for key, item in node.items()}
        if isinstance(node, list) and isinstance(value, list) and len(node) == len(value):
            return [written(item, each) for item, each in zip(node, value, strict=True)]
        if isinstance(node, str) and node.startswith(UNSERIALIZED) and value is not None:
            return value
        return node

    return yaml.safe_dump(written(yaml.safe_load(text), plain), sort_keys=False, allow_unicode=True,
                          default_flow_style=False)


class SubcommandSummaries(ActionSubCommands):
    """The subcommands of the top-level help, each with blobclf's summary of it, and each subcommand's help
    listing only the options it uses.

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
        added = super().add_subcommand(name, parser, **kwargs)
        # jsonargparse gives a subcommand the formatter of the top level; this one lists only what it uses
        parser.formatter_class = HelpFormatter.for_subcommand(name)
        return added


CLASS_HELP = re.compile(r"Help for (--[\w.]+)\.help=([\w.]+)")
"""The description jsonargparse gives the parser it builds for ``--data.help CLASS`` and the like."""


@dataclass
class ParseState:
    """What the parsers of one command share while it is parsed (each :class:`~blobclf.cli.BlobCLI` has its own)."""

    command: str = "blobclf SUBCOMMAND"
    """The program and subcommand being run, for the usage line of a class's help
    (``fit --data.help TableDataModule``)."""
    given: tuple[str, ...] = ()
    """The command line being parsed (see :meth:`BlobArgumentParser.parse_args`), for advice that depends on how a
    value was written."""
    recorded: tuple[str, dict[str, Any], bool] | None = None
    """While a checkpoint's settings are the defaults: its path and those settings (see
    :meth:`BlobArgumentParser.recording`)."""


class BlobArgumentParser(LightningArgumentParser):
    """A parser whose errors are one line on stderr (``BLOBCLF_DEBUG=1`` restores the details),
    whose ``--ckpt_path`` and ``--weights_only`` say what blobclf accepts, and whose help names
    the program as it was typed."""

    state: ClassVar[ParseState] = ParseState()
    """The state of the command being parsed: a parser class made by :meth:`with_state` holds a command's own."""

    @classmethod
    def with_state(cls, state: ParseState) -> type[BlobArgumentParser]:
        """This parser class, with ``state`` for the parsers of one command alone.

        The state goes with a class rather than with each parser because jsonargparse builds the
        parser of a class's help (``--data.help CLASS``) as ``type(parser)(description=...)``, passing
        nothing else on.
        """
        return type(cls.__name__, (cls,), {"state": state, "__doc__": cls.__doc__, "__module__": cls.__module__})

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
            kwargs["prog"] = self.state.command
            short = class_path.rsplit(".", 1)[-1]
            kwargs.setdefault("usage", f"{self.state.command} {option} {short} [OPTIONS]")
            # jsonargparse's own text repeats the option as typed: "Help for --data.help=blobclf.TableDataModule"
            kwargs["description"] = (f"The options of {class_path}, each given as {option}.NAME VALUE after "
                                     f"{option} {short}.")
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
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=f"\\s*{UNSERIALIZED}")  # written by its import path below
            text = super().dump(cfg, *args, **kwargs)
        if UNSERIALIZED in text and cfg is not None:
            text = with_import_paths(text, cfg)
        trainer = cfg.get(f"{inner}trainer") if isinstance(cfg, Namespace) else None
        return one_batch_written(text, trainer, "  " if inner else "")

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
        own = {"ckpt_path", "weights_only", "return_predictions"}
        if not (isinstance(class_type, type) and issubclass(class_type, L.Trainer)):
            own = set()
        added = super().add_method_arguments(
            class_type, method_name, nested_key=nested_key, as_group=as_group, as_positional=as_positional,
            skip={*(skip or set()), *own}, fail_untyped=fail_untyped, sub_configs=sub_configs,
        )
        group = (self.groups or {}).get(method_name) if own and nested_key is None and as_group else None
        if group is not None:
            # titled by the first line of the Trainer method's docstring: "Perform one evaluation epoch over the test
            # set. It's separated from fit to make sure you never run on your:"
            group.title = f"Options of Trainer.{method_name}"
            if "return_predictions" in inspect.signature(getattr(class_type, method_name)).parameters:
                # Lightning's text says "True by default"; blobclf's predict keeps them in the CSV it writes
                group.add_argument("--return_predictions", type=Optional[bool], default=None,
                                   help=RETURN_PREDICTIONS_HELP)
                added = [*added, "return_predictions"]
        if own:
            # Lightning's own texts offer URLs, 'hpc' and 'registry' paths and weights_only=false,
            # none of which blobclf takes
            self.add_argument("--ckpt_path", type=Optional[str], default=None, help=CKPT_PATH_HELP)
            self.add_argument("--weights_only", type=Optional[bool], default=None, help=WEIGHTS_ONLY_HELP)
            added = [*added, "ckpt_path", "weights_only"]
        return added

    def parse_args(self, args: Any = None, *rest: Any, **kwargs: Any) -> Namespace:
        words = tuple(sys.argv[1:] if args is None else (str(arg) for arg in args))
        if words or not self.state.given:  # a subcommand after a top-level --config is parsed again with no words
            self.state.given = words
        return super().parse_args(args, *rest, **kwargs)

    @contextlib.contextmanager
    def recording(self, path: str, settings: dict[str, Any], shown: bool = False) -> Iterator[None]:
        """While parsing with the settings that the checkpoint ``path`` records as the defaults: a value of them
        that the parser refuses is said to be the checkpoint's (see :func:`recorded_value_error`); with ``shown``
        (a parse whose command line was not parsed alone first), only where the refusal shows the checkpoint's
        value."""
        self.state.recorded = (path, settings, shown)
        try:
            yield
        finally:
            self.state.recorded = None

    def error(self, message: str, ex: Exception | None = None) -> NoReturn:
        if debugging() or not self.exit_on_error:
            super().error(message, ex)
        # a checkpoint's value is named as jsonargparse names it, not as a config file's (one_line's config_values)
        recorded = (recorded_value_error(one_line(message, config_values=False), *self.state.recorded)
                    if self.state.recorded else None)
        given = self.state.given
        line = recorded or missing_target(null_name(config_name_list(self.plain_error(one_line(message)), given),
                                                    given), given)
        if not recorded and (line.startswith('Parser key "') or UNWORDED.fullmatch(line)):
            # a config file's value: named with the file; else a callback or logger class of the command line's
            line = config_value_error(message, given, line) or trainer_class_error(line, given) or \
                appended_class_error(line, given) or line
        elif not recorded:
            # an option's value, or a key that is no option, that a config file gave: named with the file
            line = plain_value_error(line, given) or unknown_config_key(line, given) or \
                class_option_in_config(line, given) or \
                option_before_class(line, given) or line  # a class's option given before the class was chosen
        sys.stderr.write(f"blobclf: error: {error_line(line)}\n")
        sys.exit(2)

    def plain_error(self, text: str) -> str:
        """The command line's error in blobclf's words where jsonargparse's are its own: an option's value
        that is not of its type (``Parser key "model.hidden_units": Not of type PositiveInt: invalid literal
        for int() with base 10: 'abc'``), no subcommand; a misspelt option with the option it misspells."""
        weights = re.fullmatch(r'Parser key "model\.class_weight": (.+?) is invalid: .*', text)
        if weights:  # jsonargparse names the union's first type it tried (Literal['balanced'], list)
            return (f"--model.class_weight={weights.group(1)} is invalid: give 'balanced', null or a list of one "
                    "weight > 0 per class, in the model's class order ([1,20] for 2 classes) (see --help)")
        if re.fullmatch(r"--[\w.]+=\S.* is not a finite number; give a finite value", text):
            return text  # as blobclf's check of the optimizer's numbers says it (checks.check_optimizer)
        typed = typed_value_error(text)
        if typed:
            return f"{typed} (see --help)"
        # (a group's own file, --checkpoint FILE, is named first)
        choice = re.fullmatch(r'(?:Parser key "\w+": Unable to load config \'[^\']*\': - )?'
                              r'Parser key "([\w.]+)": Expected a typing\.Literal\[(.*)\]\. Got value: (.*)', text)
        if choice:
            return self.not_a_choice(*choice.groups())
        if re.fullmatch(r'expected "subcommand" to be one of \{[\w,]+\}, but it was not provided\.', text):
            return (f"give a subcommand: fit, validate, test or predict ('{self.prog} fit' trains the tutorial's "
                    f"model; '{self.prog} --help' says what each does)")
        typed = re.fullmatch(r'Parser key "([\w.]+)": Not of type (\w+): (.*)', text)
        if typed:
            key, kind, reason = typed.groups()
            literal = re.fullmatch(r"(?:invalid literal for (?:int|float)\(\)(?: with base 10)?"
                                   r"|could not convert string to float): (.*)", reason)
            value = re.fullmatch(r"(\S+) (does not conform to restriction .*|not an integer)", reason)
            if (literal or value) and kind in WANTED:  # as typed_value_error words the plain types
                return f"--{key}={(literal or value).group(1)} is invalid: give {WANTED[kind]} (see --help)"
            if literal:
                return f"--{key}={literal.group(1)} is invalid: not {kind} (see --help)"
            if value:
                return f"--{key}={value.group(1)} is invalid: not {kind} ({reason}) (see --help)"
        return text + self.close_option(text) + " (see --help)"

    def not_a_choice(self, key: str, choices: str, value: str) -> str:
        """The line for a value that is none of an option's fixed choices, naming the config file that gave it
        where the command line did not; for ``checkpoint.mode``, with the mode that the monitor needs."""
        words = self.state.given
        from_file = given_option(words, f"--{key}") != value
        source = config_setting(words, key) if from_file else None
        where, shown = (f"{source[0]} {source[1]}", source[2]) if source else ("", value)
        if from_file and source is None:  # a config read from standard input gave it: the command line cannot mend it
            where = reads_standard_input(words) or ""
        if key != "checkpoint.mode":
            return not_a_choice(key, choices, shown, where)
        monitor = given_option(words, "--checkpoint.monitor")
        configured = config_setting(words, "checkpoint.monitor")
        if monitor is None and configured is not None:
            monitor = str(configured[2])
        elif monitor is None and not reads_standard_input(words):  # a file we cannot read again may set it
            monitor = inspect.signature(RunCheckpoint).parameters["monitor"].default
        return not_a_mode("--checkpoint.mode", monitor, shown, where)

    def close_option(self, text: str) -> str:
        """For an unknown option (on the command line, or a key of a config file), the option it is
        probably a misspelling of: ``; did you mean --trainer.max_epochs?``."""
        choice = re.match(r"argument subcommand: invalid choice: '([^']*)' \(choose from (.*)\)$", text)
        if choice:  # a misspelt subcommand (Python 3.12.8 and later write the choices without quotes)
            choices = [name.strip(" '") for name in choice.group(2).split(",")]
            typed = {"train": "fit"}.get(choice.group(1).lower(), choice.group(1).lower())
            close = difflib.get_close_matches(typed, choices, n=1, cutoff=0.6)
            return f"; did you mean '{close[0]}'?" if close else ""
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
        if name in LIGHTNING_1_OPTIONS:
            where = "" if given else " (a key of a --config file)"
            return f"{where}; Lightning 2.0 replaced it with {LIGHTNING_1_OPTIONS[name]}"
        plain = [option.replace(".init_args.", ".") for option in options]
        close = difflib.get_close_matches(name, plain, n=1, cutoff=0.8)
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
