"""``--help`` as text to read: the documentation's markup taken out, blobclf's titles for the groups that
LightningCLI titles from torch, blobclf's texts for the Trainer options whose Lightning texts do not
hold in blobclf, and every other help text of the command line (the top-level and per-subcommand texts,
``--seed_everything``, ``--ckpt_path``, ``--weights_only``)."""

from __future__ import annotations

import copy
import re
from argparse import Action
from typing import Any, ClassVar

from jsonargparse import DefaultHelpFormatter

from blobclf.checks import shown_in_help
from blobclf.data import SplitDataModule

ROLE = re.compile(r":[a-z]+:`(~?)([^`]+)`")
LITERAL = re.compile(r"``(.+?)``")
TITLES = {
    "Base class for all optimizers": (
        "The optimizer", "--optimizer NAME: any torch.optim class (default: SGD with lr 0.1); --optimizer.help NAME "
        "lists its options"),
    "(<class 'torch.optim.lr_scheduler.LRScheduler'>, <class 'lightning.pytorch.cli.ReduceLROnPlateau'>)": (
        "A learning rate scheduler", "--lr_scheduler NAME: any torch.optim.lr_scheduler class (default: none); "
        "--lr_scheduler.help NAME lists its options"),
    # the data group lists no data module's options (it takes a class); say where they are
    (SplitDataModule.__doc__ or "").split("\n", 1)[0].rstrip("."): (
        (SplitDataModule.__doc__ or "").split("\n", 1)[0].rstrip("."),
        "Their options: --data.help BlobDataModule, --data.help TableDataModule (a table's run starts with "
        "--data TableDataModule, or --config configs/table.yaml)"),
}
"""Group titles that LightningCLI takes from torch (the optimizer's docstring) or writes as a Python tuple,
as blobclf's title and text; and a text for the data group."""


RUN_CHECKPOINT_TITLE = "ModelCheckpoint writing to checkpoints/version_N"
"""The title of the ``--checkpoint`` group (the first line of
:class:`blobclf.runcheckpoint.RunCheckpoint`'s docstring)."""
RUNS_TITLE = "The folder of the runs, where --ckpt_path last and best look"
"""That group's title in the help of ``validate``, ``test`` and ``predict``, which list only its ``root``."""
EVAL_TITLES = {
    RUN_CHECKPOINT_TITLE: RUNS_TITLE,
    "Customize every aspect of training via flags": (
        "The Trainer: how the checkpoint is evaluated (devices, precision, batch limits, logger, callbacks)"),
    "Trains a BlobModel as the tutorial does": (
        "The model's settings: taken from the checkpoint; a value given must equal it"),
}
"""The titles of the groups of fit's help (LightningCLI's for the Trainer, the first line of
:class:`blobclf.system.BlobClassifier`'s docstring for the model) as the help of ``validate``, ``test`` and ``predict``
gives them: an evaluation trains nothing, and takes its model's settings from the checkpoint (see
:class:`blobclf.resumesettings.CheckpointSettings`); the options only training uses are left out
(see :data:`blobclf.checks.USED_BY`)."""


def plain(text: str | None) -> str | None:
    """A docstring's text without its reStructuredText markup, as the help shows it.

    ``:class:`~blobclf.model.BlobModel``` is ``BlobModel`` (``~`` keeps the last name, as Sphinx
    does), ``:func:`torch.inference_mode``` is ``torch.inference_mode``, and a literal
    ````null```` is ``null``. The option docs of blobclf and Lightning are written for Sphinx; in a
    terminal the markup is noise (Lightning's ``--trainer.barebones`` help was a third
    ``:paramref:`~lightning.pytorch.trainer.trainer.Trainer...``` text).

    Args:
        text: A help text, group title or description (``None`` for none).
    """
    if not text:
        return text
    text = ROLE.sub(lambda found: found.group(2).rsplit(".", 1)[-1] if found.group(1) else found.group(2), text)
    return LITERAL.sub(r"\1", text)


class HelpFormatter(DefaultHelpFormatter):
    """jsonargparse's help (types, defaults, known subclasses) with :func:`plain` texts; a subcommand's lists only
    the options it uses (see :meth:`for_subcommand`)."""

    subcommand: ClassVar[str | None] = None
    """The subcommand whose help this formats (``None``: the top level, or a class's ``--data.help``)."""

    @classmethod
    def for_subcommand(cls, subcommand: str) -> type[HelpFormatter]:
        """The formatter of ``subcommand``'s help, which leaves out the options that its command line refuses
        because it would ignore them (``test --export.onnx``; see :func:`blobclf.checks.shown_in_help`), and a
        group left with none."""
        return type(f"{subcommand.title()}HelpFormatter", (cls,), {"subcommand": subcommand})

    def start_section(self, heading: str | None) -> None:
        title, text = TITLES.get(heading or "", (heading, None))
        if self.subcommand in EVAL_SUBCOMMANDS:
            title = EVAL_TITLES.get(plain(title) or "", title)
        super().start_section(plain(title))
        self.held: list[str | None] = [text] if text else []
        """The section's texts, written before its first option shown (a section without one is left out)."""

    def add_text(self, text: str | None) -> None:
        if getattr(self, "held", None) is not None:
            self.held.append(text)
        else:
            super().add_text(plain(text))

    def end_section(self) -> None:
        self.held = None
        super().end_section()

    def add_argument(self, action: Action) -> None:
        if self.subcommand and action.option_strings and not shown_in_help(action.option_strings, self.subcommand):
            return
        for text in getattr(self, "held", None) or ():
            super().add_text(plain(text))
        self.held = None
        text = (EVAL_HELP.get(action.dest) if self.subcommand in EVAL_SUBCOMMANDS else None) or DEFAULT_HELP.get(
            action.dest, action.help)
        if text and plain(text) != action.help:
            action = copy.copy(action)  # the parser's own action keeps its text
            action.help = plain(text)
        super().add_argument(action)


def with_plain_help(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Parser arguments with :class:`HelpFormatter` as the formatter, unless another is given."""
    return {"formatter_class": HelpFormatter, **kwargs}


TRAINER_HELP = {
    "max_epochs": (
        "Stop training once this number of epochs is reached; -1: no limit. A new run that sets none of "
        "max_epochs, max_steps and max_time trains the tutorial's 100 epochs (Lightning alone would train "
        "1000); a resumed run keeps its own, or is extended to a larger number."),
    "max_steps": (
        "Stop training after this number of optimizer steps (one a minibatch, or one per accumulate_grad_batches "
        "minibatches); -1: no limit. With max_steps and "
        "no max_epochs, a new run trains until max_steps is reached."),
    "num_sanity_val_steps": (
        "Validation batches run as a check before training starts (-1: all of them); blobclf's default 0 runs none."),
    "deterministic": (
        "Use deterministic algorithms (torch.use_deterministic_algorithms): true, blobclf's default (a run "
        "repeated gives the same numbers); false; or 'warn' to only warn about operations that have none."),
    "enable_progress_bar": (
        "Show training progress: Lightning's progress bar in a terminal, the tutorial's line every 10 epochs "
        "in a log file or pipe; false shows neither."),
    "enable_checkpointing": (
        "A blobclf run always keeps checkpoints (last.ckpt resumes it, the best one is tested): false is refused; "
        "to write fewer, use --checkpoint.save_top_k 0 and --checkpoint.save_last false."),
    "barebones": (
        "Lightning's mode without logger, checkpoints and progress bar: true is refused, since a blobclf run is made "
        "of its logs and checkpoints; for speed, use --trainer.enable_progress_bar false "
        "--trainer.enable_model_summary false --export.figures false --export.onnx false."),
    "model_registry": (
        "Not used by blobclf, which refuses it: Lightning uploads to a model registry only through the checkpoint "
        "callback it adds when there is none, and a blobclf run has its own (--checkpoint)."),
    "default_root_dir": (
        "Not used by blobclf, which refuses it: runs go to --checkpoint.root (checkpoints) and the logger's "
        "save_dir (lightning_logs, --trainer.logger.init_args.save_dir)."),
}
"""blobclf's help for the Trainer options whose Lightning text says what blobclf does not do (max_epochs:
"defaults to max_epochs = 1000"; num_sanity_val_steps: "Default: 2"; deterministic: "defaults to False";
enable_checkpointing, barebones, model_registry and default_root_dir offer what blobclf refuses)."""


DEFAULT_HELP = {
    "trainer.logger": (
        "Logger (or list of loggers) for experiment tracking. blobclf's default, RunLogger, is a TensorBoardLogger "
        "whose x-axis is the epoch, writing lightning_logs/version_N; true: Lightning's TensorBoardLogger (or "
        "CSVLogger); false: no logger. With several, local files are saved in the first one's log_dir."),
    "trainer.plugins": (
        "Plugins that change Lightning's core behaviour. blobclf's default, AtomicCheckpointIO, writes each "
        "checkpoint through a temporary file renamed over it (a reader sees the old file or the whole new one); "
        "--trainer.plugins X replaces it, --trainer.plugins+ X adds to it."),
    "trainer.log_every_n_steps": (
        "How often, in training steps, step values are logged: blobclf's own metrics are logged once an epoch "
        "whatever it is; it paces callbacks that log by step (LearningRateMonitor's logging_interval 'step'). "
        "null: Lightning's 50."),
}
"""blobclf's help for the Trainer options whose Lightning text says "Default: True." (logger) or "Default: None."
(plugins) where blobclf's default is another, or "Default: 50." where the default shown is null (log_every_n_steps);
by each option's destination (the type and default shown stay those of the parser)."""


SMALL_BATCH = 4096
"""The largest training batch (``--data.batch_size``) for which ``--threads null`` runs ``fit``, ``validate`` and
``test`` on one thread."""


EVAL_SUBCOMMANDS = ("validate", "test", "predict")
EVAL_HELP = {
    # fit's texts said the seed and thread count are recorded in the run's config.yaml: an evaluation records
    # neither, and its results do not depend on the seed (the same predictions file with 7, 42 and false)
    "seed_everything": (
        "The seed of every random number generator, set before anything is built; an evaluation draws nothing at "
        "random (its split comes from the data settings the checkpoint records), so its results are the same "
        "whatever the seed: true, false or an integer from 0 to 4294967295."),
    "threads": (
        "torch intra-op CPU threads (more than the machine's CPUs run on its CPUs). null applies blobclf's policy: 1 "
        f"thread for validate and test when the run's training batches hold at most {SMALL_BATCH} samples (small "
        "steps run faster on one thread), torch's default otherwise and for predict."),
    "trainer.enable_progress_bar": (
        "Show the evaluation's progress: Lightning's progress bar in a terminal (nothing in a log file or pipe); "
        "false shows none."),
    "trainer.enable_checkpointing": "An evaluation writes no checkpoint: false is refused, as in fit.",
    "trainer.barebones": (
        "Lightning's mode without logger, checkpoints and progress bar: true is refused, since a blobclf run is made "
        "of its logs and checkpoints; for speed, use --trainer.enable_progress_bar false."),
}
"""blobclf's help, in an evaluation's ``--help``, for the options whose fit text speaks of training (by destination)."""


SEED_HELP = (
    "The seed of every random number generator, set before anything is built: an integer from 0 to 4294967295 "
    "(a run repeated gives the same numbers); true: the PL_GLOBAL_SEED environment variable's seed, else 0 "
    "(not a random one), recorded in the run's config.yaml; false: no seeding.")
"""blobclf's help for ``--seed_everything`` (LightningCLI's ran two sentences together: "before classes
instantiation.Set to True to use a random seed.", where Lightning's seed_everything without a seed
takes PL_GLOBAL_SEED, else 0)."""


CKPT_PATH_HELP = (
    "Checkpoint to start from: fit resumes that run with every setting it was started with; "
    "validate, test and predict evaluate it. A .ckpt file written by 'blobclf fit', or 'last' / 'best' "
    "of the run with the highest version_N under --checkpoint.root (not necessarily the one trained last)."
)
RETURN_PREDICTIONS_HELP = (
    "Also keep every prediction in memory, as Trainer.predict's return value, which the command line does not use "
    "(the predictions are in the CSV it writes); null: false.")
WEIGHTS_ONLY_HELP = (
    "blobclf always loads checkpoints with weights_only=True (only tensors and plain values, no code); "
    "false is refused (null means true)."
)


TUTORIAL_EPOCHS = 100
"""Epochs of a new run that sets no limit (no ``max_epochs``, ``max_steps`` or ``max_time``): the
tutorial's, so ``blobclf fit`` without a config (an installed package has no ``configs/``) is the
tutorial's run rather than Lightning's 1000 epochs."""


def description(program: str) -> str:
    """The top-level help text under the usage line."""
    return (f"blobclf: a PyTorch Lightning classifier (the PyTorch multiclass tutorial's MLP on scikit-learn "
            f"blobs, or on a CSV table of yours). '{program} fit' runs the tutorial; '{program} fit --data "
            f"TableDataModule --data.path TABLE.csv --data.target COLUMN' trains on a table; '{program} SUBCOMMAND "
            f"--help' lists a subcommand's options.")


ALL_LISTED = "Every option is listed below; a data module's with --data.help BlobDataModule (or TableDataModule)."
EVAL_LISTED = ("Every option it takes is listed below (a --config file may also hold fit's); a data module's with "
               "--data.help BlobDataModule (or TableDataModule).")
FIT_COMMON = (
    "Most used: --config FILE, --ckpt_path last|best|PATH (resume), --trainer.max_epochs N (a new run without "
    f"max_steps or max_time: {TUTORIAL_EPOCHS}, the tutorial's), --trainer.accelerator cpu|gpu|auto, "
    "--data.batch_size N, --optimizer CLASS --optimizer.lr X, --data TableDataModule --data.path CSV "
    "--data.target COLUMN, --threads N, --checkpoint.root DIR. " + ALL_LISTED
)
EVAL_COMMON = (
    "Most used: --ckpt_path last|best|PATH (required; the checkpoint carries its settings, no --config "
    "needed), --data.eval_batch_size N, --trainer.accelerator cpu|gpu|auto, --threads N, --checkpoint.root DIR"
)
SUBCOMMAND_SUMMARY = {
    "fit": "Train a classifier (a new run in checkpoints/version_N), or resume one with --ckpt_path.",
    "validate": "Evaluate a checkpoint on the split its run validated on (the test split, unless it was trained "
                "with --data.val_size).",
    "test": "Evaluate a checkpoint on the test split; writes test_report-<checkpoint>.json beside it.",
    "predict": ("Predict with a checkpoint: the test split, or --data.predict_file CSV; writes "
                "predictions-<checkpoint>-<input>.csv beside it."),
}
"""What each subcommand does, in one sentence: its line in the top-level help, and the start of its own help."""
SUBCOMMAND_HELP = {
    "fit": SUBCOMMAND_SUMMARY["fit"] + " " + FIT_COMMON,
    "validate": SUBCOMMAND_SUMMARY["validate"] + " " + EVAL_COMMON + ". " + EVAL_LISTED,
    "test": SUBCOMMAND_SUMMARY["test"] + " " + EVAL_COMMON + ", --data.test_path CSV (a table run). " + EVAL_LISTED,
    "predict": (SUBCOMMAND_SUMMARY["predict"] + " " + EVAL_COMMON
                + ", --data.predict_file CSV, --prediction.output PATH, --prediction.overwrite true, "
                "--prediction.top_k N. " + EVAL_LISTED),
}
"""Each subcommand's help text, shown right under its one-line usage: what it does, its common options."""
