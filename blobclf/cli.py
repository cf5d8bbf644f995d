"""``python -m blobclf``: LightningCLI over the blob data module and classifier."""

from __future__ import annotations

import gc
import os
import re
import sys
from pathlib import Path
from typing import Any, NoReturn, Optional

import torch
from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI
from lightning.pytorch.utilities import rank_zero_info

from blobclf.callbacks import RngState, RunCheckpoint, RunExport, TestReport
from blobclf.data import BlobDataModule, split_sizes
from blobclf.errors import UserError
from blobclf.predictions import PredictionWriter
from blobclf.runs import resolve_checkpoint, run_version
from blobclf.safeload import load_checkpoint
from blobclf.system import BlobClassifier
from blobclf.types import PositiveInt

DEBUG_ENV = "BLOBCLF_DEBUG"
EVAL_COMMANDS = ("validate", "test", "predict")
LINKED = ("num_features", "num_classes")
SMALL_BATCH = 4096
# settings a checkpoint records but that a later command may change without contradicting it
FREE = ("data.eval_batch_size", "data.predict_file")


def one_line(message: str) -> str:
    """Collapse a multi-line parser message into one line, keeping the reason that matters."""
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    text = re.sub(r"\s+", " ", ": ".join(lines)).replace(":: ", ": ")
    union = re.match(r'(Parser key "[^"]+"): Does not validate against any of the Union subtypes.*?Errors: - (.*?)(?: - |$)', text)
    if union:
        given = re.search(r"Given value: (.*?)(?: \(see|$)", text)
        value = f"{given.group(1)} is invalid: " if given else ""
        text = f"{union.group(1)}: {value}{union.group(2).rstrip(': ')} (or null)"
    return text


class BlobArgumentParser(LightningArgumentParser):
    """A parser whose errors are one line on stderr (``BLOBCLF_DEBUG=1`` restores the details)."""

    def error(self, message: str, ex: Exception | None = None) -> NoReturn:
        if os.environ.get(DEBUG_ENV) or not self.exit_on_error:
            super().error(message, ex)
        sys.stderr.write(f"blobclf: error: {one_line(message)} (see --help)\n")
        sys.exit(2)


def _training_batch(data: Any) -> int:
    """Samples per training batch that the data settings give."""
    if data.get("batch_size"):
        return int(data.batch_size)
    return split_sizes(int(data.n_samples), float(data.test_size), data.get("val_size"))["train"]


def _has_option(parser: LightningArgumentParser, key: str) -> bool:
    try:
        parser.get_default(key)
    except KeyError:
        return False
    return True


class BlobCLI(LightningCLI):
    """LightningCLI wired for blobclf: linked shapes, run folders, safe checkpoints."""

    def __init__(self, *pargs: Any, args: Any = None, **kwargs: Any) -> None:
        argv = sys.argv[1:] if args is None else args
        first = argv[0] if isinstance(argv, (list, tuple)) and argv else None
        # The parser of the subcommand being run is the only one built (see ``subcommands``).
        self._only = first if isinstance(first, str) and first in LightningCLI.subcommands() else None
        super().__init__(*pargs, args=args, **kwargs)

    def subcommands(self) -> dict[str, set[str]]:  # type: ignore[override]
        """Lightning's subcommands; only the one being run when the command line starts with it.

        LightningCLI builds a full parser (every Trainer, model and data option, with their
        types and docstrings) for each subcommand up front; the three unused ones cost about
        0.1 s of every command here.
        ``blobclf fit ...`` needs only ``fit``'s; ``blobclf --help`` still lists them all.
        """
        every = LightningCLI.subcommands()
        return every if self._only is None else {self._only: every[self._only]}

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_lightning_class_args(RunCheckpoint, "checkpoint")
        parser.add_lightning_class_args(PredictionWriter, "prediction")
        parser.add_lightning_class_args(RunExport, "export")
        parser.add_argument(
            "--threads",
            type=Optional[PositiveInt],
            default=None,
            help=(
                "torch intra-op CPU threads. null applies blobclf's measured policy: 1 thread when "
                f"training batches hold at most {SMALL_BATCH} samples (full-batch tutorial scale), "
                "where a second thread gained nothing on an idle 2-core machine and was several times "
                "slower on a busy one; torch's default otherwise and for predict."
            ),
        )
        parser.link_arguments("data.num_features", "model.num_features", apply_on="instantiate")
        parser.link_arguments("data.num_classes", "model.num_classes", apply_on="instantiate")

    def instantiate_trainer(self, **kwargs: Any) -> Any:
        """The trainer, without the callbacks that the running subcommand never uses.

        Every callback costs a few microseconds on each of the dozens of hooks an epoch calls;
        for this model that is a noticeable share of an epoch.
        """
        trainer = super().instantiate_trainer(**kwargs)
        unused = {
            "fit": (PredictionWriter, TestReport),
            "validate": (PredictionWriter, TestReport, RunExport, RngState),
            "test": (PredictionWriter, RunExport, RngState),
            "predict": (TestReport, RunExport, RngState),
        }.get(self.subcommand or "fit", ())
        trainer.callbacks = [c for c in trainer.callbacks if not isinstance(c, unused)]
        return trainer

    def parse_arguments(self, parser: LightningArgumentParser, args: Any) -> None:
        """Parse, then take the model and data settings of ``--ckpt_path`` as defaults.

        A checkpoint carries the hyperparameters of the run that wrote it, so ``test --ckpt_path``
        needs no config. An explicit option that contradicts the checkpoint is refused rather
        than silently overridden in either direction.
        """
        super().parse_arguments(parser, args)
        self.resume_version: int | None = None
        subcommand = self.config.get("subcommand")
        ckpt_path = self.config[subcommand].get("ckpt_path") if subcommand else None
        if not ckpt_path:
            return
        root = self.config[subcommand].checkpoint.root
        path = resolve_checkpoint(str(ckpt_path), root)
        checkpoint = load_checkpoint(path)
        stored = {
            **{f"model.{k}": v for k, v in checkpoint.get("hyper_parameters", {}).items()},
            **{f"data.{k}": v for k, v in checkpoint.get("datamodule_hyper_parameters", {}).items()},
        }
        subcommand_parser = self._parser(subcommand)
        known = {
            key: value
            for key, value in stored.items()
            if not key.rsplit(".", 1)[1].startswith("_")
            and not key.endswith(LINKED)
            and key not in FREE
            and _has_option(subcommand_parser, key)
        }
        subcommand_parser.set_defaults(known)
        super().parse_arguments(parser, args)
        given = self.config[subcommand]
        for key, value in known.items():
            if given[key] != value:
                raise UserError(
                    f"--{key}={given[key]!r} conflicts with the checkpoint {path!r}, which was trained with "
                    f"{key}={value!r}; drop the option (the checkpoint's value is used) or pass another checkpoint"
                )
        given.ckpt_path = path
        if subcommand == "fit":
            self.resume_version = run_version(path, root)
            self.resume_epoch = int(checkpoint.get("epoch", -1)) + 1

    def _parse_ckpt_path(self) -> None:
        """Done in :meth:`parse_arguments`, for data settings too and with conflicts refused."""

    def before_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        threads = config.get("threads")
        if threads is None and self.subcommand != "predict" and _training_batch(config.data) <= SMALL_BATCH:
            threads = 1
        if threads is not None:
            torch.set_num_threads(int(threads))
        config.threads = torch.get_num_threads()  # recorded in the run's config.yaml
        rank_zero_info(f"torch threads: {config.threads} (--threads to change)")
        trainer = config.trainer
        max_epochs = trainer.get("max_epochs")
        if max_epochs is not None and max_epochs < -1:
            raise UserError(f"--trainer.max_epochs={max_epochs} is invalid: use -1 (no limit) or a number >= 0")
        accelerator = trainer.get("accelerator")
        if accelerator in ("gpu", "cuda") and not torch.cuda.is_available():
            raise UserError(
                f"--trainer.accelerator={accelerator} but this machine has no usable CUDA GPU; "
                "use --trainer.accelerator cpu (or auto)"
            )
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
        if self.subcommand == "predict" and config.get("return_predictions") is None:
            config.return_predictions = False  # the PredictionWriter keeps every prediction
        if self.subcommand == "fit":
            self._place_run(config)

    def _place_run(self, config: Any) -> None:
        """A resumed run continues in its own folders; a new run must not land in an existing one."""
        logger = config.trainer.get("logger")
        if not isinstance(logger, dict) and not hasattr(logger, "class_path"):
            return
        if logger.class_path != "blobclf.logger.RunLogger":
            return
        init = logger.init_args
        if self.resume_version is not None:
            if init.get("version") not in (None, self.resume_version):
                raise UserError(
                    f"--trainer.logger.init_args.version={init.version} conflicts with the resumed run "
                    f"version_{self.resume_version}; drop the option"
                )
            init.version = self.resume_version
            if "purge_step" in init:
                init.purge_step = self.resume_epoch
            return
        version = init.get("version")
        if version is None or config.get("ckpt_path"):
            return
        name = version if isinstance(version, str) else f"version_{version}"
        for folder in (Path(init.save_dir) / (init.get("name") or "") / name, Path(config.checkpoint.root) / name):
            if folder.exists():
                raise UserError(
                    f"run folder {os.fspath(folder)!r} already exists; choose another "
                    "--trainer.logger.init_args.version (or leave it unset for the next free one)"
                )


def cli_kwargs() -> dict[str, Any]:
    """The arguments ``cli_main`` builds :class:`BlobCLI` with (benchmarks and tests reuse them)."""
    return {
        "model_class": BlobClassifier,
        "datamodule_class": BlobDataModule,
        "parser_class": BlobArgumentParser,
        "seed_everything_default": 42,
        "auto_configure_optimizers": False,
        "save_config_kwargs": {"overwrite": True},
        "trainer_defaults": {
            "logger": {"class_path": "blobclf.logger.RunLogger"},
            "callbacks": [RngState(), TestReport()],
            "enable_progress_bar": False,
            "num_sanity_val_steps": 0,
            "deterministic": True,
        },
        "parser_kwargs": {"prog": "blobclf"},
    }


def close_process_group() -> None:
    """Shut down the distributed process group a DDP run opened, before the program exits.

    Lightning keeps the group open after ``fit`` (a process may go on to ``test``) and closes it
    at exit only for NCCL. With a gloo group left open until the interpreter exited, two-node runs
    on a loaded machine sometimes aborted a worker after its work was done ("terminate called
    without an active exception"; 7 of 46 runs, none of 21 once the group was closed here).
    Closing it is local to each process.
    """
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def cli_main(args: list[str] | None = None) -> None:
    """Run the blobclf command line; user errors end in one line on stderr and exit status 2."""
    try:
        BlobCLI(**cli_kwargs(), args=args)
    except (UserError, MisconfigurationException) as error:
        if os.environ.get(DEBUG_ENV):
            raise
        sys.stderr.write(f"blobclf: error: {one_line(str(error))}\n")
        sys.exit(2)
    finally:
        if args is None:
            close_process_group()
            # The program ends next. Interpreter shutdown runs full garbage collections over
            # every object the imports made (torch, Lightning, scipy: about 400,000), 0.5 s here;
            # frozen objects are skipped, and the OS reclaims the memory anyway.
            # Every output is already closed: files are written atomically, the logger finalized.
            gc.freeze()
