"""The settings that ``--ckpt_path``'s checkpoint brings to a command: :class:`CheckpointSettings`.

A checkpoint carries the model, data and optimizer settings of the run that wrote it (and, for a
resume, its trainer, checkpointing, export and seed settings), so ``test --ckpt_path`` needs no config.
They become the parser's defaults; an explicit option that contradicts the checkpoint is refused rather
than silently overridden in either direction. :class:`blobclf.cli.BlobCLI` parses its command line with them.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from jsonargparse import Namespace
from lightning.pytorch.cli import LightningArgumentParser
from lightning.pytorch.utilities import rank_zero_info

from blobclf.callbacks import epoch_values
from blobclf.checks import check_averaging_extension, check_extension, check_optimizer_state, epochs_done
from blobclf.classrefs import check_recorded_classes, unloaded_classes
from blobclf.errors import UserError
from blobclf.outputnames import file_state
from blobclf.parser import EVAL_COMMANDS, BlobArgumentParser
from blobclf.recorded import (
    CHANGEABLE,
    EVALUATION_MAY_CHANGE,
    FREE,
    LINKED,
    RECORDED,
    RESUME_KEEPS,
    SETTINGS,
    adds_callbacks,
    as_plain,
    comparable,
    difference,
    recorded_text_error,
)
from blobclf.runs import (
    LAST_NAME,
    logs_record_root,
    logs_where_started,
    newer_without_last,
    recorded_log_name,
    own_root,
    recorded_save_dir,
    resolve_checkpoint,
    run_config,
    run_version,
)
from blobclf.safeload import load_checkpoint
from blobclf.system import BlobClassifier, ModelTooLarge, evaluating, legacy_optimizer, model_settings
from blobclf.tablecli import (
    as_defaults,
    check_training_table,
    data_defaults,
    same_selection,
    same_setting,
    same_table,
    switch_data_class,
)

Parse = Callable[[LightningArgumentParser, Any], Namespace]
"""Parses a command line (``args``) with a parser and returns the command's whole configuration."""


@dataclass
class CheckpointSettings:
    """What the checkpoint of a command's ``--ckpt_path`` gave it; all empty for a command without one.

    Made empty, then filled by :meth:`read` once the command line is parsed.
    """

    ckpt_given: str = ""
    """``--ckpt_path`` as given (``last``, ``best`` or a path), before it was resolved."""
    recorded_settings: dict[str, Any] = field(default_factory=dict)
    """The settings of the run being resumed or evaluated, as its checkpoint records them."""
    model_hparams: dict[str, Any] = field(default_factory=dict)
    """The checkpoint's model hyperparameters."""
    run_logs: tuple[str, str, int] | None = None
    """The log root, checkpoint root and version of the checkpoint's run, found from the folder
    it was started in, for a command run in another folder (see :func:`logs_where_started`)."""
    resume_version: int | None = None
    """For a resume: the version of the run it goes on with, where the run has one."""
    resume_epoch: int = 0
    """For a resume: the epoch its logs restart at (see :class:`~blobclf.callbacks.RunCheckpoint`)."""
    finished: tuple[int, Any] | None = None
    """For a resume of a run that has trained its ``--trainer.max_epochs`` or ``max_steps``, or that stopped on its own
    (``ended``): its epochs and step (nothing to train)."""
    ended: str | None = None
    """For a resume of a run that stopped on its own: what stopped it (``EarlyStopping``), which stops its resume too."""
    read_last: tuple[str, Any, int] | None = None
    """For an evaluation of a ``last.ckpt``: its path, :func:`~blobclf.outputnames.file_state` and epoch, by which
    what the evaluation writes is named if a fit replaces the file meanwhile."""
    run_log_folder: tuple[str, str] | None = None
    """For an evaluation: the log root and logger name its checkpoint's run was given (see :func:`recorded_log_name`),
    where that name is not empty: the run's logs are in ``{root}/{name}/version_N``."""
    checked: tuple[str, dict[str, Any]] | None = None
    """For an evaluation: the path and contents of the checkpoint checked, for Lightning's load of it (see
    :meth:`~blobclf.checkpointio.AtomicCheckpointIO.hold`)."""

    def read(self, parser: BlobArgumentParser, args: Any, config: Namespace, parse: Parse) -> None:
        """Take the settings of ``config``'s checkpoint, if it names one, as the defaults and parse ``args`` again.

        Args:
            parser: The command's parser; the checkpoint's settings become its defaults.
            args: The command line, as given to :meth:`LightningCLI.parse_arguments`.
            config: The configuration of a first parse of ``args``.
            parse: Parses ``args`` again (the command's configuration becomes the new one).

        Raises:
            UserError: The checkpoint cannot serve the command, or an option contradicts it.
        """
        subcommand = config.get("subcommand")
        ckpt_path = config[subcommand].get("ckpt_path") if subcommand else None
        if not ckpt_path:
            return
        root = config[subcommand].checkpoint.root
        self.ckpt_given = str(ckpt_path)
        path = resolve_checkpoint(self.ckpt_given, root)
        passed_over = newer_without_last(Path(path).parent, root) if ckpt_path in ("last", "best") else []
        if passed_over:
            rank_zero_info(f"note: --ckpt_path {ckpt_path} is {path}: the newer "
                           f"{', '.join(os.fspath(run) for run in passed_over)} has no last.ckpt (stopped or "
                           "diverged before writing one, or still training)")
        state = file_state(path) if subcommand != "fit" and Path(path).name == LAST_NAME else None
        checkpoint = load_checkpoint(path)
        if state is not None:
            values = [epoch_values(s, checkpoint) for s in checkpoint.get("callbacks", {}).values()
                      if isinstance(s, dict) and isinstance(s.get("epoch_values"), dict)]
            epoch = values[0].get("epoch") if values and values[0] else checkpoint.get("epoch")
            if isinstance(epoch, int):
                self.read_last = (path, state, epoch)
        try:
            with evaluating() if subcommand in EVAL_COMMANDS else contextlib.nullcontext():
                system = BlobClassifier.check_checkpoint(checkpoint, path)  # builds the model of the weights' size
        except ModelTooLarge as error:
            raise UserError(model_too_large(error, subcommand, path)) from None
        if subcommand != "fit":
            # Lightning evaluates this very checkpoint, not the file as it is later: a fit training the run replaces
            # last.ckpt, and deletes the best checkpoint that 'best' named when it saves a better one (a resume reads
            # the file again once it holds the run's lock: no fit writes it then)
            self.checked = (path, checkpoint)
            if recorded_log_name(checkpoint):
                self.run_log_folder = (recorded_save_dir(checkpoint), recorded_log_name(checkpoint))
        self.model_hparams = dict(checkpoint.get("hyper_parameters") or {})
        stored = {
            "model.steps_per_execution": 1,  # a checkpoint written before the option ran one step at a time
            **{f"model.{k}": v for k, v in model_settings(self.model_hparams).items()},
            **data_defaults(checkpoint),
        }
        if legacy_optimizer(self.model_hparams) is not None:
            stored["optimizer"] = legacy_optimizer(self.model_hparams)
        if subcommand == "fit" and not any(isinstance(state, dict) and isinstance(state.get("training"), dict)
                                           and SETTINGS in state["training"]
                                           for state in checkpoint.get("callbacks", {}).values()):
            # Lightning's defaults would stand in for them: 1000 epochs for the run's 100, seed 42 for its own
            if "_instantiator" not in self.model_hparams:  # LightningCLI records it: a script's own Trainer wrote this
                raise UserError(
                    f"checkpoint {path!r} was written by a Trainer of your own, not by 'blobclf fit', and does not "
                    "record the run's settings (epochs, seed, trainer) that a resume takes from it; resume it with "
                    "your Trainer (trainer.fit(model, datamodule=data, ckpt_path=...)); test, validate and predict "
                    "take it as it is"
                )
            raise UserError(
                f"checkpoint {path!r} was written by blobclf of 2026-11-28 or earlier, which did not record the "
                "run's settings (epochs, seed, trainer) that a resume takes from it; it cannot be resumed, but test, "
                "validate, predict and blobclf.regenerate take it as it is; train a new run to go on"
            )
        for state in checkpoint.get("callbacks", {}).values():
            if isinstance(state, dict) and isinstance(state.get("training"), dict):
                # an evaluation uses no optimizer: one whose class is not loaded is left out, not imported
                stored.update({k: v for k, v in state["training"].items()
                               if k in RECORDED and (subcommand == "fit" or not unloaded_classes(v))})
                if subcommand == "fit" and isinstance(state["training"].get(SETTINGS), dict):
                    stored.update(state["training"][SETTINGS])
        check_recorded_classes(stored, path, run_config(stored, path, root) if subcommand == "fit" else None,
                               {key: as_plain(config[subcommand][key]) for key in stored
                                if key in config[subcommand]})
        config = switch_data_class(parser, config, subcommand, stored, args, parse)
        known = {
            key: value
            for key, value in stored.items()
            if not key.rsplit(".", 1)[-1].startswith("_")
            and not key.endswith(LINKED)
            and (key.replace(".init_args.", ".") not in FREE
                 or (subcommand == "fit" and key.replace(".init_args.", ".") in RESUME_KEEPS))
            and key in config[subcommand]
        }
        parser.set_defaults(as_defaults(subcommand, known))
        with parser.recording(path, known):
            config = parse(parser, args)
        given = config[subcommand]
        self.recorded_settings = known
        for key, value in known.items():
            ours, theirs = comparable(key, as_plain(given[key])), comparable(key, as_plain(value))
            if (key in CHANGEABLE or key.replace(".init_args.", ".") in FREE or same_setting(key, ours, theirs)
                    or adds_callbacks(key, ours, theirs)):
                continue
            if subcommand != "fit" and key.replace(".init_args.", ".") in EVALUATION_MAY_CHANGE:
                continue
            if same_table(key, ours, checkpoint, path, subcommand):
                continue  # the run's training table, moved: the same bytes elsewhere
            if same_selection(key, given, known):
                # null or an exclude list (as the run's config.yaml holds them): the same columns and classes,
                # taken as the checkpoint records them, as when the options are not given
                for name in ((key.rsplit(".", 1)[-1],) if key.endswith(("classes", "categories"))
                             else ("features", "exclude")):
                    given[f"data.init_args.{name}"] = known.get(f"data.init_args.{name}")
                continue
            option, ours, theirs = difference(key.replace(".init_args.", "."), ours, theirs)
            text = recorded_text_error(path, option, theirs, ours)
            if text is not None:  # the checkpoint's own '8', which the parser read as 8
                raise UserError(text)
            how = ("resume with just 'fit --ckpt_path', which takes every setting from the run"
                   if subcommand == "fit" else "drop the option (the checkpoint's value is used)")
            raise UserError(
                f"{option}={ours!r} (from the command line or a --config file) conflicts with the checkpoint "
                f"{path!r}, which was trained with {option}={theirs!r}; {how}, or pass another checkpoint"
            )
        if subcommand == "fit":
            check_extension(given, checkpoint, path)
            check_optimizer_state(given, checkpoint, path, system)
            max_epochs = given.trainer.get("max_epochs")
            if isinstance(max_epochs, int) and max_epochs != -1 and epochs_done(checkpoint) >= max_epochs:
                self.finished = (epochs_done(checkpoint), checkpoint.get("global_step"))
            max_steps, steps = given.trainer.get("max_steps"), checkpoint.get("global_step")
            if isinstance(max_steps, int) and max_steps != -1 and isinstance(steps, int) and steps >= max_steps:
                self.finished = (epochs_done(checkpoint), steps)  # Lightning's own test: global_step >= max_steps
            self.ended = next((state["training_ended"] for state in checkpoint.get("callbacks", {}).values()
                               if isinstance(state, dict) and isinstance(state.get("training_ended"), str)), None)
            if self.ended is not None:  # RunCheckpoint stops its resume at once (see its on_train_start)
                # the epoch it stopped after, as that note counts it (Lightning goes on from an epoch processed but
                # not yet counted completed, as in a checkpoint saved within the epoch's end)
                progress = checkpoint.get("loops", {}).get("fit_loop", {}).get("epoch_progress", {}).get("current", {})
                processed = progress.get("processed") if isinstance(progress, dict) else None
                done = max(epochs_done(checkpoint), processed if isinstance(processed, int) else 0)
                self.finished = (done, checkpoint.get("global_step"))
            check_averaging_extension(given, checkpoint, path, stored.get("trainer.max_epochs"))
        check_training_table(subcommand, given, checkpoint)
        given.ckpt_path = path
        own = own_root(path, checkpoint) if run_version(path, root) is None else None
        if own is not None and not (subcommand == "fit" and logs_record_root(stored, path, own)):
            # a run resumed or evaluated by its path from another folder goes on in its own
            # TensorBoard run, under the folder it was started in
            self.run_logs = logs_where_started(path, recorded_save_dir(checkpoint), recorded_log_name(checkpoint))
        if subcommand == "fit":
            self.resume_version = run_version(path, root)
            if self.run_logs is not None:
                given.checkpoint.root, self.resume_version = self.run_logs[1], self.run_logs[2]
            elif own is not None and logs_record_root(stored, path, own):
                # a run started with its own --checkpoint.root goes on in its own TensorBoard run
                given.checkpoint.root = own
                self.resume_version = run_version(path, own)
            # the run's logs restart at the checkpoint's epoch: its events are replaced by the
            # values the checkpoint holds (see RunCheckpoint), later ones by the resumed run's
            values = [epoch_values(s, checkpoint) for s in checkpoint.get("callbacks", {}).values()
                      if isinstance(s, dict) and isinstance(s.get("epoch_values"), dict)]
            self.resume_epoch = int(values[0]["epoch"]) if values else int(checkpoint.get("epoch", -1)) + 1


def model_too_large(error: ModelTooLarge, subcommand: str, path: Any) -> str:
    """The memory refusal for the model of a checkpoint: its size is the checkpoint's, which no option changes, so the
    fix is another machine."""
    return (f"{error.args[0]}, for the model of the checkpoint {os.fspath(path)!r}; "
            f"{'resume' if subcommand == 'fit' else subcommand} it on a machine with more memory")
