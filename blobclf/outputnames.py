"""Output files named after an input (``predictions-last-<input>.csv``, ``test_report-last-<table>.json``) whose
names differ only in case from another input's, or that hold another input's of the same name.

``Later.csv`` and ``later.csv`` give ``predictions-last-Later.csv`` and ``predictions-last-later.csv``: two files
on Linux, but one on a case-insensitive file system (macOS and Windows by default), where the second command's
output replaces, or is refused as, the first's. Such a name is refused on every system, so a run folder
copied to one of those never holds the two.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

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


def table_record(test_path: str | os.PathLike[str]) -> dict[str, str]:
    """What a test report records of the table it tested: its absolute path and SHA-256 (``test_table``)."""
    from blobclf.tabledata import file_sha256

    return {"path": os.path.abspath(test_path), "sha256": file_sha256(os.fspath(test_path))}


def refuse_other_table(report: str | os.PathLike[str], test_path: str | os.PathLike[str]) -> None:
    """Refuse, in one line, replacing the test report ``report`` of another table of ``test_path``'s name.

    ``a/x.csv`` and ``b/x.csv`` both write ``test_report-<checkpoint>-x.json``. The report of the same table
    tested again (the same path, edited or not, or the same bytes moved) is replaced, as a re-test is; one
    that records another table is refused. A report without a record (an older blobclf's) is replaced.

    Raises:
        UserError: Naming the given table, the report and the table it holds, and the fix.
    """
    try:
        recorded: Any = json.loads(Path(report).read_text(encoding="utf-8")).get("test_table")
        path, digest = recorded["path"], recorded["sha256"]
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return
    if path == os.path.abspath(test_path) or not os.path.isfile(test_path):
        return
    if digest == table_record(test_path)["sha256"]:
        return
    raise UserError(
        f"--data.test_path {printable(os.fspath(test_path))!r} would replace {printable(os.fspath(report))!r}, the "
        f"report of another table of that name, {printable(str(path))!r} (other bytes); copy the table to a name of "
        "its own (the report is named after it), or remove that report to replace it"
    )
