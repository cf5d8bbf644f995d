"""The settings that ``--ckpt_path``'s checkpoint brings to a command: :class:`CheckpointSettings`.

A checkpoint carries the model, data and optimizer settings of the run that wrote it (and, for a
resume, its trainer, checkpointing, export and seed settings), so ``test --ckpt_path`` needs no config.
They become the parser's defaults; an explicit option that contradicts the checkpoint is refused rather
than silently overridden in either direction. :class:`blobclf.cli.BlobCLI` parses its command line with them.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from jsonargparse import Namespace
from lightning.pytorch.cli import LightningArgumentParser
from lightning.pytorch.utilities import rank_zero_info

from blobclf.runcheckpoint import epoch_values
from blobclf.checks import check_averaging_extension, check_extension, check_optimizer_state, epochs_done
from blobclf.classrefs import check_recorded_classes, unloaded_classes
from blobclf.errors import UserError
from blobclf.optionnames import given_option
from blobclf.outputnames import file_state
from blobclf.parser import EVAL_COMMANDS, BlobArgumentParser
from blobclf.recorded import (
    CHANGEABLE,
    EVALUATION_KEEPS,
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
    folded,
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
    run_name,
    run_version,
)
from blobclf.runlimits import (
    CALLBACK_STOP,
    MAX_TIME,
    check_time_limit,
    dropped_time_text,
    recorded_started,
    seconds,
    started_time_limit,
    time_trained,
)
from blobclf.safeload import load_checkpoint
from blobclf.system import BlobClassifier, ModelTooLarge, evaluating, legacy_optimizer, model_settings
from blobclf.tablecli import (
    Preloaded,
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


def values_epoch(checkpoint: dict[str, Any]) -> int | None:
    """The epoch whose weights ``checkpoint`` holds, as the run's curves count it (the epoch its values were logged
    at): the one its :class:`~blobclf.runcheckpoint.RunCheckpoint` records, else Lightning's ``epoch``."""
    values = recorded_epoch_values(checkpoint)
    epoch = values[0].get("epoch") if values and values[0] else checkpoint.get("epoch")
    return epoch if isinstance(epoch, int) and not isinstance(epoch, bool) else None


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
    """For a resume: the epoch its logs restart at (see :class:`~blobclf.runcheckpoint.RunCheckpoint`)."""
    finished: tuple[int, Any] | None = None
    """For a resume of a run that has trained its ``--trainer.max_epochs`` or ``max_steps``, or that stopped on its own
    (``ended``): its epochs and step (nothing to train)."""
    ended: str | None = None
    """For a resume of a run that stopped on its own: what stopped it (``EarlyStopping``), which stops its resume
    too."""
    read_last: tuple[str, Any, int] | None = None
    """For an evaluation of a ``last.ckpt``: its path, :func:`~blobclf.outputnames.file_state` and epoch, by which
    what the evaluation writes is named if a fit replaces the file meanwhile."""
    run_log_folder: tuple[str, str] | None = None
    """For an evaluation: the log root and logger name its checkpoint's run was given (see :func:`recorded_log_name`),
    where that name is not empty: the run's logs are in ``{root}/{name}/version_N``."""
    checked: tuple[str, dict[str, Any]] | None = None
    """For an evaluation: the path and contents of the checkpoint checked, for Lightning's load of it (see
    :meth:`~blobclf.checkpointio.AtomicCheckpointIO.hold`)."""
    started: dict[str, Any] = field(default_factory=dict)
    """For a resume: the limits (``max_epochs``, ...) the run was started with (see :mod:`blobclf.runlimits`)."""
    time_trained: float | None = None
    """For a resume: the seconds of training its checkpoint's ``Timer`` counted (``max_time`` counts them)."""
    preloaded: Preloaded | None = None
    """The checkpoint that :func:`~blobclf.tablecli.preselect_data_class` read, which :meth:`read` takes rather than
    read the file again where it is still the same (a large checkpoint takes seconds to read)."""
    values_epoch: int | None = None
    """For an evaluation: the epoch whose weights its checkpoint holds (see :func:`values_epoch`), where its values
    go on the run's epoch axis in TensorBoard."""

    def read(self, parser: BlobArgumentParser, args: Any, config: Namespace, parse: Parse) -> None:
        """Take the settings of ``config``'s checkpoint, if it names one, as the defaults and parse ``args`` again.

        In three parts: gather the checkpoint's settings (:meth:`_load`, :meth:`_stored`), take them as the defaults
        and refuse options that contradict them (:meth:`_parse_with`, :meth:`_refuse_conflicts`,
        :meth:`_check_resume`), and find the place the run goes on or is evaluated in (:meth:`_place`).

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
        path, checkpoint, system = self._load(subcommand, root)
        stored = self._stored(subcommand, checkpoint, path)
        given = self._parse_with(parser, args, config, parse, stored, path, root)
        self._refuse_conflicts(subcommand, given, checkpoint, path)
        if subcommand == "fit":
            self._check_resume(given, checkpoint, path, system, stored)
            self._check_dropped_time_limit(given, args, checkpoint, path, root)
        check_training_table(subcommand, given, checkpoint)
        given.ckpt_path = path
        self._place(subcommand, given, checkpoint, path, root, stored)

    def _load(self, subcommand: str, root: str) -> tuple[str, dict[str, Any], BlobClassifier]:
        """Resolve :attr:`ckpt_given`, load its checkpoint and check that its model can be built here.

        Records :attr:`model_hparams`, and for an evaluation :attr:`read_last`, :attr:`checked` and
        :attr:`run_log_folder`.

        Args:
            subcommand: The command (``fit`` resumes the checkpoint, the others evaluate it).
            root: The command's ``--checkpoint.root``, where ``last`` and ``best`` are looked for.

        Returns:
            The checkpoint's path, its contents and the system built of the size of its weights.

        Raises:
            UserError: The file is not a checkpoint blobclf can use, or its model does not fit in memory.
        """
        ckpt_path = self.ckpt_given
        path = resolve_checkpoint(ckpt_path, root)
        passed_over = newer_without_last(Path(path).parent, root) if ckpt_path in ("last", "best") else []
        if passed_over:
            rank_zero_info(f"note: --ckpt_path {ckpt_path} is {path}: the newer "
                           f"{', '.join(os.fspath(run) for run in passed_over)} has no last.ckpt (stopped or "
                           "diverged before writing one, or still training)")
        state = file_state(path) if subcommand != "fit" and Path(path).name == LAST_NAME else None
        preloaded, self.preloaded = self.preloaded, None
        unchanged = preloaded is not None and preloaded[0] == path and preloaded[1] == file_state(path)
        checkpoint = preloaded[2] if preloaded is not None and unchanged else load_checkpoint(path)
        epoch = values_epoch(checkpoint)
        if state is not None and epoch is not None:
            self.read_last = (path, state, epoch)
        if subcommand != "fit":
            self.values_epoch = epoch
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
        return path, checkpoint, system

    def _stored(self, subcommand: str, checkpoint: dict[str, Any], path: str) -> dict[str, Any]:
        """The settings ``checkpoint`` records that serve ``subcommand``, by their keys in the command's configuration.

        Model and data settings for every command; a resume (``fit``) also takes the run's trainer, checkpointing,
        export and seed settings, and is refused for a checkpoint that does not record them.

        Args:
            subcommand: The command.
            checkpoint: The loaded checkpoint.
            path: Its path, for the error text.

        Raises:
            UserError: A resume of a checkpoint that does not record the run's settings.
        """
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
                    stored.update(folded(state["training"][SETTINGS]))
        return stored

    def _parse_with(self, parser: BlobArgumentParser, args: Any, config: Namespace, parse: Parse,
                    stored: dict[str, Any], path: str, root: str) -> Namespace:
        """Parse ``args`` again with the checkpoint's settings as the parser's defaults; return the command's part.

        Records the settings taken as :attr:`recorded_settings`: those of ``stored`` that the command has, less
        the linked, private and free ones (a resume keeps some free ones, see ``RESUME_KEEPS``).

        Args:
            parser: The command's parser.
            args: The command line.
            config: The configuration of the first parse.
            parse: Parses ``args`` again.
            stored: The checkpoint's settings (see :meth:`_stored`).
            path: The checkpoint's path.
            root: The command's ``--checkpoint.root``.

        Raises:
            UserError: A class the checkpoint names cannot be used, or the new parse refuses a value.
        """
        subcommand = config.get("subcommand")
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
        # a setting the command line gives is no default: its value wins, and the checkpoint's is compared with it
        # (_refuse_conflicts) rather than parsed, so an edited checkpoint's invalid value that the command line
        # replaces (test --data.decimal .) is not refused as the parser's
        words = [str(word) for word in (sys.argv[1:] if args is None else args if isinstance(args, list) else [])]
        # (a class given again, --optimizer X, stays a default: the parser keeps the run's arguments for the same class)
        typed = {key for key in known if not isinstance(known[key], dict)
                 and (given_option(words, f"--{key}") is not None
                      or given_option(words, f"--{key.replace('.init_args.', '.')}") is not None)}
        parser.set_defaults(as_defaults(subcommand, {k: v for k, v in known.items() if k not in typed}))
        with parser.recording(path, known):
            config = parse(parser, args)
        self.recorded_settings = known
        return config[subcommand]

    def _refuse_conflicts(self, subcommand: str, given: Namespace, checkpoint: dict[str, Any], path: str) -> None:
        """Refuse an option given that contradicts a setting the checkpoint records (:attr:`recorded_settings`).

        Settings that may change, the same setting written otherwise, and the run's training table moved elsewhere
        pass; a feature or class selection that selects what the checkpoint records is taken as it records it.

        Args:
            subcommand: The command.
            given: The command's configuration, parsed with the checkpoint's defaults.
            checkpoint: The loaded checkpoint.
            path: Its path.

        Raises:
            UserError: The first contradicting option, naming both values and the fix.
        """
        known = self.recorded_settings
        for key, value in known.items():
            if subcommand != "fit" and key in EVALUATION_KEEPS:
                given[key] = value  # unused by an evaluation (its command line refuses it): the checkpoint's stands
                continue
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

    def _check_resume(self, given: Namespace, checkpoint: dict[str, Any], path: str, system: BlobClassifier,
                      stored: dict[str, Any]) -> None:
        """Check that a resume can go on from ``checkpoint``; record :attr:`finished` and :attr:`ended`.

        Args:
            given: The ``fit`` command's configuration.
            checkpoint: The loaded checkpoint.
            path: Its path.
            system: The system built from it (see :meth:`_load`).
            stored: The checkpoint's settings (see :meth:`_stored`).

        Raises:
            UserError: The extension or the optimizer state does not fit the run.
        """
        check_extension(given, checkpoint, path)
        check_optimizer_state(given, checkpoint, path, system)
        done = epochs_done(checkpoint)
        max_epochs = given.trainer.get("max_epochs")
        if isinstance(max_epochs, int) and max_epochs != -1 and done >= max_epochs:
            self.finished = (done, checkpoint.get("global_step"))
        max_steps, steps = given.trainer.get("max_steps"), checkpoint.get("global_step")
        if isinstance(max_steps, int) and max_steps != -1 and isinstance(steps, int) and steps >= max_steps:
            self.finished = (done, steps)  # Lightning's own test: global_step >= max_steps
        self.ended = next((state["training_ended"] for state in checkpoint.get("callbacks", {}).values()
                           if isinstance(state, dict) and isinstance(state.get("training_ended"), str)), None)
        self.started, self.time_trained = recorded_started(checkpoint), time_trained(checkpoint)
        if (not self.started and self.ended == CALLBACK_STOP and self.time_trained is not None
                and (recorded := seconds(stored.get("trainer.max_time"))) is not None
                and self.time_trained >= recorded):
            self.ended = MAX_TIME  # blobclf before 2026-12-07 took the Timer's stop for a callback's
        check_time_limit(given.trainer.get("max_time"), stored.get("trainer.max_time"), self.time_trained, path)
        limit = seconds(given.trainer.get("max_time"))
        if self.ended == MAX_TIME and (limit is None or self.time_trained is None or limit > self.time_trained):
            self.ended = None  # a longer max_time (or none) trains on: Lightning's Timer counts the time trained
        if self.ended is not None:  # RunCheckpoint (or, for max_time, Lightning's Timer) stops its resume at once
            self.finished = (done, checkpoint.get("global_step"))
        check_averaging_extension(given, checkpoint, path, stored.get("trainer.max_epochs"))

    @staticmethod
    def _check_dropped_time_limit(given: Namespace, args: Any, checkpoint: dict[str, Any], path: str,
                                  root: str) -> None:
        """Refuse a resume without ``--trainer.max_time`` of a run whose time limit an older blobclf's resume dropped
        (see :func:`~blobclf.runlimits.started_time_limit`): it would train on without the limit, without a word.

        Raises:
            UserError: Naming the run's limit and the options that resume it.
        """
        words = [str(word) for word in (args if isinstance(args, (list, tuple)) else sys.argv[1:])]
        if given.trainer.get("max_time") is not None or any(w.startswith("--trainer.max_time") for w in words):
            return
        version = run_version(path, root)
        configs = [Path(path).parent / "config.yaml"]  # a run without a logger keeps it beside its checkpoints
        if version is not None:
            configs.insert(0, Path(recorded_save_dir(checkpoint)) / recorded_log_name(checkpoint) / run_name(version)
                           / "config.yaml")
        value = started_time_limit(checkpoint, path, configs)
        if value is not None:
            raise UserError(dropped_time_text(path, value, given.trainer.get("max_epochs")))

    def _place(self, subcommand: str, given: Namespace, checkpoint: dict[str, Any], path: str, root: str,
               stored: dict[str, Any]) -> None:
        """Find where the run's logs and checkpoints go on: :attr:`run_logs`, and for a resume :attr:`resume_version`,
        :attr:`resume_epoch` and, for a run of its own root, ``given.checkpoint.root``.

        Args:
            subcommand: The command.
            given: The command's configuration (a resume's ``checkpoint.root`` may be set to the run's own).
            checkpoint: The loaded checkpoint.
            path: Its path.
            root: The command's ``--checkpoint.root``.
            stored: The checkpoint's settings (see :meth:`_stored`).
        """
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
            values = recorded_epoch_values(checkpoint)
            self.resume_epoch = int(values[0]["epoch"]) if values else int(checkpoint.get("epoch", -1)) + 1


def recorded_epoch_values(checkpoint: dict[str, Any]) -> list[dict[str, Any] | None]:
    """The epoch values that the checkpoint's callbacks hold (see :func:`~blobclf.runcheckpoint.epoch_values`)."""
    return [epoch_values(s, checkpoint) for s in checkpoint.get("callbacks", {}).values()
            if isinstance(s, dict) and isinstance(s.get("epoch_values"), dict)]

def model_too_large(error: ModelTooLarge, subcommand: str, path: Any) -> str:
    """The memory refusal for the model of a checkpoint: its size is the checkpoint's, which no option changes, so the
    fix is another machine."""
    return (f"{error.args[0]}, for the model of the checkpoint {os.fspath(path)!r}; "
            f"{'resume' if subcommand == 'fit' else subcommand} it on a machine with more memory")
