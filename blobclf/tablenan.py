"""A table's rows with every missing cell written ``nan``, for numpy's C reader: ``--data.missing drop`` at the
speed of a table without gaps.

numpy's :func:`numpy.loadtxt` reads ``nan`` as NaN but refuses an empty cell (or ``NA``, ``?``:
:data:`blobclf.tablecells.MISSING`); a Python converter for each numeric cell took a table of 200,000 rows with
gaps about 3.4 times as long to read (``benchmarks/missing.py``). :class:`NanFilled` instead rewrites the rows'
text a megabyte at a time with one regular expression (C speed), blank lines left out, and numpy reads the result
without converters. It applies only where a cell cannot hold a delimiter or a line break: a row with a quote
(``"``) stops it (:class:`Unfilled`), and the table is read the slow way, cell by cell, as before. Only the rows'
text changes; the file is never written.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from blobclf.tablecells import MISSING, Header
from blobclf.tablefile import CHUNK, open_text


class Unfilled(Exception):
    """The rows hold a quote: a cell may hold a delimiter or a line break, which a regular expression cannot tell."""


def missing_cells(delimiter: str) -> re.Pattern[str]:
    """A delimiter or line break, then a cell that is a missing value (:data:`MISSING`, any letter case, spaces
    around) up to the next; replaced by ``\\1nan`` (in text that starts with a line break) it writes each ``nan``.

    Example:
        >>> missing_cells(",").sub(r"\\1nan", "\\n1,,NA, ?\\n,2,n/a\\n")
        '\\n1,nan,nan,nan\\nnan,2,nan\\n'
    """
    space = f"[^\\S\\n{re.escape(delimiter)}]*"
    words = "|".join(re.escape(word) for word in sorted(MISSING, key=len, reverse=True) if word)
    edge = f"[{re.escape(delimiter)}\\n]"
    return re.compile(f"({edge}){space}(?:{words})?{space}(?={edge})", re.IGNORECASE)


BLANK = re.compile(r"^[^\S\n]*\n", re.MULTILINE)
"""A blank line (empty, or only spaces and tabs), which is no row."""
WORDS = " \tnN?"
"""What a missing cell other than an empty one holds: a space or tab, or a letter or mark of a word of
:data:`MISSING` (each has ``n`` or ``?``). Rows without them have only empty missing cells, written ``nan`` by
:meth:`str.replace` (a fifth of the regular expression's time; on 200,000 rows of 8 numbers, 1% of them with a gap,
the regular expression took longer than numpy's reading). Another space (``\\xa0``) is left for numpy to refuse:
the table is then read cell by cell."""


def filled(rows: str, delimiter: str, cells: re.Pattern[str]) -> tuple[str, int]:
    """``rows`` (whole lines, each ending in a line break) without blank lines, missing cells written ``nan``
    (``cells``: :func:`missing_cells`), and the number of blank lines left out.

    Example:
        >>> filled(",1,,\\n\\n2,3,4\\n", ",", missing_cells(","))
        ('nan,1,nan,nan\\n2,3,4\\n', 1)
        >>> filled(" NA;1\\n\\t\\n2;n/a\\n", ";", missing_cells(";"))
        ('nan;1\\n2;nan\\n', 1)
    """
    text = "\n" + rows
    if any(mark in rows for mark in WORDS):
        text, blanks = BLANK.subn("", text[1:])
        return cells.sub(r"\1nan", "\n" + text)[1:], blanks
    blanks = 0
    while "\n\n" in text:
        blanks += text.count("\n\n")
        text = text.replace("\n\n", "\n")
    both = delimiter + delimiter
    for _ in range(2):  # a run of empty cells: every other one each time
        text = text.replace(both, f"{delimiter}nan{delimiter}")
    text = text.replace("\n" + delimiter, f"\nnan{delimiter}").replace(delimiter + "\n", f"{delimiter}nan\n")
    return text[1:], blanks


class NanFilled:
    """The rows of ``header``'s table (after its header), blank lines left out, missing cells written ``nan``.

    Args:
        header: The table's header (its delimiter, and the line the rows follow).
    """

    def __init__(self, header: Header) -> None:
        self.header = header
        self.blank_lines = False
        """Whether a blank line was left out (the rows' line numbers are then not their positions)."""

    def lines(self) -> Iterator[str]:
        """The rows' lines, as :func:`numpy.loadtxt` reads a list of lines (given a file, numpy reads its lines one
        by one too); raises :class:`Unfilled` at a quote."""
        with open_text(self.header.path) as handle:
            for _ in range(self.header.line):
                handle.readline()
            cells = missing_cells(self.header.delimiter)
            while True:
                chunk = handle.read(CHUNK)
                if not chunk:
                    return
                chunk += handle.readline()
                if '"' in chunk:
                    raise Unfilled(self.header.path)
                if not chunk.endswith("\n"):
                    chunk += "\n"
                chunk, blanks = filled(chunk, self.header.delimiter, cells)
                self.blank_lines = self.blank_lines or blanks > 0
                yield from io.StringIO(chunk)  # split at "\n" only (str.splitlines also splits at "\x0c", "\x85" ...)
