"""Classes that a checkpoint names: used only when already loaded, never imported because a file says so.

A checkpoint records its run's settings, class settings among them (the data module, the
optimizer, a resume's logger and callbacks) as dotted paths such as ``torch.optim.SGD``. Handing
such a path to the command line's parser would import its module, and importing a module runs
its code: a checkpoint naming ``antigravity.X`` would open a browser. As Lightning does for
``load_from_checkpoint``, a path from a file is accepted only when it names a class whose module
is already imported (torch's optimizers, Lightning's callbacks and loggers, blobclf's classes);
any other class must be given on the command line, where the user chooses it.
"""

from __future__ import annotations

import importlib.util
import sys
import types
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from blobclf.errors import UserError

CLASS_SETTINGS = {
    "data.class_path": "--data {}",
    "optimizer": "--optimizer {}",
    "lr_scheduler": "--lr_scheduler {}",
    "trainer.callbacks": "--trainer.callbacks {} (with its arguments; one --trainer.callbacks+= per other callback)",
    "trainer.logger": "--trainer.logger {}",
    "trainer.profiler": "--trainer.profiler {}",
    "trainer.strategy": "--trainer.strategy {}",
    "trainer.accelerator": "--trainer.accelerator {}",
    "trainer.plugins": "--trainer.plugins {}",
}
"""The recorded settings that may name a class by a plain string, with the option that gives one
on the command line; in any setting, a ``{"class_path": ...}`` names a class."""


def loaded_class(class_path: str) -> type | None:
    """The class ``module.Name`` names if its module is already imported, without importing anything."""
    module, _, name = str(class_path).rpartition(".")
    value = getattr(sys.modules.get(module), name, None) if module else None
    return value if isinstance(value, type) else None


def _takes_text_only(cls: type | None, argument: Any) -> bool:
    """Whether ``cls`` types its argument as plain text or numbers, which the parser never resolves as an import path."""
    try:
        hint = typing.get_type_hints(cls.__init__).get(argument) if cls is not None else None
    except Exception:  # noqa: BLE001 - a hint that does not resolve says nothing: count it as possibly importing
        return False
    kinds = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    return hint is not None and all(kind in (str, Path, int, float, bool, type(None)) for kind in kinds)


def _unloaded_import_path(value: str) -> bool:
    """Whether the parser would import a module to resolve ``value`` (``pkg.module.function``) as a callable or class.

    Only a dotted path of identifiers is resolved; it runs code when its module is not yet imported
    and exists (a top-level ``find_spec`` looks for it without importing anything).
    """
    parts = value.split(".")
    if len(parts) < 2 or not all(part.isidentifier() for part in parts):
        return False
    module, _, name = value.rpartition(".")
    if hasattr(sys.modules.get(module), name):
        return False
    try:
        return parts[0] in sys.modules or importlib.util.find_spec(parts[0]) is not None
    except (ImportError, ValueError):
        return False


def _dotted_names(value: Any, top: bool = True) -> Iterator[tuple[str, str | None]]:
    """The dotted names in a setting that the parser would resolve as classes or callables.

    Class paths at any depth (``{"class_path": ..., "init_args": {...}}``, lists of them), and a
    plain dotted string given as the whole setting (``trainer.callbacks: [pkg.Callback]``);
    strings inside ``init_args`` are values (a ``save_dir`` of ``./logs``), unless the class takes
    more than text there and the string names a module not yet imported (a ``LambdaLR``'s
    ``lr_lambda: pkg.schedule``: the parser imports ``pkg`` to resolve it, running its code).
    Each comes with the argument that holds it, or None for a class path.
    """
    if isinstance(value, str):
        if top and "." in value:
            yield value, None
    elif isinstance(value, Mapping):
        if "class_path" in value:
            yield str(value["class_path"]), None
        init_args = value.get("init_args")
        if isinstance(init_args, Mapping):
            cls = loaded_class(value.get("class_path", ""))
            for argument, item in init_args.items():
                if isinstance(item, str):
                    if not _takes_text_only(cls, argument) and _unloaded_import_path(item):
                        yield item, str(argument)
                else:
                    yield from _dotted_names(item, top=False)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _dotted_names(item, top)


def _unloaded(setting: Any, top: bool) -> list[tuple[str, str | None]]:
    return [(name, argument) for name, argument in _dotted_names(setting, top) if loaded_class(name) is None]


def unloaded_classes(setting: Any, top: bool = True) -> list[str]:
    """The classes (and callables) a recorded setting names whose modules are not imported (an empty list: all loaded).

    With ``top`` false, only class paths count, not a plain dotted string (a setting that is not a class's).
    """
    return [name for name, _ in _unloaded(setting, top)]


def check_recorded_classes(settings: Mapping[str, Any], path: str, run_config: str | None = None) -> None:
    """Refuse a checkpoint whose recorded settings name a class (or a callable) that is not loaded.

    Args:
        settings: The checkpoint's settings as ``{"optimizer": {...}, "trainer.logger": {...}, ...}``.
        path: The checkpoint's path, for the message.
        run_config: The run's own ``config.yaml``, when a resume has one: given first with
            ``--config``, it names every class the run used, with their arguments.

    Raises:
        UserError: naming the class, the setting and the option that gives it explicitly.
    """
    for key, setting in settings.items():
        for name, argument in _unloaded(setting, key in CLASS_SETTINGS):
            if argument is None:
                option = CLASS_SETTINGS.get(key, f"--{key} {{}}").format(name)
                what, given = f"the class {name!r} ({key}), which", "the class"
            else:  # a function is given in a config file, the one the run wrote
                option = "put the run's own config.yaml first (--config PATH), which names it"
                what, given = f"{name!r} ({key}: {argument}), whose module", "it"
            how = f"put --config {run_config} first (the run's own config)" if run_config else option
            raise UserError(
                f"checkpoint {path!r} names {what} is not loaded, and blobclf imports no module that a file names; "
                f"if you trust the checkpoint, give {given} yourself: {how}; or use another checkpoint"
            )
