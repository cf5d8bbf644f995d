"""The line for a ``--data.NAME`` option that the chosen data module does not take, and for a data module
name that is none of blobclf's.

The usual case is a table option (``--data.path``, ``--data.target``) given without
``--data TableDataModule`` before it, so that it goes to the default blobs module; the line says
which data module takes the option and how to choose it, instead of calling the value invalid.
"""

from __future__ import annotations

import difflib
import inspect

from blobclf.data import BlobDataModule
from blobclf.optionnames import typed_program
from blobclf.tabledata import TableDataModule

DATA_MODULES = {"BlobDataModule": BlobDataModule, "TableDataModule": TableDataModule}
"""The data modules blobclf ships, by the short name ``--data`` takes."""


def _options(cls: type) -> list[str]:
    """The ``__init__`` parameters of ``cls``: its ``--data.*`` options."""
    return [name for name in inspect.signature(cls.__init__).parameters if name != "self"]


def unknown_data_option(option: str, class_path: str) -> str:
    """Say that ``--data.OPTION`` is not an option of ``class_path``, and what to do instead.

    Args:
        option: The option name after ``--data.`` (``path``).
        class_path: The data module the option went to (``blobclf.BlobDataModule``).
    """
    short = class_path.rsplit(".", 1)[-1]
    line = f"--data.{option} is not an option of {short}"
    chosen = DATA_MODULES.get(short)
    owners = [name for name, cls in DATA_MODULES.items() if name != short and option in _options(cls)]
    if owners == ["TableDataModule"]:
        return (f"{line} but of TableDataModule, for a CSV table: give --data TableDataModule before it "
                "(or --config configs/table.yaml)")
    if owners:
        return f"{line} but of {owners[0]}; {short} does not take it"
    if chosen is not None:
        close = difflib.get_close_matches(option, _options(chosen), n=1)
        if close:
            return f"{line}; did you mean --data.{close[0]}?"
    return f"{line}; its options: {typed_program()} fit --data.help {short}"


def unknown_data_module(option: str, name: str) -> str:
    """Say that ``--data NAME`` (or ``--data.help NAME``) names no data module, and which ones there are.

    Args:
        option: ``--data`` or ``--data.help``.
        name: The name given (``TableDatamodule``).
    """
    line = (f"{option} {name}: no such data module; use BlobDataModule (blobs, the default) or TableDataModule "
            "(a CSV table)")
    close = [known for known in DATA_MODULES if known.lower() == name.rsplit(".", 1)[-1].lower()]
    close = close or difflib.get_close_matches(name, list(DATA_MODULES), n=1)
    return f"{line}; did you mean {option} {close[0]}?" if close else line
