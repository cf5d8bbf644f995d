"""blobclf: the PyTorch multi-class blobs tutorial as a reproducible Lightning project.

``BlobClassifier``, ``BlobDataModule``, ``TableDataModule`` and ``BlobModel`` are imported on first use, so that
``python -m blobclf`` controls how its heavy dependencies (torch, Lightning) are imported; see
:mod:`blobclf.__main__`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from blobclf.data import BlobDataModule
    from blobclf.model import BlobModel
    from blobclf.system import BlobClassifier
    from blobclf.tabledata import TableDataModule

__all__ = ["BlobClassifier", "BlobDataModule", "BlobModel", "TableDataModule"]
__version__ = "0.1.0"

_HOMES = {
    "BlobClassifier": "blobclf.system",
    "BlobDataModule": "blobclf.data",
    "BlobModel": "blobclf.model",
    "TableDataModule": "blobclf.tabledata",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'blobclf' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
