"""Output files named after an input (``predictions-last-<input>.csv``, ``test_report-last-<table>.json``) whose
names differ only in case from another input's, or that hold another input's of the same name.

``Later.csv`` and ``later.csv`` give ``predictions-last-Later.csv`` and ``predictions-last-later.csv``: two files
on Linux, but one on a case-insensitive file system (macOS and Windows by default), where the second command's
output replaces, or is refused as, the first's. Such a name is refused on every system, so a run folder
copied to one of those never holds the two.

The outputs of evaluations of a ``last.ckpt`` that a fit has since replaced, named after the epoch they are of
(``test_report-last-epoch=E.json``), so that what is named after ``last`` is of the current one.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from blobclf.atomic import atomic_write_text
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
            f"{option} {printable(given)!r} would write {printable(os.fspath(path))!r}, whose name differs only in "
            "case "
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


LAST_OUTPUTS = {"test_report-": ".json", "confusion_matrix_test-": ".png", "reliability_test-": ".png",
                "predictions-": ".csv"}
"""What evaluations of a run's ``last.ckpt`` write beside it (``test_report-last.json``, ...): the start of each name,
and its ending."""
LAST_LOGS = ("test-", "validate-")
"""The log folders of evaluations of ``last.ckpt`` (``lightning_logs/version_N/test-last``, ...), by their start."""


def _of_last(name: str, starts: Any) -> tuple[str, str] | None:
    """``(start, rest)`` of a name ``{start}last{rest}``, ``rest`` empty or from a ``-`` or ``.`` on."""
    for start in starts:
        if name.startswith(f"{start}last"):
            rest = name[len(start) + len("last"):]
            if (rest == "" or rest[0] in "-.") and not re.match(r"-epoch=\d", rest):  # not one named so already
                return start, rest
    return None


def last_outputs(run: str | os.PathLike[str], logs: str | os.PathLike[str] | None) -> list[tuple[Path, str, str]]:
    """The outputs of evaluations of ``last.ckpt`` in the run folder ``run`` and its log folder ``logs``: each as
    ``(path, start, rest)`` of its name ``{start}last{rest}``. A test's figures come only with its report, written
    after them: without it, they are a test's that is running (or was stopped before its end)."""
    found = [output for output in _last_outputs(run, logs)
             if not output[1].endswith("_test-")
             or Path(run, f"test_report-last{output[2][:-len('.png')]}.json").is_file()]
    return found


def _last_outputs(run: str | os.PathLike[str], logs: str | os.PathLike[str] | None) -> list[tuple[Path, str, str]]:
    found = []
    for folder, starts, folders in ((run, tuple(LAST_OUTPUTS), False), (logs, LAST_LOGS, True)):
        try:
            entries = list(os.scandir(folder)) if folder is not None else []
        except OSError:
            continue
        for entry in entries:
            parts = _of_last(entry.name, starts)
            if parts is None or entry.is_symlink() or entry.is_dir() != folders:
                continue
            if folders or entry.name.endswith(LAST_OUTPUTS[parts[0]]):
                found.append((Path(entry.path), *parts))
    return sorted(found)


def rename_last_outputs(outputs: list[tuple[Path, str, str]], epoch: int) -> list[tuple[Path, Path]]:
    """Rename ``outputs`` (see :func:`last_outputs`) after the ``last.ckpt`` of ``epoch`` they are of, as a best
    checkpoint is named: ``test_report-last.json`` to ``test_report-last-epoch=E.json``. Returns what was renamed."""
    renamed = []
    for path, start, rest in outputs:
        target = path.with_name(f"{start}last-epoch={epoch}{rest}")
        try:
            os.replace(path, target)  # a folder onto one that holds files fails, and is kept
        except OSError:
            continue
        renamed.append((path, target))
        if start == "test_report-":
            tell_replaced(target, epoch)
    return renamed


def tell_replaced(report_path: Path, epoch: int) -> None:
    """Say in a renamed test report of a ``last.ckpt`` (its ``checkpoint`` names that file) which epoch it is of, and
    that the file has been replaced since: ``checkpoint_epoch`` and a ``note``. A report that cannot be read as one
    (edited, half-written by another program) is left as it is."""
    try:
        report = json.loads(report_path.read_bytes())
    except (OSError, ValueError):
        return
    if not isinstance(report, dict) or not isinstance(report.get("checkpoint"), str):
        return
    report["checkpoint_epoch"] = epoch
    report["note"] = (f"{report['checkpoint']} held epoch {epoch} when this report was written; a fit has replaced it "
                      "since with a later epoch")
    try:
        atomic_write_text(report_path, json.dumps(report, indent=2, allow_nan=False) + "\n")
    except (OSError, ValueError):
        return


def as_last_output(path: str | os.PathLike[str]) -> tuple[Path, str, str] | None:
    """``path`` as :func:`last_outputs` gives it, if it names an output of ``last.ckpt`` that exists (``None`` if
    not)."""
    path = Path(path)
    parts = _of_last(path.name, (*LAST_OUTPUTS, *LAST_LOGS))
    return (path, *parts) if parts is not None and os.path.lexists(path) else None


def file_state(path: str | os.PathLike[str]) -> tuple[int, int, int, int] | None:
    """What tells one version of the file ``path`` from the one that replaced it (``None``: no such file): its inode,
    modification time, size and status-change time. The last is there for a rewrite in place that kept the size and
    set the modification time back (``touch -r``, ``os.utime``), which no program can set back: any write or
    ``utime`` moves it to the clock's present (to its tick, a few milliseconds on Linux)."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_ino, found.st_mtime_ns, found.st_size, found.st_ctime_ns
