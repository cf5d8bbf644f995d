"""A Trainer's callback or logger named on the command line that is no such class (``--trainer.callbacks 5``,
``--trainer.logger TensorBoardLoger``), said as blobclf's other unknown classes are (``--optimizer 5: no such
class``), where jsonargparse's own line lists every type of the option's union and names no fix.

A config file's value is named with its file by :mod:`blobclf.configvalues`; nothing here parses or runs anything.
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Sequence
from importlib import import_module

TRAINER_CLASSES = {
    "trainer.callbacks": ("a callback", "lightning.pytorch.callbacks", "EarlyStopping",
                          "--trainer.callbacks+=EarlyStopping --trainer.callbacks.monitor val/loss"),
    "trainer.logger": ("a logger", "lightning.pytorch.loggers", "CSVLogger",
                       "--trainer.logger CSVLogger, or --trainer.logger false for none"),
}
"""The Trainer's options that take classes: what they name, the module of Lightning's own, one of them and an
example to give."""

REFUSED = re.compile(r'Parser key "(trainer\.callbacks|trainer\.logger)": - Expected a path but (.*?) either not '
                     r"accessible or invalid: - Does not validate against any of the Union subtypes")
"""jsonargparse's line for a command line's value of ``--trainer.callbacks`` or ``--trainer.logger`` that it could
read as none of the option's types (no ``NestedArg``: an option of a class chosen is another message)."""


APPENDED_REFUSED = re.compile(r'Parser key "(trainer\.callbacks|trainer\.logger)": \[.*\] is invalid: Not a valid '
                              r"subclass of (?:Callback|Logger)")
"""jsonargparse's line for a list of callbacks or loggers of which one cannot be made, as when a class appended
with ``+=`` lacks a setting it has no default for (``--trainer.logger+=CSVLogger`` without ``save_dir``)."""
EXAMPLE_VALUES = {"monitor": "val/loss"}
"""A value to show for a setting a callback or logger requires (``save_dir``: a folder named after the logger,
beside the run's own ``lightning_logs``)."""


def typed_as(given: Sequence[str], key: str, value: str) -> str:
    """The option ``--KEY`` as the command line ``given`` typed it with ``value``: ``--trainer.callbacks+=X``,
    ``--trainer.callbacks X``; the plain ``--KEY`` if none did."""
    for i, word in enumerate(given):
        name, equals, rest = word.partition("=")
        if name.rstrip("+") == f"--{key}" and ((equals and rest == value) or
                                              (not equals and i + 1 < len(given) and given[i + 1] == value)):
            return f"{name}=" if equals else f"{name} "
    return f"--{key} "


def close_class(module: str, value: str) -> str:
    """``; did you mean NAME?`` for a value close to a class of ``module`` (Lightning's callbacks or loggers)."""
    names = list(getattr(import_module(module), "__all__", ()))
    close = difflib.get_close_matches(value.rsplit(".", 1)[-1], names, n=1, cutoff=0.8)
    return f"; did you mean {close[0]}?" if close else ""


def trainer_class_error(text: str, given: Sequence[str]) -> str | None:
    """The line for ``--trainer.callbacks VALUE`` or ``--trainer.logger VALUE`` on the command line ``given`` that
    names no class of its kind; ``None`` for another message (``text``, jsonargparse's, collapsed to one line).

    """
    found = REFUSED.match(text)
    if found is None or "NestedArg(" in text:
        return None
    key, value = found.groups()
    what, module, _, example = TRAINER_CLASSES[key]
    return (f"{typed_as(given, key, value)}{value} is not {what}; name a class of {module} ({example}) or give the "
            f"import path of one{close_class(module, value)}")


def required_settings(module: str, value: str) -> tuple[str, list[str]] | None:
    """The class ``value`` names among ``module``'s (``CSVLogger``, ``lightning.pytorch.loggers.CSVLogger``) and the
    settings its constructor has no default for; ``None`` where it names none of them."""
    name = value.rsplit(".", 1)[-1]
    if "." in value and value.rsplit(".", 1)[0] != module:
        return None
    cls = getattr(import_module(module), name, None)
    if not inspect.isclass(cls):
        return None
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return name, [p.name for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
                  if p.default is inspect.Parameter.empty and p.kind in kinds]


def appended_class_error(text: str, given: Sequence[str]) -> str | None:
    """The line for a callback or logger appended on the command line ``given`` (``--trainer.logger+=CSVLogger``)
    without a setting it requires, which jsonargparse refuses as a list that is no valid subclass; ``None`` for
    another message, or where every appended class has its settings."""
    found = APPENDED_REFUSED.match(text)
    if found is None:
        return None
    key = found.group(1)
    module = TRAINER_CLASSES[key][1]
    for i, word in enumerate(given):
        option, equals, value = word.partition("=")
        if option != f"--{key}+" or not equals:
            continue
        known = required_settings(module, value)
        if known is None:
            continue
        short, required = known
        later = {w.partition("=")[0] for w in given[i + 1:]}
        missing = [name for name in required if f"--{key}.{name}" not in later]
        if missing:
            folder = f"{short.lower().removesuffix('logger') or 'other'}_logs"
            options = " ".join(f"--{key}.{name} {folder if name == 'save_dir' else EXAMPLE_VALUES.get(name, 'VALUE')}"
                               for name in missing)
            return (f"{word} needs {', '.join(f'--{key}.{name}' for name in missing)} after it ({short} has no "
                    f"default for {'it' if len(missing) == 1 else 'them'}): {word} {options}")
    return None
