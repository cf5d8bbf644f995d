"""A run's ``config.yaml``: written once when the run starts, never rewritten by a later command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.cli import LightningArgumentParser, SaveConfigCallback
from typing_extensions import override

from blobclf.atomic import atomic_write_text


class RunConfig(SaveConfigCallback):
    """Save the resolved config into the run's log folder, atomically.

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
        save_to_log_dir: Unused; this callback always writes into the run's log folder.
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
        folder = Path(getattr(logger, "log_dir", None) or trainer.default_root_dir)
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
