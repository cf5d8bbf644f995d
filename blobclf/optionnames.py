"""How a message names a data module's option: ``--data.target`` on the command line, ``TableDataModule(target=...)``
for a user who built the data module in Python; and the program in a command it gives to run.

The data modules raise the same refusals whoever built them. The command line declares itself with
:func:`command_line` (see :func:`blobclf.cli.cli_main`), so its messages name the options as typed there; a
library user, with a stock ``lightning.Trainer``, reads the constructor argument instead.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_on_command_line: ContextVar[bool] = ContextVar("blobclf_on_command_line", default=False)


@contextmanager
def command_line() -> Iterator[None]:
    """Within: refusals name options as the command line takes them (``--data.target``)."""
    token = _on_command_line.set(True)
    try:
        yield
    finally:
        _on_command_line.reset(token)


def on_command_line() -> bool:
    """Whether the refusals being made are the command line's (:func:`command_line`)."""
    return _on_command_line.get()


def option(name: str, value: str | None = None, owner: str = "TableDataModule") -> str:
    """The data module's option ``name`` (``target``), with ``value`` if given, as its user gives it.

    Example:
        >>> option("target"), option("decimal", "','")
        ('TableDataModule(target=...)', "TableDataModule(decimal=',')")
        >>> with command_line():
        ...     option("target"), option("decimal", "','")
        ('--data.target', "--data.decimal ','")
    """
    if on_command_line():
        return f"--data.{name}" if value is None else f"--data.{name} {value}"
    return f"{owner}({name}={'...' if value is None else value})"


def model_option(name: str, value: object) -> str:
    """The model's option ``name`` set to ``value``, as its user gives it: the constructor argument to a user in Python.

    Example:
        >>> model_option("class_weight", "balanced")
        "class_weight='balanced'"
        >>> with command_line():
        ...     model_option("class_weight", [1.0, 20.0])
        '--model.class_weight=[1.0, 20.0]'
    """
    return f"{model_option_name(name)}={value!r}"


def model_option_name(name: str) -> str:
    """The model's option ``name`` as its user gives it: ``--model.class_weight``, or ``class_weight`` in Python."""
    return f"--model.{name}" if on_command_line() else name


def given_option(words: Sequence[str], name: str) -> str | None:
    """The value of ``name VALUE`` or ``name=VALUE`` in a command line (the last one given)."""
    value = None
    for i, word in enumerate(words):
        if word == name and i + 1 < len(words):
            value = words[i + 1]
        elif word.startswith(name + "="):
            value = word.split("=", 1)[1]
    return value


def typed_program() -> str:
    """The program as the user typed it, in usage lines, help and the commands a message gives to run (``resume
    with: blobclf fit ...``): ``blobclf`` for the installed command, else ``python -m blobclf``, which runs wherever
    blobclf can be imported (for :func:`blobclf.cli.cli_main` called from Python too). The one rule for it."""
    return "blobclf" if sys.argv and Path(sys.argv[0]).stem == "blobclf" else "python -m blobclf"
