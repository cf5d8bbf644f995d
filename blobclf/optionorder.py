"""An option of a class given before the option or config file that chooses the class
(``--lr_scheduler.step_size 3 --config b.yaml``, where ``b.yaml`` sets ``lr_scheduler: StepLR``).

jsonargparse reads the command line in order: an option of a class goes to the class chosen so far (the base class,
``LRScheduler``, or blobclf's default ``SGD``), so the class chosen after it never sees it, and the line said the
option is no option of the base class. Moving the options for the user would change which value wins where the
file sets the same option, so the line names the order to type instead. :meth:`blobclf.parser.BlobArgumentParser.error`
asks :func:`option_before_class`; nothing here parses or runs anything.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Sequence

from blobclf.classrefs import loaded_class
from blobclf.configfiles import config_setting

MODULES = {"optimizer": "torch.optim", "lr_scheduler": "torch.optim.lr_scheduler"}
"""The module of each class group's short names (``Adam``, ``StepLR``)."""

NOT_AN_OPTION = re.compile(r"--(optimizer|lr_scheduler)\.(\w+) is not an option of (\w+); .*")
"""blobclf's line for an option the class chosen so far does not take (see
:func:`blobclf.messages.unknown_class_option`)."""


def chosen_class(value: object, group: str) -> type | None:
    """The class a value of ``group`` names: ``StepLR``, a full import path, or ``{class_path: ...}``."""
    name = value.get("class_path") if isinstance(value, dict) else value
    if not isinstance(name, str):
        return None
    return loaded_class(name) if "." in name else loaded_class(f"{MODULES[group]}.{name}")


def option_before_class(line: str, given: Sequence[str]) -> str | None:
    """For :data:`NOT_AN_OPTION`'s line, where the command line ``given`` chooses, after the option, a class that
    takes it: the line that says to give the option after what chooses the class; ``None`` otherwise."""
    found = NOT_AN_OPTION.fullmatch(line)
    if found is None:
        return None
    group, name, _ = found.groups()
    words = list(given)
    place = next((i for i, word in enumerate(words) if word.split("=", 1)[0] in (f"--{group}.{name}",
                                                                                 f"--{group}.init_args.{name}")), None)
    if place is None:
        return None
    for index in range(place + 1, len(words)):
        option, equals, value = words[index].partition("=")
        value = value if equals else (words[index + 1] if index + 1 < len(words) else "")
        if option == f"--{group}" and not os.path.isfile(value):
            cls, chooser = chosen_class(value, group), f"--{group} {value}"
        elif option in ("-c", "--config", f"--{group}"):
            setting = config_setting([option, value], group if option != f"--{group}" else f"{group}.class_path")
            if setting is None:
                continue
            cls = chosen_class(setting[2] if option != f"--{group}" else {"class_path": setting[2]}, group)
            chooser = f"{option} {value}"
        else:
            continue
        try:
            takes = cls is not None and name in inspect.signature(cls).parameters
        except (TypeError, ValueError):
            takes = False
        if takes:
            return (f"--{group}.{name} is given before {chooser}, which chooses {cls.__name__}: an option of a class "
                    f"goes to the class chosen before it; give --{group}.{name} after {chooser}")
    return None
