"""A run's ``config.yaml``: written once when the run starts, never rewritten by a later command; settings
YAML cannot write (an enum, a ``torch.device``) replaced by values that mean the same."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.cli import LightningArgumentParser, SaveConfigCallback
from typing_extensions import override

from blobclf.atomic import atomic_write_text
from blobclf.runcheckpoint import run_checkpoint
from blobclf.recorded import callback_list


class RunConfig(SaveConfigCallback):
    """Save the resolved config into the run's log folder (its checkpoint folder without a logger), atomically.

    The first command of a run writes ``config.yaml`` (without ``ckpt_path``); ``fit --config`` on
    it repeats the run. Evaluations (validate, test, predict) write nothing here.
    Every later command that logs into the same folder (a resume) writes ``resume-K.yaml``
    beside it (K = 1, 2, ...), so the record of how the run started is never replaced.

    Args:
        parser: The parser that parsed the config (given by LightningCLI).
        config: The parsed config (given by LightningCLI).
        config_filename: Name of the first config file.
        overwrite: Unused (nothing is overwritten); kept for LightningCLI's signature.
        multifile: Unused; the config is one file.
        save_to_log_dir: Unused; this callback always writes into the run's log (or checkpoint) folder.
    """

    def __init__(
        self,
        parser: LightningArgumentParser,
        config: Any,
        config_filename: str = "config.yaml",
        overwrite: bool = False,
        multifile: bool = False,
        save_to_log_dir: bool = True,
    ) -> None:
        super().__init__(parser, config, config_filename, overwrite=False, multifile=False, save_to_log_dir=False)

    @override
    def save_config(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if stage != "fit":
            return  # an evaluation is not a run: it leaves the run's record as it is
        logger = trainer.logger
        log_dir = getattr(logger, "log_dir", None) if logger is not None else None
        checkpoint = run_checkpoint(trainer)
        # without a logger (--trainer.logger false) the run's record goes into its own checkpoint folder, not into
        # the folder the command ran in (where every such run wrote the same config.yaml)
        folder_name = log_dir or (checkpoint.dirpath if checkpoint is not None else None)
        if not folder_name:
            return  # no run folder (a fast_dev_run saves nothing)
        folder = Path(folder_name)
        target = folder / self.config_filename
        if target.exists():
            number = 1
            while (folder / f"resume-{number}.yaml").exists():
                number += 1
            target = folder / f"resume-{number}.yaml"
        config = self.config.clone()
        if target.name == self.config_filename and "ckpt_path" in config:
            # config.yaml describes the run, not where a command started it from: without the key,
            # 'fit --ckpt_path last --config config.yaml' still resumes (a null would override it)
            del config["ckpt_path"]
        atomic_write_text(target, self.parser.dump(config, skip_unset=False))


def enum_values(trainer: Any) -> None:
    """Replace enum and ``torch.device`` defaults in the callbacks' and loggers' arguments by their values.

    ``Timer``'s ``interval`` defaults to ``Interval.step``, an enum YAML cannot write: LightningCLI's dump
    of the config (when it builds the model) ended in a traceback. Its value, ``"step"``, means the same.
    ``StochasticWeightAveraging``'s ``device`` defaults to ``torch.device("cpu")``, which the dump wrote as
    ``device: Unable to serialize instance cpu`` in the run's ``config.yaml`` (``fit --config`` on it failed);
    ``"cpu"`` means the same.
    """
    for key in ("callbacks", "logger"):
        for item in callback_list(trainer.get(key)):
            init = item.get("init_args") if hasattr(item, "get") else None
            for name, value in (init.items() if hasattr(init, "items") else []):
                if isinstance(value, enum.Enum):
                    init[name] = value.value
                elif isinstance(value, torch.device):
                    init[name] = str(value)
