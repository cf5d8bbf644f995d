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
    """Whether ``cls`` types its argument as plain text or numbers, which the parser never resolves as an import
    path."""
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


def _loaded_callable(value: str) -> bool:
    """Whether ``value`` (``os.close``) names a function or class of an already imported module, which the parser
    would hand to the class it configures, to be called (a ``LambdaLR`` calls its ``lr_lambda`` when built)."""
    parts = value.split(".")
    if len(parts) < 2 or not all(part.isidentifier() for part in parts):
        return False
    module, _, name = value.rpartition(".")
    return callable(getattr(sys.modules.get(module), name, None))


def _argument_names(cls: type | None, argument: Any, item: Any) -> Iterator[tuple[str, str | None]]:
    """The dotted names in one of a class's arguments that the parser would resolve: a string (or a list of them,
    as ``LambdaLR`` takes one function per parameter group) where the class takes more than text."""
    if isinstance(item, str):
        if not _takes_text_only(cls, argument) and (_unloaded_import_path(item) or _loaded_callable(item)):
            yield item, str(argument)
    elif isinstance(item, (list, tuple)):
        for each in item:
            yield from _argument_names(cls, argument, each)
    else:
        yield from _dotted_names(item, top=False)


def _dotted_names(value: Any, top: bool = True) -> Iterator[tuple[str, str | None]]:
    """The dotted names in a setting that the parser would resolve as classes or callables.

    Class paths at any depth (``{"class_path": ..., "init_args": {...}}``, lists of them), and a
    plain dotted string given as the whole setting (``trainer.callbacks: [pkg.Callback]``);
    strings inside ``init_args`` are values (a ``save_dir`` of ``./logs``), unless the class takes
    more than text there and the string names a module not yet imported (a ``LambdaLR``'s
    ``lr_lambda: pkg.schedule``: the parser imports ``pkg`` to resolve it, running its code) or a
    function of one already imported (``on_fit_start: posix.close``: the callback calls it), also as an item of a
    list (``lr_lambda: [pkg.schedule]``).
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
                yield from _argument_names(cls, argument, item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _dotted_names(item, top)


def _unloaded(setting: Any, top: bool) -> list[tuple[str, str | None]]:
    # a class's argument naming a callable counts even when loaded: the class would call it
    return [(name, argument) for name, argument in _dotted_names(setting, top)
            if argument is not None or loaded_class(name) is None]


def _texts(value: Any) -> Iterator[str]:
    """Every string in a plain setting (dicts, lists), keys left out."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _texts(item)


def unloaded_classes(setting: Any, top: bool = True) -> list[str]:
    """The classes (and callables) a recorded setting names whose modules are not imported (an empty list: all loaded).

    With ``top`` false, only class paths count, not a plain dotted string (a setting that is not a class's).
    """
    return [name for name, _ in _unloaded(setting, top)]


def check_recorded_classes(settings: Mapping[str, Any], path: str, run_config: str | None = None,
                           given: Mapping[str, Any] | None = None) -> None:
    """Refuse a checkpoint whose recorded settings name a class that is not loaded, or a callable (which the
    class it configures would call: ``lr_lambda: os.close``, loaded or not) that the command does not give itself.

    Args:
        settings: The checkpoint's settings as ``{"optimizer": {...}, "trainer.logger": {...}, ...}``.
        path: The checkpoint's path, for the message.
        run_config: The run's own ``config.yaml``, when a resume has one: given first with
            ``--config``, it names every class the run used, with their arguments.
        given: The command's own settings (command line and config files) under the same keys, as plain
            data: a callable given there is the user's choice, not the file's.

    Raises:
        UserError: naming the class, the setting and the option that gives it explicitly.
    """
    for key, setting in settings.items():
        for name, argument in _unloaded(setting, key in CLASS_SETTINGS):
            if argument is None:
                option = CLASS_SETTINGS.get(key, f"--{key} {{}}").format(name)
                what, whom = f"the class {name!r} ({key}), which", "the class"
            elif name in _texts((given or {}).get(key)):
                continue  # the command names the same function at the same place: the user's choice
            else:  # a function is given in a config file, the one the run wrote
                option = "put the run's own config.yaml first (--config PATH), which names it"
                what, whom = f"{name!r} ({key}: {argument}), whose module", "it"
            how = f"put --config {run_config} first (the run's own config)" if run_config else option
            if argument is not None and not _unloaded_import_path(name):
                raise UserError(
                    f"checkpoint {path!r} names the function {name!r} ({key}: {argument}), and blobclf calls no "
                    f"function that a file names; if you trust the checkpoint, give it yourself: {how}; or use "
                    "another checkpoint"
                )
            raise UserError(
                f"checkpoint {path!r} names {what} is not loaded, and blobclf imports no module that a file names; "
                f"if you trust the checkpoint, give {whom} yourself: {how}; or use another checkpoint"
            )
