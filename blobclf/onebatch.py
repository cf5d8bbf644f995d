"""The integer 1 of the Trainer's batch-limit options (``--trainer.limit_val_batches 1`` and the like), kept
as one batch: the Trainer types them ``Union[float, int]``, the parser reads ``1`` as ``1.0`` (the whole
epoch), and jsonargparse writes it back as ``1.0``. Here the command line, ``--config`` files and a
resumed run's recorded settings are read for the integer, and a dumped configuration writes it as ``1``."""

from __future__ import annotations

import json
import os
import re
from typing import Any

import yaml

ONE_BATCH = ("limit_train_batches", "limit_val_batches", "limit_test_batches", "limit_predict_batches",
             "overfit_batches", "val_check_interval")
"""Trainer options where the integer 1 (one batch) and the float 1.0 (the whole epoch) differ."""


def one_batch_written(text: str, trainer: Any, indent: str) -> str:
    """A dumped configuration (YAML ``text``) with the :data:`ONE_BATCH` options that ``trainer`` holds as
    the integer 1 written ``1``: jsonargparse writes them ``1.0``, and ``fit --config`` of a run's
    ``config.yaml`` then used the whole split where the run used one batch."""
    ones = [name for name in ONE_BATCH if hasattr(trainer, "get") and type(trainer.get(name)) is int
            and trainer.get(name) == 1]
    if not ones:
        return text
    lines, inside = text.split("\n"), False
    for i, line in enumerate(lines):
        if line == f"{indent}trainer:":
            inside = True
        elif inside and line and not line.startswith(f"{indent}  "):
            inside = False
        elif inside and line.removeprefix(f"{indent}  ").split(":")[0] in ones and line.endswith(": 1.0"):
            lines[i] = line.removesuffix("1.0") + "1"
    return "\n".join(lines)


def _file_setting(given: str, name: str, within_trainer: bool, default: str | None) -> str | None:
    """The Trainer option ``name`` as a ``--config`` (or ``--trainer``) file or text ``given`` sets it, written
    out (``1`` for the integer, ``1.0`` for the float); ``default`` where it does not set it."""
    try:
        if os.path.isfile(given):
            with open(given, encoding="utf-8") as handle:
                given = handle.read()
        settings = yaml.safe_load(given)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return default
    if not isinstance(settings, dict):
        return default
    if not within_trainer:
        # a subcommand's config, or the top-level one (its settings under the subcommand's name)
        trainers = [settings.get("trainer")] + [v.get("trainer") for v in settings.values() if isinstance(v, dict)]
        settings = next((t for t in trainers if isinstance(t, dict) and name in t), {})
    value = settings.get(name, default) if isinstance(settings, dict) else default
    return value if value is None or isinstance(value, str) else json.dumps(value)


def keep_one_batch(config: Any, words: list[str], recorded: dict[str, Any] | None = None) -> None:
    """Keep ``--trainer.limit_val_batches 1`` (and the like) the integer 1, one batch, as Lightning documents it.

    The Trainer types these options ``Union[float, int]``, so the parser reads ``1`` as ``1.0``, which
    Lightning takes as the whole epoch: the option silently did nothing. A ``1`` written on the command
    line, written as the integer in a ``--config`` file (a run's ``config.yaml``), or recorded as the integer
    by the run being resumed, stays the integer.
    """
    trainer = config.get("trainer") if hasattr(config, "get") else None
    if trainer is None:
        return
    for name in ONE_BATCH:
        if trainer.get(name) != 1:
            continue  # only a 1 can be the integer: its config files are read for nothing else
        option, text = f"--trainer.{name}", None
        for i, word in enumerate(words):
            if word == option and i + 1 < len(words):
                text = words[i + 1]
            elif word.startswith(option + "="):
                text = word.split("=", 1)[1]
            elif word in ("-c", "--config", "--trainer") and i + 1 < len(words) or word.startswith(("--config=",
                                                                                                    "--trainer=")):
                given = words[i + 1] if word in ("-c", "--config", "--trainer") else word.split("=", 1)[1]
                text = _file_setting(given, name, within_trainer=word.startswith("--trainer"), default=text)
        if text is not None and re.fullmatch(r"\s*\+?0*1\s*", text):
            trainer[name] = 1
        elif text is None and recorded is not None and type(recorded.get(f"trainer.{name}")) is int:
            trainer[name] = 1
