"""Errors of the command line in blobclf's words: jsonargparse's and Lightning's messages (a value not of
its option's type, a misspelt option, an option a class does not take, a missing package, a fraction of a
split under one batch) and the machine's refusal of a read or write, each collapsed into the one line that
names the bad value and the fix. :mod:`blobclf.cli` writes them; nothing here parses or runs anything."""

from __future__ import annotations

import ast
import difflib
import errno
import inspect
import json
import os
import re
import shlex
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from blobclf.shownpath import shown
from blobclf.classrefs import loaded_class
from blobclf.dataoptions import unknown_data_module, unknown_data_option
from blobclf.interrupt import GracefulStop
from blobclf.optionnames import typed_program

# options that moved from the model to the optimizer, with the option that replaces each
MOVED = {"--model.lr": "--optimizer.lr", "--model.momentum": "--optimizer.momentum",
         "--model.weight_decay": "--optimizer.weight_decay"}
MOVED_NAMES = {option.removeprefix("--") for option in MOVED}
LIGHTNING_1_OPTIONS = {
    "trainer.gpus": "--trainer.accelerator gpu --trainer.devices N",
    "trainer.tpu_cores": "--trainer.accelerator tpu --trainer.devices N",
    "trainer.num_processes": "--trainer.accelerator cpu --trainer.devices N",
    "trainer.resume_from_checkpoint": "--ckpt_path PATH",
    "trainer.progress_bar_refresh_rate": "--trainer.enable_progress_bar true|false",
    "trainer.weights_summary": "--trainer.enable_model_summary true|false",
    "trainer.replace_sampler_ddp": "--trainer.use_distributed_sampler",
}
"""Trainer options of Lightning 1.x that configs and tutorials still give, with what Lightning 2 takes instead
(closer by meaning than by spelling: ``gpus`` is no misspelling of ``plugins``)."""
FIXED_MODEL = ("blobclf's model is always BlobClassifier: give its options without class_path and init_args "
               "('model:' then 'hidden_units: 16' in a config, --model.hidden_units 16)")
"""What a config written for a LightningCLI with a choice of models (``model: class_path: ...``) is told."""
OLD_LOGGER_OPTIONS = ("comment", "checkpoint_root")
"""Logger options of blobclf of 2026-11-28 or earlier, which its runs' config.yaml files hold."""


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


CHOICE_MEANINGS = {"data.decimal": "the decimal point of the feature cells"}
"""What an option of fixed choices sets, for the line that refuses a value none of them (see :func:`not_a_choice`)."""


def not_a_choice(key: str, choices: str, value: Any, where: str = "") -> str:
    """The line for a value that is none of an option's fixed choices (a ``Literal``).

    Args:
        key: The option's key (``data.decimal``).
        choices: The choices as jsonargparse writes them (``'.', ','``).
        value: The value given (as jsonargparse writes it, for the command line's).
        where: The config file that gave it (``--config run.yaml``); empty for the command line.

    Example:
        >>> not_a_choice("data.decimal", "'.', ','", "x")
        "--data.decimal must be '.' or ',' (the decimal point of the feature cells), got 'x'"
    """
    meaning = f" ({CHOICE_MEANINGS[key]})" if key in CHOICE_MEANINGS else ""
    option = key if where else f"--{key}"
    written = f" in {where}" if where else ""
    return f"{option} must be {' or '.join(choices.split(', '))}{meaning}, got {value!r}{written}"


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
        value = "null" if value == "None" else repr(value)  # jsonargparse shows a given null as None
    return f"--{key}={value} is invalid: give {words}{', or null' if nullable else ''}"


def quoted_names(given: str) -> str:
    """The list of names to give for ``given``, a list YAML read (``['a', None]``): ``'[a,"null"]'`` when it
    holds only names and nulls (``null`` being how a null is usually written), else an example (``01`` or
    ``yes`` read as 1 or True might have been written ``1``, ``1.0``, ``true`` ...).

    Example:
        >>> print(quoted_names("['a', None]"), quoted_names("[1, True]"))
        '[a,"null"]' '["01","yes",b]'
    """
    try:
        names = ast.literal_eval(given)
    except (ValueError, SyntaxError):
        names = None
    if not isinstance(names, list) or not all(name is None or isinstance(name, str) for name in names):
        return """'["01","yes",b]'"""
    return "'[" + ",".join('"null"' if name is None else name for name in names) + "]'"


def non_finite(given: str) -> float | list[Any] | None:
    """``given``, a value as jsonargparse shows it (``'inf'``, ``[0.9, 'nan']``), with its words for inf or nan read
    as those numbers, if it has any; ``None`` if it has none.

    Example:
        >>> non_finite("'inf'"), non_finite("[0.9, '-Infinity']"), non_finite("[0.9, 'x']"), non_finite("'1'")
        (inf, [0.9, -inf], None, None)
    """
    try:
        value = ast.literal_eval(given)
    except (ValueError, SyntaxError):
        return None
    values = value if isinstance(value, list) else [value]
    words = [v for v in values if isinstance(v, str) and v.strip().lower().lstrip("+-") in ("inf", "infinity", "nan")]
    if not words:
        return None
    read = [float(v) if isinstance(v, str) and v in words else v for v in values]
    return read if isinstance(value, list) else read[0]


def scalar_for_sequence(group: str, class_path: str, key: str, value: str) -> str:
    """The line for one value given to a class's argument that takes a tuple or list (``--optimizer.betas 0.9``):
    the list form to give: values written with commas (``0.9,0.99``) in brackets, else the class's own default as
    the example (Adam's ``[0.9,0.999]``), else the value in a list."""
    default = None
    cls = loaded_class(class_path)
    try:
        parameter = inspect.signature(cls).parameters.get(key) if cls is not None else None
        default = parameter.default if parameter is not None else None
    except (TypeError, ValueError):  # a signature inspect cannot read: the value itself is the example
        pass
    items = ([item.strip() for item in value.split(",")] if "," in value else
             [str(item) for item in default] if isinstance(default, (tuple, list)) and default else [value.strip()])
    option = f"--{group}.{key}"
    return (f"{option}={value} is invalid for {class_path}: it takes a list; give one, {option} "
            f"'[{','.join(items)}]' (in a config file, {key}: [{', '.join(items)}])")


def one_line(message: str, config_values: bool = True) -> str:
    """Collapse a multi-line parser message into one line, keeping the reason that matters.

    jsonargparse offers no structured form of its errors: ``ArgumentParser.error`` gets the text and an
    exception whose text is the same (a public ``ArgumentError`` without an ``argument_name``), so the text
    is read. The shapes read, which ``tests/test_jsonargparse_messages.py`` pins against the installed
    jsonargparse (the lowest-versions CI run checks the oldest one taken):

    - a value of the wrong type: ``Parser key "KEY":`` then ``Expected a <class 'int'>. Got value: V``, or
      ``Not of type NAME: REASON`` for a restricted type;
    - a union's (``Optional`` too): ``Does not validate against any of the Union subtypes``, ``Subtypes: [...]``,
      ``Errors:`` with one ``- ERROR`` line per subtype, then ``Given value type: ...`` and ``Given value: V``;
    - an option of a class chosen by ``class_path``, nested in the union's errors: ``Problem with given
      class_path 'PATH':`` then the option's own error, or ``Option 'NAME' is not accepted``; the union's
      value is then ``NestedArg(key='NAME', val='V')``;
    - a class that cannot be imported: ``Expected a dot import path string: NAME``.

    ``config_values`` names a bad value of a class's option set by a config file (no ``NestedArg``) as the
    command line's would be; ``False`` keeps jsonargparse's reason (a checkpoint's value: see
    :func:`blobclf.recorded.recorded_value_error`).
    """
    text = _collapsed(message)
    whole = text
    text = _union_reason(text)
    parts = _parts(text, whole, config_values)
    for shape in LINE_SHAPES:
        text = shape(text, parts)
    return text


def _collapsed(message: str) -> str:
    """``message``'s lines joined into one, runs of white space as one space."""
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    text = re.sub(r"\s+", " ", ": ".join(lines)).replace(":: ", ": ")
    return text


def _union_reason(text: str) -> str:
    """A union's value (``Optional`` too) and what it must be, in place of every subtype's error."""
    union = re.match(r'(Parser key "[^"]+"): Does not validate against any of the Union subtypes'
                     r'.*?Errors: - (.*?)(?: - |$)', text)
    if union:
        # the union's own value, given last: a nested union (a callback's option) names its value first
        given = re.match(r"Given value: (.*?)(?: \(see|$)", text[text.rfind("Given value: "):])
        value = f"{given.group(1)} is invalid: " if given else ""
        text = f"{union.group(1)}: {value}{union_expectation(text, union.group(2).rstrip(': '))}"
    return text


class _Parts(NamedTuple):
    """The parts of a parser message that the shapes below read."""

    whole: str
    """The message collapsed to one line, as jsonargparse wrote it (before any shape rewrote it)."""
    nested: re.Match[str] | None
    """``NestedArg(key='NAME', val='V')``: an option of a class chosen by ``class_path``, and its value."""
    group: re.Match[str] | None
    """``Parser key "KEY"``: the option (group) the message is of."""
    cls: re.Match[str] | None
    """``Problem with given class_path 'PATH'``: the class chosen."""
    infinite: re.Match[str] | None
    """A ``NestedArg`` whose value is text or a list (inf or nan written as a word, a list for a tuple)."""
    settings: re.Match[str] | None
    """The last ``Given value: {...}``: a config file's settings of the group."""
    config_values: bool
    """See :func:`one_line`."""


def _parts(text: str, whole: str, config_values: bool) -> _Parts:
    """The parts of ``text`` (after :func:`_union_reason`) and ``whole`` that the shapes read."""
    nested = re.search(r"NestedArg\(key='([^']+)', val='([^']*)'\)", text)
    group = re.match(r'Parser key "([^"]+)"', text)
    cls = re.search(r"Problem with given class_path '([^']+)'", text)
    infinite = re.search(r"NestedArg\(key='([^']+)', val=('[^']*'|\[[^\]]*\])\)", whole)
    # the last 'Given value: {': searched from there, not with a leading '.*', which is quadratic in a long message
    settings = re.match(r"Given value: (\{.*\})$", whole[whole.rfind("Given value: {"):])
    return _Parts(whole, nested, group, cls, infinite, settings, config_values)


def _hinted_kind(class_path: str, name: str) -> str | None:
    """The type (a key of :data:`WANTED`) that the already loaded class ``class_path`` gives its argument
    ``name`` (EarlyStopping's ``patience``: ``int``); ``None`` where it gives another or none."""
    try:
        hint = typing.get_type_hints(loaded_class(class_path).__init__).get(name)
    except Exception:  # noqa: BLE001 - a hint that does not resolve (or no class) says nothing
        return None
    # a union of one such type and others the command line cannot give (Adam's lr: float or Tensor) is that type
    kinds = [getattr(each, "__name__", None) for each in (typing.get_args(hint) or (hint,)) if isinstance(each, type)]
    known = [kind for kind in kinds if kind in WANTED]
    return known[0] if len(known) == 1 and "NoneType" not in kinds else None


def _class_option_value(text: str, parts: _Parts) -> str:
    """A bad value of an option of a class chosen by ``class_path`` (``NestedArg``): the option, value and
    class, with the type wanted."""
    whole, nested, group, cls = parts.whole, parts.nested, parts.group, parts.cls
    if nested and group and cls:
        expected = re.search(r"Subtypes: \[<class '([^']+)'", text)
        kind = f" (expected {expected.group(1)})" if expected else ""
        reason = re.search(r"Not of type (\w+): (?:\S+ )?(does not conform to restriction [^:]*?):?"
                           r"(?: - | Given value| Expected|$)", whole)
        kind = f": not {reason.group(1)} ({reason.group(2)})" if reason else kind
        literal = re.search(r"Not of type (\w+): (?:invalid literal for|could not convert)", whole)
        if literal and not reason and literal.group(1) in WANTED:
            kind = f": not {literal.group(1)}; give {WANTED[literal.group(1)]}"
        hinted = None if kind else _hinted_kind(cls.group(1), nested.group(1))
        if hinted:  # a class in a list (a callback): jsonargparse names no type; the class's own hint does
            kind = f": give {WANTED[hinted]}"
        text = f"--{group.group(1)}.{nested.group(1)}={nested.group(2)!r} is invalid for {cls.group(1)}{kind}"
    return text


def _config_file_value(text: str, parts: _Parts) -> str:
    """A config file's value of a class's option not of its type (no ``NestedArg``): said as the command
    line's would be."""
    whole, group, cls, nested, config_values = parts.whole, parts.group, parts.cls, parts.nested, parts.config_values
    inner = re.search(r"Problem with given class_path '[^']+': Parser key \"(\w+)\": Not of type (\w+): (\S+) "
                      r"(?:not an integer|does not conform to restriction)", whole)
    if config_values and inner and group and cls and not nested and inner.group(2) in WANTED:
        # a config file's value (no NestedArg): 'Parser key "data": {'n_samples': inf} is invalid: ...'
        key, kind, value = inner.groups()
        why = " (YAML reads a number past 1.8e308 as inf)" if value.lstrip("+-") in ("inf", "nan") else ""
        text = f"--{group.group(1)}.{key}={value} is invalid for {cls.group(1)}: not {kind}{why}; give {WANTED[kind]}"
    return text


def _literal_choice(text: str, parts: _Parts) -> str:
    """A class's option of fixed choices (``--data.decimal x``): said as an option of the parser's own."""
    whole, group, nested, config_values = parts.whole, parts.group, parts.nested, parts.config_values
    choice = re.search(r"Problem with given class_path '[^']+': Parser key \"(\w+)\": "
                       r"Expected a typing\.Literal\[(.*?)\]\. Got value: (.*?):?(?: - |$)", whole)
    if config_values and choice and group:
        # a class's option of fixed choices (--data.decimal x): said as an option of the parser's own would be,
        # which BlobArgumentParser.plain_error words
        key, choices, value = choice.groups()
        text = (f'Parser key "{group.group(1)}.{key}": Expected a typing.Literal[{choices}]. '
                f"Got value: {nested.group(2) if nested else value}")
    return text


def _unknown_class_option(text: str, parts: _Parts) -> str:
    """An option the chosen class (not the data module) does not take, with the option it probably misspells."""
    nested, group, cls = parts.nested, parts.group, parts.cls
    if nested and group and cls and group.group(1) != "data":
        text = unknown_class_option(group.group(1), nested.group(1), cls.group(1)) or text
    return text


def _non_finite_word(text: str, parts: _Parts) -> str:
    """``inf`` or ``nan`` written as a word on the command line, alone or in a list."""
    whole, group, cls, infinite = parts.whole, parts.group, parts.cls, parts.infinite
    if infinite and group and cls and "<class 'float'>" in whole:
        # inf or nan written as a word (YAML's number is .inf), alone or in a list: the line checks.check_optimizer
        # gives for .inf or 1e400
        value = non_finite(infinite.group(2))
        if value is not None:
            text = f"--{group.group(1)}.{infinite.group(1)}={value!r} is not a finite number; give a finite value"
    return text


def _non_finite_in_config(text: str, parts: _Parts) -> str:
    """``inf`` or ``nan`` written as a word in a config file (``lr: inf``)."""
    whole, group, cls = parts.whole, parts.group, parts.cls
    infinite, settings, config_values = parts.infinite, parts.settings, parts.config_values
    configured = re.search(r"Problem with given class_path '[^']+': Parser key \"(\w+)\"", whole)
    if config_values and configured and settings and group and cls and not infinite and "<class 'float'>" in whole:
        # the same word in a config file (lr: inf): jsonargparse shows the group's whole dict, last
        try:
            given = ast.literal_eval(settings.group(1))["init_args"][configured.group(1)]
        except (ValueError, SyntaxError, KeyError, TypeError):
            given = None
        value = non_finite(repr(given))
        if value is not None:
            text = f"--{group.group(1)}.{configured.group(1)}={value!r} is not a finite number; give a finite value"
    return text


def _list_for_tuple(text: str, parts: _Parts) -> str:
    """A list where a tuple of numbers is wanted (Adam's ``betas``), of another length or with a word in it."""
    whole, group, cls, infinite = parts.whole, parts.group, parts.cls, parts.infinite
    if infinite and group and cls and text.startswith("Parser key") and infinite.group(2).startswith("["):
        # a list where a tuple of numbers is wanted (Adam's betas), of another length or with a word in it
        size = re.search(r"Expected a tuple with (\d+) elements", whole)
        fix = (f": give {size.group(1)} values" if size else
               ": give numbers" if re.search(r"Subtypes: \[<class 'float'>", whole) else "")
        text = f"--{group.group(1)}.{infinite.group(1)}={infinite.group(2)} is invalid for {cls.group(1)}{fix}"
    return text


def _one_for_sequence(text: str, parts: _Parts) -> str:
    """One value where a class takes several (Adam's ``betas``, ``MultiStepLR``'s ``milestones``)."""
    whole, group = parts.whole, parts.group
    scalar = re.search(r"Problem with given class_path '([^']+)': Parser key \"(\w+)\": Expected a <class "
                       r"'(?:tuple|list|collections\.abc\.(?:Iterable|Sequence))'>\. Got value: (.*?):?(?: - |$)",
                       whole)
    if scalar and group and not scalar.group(3).lstrip().startswith(("[", "(")):
        # one value where the class takes several (Adam's betas, MultiStepLR's milestones): the form to give
        text = scalar_for_sequence(group.group(1), *scalar.groups())
    return text


def _rejected_option(text: str, parts: _Parts) -> str:
    """``Option 'NAME' is not accepted``: an option the data module, logger or other class does not take."""
    whole, group, cls = parts.whole, parts.group, parts.cls
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
    return text


def _function_path(text: str, parts: _Parts) -> str:
    """A ``LambdaLR``'s ``lr_lambda`` that is not the import path of a function."""
    whole, group, cls = parts.whole, parts.group, parts.cls
    function = re.search(r"Given value: NestedArg\(key='([^']+)', val=(.*)\)$", whole)
    if function and group and cls and re.search(r"Subtypes: \[(collections\.abc|typing)\.Callable", whole):
        # a LambdaLR's lr_lambda: a function's import path, resolved by importing its module
        listed = " (or a list of them)" if re.search(r"list\[(collections\.abc|typing)\.Callable", whole) else ""
        text = (f"--{group.group(1)}.{function.group(1)}={function.group(2)} is invalid for {cls.group(1)}: give the "
                f"import path of a function{listed}, pkg.schedule, whose module is importable (on PYTHONPATH); code "
                "such as a lambda is not taken")
    return text


def _name_for_list(text: str, parts: _Parts) -> str:
    """One name, or names with commas, where a list of names is wanted (``--data.features weight``)."""
    whole, nested, group, cls = parts.whole, parts.nested, parts.group, parts.cls
    # jsonargparse 4.53 writes "Expected <class 'tuple'>" for some values ('a'), "Expected a <class 'tuple'>" for others
    word = nested and group and cls and "Subtypes: [NameList" in whole and re.search(
        r"Expected (?:a )?<class 'tuple'>", whole)
    if word and not nested.group(2).lstrip().startswith("["):
        # --data.features weight: one name, or names with commas, where a list is wanted
        option = f"--{group.group(1)}.{nested.group(1)}"
        names = ",".join(name.strip() for name in nested.group(2).split(","))
        text = f"{option}={nested.group(2)!r} is not a list of names; give a list: {option} {shlex.quote(f'[{names}]')}"
    return text


def _name_for_list_in_config(text: str, parts: _Parts) -> str:
    """One name where a list of names is wanted, in a config file (``features: a``)."""
    whole, group, cls = parts.whole, parts.group, parts.cls
    nested, settings, config_values = parts.nested, parts.settings, parts.config_values
    listed = re.search(r"Problem with given class_path '[^']+': Parser key \"(\w+)\": Does not validate against any of "
                       r"the Union subtypes: Subtypes: \[NameList", whole)
    if config_values and listed and settings and group and cls and not nested:
        # features: a in a config file, where a list is wanted: the line config_name_list names the file in
        try:
            parsed = ast.literal_eval(settings.group(1))  # {class_path, init_args: {...}}, or data: {features: a}
            given = parsed.get("init_args", parsed)[listed.group(1)]
        except (ValueError, SyntaxError, KeyError, TypeError, AttributeError):
            given = None
        if isinstance(given, str):
            names = ", ".join(name.strip() for name in given.split(","))
            text = (f"--{group.group(1)}.{listed.group(1)}={given!r} is not a list of names; write a list in the "
                    f"config file: {listed.group(1)}: [{names}]")
    return text


def _names_read_as_numbers(text: str, parts: _Parts) -> str:
    """Names in a YAML list that YAML read as numbers, booleans or null (an unquoted ``01``, ``yes``)."""
    whole, group, cls = parts.whole, parts.group, parts.cls
    texts = re.search(r"NestedArg\(key='([^']+)', val=(\[.*?\])\)", whole)
    if texts and group and cls and "Subtypes: [NameList" in whole:
        # an unquoted 01, 1.50, yes or null in a YAML list is a number, a boolean or null, not a name
        option = f"--{group.group(1)}.{texts.group(1)}"
        text = (f"{option}={texts.group(2)} is invalid for {cls.group(1)}: YAML read some names as numbers, booleans "
                f"or null; put those names in double quotes: {option} {quoted_names(texts.group(2))}")
    return text


def _unknown_data_module(text: str, parts: _Parts) -> str:
    """A ``--data`` class that cannot be imported."""
    module = re.search(r'^(?:Parser key "data"|--data\.help): .*?Expected a dot import path string: ([^:\s]+)', text)
    if module:
        text = unknown_data_module("--data" if text.startswith("Parser") else "--data.help", module.group(1))
    return text


def _unknown_optimizer(text: str, parts: _Parts) -> str:
    """An ``--optimizer`` or ``--lr_scheduler`` class that cannot be imported."""
    unknown = re.search(r'^Parser key "(optimizer|lr_scheduler)": .*Expected a dot import path string: ([^:]+?):', text)
    if unknown:
        group, name = unknown.groups()
        module = "torch.optim" if group == "optimizer" else "torch.optim.lr_scheduler"
        text = (f"--{group} {name}: no such class; name one in {module} (e.g. "
                f"{'Adam' if group == 'optimizer' else 'StepLR'}) or give a full import path")
    return text


def _required_arguments(text: str, parts: _Parts) -> str:
    """A class chosen without the arguments it requires."""
    required = re.search(r'^Parser key "([^"]+)": .*Problem with given class_path \'([^\']+)\': '
                         r'the following arguments are required: ([\w, ]+)', text)
    if required:
        group, name, missing = required.groups()
        wanted = ", ".join(f"--{group}.{arg.strip()}" for arg in missing.split(","))
        text = f"--{group} {name} needs {wanted}"
    return text


def _model_class(text: str, parts: _Parts) -> str:
    """A ``--model`` class or ``model: class_path``: blobclf's model is always BlobClassifier."""
    whole = parts.whole
    model_class = re.search(r"Parser key \"model\": Unable to load config '([\w.]+)'", whole)
    if model_class and not model_class.group(1).endswith((".yaml", ".yml", ".json")):
        text = f"--model {model_class.group(1)}: {FIXED_MODEL}"
    elif re.search(r"does not accept option 'model\.(class_path|init_args)\b|arguments: --model\.class_path\b", text):
        text += f"; {FIXED_MODEL}"
    return text


def _moved_option(text: str, parts: _Parts) -> str:
    """An optimizer setting given as a model option (``--model.lr``): the option that replaces it."""
    for old, new in MOVED.items():
        config_form = f"does not accept option '{old.removeprefix('--')}'"  # in a config file
        if config_form in text or f"unrecognized arguments: {old}" in text or f"unrecognized arguments: {old}=" in text:
            text += f" (optimizer settings are given as {new}, as in any LightningCLI program)"
    return text


def _model_help(text: str, parts: _Parts) -> str:
    """``--model.help``: the model is always BlobClassifier."""
    if re.match(r"unrecognized arguments: --model\.help\b", text):
        text += " (the model is always BlobClassifier: --help lists its options, --model.hidden_units and others)"
    return text


LINE_SHAPES: tuple[Callable[[str, _Parts], str], ...] = (
    _class_option_value, _config_file_value, _literal_choice, _unknown_class_option, _non_finite_word,
    _non_finite_in_config, _list_for_tuple, _one_for_sequence, _rejected_option, _function_path, _name_for_list,
    _name_for_list_in_config, _names_read_as_numbers, _unknown_data_module, _unknown_optimizer, _required_arguments,
    _model_class, _moved_option, _model_help,
)
"""The shapes :func:`one_line` reads, in turn: each rewrites the line if the message is of its shape."""


def null_name(line: str, given: tuple[str, ...]) -> str:
    """For a target written ``null``, which YAML reads as no value (``--data blobclf.TableDataModule needs
    --data.target``): the line that says how to name a column called null."""
    if not re.search(r"needs --data\.target\b", line):
        return line
    options = {"--data.target", "--data.init_args.target"}
    pairs = [*zip(given, given[1:], strict=False), *(tuple(arg.split("=", 1)) for arg in given if "=" in arg)]
    if any(option in options and value.strip() == "null" for option, value in pairs):
        return ("--data.target null is YAML's no value, not a column name; for a column named null, quote it: "
                "--data.target '\"null\"'")
    return line


def config_name_list(line: str, given: tuple[str, ...]) -> str:
    """For a name where a list is wanted in a config file (``features: a``), :func:`one_line`'s line naming the file
    that sets it (:func:`blobclf.configfiles.config_setting`); any other line is returned as it is."""
    listed = re.fullmatch(r"--(\w+)\.(\w+)=('.*') is not a list of names; write a list in the config file: (.*?)"
                          r"(?: \(see --help\))?", line)
    if not listed:
        return line
    from blobclf.configfiles import config_setting

    group, key, value, fix = listed.groups()
    setting = config_setting(given, f"{group}.{key}")
    where = f"{setting[1]}: " if setting else ""
    return f"{where}{group}.{key} is {value}, not a list of names; write a list: {fix}"


TARGET_WORDS = frozenset({"class", "classes", "label", "labels", "target", "y"})
"""Words of a column name (split at anything but letters and digits) that make it the likeliest target."""


def missing_target(line: str, given: tuple[str, ...]) -> str:
    """For a table data module without ``--data.target`` (``--data blobclf.TableDataModule needs --data.target``):
    the line naming the table's columns, when ``--data.path`` (on the command line or in a config file) names a
    readable table, and the likeliest target: the first column named like one (:data:`TARGET_WORDS`: ``class``,
    ``Label``, ``target_class``, ``y``), else the last. Any other line, or a table that cannot be read (refused
    later, in its own words), is returned as it is."""
    needs = re.fullmatch(r"(--data [\w.]*TableDataModule needs --data\.target)(?: \(see --help\))?", line)
    if not needs:
        return line
    from blobclf.configfiles import config_setting
    from blobclf.optionnames import given_option
    from blobclf.table import read_header
    from blobclf.tablehints import PLAIN_NAME, YAML_WORDS, shown_columns

    def option(name: str) -> Any:
        value = given_option(given, f"--data.{name}") or given_option(given, f"--data.init_args.{name}")
        setting = config_setting(given, f"data.{name}") if value is None else None
        return setting[2] if setting else value

    path, delimiter, decimal = option("path"), option("delimiter"), option("decimal")
    if not isinstance(path, str) or path in ("", "null"):
        return line
    try:
        header = read_header(path, delimiter if delimiter in (",", ";", "\t", "|") else None,
                             decimal if decimal in (".", ",") else ".")
    except Exception:  # noqa: BLE001 - the table's own refusal comes when it is read
        return line
    columns = header.columns
    named = [c for c in columns if TARGET_WORDS.intersection(re.split(r"[^a-z0-9]+", c.lower()))]
    likeliest = named[0] if named else columns[-1]
    value = likeliest if PLAIN_NAME.fullmatch(likeliest) and likeliest.lower() not in YAML_WORDS \
        else json.dumps(likeliest, ensure_ascii=False)
    why = "named like one" if named else "the last column"
    return (f"{needs.group(1)}, the column of classes: give --data.target {shlex.quote(value)} ({why}) or another of "
            f"{header.path}'s columns: {shown_columns(columns)}")


def missing_package(error: BaseException) -> str | None:
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


NAME_MAX, PATH_MAX = 255, 4096
"""The longest name of a file and path in bytes on Linux's file systems (ext4, XFS, btrfs, tmpfs)."""

FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
"""Errors of a write that found no room: a full disk, a file size limit (``ulimit -f``), a quota."""


def refused_write(error: OSError, stop: GracefulStop | None = None, command: str | None = None) -> str:
    """The line for a read or write the machine refused, with the way on when the disk was full.

    Args:
        error: The refusal; a full disk names its file where blobclf wrote it (see
            :func:`blobclf.atomic.atomic_write`), not where a library did (TensorBoard's writer).
        stop: The training run's stop callback: a ``fit`` whose run has a ``last.ckpt`` names
            the resume that completes it.
        command: The subcommand: ``validate`` and ``test`` write into the run's folders (logs, the test
            report), with no option to write elsewhere, so a run on a read-only file system is evaluated as a copy
            (a folder refused by its permissions says "Permission denied", which names its own fix).
    """
    # TensorBoard's writer names its files in bytes
    what = f"cannot use {shown(os.fsdecode(error.filename))!r}: " if error.filename is not None else "a write failed: "
    line = what + (error.strerror or str(error))
    if error.errno == errno.ENAMETOOLONG and error.filename is not None:
        path = os.path.abspath(os.fsdecode(error.filename))
        longest = max(len(os.fsencode(part)) for part in Path(path).parts)
        if longest <= NAME_MAX and len(os.fsencode(path)) > PATH_MAX - NAME_MAX:
            # every name fits: the whole path (with the temporary written first) is over the system's limit
            return (f"{line} (its full path is {len(os.fsencode(path))} bytes; the system's limit is {PATH_MAX}, "
                    "with the temporary name blobclf writes first); run blobclf in a folder with a shorter path")
        return (f"{line} (a name of {longest} bytes); blobclf names its outputs after the checkpoint and the table: "
                "give them shorter names")
    if error.errno == errno.EROFS and command in ("validate", "test"):
        return (f"{line}; {command} writes into the run's folders: copy the run (its checkpoints/ and lightning_logs/ "
                f"folders) somewhere writable and {command} the copy")
    if error.errno not in FULL:
        return line
    last = Path(stop.run_folder) / "last.ckpt" if stop is not None and stop.run_folder else None
    if last is not None and last.is_file():
        return (f"{line}; free some space, then resume with: {typed_program()} fit --ckpt_path "
                f"{shlex.quote(shown(last))}")
    return f"{line}; free some space (or raise the file size limit, ulimit -f) and run the command again"


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
