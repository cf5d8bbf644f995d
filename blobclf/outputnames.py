"""Output files named after an input (``predictions-last-<input>.csv``, ``test_report-last-<table>.json``) whose
names differ only in case from another input's.

``Later.csv`` and ``later.csv`` give ``predictions-last-Later.csv`` and ``predictions-last-later.csv``: two files
on Linux, but one on a case-insensitive file system (macOS and Windows by default), where the second command's
output replaces, or is refused as, the first's. Such a name is refused on every system, so a run folder
copied to one of those never holds the two.
"""

from __future__ import annotations

import os
from pathlib import Path

from blobclf.errors import UserError, printable


def case_twin(path: str | os.PathLike[str]) -> Path | None:
    """An entry beside ``path`` whose name differs from ``path``'s only in case (``None`` if there is none)."""
    path = Path(path)
    try:
        names = os.listdir(path.parent)
    except OSError:
        return None
    key = path.name.casefold()
    return next((path.parent / name for name in sorted(names) if name != path.name and name.casefold() == key), None)


def refuse_case_twin(path: str | os.PathLike[str], option: str, given: str, fix: str) -> None:
    """Refuse, in one line, writing ``path`` (named after ``option given``) beside a name that differs only in case.

    Raises:
        UserError: Naming both files and ``fix``.
    """
    twin = case_twin(path)
    if twin is not None:
        raise UserError(
            f"{option} {printable(given)!r} would write {printable(os.fspath(path))!r}, whose name differs only in case "
            f"from the existing {printable(os.fspath(twin))!r}, another input's: a case-insensitive file system "
            f"(macOS, Windows) takes the two for one file; {fix}"
        )
