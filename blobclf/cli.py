"""``python -m blobclf``: LightningCLI over the blob data module and classifier."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, NoReturn

from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from blobclf.callbacks import ExportWeights, RngState, RunCheckpoint
from blobclf.data import BlobDataModule
from blobclf.errors import UserError
from blobclf.logger import CHECKPOINT_ROOT
from blobclf.safeload import load_checkpoint
from blobclf.system import BlobClassifier

DEBUG_ENV = "BLOBCLF_DEBUG"
EVAL_COMMANDS = ("validate", "test", "predict")


def one_line(message: str) -> str:
    """Collapse a multi-line parser message into one line."""
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    return re.sub(r"\s+", " ", ": ".join(lines)).replace(":: ", ": ")


class BlobArgumentParser(LightningArgumentParser):
    """A parser whose errors are one line on stderr (``BLOBCLF_DEBUG=1`` restores the details)."""

    def error(self, message: str, ex: Exception | None = None) -> NoReturn:
        if os.environ.get(DEBUG_ENV) or not self.exit_on_error:
            super().error(message, ex)
        sys.stderr.write(f"blobclf: error: {one_line(message)} (see --help)\n")
        sys.exit(2)


class BlobCLI(LightningCLI):
    """LightningCLI wired for blobclf: linked shapes, run folders, safe checkpoints."""

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_lightning_class_args(RunCheckpoint, "checkpoint")
        parser.link_arguments("data.num_features", "model.num_features", apply_on="instantiate")
        parser.link_arguments("data.num_classes", "model.num_classes", apply_on="instantiate")

    def before_instantiate_classes(self) -> None:
        config = self.config[self.subcommand]
        trainer = config.trainer
        max_epochs = trainer.get("max_epochs")
        if max_epochs is not None and max_epochs < -1:
            raise UserError(f"--trainer.max_epochs={max_epochs} is invalid: use -1 (no limit) or a number >= 0")
        ckpt_path = config.get("ckpt_path")
        if self.subcommand in EVAL_COMMANDS and not ckpt_path:
            raise UserError(
                f"'{self.subcommand}' needs --ckpt_path PATH (a .ckpt written by 'blobclf fit', or 'last'/'best' "
                "for the newest run); without it there is no trained model to evaluate"
            )
        if config.get("weights_only") is False:
            raise UserError("--weights_only=false is refused: blobclf loads checkpoints with weights_only=True only")
        if "weights_only" in config:
            config.weights_only = True


def cli_main(args: list[str] | None = None) -> None:
    """Run the blobclf command line; user errors end in one line on stderr and exit status 2."""
    try:
        BlobCLI(
            BlobClassifier,
            BlobDataModule,
            parser_class=BlobArgumentParser,
            seed_everything_default=42,
            auto_configure_optimizers=False,
            save_config_kwargs={"overwrite": True},
            trainer_defaults={
                "logger": {"class_path": "blobclf.logger.RunLogger"},
                "callbacks": [ExportWeights(), RngState()],
                "num_sanity_val_steps": 0,
                "deterministic": True,
            },
            args=args,
        )
    except (UserError, MisconfigurationException) as error:
        if os.environ.get(DEBUG_ENV):
            raise
        sys.stderr.write(f"blobclf: error: {one_line(str(error))}\n")
        sys.exit(2)
