"""A Trainer's callback or logger named on the command line that is no such class (``--trainer.callbacks 5``,
``--trainer.logger TensorBoardLoger``), said as blobclf's other unknown classes are (``--optimizer 5: no such
class``), where jsonargparse's own line lists every type of the option's union and names no fix.

A config file's value is named with its file by :mod:`blobclf.configvalues`; nothing here parses or runs anything.
"""

from __future__ import annotations

import difflib
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
