"""A path as the messages show it to the user."""

from __future__ import annotations

import os

from blobclf.errors import printable


def shown(path: str | os.PathLike[str] | None) -> str:
    """``path`` as a user would type it: relative to the working folder when it lies inside it, control
    characters in its names written as escapes (see :func:`blobclf.errors.printable`)."""
    if not path:
        return ""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return printable(absolute if relative.startswith(os.pardir) else relative)
