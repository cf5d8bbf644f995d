"""Every file a run exports: weights (``.pth``), metadata and reports (``.json``), ``.onnx``.""" 

from __future__ import annotations

import copy
import json
import os
import platform
import warnings
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from blobclf.atomic import atomic_write, atomic_write_text
from blobclf.errors import UserError
from blobclf.model import BlobModel, ScaledBlobModel
from blobclf.safeload import (
    MAX_LOAD_ENV,
    METADATA_SHARE,
    check_weights,
    local_file,
    max_metadata_bytes,
    read_capped,
    safe_load,
)

WEIGHTS_NAME = "model.pth"
METADATA_NAME = "model.json"
ONNX_NAME = "model.onnx"
MODEL_CLASSES = {f"blobclf.model.{cls.__name__}": cls for cls in (BlobModel, ScaledBlobModel)}
"""The classes ``model.json`` may name: ``BlobModel`` (blob runs, the tutorial's class) or ``ScaledBlobModel``
(runs that standardize their inputs inside the model)."""


def checkpoint_tag(checkpoint: str | os.PathLike[str] | None) -> str:
    """The name evaluation outputs carry for the checkpoint they come from: its file name without
    ``.ckpt`` (``last``, ``best-epoch=25-val_acc=0.9700``), or ``untrained`` without one."""
    return Path(checkpoint).name.removesuffix(".ckpt") if checkpoint else "untrained"


def report_name(checkpoint: str | os.PathLike[str] | None, source: str | None = None) -> str:
    """``test_report-<checkpoint>.json``, or ``test_report-<checkpoint>-<source>.json`` for a
    separate test table named ``<source>``: each checkpoint and test table keeps its own report."""
    return f"test_report-{checkpoint_tag(checkpoint)}{'-' + source if source else ''}.json"
PACKAGES = ("blobclf", "torch", "lightning", "torchmetrics", "scikit-learn", "numpy")


def library_versions() -> dict[str, str]:
    """Versions of the libraries a run depends on (and Python's)."""
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = version(package)
        except PackageNotFoundError:  # not installed as a distribution (e.g. run from a source tree)
            versions[package] = "unknown"
    return versions


def in_float32(model: nn.Module) -> nn.Module:
    """``model`` itself if its floating-point weights are float32, else a float32 copy.

    A run trained with ``--trainer.precision 64-true`` (or ``bf16-true``) holds its weights in that
    dtype; the exports, figures and reports take float32 points, as the tutorial's model does.
    """
    tensors = [*model.parameters(), *model.buffers()]
    if all(t.dtype == torch.float32 for t in tensors if t.is_floating_point()):
        return model
    return copy.deepcopy(model).float()


def export_weights(model: BlobModel, directory: str | os.PathLike[str]) -> Path:
    """Save ``model``'s ``state_dict`` (CPU tensors) as ``model.pth``; it loads with ``weights_only=True``."""
    state = {key: tensor.detach().cpu().clone() for key, tensor in model.state_dict().items()}
    return atomic_write(Path(directory) / WEIGHTS_NAME, lambda handle: torch.save(state, handle))


def write_metadata(
    model: BlobModel,
    directory: str | os.PathLike[str],
    metrics: Mapping[str, float] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``model.json``: how to rebuild ``model`` (constructor arguments), its metrics and more.

    A run writes it last, after every other export: its presence means the run's exports are
    complete.
    """
    first = model.linear_layer_stack[0]
    last = model.linear_layer_stack[-1]
    metadata = {
        "format": "blobclf.model/1",
        "model_class": f"blobclf.model.{type(model).__name__}",
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
    return atomic_write_text(Path(directory) / METADATA_NAME, json.dumps(metadata, indent=2, sort_keys=False) + "\n")


def names_metadata(model: BlobModel, classes: list[str], features: list[str], encoding: dict[str, Any] | None = None
                   ) -> dict[str, Any]:
    """What ``model.json`` says about the model's inputs and outputs, by name.

    ``classes[i]`` is output ``i`` (logit ``i``, the ``prob_<name>`` column ``i`` of predictions);
    ``features[j]`` is input column ``j``. For a :class:`ScaledBlobModel`, ``standardization``
    gives the mean and scale it applies to the raw inputs (also in ``model.pth``). ``encoding``, for a table with
    categorical columns, says how its columns become the inputs (:func:`blobclf.tablecategories.description`).
    """
    described: dict[str, Any] = {
        "classes": list(classes),
        "class_order": "classes[i] is output i: logit i, probability i, column prob_<classes[i]> of predictions",
        "features": list(features),
        "inputs": "raw feature values in the order of features",
    }
    if encoding is not None:
        described["inputs"] = ("raw feature values in the order of features: the table's columns encoded as "
                               "encoding says")
        described["encoding"] = encoding
    if isinstance(model, ScaledBlobModel):
        described["standardization"] = {"mean": model.mean.tolist(), "scale": model.scale.tolist()}
    return described


def export_model(
    model: BlobModel,
    directory: str | os.PathLike[str],
    metrics: Mapping[str, float] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> tuple[Path, Path]:
    """Save ``model.pth`` and then ``model.json`` (see :func:`export_weights`, :func:`write_metadata`)."""
    return export_weights(model, directory), write_metadata(model, directory, metrics, extra)


def load_model(weights: str | os.PathLike[str], metadata: str | os.PathLike[str] | None = None) -> BlobModel:
    """Build the model (a ``BlobModel``, or a ``ScaledBlobModel`` that takes raw table values) from an
    exported ``model.pth`` and the ``model.json`` beside it; a weights file without one beside it is
    read as the tutorial's ``BlobModel`` state_dict (its sizes from its tensors).

    The weights are loaded with ``weights_only=True``: a file that needs anything beyond tensors
    and plain containers is refused.
    """
    weights = local_file(weights, "weights file")
    if metadata is None and not weights.with_name(METADATA_NAME).exists():
        return tutorial_model(weights)
    metadata = local_file(metadata if metadata is not None else weights.with_name(METADATA_NAME), "metadata file")
    text = read_capped(metadata, max_metadata_bytes(), "metadata file",
                       f"if you trust it, raise the limit with {MAX_LOAD_ENV} (this one is 1/{METADATA_SHARE} of it)")
    try:
        described = json.loads(text)
        constructor = described["constructor"]
        model_class = described.get("model_class", "blobclf.model.BlobModel")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise UserError(f"metadata file {os.fspath(metadata)!r} is not a blobclf model.json ({error})") from None
    except RecursionError:  # arrays or objects nested thousands deep: json recurses
        raise UserError(f"metadata file {os.fspath(metadata)!r} is not a blobclf model.json (nested too deep to "
                        "read)") from None
    if not isinstance(model_class, str) or model_class not in MODEL_CLASSES:
        raise UserError(f"metadata file {os.fspath(metadata)!r} names model_class {model_class!r}; blobclf builds only "
                        f"{', '.join(MODEL_CLASSES)}")
    state = safe_load(weights, "weights file")
    try:
        with torch.device("meta"):  # shapes only: a model.json edited to 10**9 units allocates nothing
            shapes = {k: tuple(v.shape) for k, v in MODEL_CLASSES[model_class](**constructor).state_dict().items()}
    except (TypeError, ValueError) as error:
        # torch's refusal of a size beyond int64 carries its C++ stack, dozens of lines
        reason = (f"a size too large to build in {constructor}" if "Overflow" in str(error)
                  else str(error).strip().splitlines()[0])
        raise UserError(f"metadata file {os.fspath(metadata)!r} does not describe a BlobModel: {reason}") from None
    found = {k: tuple(v.shape) if isinstance(v, torch.Tensor) else None for k, v in state.items()} \
        if isinstance(state, dict) else {}
    wrong = sorted(set(shapes.items()) ^ set(found.items()), key=str)
    if wrong:
        raise UserError(f"weights file {os.fspath(weights)!r} does not fit {constructor} of {os.fspath(metadata)!r}: "
                        f"{wrong[0][0]!r} is missing, extra or of another shape; was either file edited or replaced?")
    check_weights(state, os.fspath(weights), "weights file")
    model = MODEL_CLASSES[model_class](**constructor)
    if isinstance(state, dict) and not all(
        bool(v.isfinite().all()) for v in state.values() if isinstance(v, torch.Tensor) and v.is_floating_point()
    ):
        raise UserError(f"weights file {os.fspath(weights)!r} holds weights that are not finite (NaN or inf): "
                        "the run that wrote it diverged")
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as error:
        first = str(error).strip().splitlines()[0]
        raise UserError(f"weights file {os.fspath(weights)!r} does not fit {constructor}: {first}") from None
    return model.eval()


def tutorial_model(weights: Path) -> BlobModel:
    """The ``BlobModel`` of a weights file without ``model.json``: the tutorial's own
    ``torch.save(model.state_dict(), path)``, whose tensors give its sizes; anything else is refused."""
    state = safe_load(weights, "weights file")
    shapes = {k: tuple(v.shape) for k, v in state.items() if isinstance(v, torch.Tensor)} \
        if isinstance(state, dict) else {}
    first, middle, last = (shapes.get(f"linear_layer_stack.{i}.weight", ()) for i in (0, 2, 4))
    if len(first) == 2 and len(last) == 2 and set(shapes) == set(BlobModel(1, 1, 1).state_dict()):
        constructor = {"input_features": first[1], "output_features": last[0], "hidden_units": first[0]}
        model = BlobModel(**constructor) if middle == (first[0], first[0]) and last[1] == first[0] else None
        if model is not None and all(shapes[k] == tuple(v.shape) for k, v in model.state_dict().items()):
            check_weights(state, os.fspath(weights), "weights file")
            if not all(bool(v.isfinite().all()) for v in state.values() if v.is_floating_point()):
                raise UserError(f"weights file {os.fspath(weights)!r} holds weights that are not finite (NaN or inf): "
                                "the run that wrote it diverged")
            model.load_state_dict(state)
            return model.eval()
    raise UserError(f"weights file {os.fspath(weights)!r} has no {METADATA_NAME} beside it and is not the tutorial's "
                    f"BlobModel state_dict; pass the {METADATA_NAME} that 'blobclf fit' wrote with it "
                    "(load_model(weights, metadata))")


def export_onnx(model: nn.Module, path: str | os.PathLike[str], num_features: int) -> Path:
    """Export ``model`` to ONNX with outputs ``logits`` and ``probabilities`` and a dynamic batch.

    The input ``features`` is float32 of shape ``(batch, num_features)``.
    """
    wrapper = _WithProbabilities(model).eval()
    example = torch.zeros(2, num_features)

    def write(handle: Any) -> None:
        with warnings.catch_warnings():
            # the TorchScript exporter's notices about its own deprecation, not about this model
            warnings.simplefilter("ignore", category=DeprecationWarning)
            warnings.simplefilter("ignore", category=FutureWarning)
            torch.onnx.export(
                wrapper,
                (example,),
                handle,
                input_names=["features"],
                output_names=["logits", "probabilities"],
                dynamic_axes={name: {0: "batch"} for name in ("features", "logits", "probabilities")},
                dynamo=False,
            )

    return atomic_write(path, write)


class _WithProbabilities(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, features: Tensor) -> tuple[Tensor, Tensor]:
        logits = self.model(features)
        return logits, torch.softmax(logits, dim=1)


def write_report(report: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``report`` as indented JSON to ``path`` atomically, creating missing folders.

    Args:
        report: A dict as :func:`blobclf.report.classification_report` returns (anything
            strict-JSON works).
        path: Destination file; readers see the old file or the complete new one.

    Returns:
        The path written.

    Raises:
        ValueError: If ``report`` holds NaN or infinity (not valid JSON).
        TypeError: If ``report`` holds something JSON cannot represent.
    """
    return atomic_write_text(path, json.dumps(report, indent=2, allow_nan=False) + "\n")
