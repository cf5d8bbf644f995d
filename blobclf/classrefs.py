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

import sys
from collections.abc import Iterator, Mapping
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


def _dotted_names(value: Any, top: bool = True) -> Iterator[str]:
    """The dotted names in a setting that the parser would resolve as classes.

    Class paths at any depth (``{"class_path": ..., "init_args": {...}}``, lists of them), and a
    plain dotted string given as the whole setting (``trainer.callbacks: [pkg.Callback]``);
    strings inside ``init_args`` are values (a ``save_dir`` of ``./logs``), not classes.
    """
    if isinstance(value, str):
        if top and "." in value:
            yield value
    elif isinstance(value, Mapping):
        if "class_path" in value:
            yield str(value["class_path"])
        init_args = value.get("init_args")
        if isinstance(init_args, Mapping):
            for item in init_args.values():
                yield from _dotted_names(item, top=False)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _dotted_names(item, top)


def unloaded_classes(setting: Any, top: bool = True) -> list[str]:
    """The classes a recorded setting names whose modules are not imported (an empty list: all loaded).

    With ``top`` false, only class paths count, not a plain dotted string (a setting that is not a class's).
    """
    return [name for name in _dotted_names(setting, top) if loaded_class(name) is None]


def check_recorded_classes(settings: Mapping[str, Any], path: str, run_config: str | None = None) -> None:
    """Refuse a checkpoint whose recorded settings name a class that is not loaded.

    Args:
        settings: The checkpoint's settings as ``{"optimizer": {...}, "trainer.logger": {...}, ...}``.
        path: The checkpoint's path, for the message.
        run_config: The run's own ``config.yaml``, when a resume has one: given first with
            ``--config``, it names every class the run used, with their arguments.

    Raises:
        UserError: naming the class, the setting and the option that gives it explicitly.
    """
    for key, setting in settings.items():
        names = unloaded_classes(setting) if key in CLASS_SETTINGS else unloaded_classes(setting, top=False)
        for name in names:
            option = CLASS_SETTINGS.get(key, f"--{key} {{}}")
            how = f"put --config {run_config} first (the run's own config)" if run_config else option.format(name)
            raise UserError(
                f"checkpoint {path!r} names the class {name!r} ({key}), which is not loaded, and blobclf imports "
                f"no module that a file names; if you trust the checkpoint, give the class yourself: {how}; "
                f"or use another checkpoint"
            )
