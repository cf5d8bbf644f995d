"""blobclf's own callbacks named in ``--trainer.callbacks``, refused in one line before anything is made.

Every command adds them itself (:func:`~blobclf.cli.stage_callbacks`), or builds them from an option group
(``--checkpoint``, ``--export``, ``--prediction``). A second one is a second copy: Lightning ends a fit with two
stateful ones (``RngState``, ``RunCheckpoint``) in a ``RuntimeError`` traceback ("Found more than one stateful
callback of type ..."), and two others would write their files twice.
"""

from __future__ import annotations

from typing import Any

from blobclf.callbacks import RngState, RunCheckpoint, RunExport, TestReport  # their configs' import path, loaded
from blobclf.classrefs import loaded_class
from blobclf.errors import UserError
from blobclf.interrupt import GracefulStop
from blobclf.logger import EpochAxis
from blobclf.predictions import PredictionWriter
from blobclf.recorded import callback_list

__all__ = ["OWN_CALLBACKS", "check_own_callbacks"]

OWN_CALLBACKS: dict[type, str | None] = {
    RunCheckpoint: "--checkpoint",
    RunExport: "--export",
    PredictionWriter: "--prediction",
    RngState: None,
    GracefulStop: None,
    EpochAxis: None,
    TestReport: None,
}
"""blobclf's callbacks that every command of theirs has, each with the option group that sets it (``None``: none,
it has no settings)."""


def check_own_callbacks(trainer: Any) -> None:
    """Refuse a callback of :data:`OWN_CALLBACKS` (or a subclass of one) in ``trainer``'s ``callbacks``.

    Args:
        trainer: The command's ``trainer`` settings.

    Raises:
        UserError: Naming the callback and where its settings go.

    Example:
        >>> check_own_callbacks({"callbacks": [{"class_path": "blobclf.callbacks.RngState"}]})
        Traceback (most recent call last):
        ...
        blobclf.errors.UserError: --trainer.callbacks RngState is one of blobclf's own callbacks, which every command \
adds itself; leave it out of --trainer.callbacks
    """
    for entry in callback_list(trainer.get("callbacks")):
        class_path = str(entry.get("class_path", "")) if hasattr(entry, "get") else ""
        cls = loaded_class(class_path) if class_path else type(entry)
        own = next((own for own in OWN_CALLBACKS if isinstance(cls, type) and issubclass(cls, own)), None)
        if own is None:
            continue
        name = class_path.rsplit(".", 1)[-1] or cls.__name__
        group = OWN_CALLBACKS[own]
        if group is None:
            raise UserError(f"--trainer.callbacks {name} is one of blobclf's own callbacks, which every command adds "
                            "itself; leave it out of --trainer.callbacks")
        raise UserError(f"--trainer.callbacks {name} is one of blobclf's own callbacks, which every command adds "
                        f"itself with the {group}.* options; set those (see --help) and leave it out of "
                        "--trainer.callbacks")
