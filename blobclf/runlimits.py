"""A run's limits (``--trainer.max_epochs``, ``max_steps``, ``max_time``) across its resumes, and what a resume says
of them.

A resume may change a limit (see :data:`~blobclf.recorded.CHANGEABLE`); the value it gives is recorded, and is the
run's limit for later resumes, as an extension's is. The limits the run was started with are recorded too
(:data:`STARTED`), so that a later resume that finds the run at a limit a resume set says so, naming the one the run
was started with, rather than presenting the changed one as the run's own from its start.

A run ended by ``max_time`` (Lightning's ``Timer``, which keeps the training time in its checkpoints) has trained its
time: its resume trains on only with a longer ``max_time``, for the time above what it trained.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import yaml
from lightning.pytorch.callbacks import Timer
from lightning.pytorch.utilities.exceptions import MisconfigurationException

from blobclf.errors import UserError

STARTED = "started"
"""Key, in the recorded training settings (see :data:`~blobclf.recorded.SETTINGS`), of the limits the run was started
with, as ``{"trainer.max_epochs": 3000, ...}``; a resume keeps its checkpoint's."""
LIMITS = ("trainer.max_epochs", "trainer.max_steps", "trainer.max_time")
"""The options a resume may change that decide how long the run trains."""
MAX_TIME = "max_time"
"""What a checkpoint records as the reason its training ended (``training_ended``) for a run its ``max_time`` ended."""
CALLBACK_STOP = "a callback's stop"
"""What it records for a stop of another callback (before 2026-12-07 also for one of ``max_time``)."""


def started_limits(settings: dict[str, Any]) -> dict[str, Any]:
    """The limits of a new run's ``settings`` (see :func:`~blobclf.recorded.run_settings`), to record as
    :data:`STARTED`."""
    return {key: settings.get(key) for key in LIMITS}


def recorded_started(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """The limits the run of ``checkpoint`` was started with (empty for a checkpoint of blobclf before 2026-12-07)."""
    for state in checkpoint.get("callbacks", {}).values():
        training = state.get("training") if isinstance(state, dict) else None
        if isinstance(training, dict) and isinstance(training.get(STARTED), dict):
            return dict(training[STARTED])
    return {}


def seconds(max_time: Any) -> float | None:
    """``--trainer.max_time`` (``DD:HH:MM:SS``, a dict of ``timedelta`` arguments, a ``timedelta``) in seconds, as
    Lightning's ``Timer`` reads it; ``None`` for none or a value it refuses."""
    if max_time is None:
        return None
    try:
        return Timer(duration=max_time).time_remaining()  # nothing elapsed yet: the whole duration
    except (MisconfigurationException, TypeError, ValueError):
        return None


def time_trained(checkpoint: dict[str, Any]) -> float | None:
    """The seconds of training that the ``Timer`` of ``checkpoint`` counted (``max_time`` counts them), if any."""
    for key, state in checkpoint.get("callbacks", {}).items():
        elapsed = state.get("time_elapsed") if isinstance(state, dict) and key.startswith("Timer") else None
        value = elapsed.get("train") if isinstance(elapsed, dict) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def set_by_resume(option: str, value: Any, recorded: dict[str, Any], started: dict[str, Any]) -> str:
    """What to add after ``--trainer.OPTION VALUE`` where a resume finds the run at that limit: that an earlier resume
    set it, and the run's first value, where ``value`` is the run's recorded one and not the one it was started with."""
    key = f"trainer.{option}"
    if key not in started or value != recorded.get(key) or started[key] == value:
        return ""
    first = started[key]
    return f", set by a resume of the run, which was started with {'no limit' if first in (None, -1) else first}"


def shortened_note(option: str, given: Any, recorded: Any) -> str | None:
    """The note for a resume given a smaller ``--trainer.OPTION`` than the run's (``recorded``), which it records: later
    resumes train to it too. ``None`` where it is not smaller. ``max_time`` values are compared in seconds (no value:
    no limit), those of the epochs and steps as numbers (-1: no limit)."""
    if option == "max_time":
        if (limit := seconds(given)) is None or ((was_limit := seconds(recorded)) is not None and limit >= was_limit):
            return None
        was = "no limit" if recorded is None else recorded
    elif not isinstance(given, int) or not isinstance(recorded, int) or given == -1:
        return None
    elif recorded != -1 and given >= recorded:
        return None
    else:
        was = "no limit" if recorded == -1 else recorded
    return (f"note: --trainer.{option} {given} replaces the run's {was}, and is recorded: later resumes train to "
            f"{given} too, unless given another --trainer.{option}")


def check_time_limit(given: Any, recorded: Any, trained: float | None, path: str) -> None:
    """Refuse a resume given a ``--trainer.max_time`` other than the run's (``recorded``) that the run's ``trained``
    seconds have used up, as a ``max_epochs`` below the epochs done is refused: Lightning's ``Timer`` would stop it at
    once, training nothing, and nothing would record the value given.

    Raises:
        UserError: ``given`` is not the run's own and lies below the time trained.
    """
    limit = seconds(given)
    if limit is None or trained is None or limit >= trained or limit == seconds(recorded):
        return
    own = "no limit" if recorded is None else recorded
    raise UserError(f"--trainer.max_time={given} is below the {trained:.1f} s of training {path!r} has done; give a "
                    f"longer one to train on, or drop the option to keep the run's own ({own})")


def max_time_text(given: Any, trained: float | None, done: int, by: str = "") -> str:
    """How a run that its ``max_time`` ended, ``done`` epochs in, stands for a resume given ``--trainer.max_time
    GIVEN`` (the run's own: :func:`check_time_limit` refuses another used-up one), which trains nothing; ``by`` is what
    :func:`set_by_resume` adds where a resume set it."""
    spent = f"{trained:.1f} s of training, " if trained is not None else ""
    return (f"has trained its --trainer.max_time {given}{by} ({spent}stopped after epoch {done - 1}); a longer "
            "--trainer.max_time trains on, for the time above it")


def started_time_limit(checkpoint: dict[str, Any], path: str, start_configs: list[Path]) -> Any:
    """The ``--trainer.max_time`` the run of ``checkpoint`` was started with, where a resume by blobclf before
    2026-12-07 dropped it: that blobclf recorded a dict ``max_time`` split (``trainer.max_time.seconds``), which its
    resume's parser had no option for, so the resume trained without the limit and recorded ``max_time: None``; its
    run's ``config.yaml`` (written at the start, first of ``start_configs`` that exists) still names it. ``None``
    where the checkpoint records the run's start (:data:`STARTED`), a time limit, or no run's ``config.yaml`` is
    found."""
    if recorded_started(checkpoint):
        return None
    settings = [state["training"]["settings"] for state in checkpoint.get("callbacks", {}).values()
                if isinstance(state, dict) and isinstance(state.get("training"), dict)
                and isinstance(state["training"].get("settings"), dict)]
    if not settings or "trainer.max_time" not in settings[0] or settings[0]["trainer.max_time"] is not None:
        return None
    for config in start_configs:
        try:
            trainer = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("trainer") or {}
        except (OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError):
            continue
        value = trainer.get("max_time") if isinstance(trainer, dict) else None
        if isinstance(value, str) and value.startswith("{"):
            with contextlib.suppress(yaml.YAMLError):
                value = yaml.safe_load(value)  # written as the text of a dict ('{''seconds'': 1}')
        if value is not None:
            return value
    return None


def dropped_time_text(path: str, value: Any, max_epochs: Any) -> str:
    """The refusal of a plain resume of a run whose ``max_time`` an older blobclf's resume dropped (see
    :func:`started_time_limit`)."""
    until = f"to its --trainer.max_epochs {max_epochs}" if max_epochs not in (None, -1) else "without an end"
    return (f"{path!r} is of a run started with --trainer.max_time {value}, which a resume by blobclf before "
            f"2026-12-07 dropped: the run records no time limit since, and would train on {until}; give "
            "--trainer.max_time again (the time trained before is not counted), or --trainer.max_time null to train "
            "without one")
