"""A run's settings and final metrics in TensorBoard's HParams dashboard."""

from __future__ import annotations

from typing import Any

import lightning as L
import yaml
from lightning.pytorch.loggers import TensorBoardLogger


HPARAM_METRIC_PREFIX = "hp/"
"""TensorBoard tags of a run's final metrics in the HParams dashboard (``hp/val_acc``, ...): tags of
their own, so that the curves keep one point per epoch."""


def hparams_of(extra: dict[str, Any]) -> dict[str, Any]:
    """The settings shown in TensorBoard's HParams dashboard, from ``model.json``'s: model and data
    settings, optimizer and scheduler (class and arguments), epochs and seed, as flat scalars."""
    shown_params: dict[str, Any] = {f"model/{k}": v for k, v in extra.get("model", {}).items()}
    shown_params.update({f"data/{k}": v for k, v in extra.get("data", {}).items()})
    for key in ("optimizer", "lr_scheduler"):
        setting = extra.get(key)
        if isinstance(setting, dict):
            shown_params[key] = setting.get("class_path", "").rsplit(".", 1)[-1]
            shown_params.update({f"{key}/{k}": v for k, v in (setting.get("init_args") or {}).items()})
    settings = extra.get("settings") or {}
    for key in ("trainer.max_epochs", "seed_everything"):
        if key in settings:
            shown_params[key.replace(".", "/")] = settings[key]
    shown_params["epochs"] = extra.get("epochs")
    shown = {key: hparam_value(value) for key, value in shown_params.items()}
    return {key: value for key, value in shown.items() if value is not None}


def hparam_value(value: Any) -> int | float | str | None:
    """A setting as the HParams dashboard shows it: a number or text as it is; a boolean as ``true`` or ``false``
    (torch's writer stores a boolean as the number 1 or 0); a list or mapping as a config file writes it
    (``[x0, x1]``, not Python's ``['x0', 'x1']``); ``None`` (not set) as no value, a blank cell, not ``'None'``."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).lower()
    if isinstance(value, (int, float, str)):
        return value
    return yaml.safe_dump(_plain(value), default_flow_style=True, width=float("inf")).strip()


def _plain(value: Any) -> Any:
    """``value`` as data YAML writes: lists for sequences, dicts for mappings, text for anything else."""
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value if value is None or isinstance(value, (bool, int, float, str)) else str(value)


def log_hparams(trainer: L.Trainer, extra: dict[str, Any], metrics: dict[str, float]) -> None:
    """Add the run to TensorBoard's HParams dashboard with its settings and final metrics."""
    final = {HPARAM_METRIC_PREFIX + k.replace("/", "_"): v for k, v in metrics.items()}
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger) and final:
            logger.log_hyperparams(hparams_of(extra), metrics=final, step=trainer.current_epoch)
            logger.save()
