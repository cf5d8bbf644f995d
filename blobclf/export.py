"""Plain ``state_dict`` export of a trained ``BlobModel``, with its metadata beside it."""

from __future__ import annotations

import json
import os
import platform
import tempfile
from collections.abc import Callable, Mapping
from importlib.metadata import version
from pathlib import Path
from typing import IO, Any

import torch

from blobclf.errors import UserError
from blobclf.model import BlobModel
from blobclf.safeload import local_file, safe_load

WEIGHTS_NAME = "model.pth"
METADATA_NAME = "model.json"
PACKAGES = ("blobclf", "torch", "lightning", "torchmetrics", "scikit-learn", "numpy")


def atomic_write(path: str | os.PathLike[str], write: Callable[[IO[bytes]], None]) -> Path:
    """Write ``path`` through a temporary file in the same folder, then rename it into place.

    Readers see either the old file or the complete new one, never a partial file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file the usual mode
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def public_hparams(hparams: Mapping[str, Any]) -> dict[str, Any]:
    """Hyperparameters without Lightning's private entries (``_instantiator``, ``_class_path``)."""
    return {key: value for key, value in hparams.items() if not key.startswith("_")}


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def library_versions() -> dict[str, str]:
    """Versions of the libraries a run depends on (and Python's)."""
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = version(package)
        except Exception:  # not installed as a distribution (e.g. run from a source tree)
            versions[package] = "unknown"
    return versions


def export_model(
    model: BlobModel,
    directory: str | os.PathLike[str],
    metrics: Mapping[str, float] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> tuple[Path, Path]:
    """Save ``model``'s ``state_dict`` as ``model.pth`` and its metadata as ``model.json``.

    Returns the two paths. The weights load with ``torch.load(path, weights_only=True)``.
    """
    directory = Path(directory)
    first = model.linear_layer_stack[0]
    last = model.linear_layer_stack[-1]
    metadata = {
        "format": "blobclf.model/1",
        "model_class": "blobclf.model.BlobModel",
        "constructor": {
            "input_features": first.in_features,
            "output_features": last.out_features,
            "hidden_units": first.out_features,
        },
        "num_classes": last.out_features,
        "metrics": {key: float(value) for key, value in (metrics or {}).items()},
        **(extra or {}),
        "versions": library_versions(),
    }
    state = {key: tensor.detach().cpu().clone() for key, tensor in model.state_dict().items()}
    weights = atomic_write(directory / WEIGHTS_NAME, lambda handle: torch.save(state, handle))
    text = json.dumps(metadata, indent=2, sort_keys=False) + "\n"
    meta = atomic_write(directory / METADATA_NAME, lambda handle: handle.write(text.encode()))
    return weights, meta


def load_model(weights: str | os.PathLike[str], metadata: str | os.PathLike[str] | None = None) -> BlobModel:
    """Build a ``BlobModel`` from an exported ``model.pth`` and the ``model.json`` beside it.

    The weights are loaded with ``weights_only=True``: a file that needs anything beyond tensors
    and plain containers is refused.
    """
    weights = local_file(weights, "weights file")
    metadata = local_file(metadata if metadata is not None else weights.with_name(METADATA_NAME), "metadata file")
    try:
        constructor = json.loads(metadata.read_text())["constructor"]
    except (ValueError, KeyError, TypeError) as error:
        raise UserError(f"metadata file {os.fspath(metadata)!r} is not a blobclf model.json ({error})") from None
    state = safe_load(weights, "weights file")
    model = BlobModel(**constructor)
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as error:
        first = str(error).strip().splitlines()[0]
        raise UserError(f"weights file {os.fspath(weights)!r} does not fit {constructor}: {first}") from None
    return model.eval()
