"""``python -m blobclf``'s command line: :class:`BlobCLI`, LightningCLI over blobclf's data modules and classifier
(the settings a ``--ckpt_path`` brings, run folders, threads), and :func:`cli_main`, which ends a user error, a
signal or a closed pipe in one line and an exit status."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import sys
import threading
import warnings
from pathlib import Path
from typing import Any, Optional, Union

import lightning as L
import torch
from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch.callbacks import ProgressBar
from jsonargparse import Namespace
from lightning.pytorch.cli import (
    LightningArgumentParser,
    LightningCLI,
)
from lightning.pytorch.utilities import rank_zero_info, rank_zero_only
from torch.optim import Optimizer

from blobclf import __version__
from blobclf.accelerators import check_accelerator, check_devices, check_nodes, check_strategy
from blobclf.callbacks import (
    RngState,
    RunCheckpoint,
    RunExport,
    TestReport,
    exported_step,
    run_checkpoint,
    shown,
)
from blobclf.checkpointio import AtomicCheckpointIO, evaluation_states
from blobclf.checks import (
    check_optimizer,
    check_log_folders,
    check_run_files,
    check_seed,
    check_used_options,
)
from blobclf.configfiles import check_config_files, nul_setting, use_limited_yaml
from blobclf.data import NotEnoughMemory, SplitDataModule
from blobclf.errors import (SIGPIPE, Stopped, UserError, debugging, error_line, recording_failure,
                            silence_stdout)
from blobclf.execution import check_trainer_settings
from blobclf.export import checkpoint_tag, report_name
from blobclf.helptext import SEED_HELP, SMALL_BATCH, SUBCOMMAND_HELP, TUTORIAL_EPOCHS, description
from blobclf.interrupt import GracefulStop, ignore_signals_from_now, lost_process_zero, signals_stop_the_command
from blobclf.loggerneeds import check_logging_callbacks, refuse_unused_logger
from blobclf.logger import EpochAxis, RunLogger, events_files, remove_replaced_events, written_to_now
from blobclf.messages import FULL, missing_package, one_line, overfit_error, refused_write
from blobclf.monitors import check_monitors
from blobclf.owncallbacks import check_own_callbacks
from blobclf.outputnames import as_last_output, file_state, refuse_case_twin, refuse_other_table, rename_last_outputs
from blobclf.onebatch import ONE_BATCH, keep_one_batch
from blobclf.optionnames import command_line, typed_program
from blobclf.parser import (
    EVAL_COMMANDS,
    BlobArgumentParser,
    ParseState,
    without_limit,
)
from blobclf.predictions import PredictionWriter
from blobclf.progress import default_progress, has_progress_bar
from blobclf.quiet import quiet_known_notices
from blobclf.recorded import (
    LINKED,
    RECORDED,
    SETTINGS,
    as_plain,
    checkpoint_identity,
    logger_inits,
    run_settings,
)
from blobclf.runconfig import RunConfig, enum_values
from blobclf.runs import (
    LOG_ROOT,
    claim_folder,
    claim_run,
    lock_resumed_run,
    lone_checkpoint,
    names_resumed_run,
    recorded_without_logger,
    release_run,
    remove_run_leftovers,
    run_name,
    run_version,
    unlock_runs,
)
from blobclf.resumesettings import CheckpointSettings, model_too_large
from blobclf.runlimits import MAX_TIME, STARTED, max_time_text, set_by_resume, shortened_note, started_limits
from blobclf.system import DEFAULT_LR, BlobClassifier, ModelTooLarge, evaluating
from blobclf.tablecli import (
    add_table_arguments,
    preselect_data_class,
    read_predict_file,
    training_batch,
    tutorial_settings_note,
)
from blobclf.argtypes import PositiveInt
from blobclf.tablefile import table_stem

DEFAULT_OPTIMIZER = {"class_path": "torch.optim.SGD", "init_args": {"lr": DEFAULT_LR}}


class BlobCLI(LightningCLI):
    """LightningCLI wired for blobclf: linked shapes, run folders, safe checkpoints."""

    def __init__(self, *args: Any, parser_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        # settings for a subcommand this CLI does not offer (see cli_for) would reach the main parser
        offered, every = self.subcommands(), LightningCLI.subcommands()
        parser_kwargs = {k: v for k, v in (parser_kwargs or {}).items() if k not in every or k in offered}
        self.from_checkpoint = CheckpointSettings()
        """What ``--ckpt_path``'s checkpoint gave the command (see :meth:`parse_arguments`)."""
        self.overfit_batches: Any = None
        """The ``--trainer.overfit_batches`` of the command (see :func:`overfit_error`)."""
        parser_class = kwargs.get("parser_class")
        if isinstance(parser_class, type) and issubclass(parser_class, BlobArgumentParser):
            # the command's own state (two commands run in one process share none)
            words = sys.argv[1:] if kwargs.get("args") is None else kwargs["args"]  # a list, or a dict of settings
            words = words if isinstance(words, (list, tuple, dict)) else []
            subcommand = next((word for word in words if isinstance(word, str) and word in every), "SUBCOMMAND")
            state = ParseState(command=f"{parser_kwargs.get('prog') or typed_program()} {subcommand}")
            kwargs["parser_class"] = parser_class.with_state(state)
        try:
            super().__init__(*args, parser_kwargs=parser_kwargs, **kwargs)
        except MisconfigurationException as error:
            line = overfit_error(one_line(str(error)), self.overfit_batches)
            if line == one_line(str(error)):
                raise
            raise UserError(line) from error

    def init_parser(self, **kwargs: Any) -> LightningArgumentParser:
        kwargs.setdefault("parser_mode", use_limited_yaml())
        parser = super().init_parser(**kwargs)
        parser.add_argument("--version", action="version", version=f"blobclf {__version__}",
                            help="Show blobclf's version number and exit.")
        return parser

    def add_default_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        """LightningCLI's ``--seed_everything``, with blobclf's help (Lightning's ran two sentences together:
        "before classes instantiation.Set to True")."""
        parser.add_argument("--seed_everything", type=Union[bool, int], default=self.seed_everything_default,
                            help=SEED_HELP)

    claimed: tuple[str, int | str, bool] | None = None
    """The run folder that this command claimed for a new run: (checkpoint root, version,
    whether the root folder was made for it)."""
    version_given: bool = False
    """Whether the run folder claimed is the version the user gave (kept in the run's ``config.yaml``)."""
    made_dirpath: tuple[bool, bool] = (False, False)
    """Whether this command made the ``--checkpoint.dirpath`` folder of its new run, and the folder above it."""

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.add_lightning_class_args(RunCheckpoint, "checkpoint")
        parser.add_lightning_class_args(PredictionWriter, "prediction")
        parser.add_lightning_class_args(RunExport, "export")
        parser.add_argument(
            "--threads",
            type=Optional[PositiveInt],
            default=None,
            help=(
                "torch intra-op CPU threads (more than the machine's CPUs run on its CPUs). null applies "
                "blobclf's policy: 1 thread for fit, validate "
                f"and test when training batches hold at most {SMALL_BATCH} samples (small steps run "
                "faster on one thread), torch's default otherwise and for predict. The number used is "
                "recorded in the run's config.yaml."
            ),
        )
        parser.add_optimizer_args((Optimizer,))
        parser.set_defaults({"optimizer": DEFAULT_OPTIMIZER})
        for name in LINKED:  # the data's shape, names and preprocessing, never typed twice
            parser.link_arguments(f"data.{name}", f"model.{name}", apply_on="instantiate")
        add_table_arguments(parser)

    def parse_arguments(self, parser: LightningArgumentParser, args: Any) -> None:
        """Parse, then take the settings recorded in ``--ckpt_path`` as defaults.

        A checkpoint carries the model, data and optimizer settings of the run that wrote it, so
        ``test --ckpt_path`` needs no config. An explicit option that contradicts the checkpoint
        is refused rather than silently overridden in either direction.

        ``--print_config`` prints the settings once they are all known: a checkpoint's included
        (jsonargparse prints, and exits, in the first parse, which knows only the command line).
        """
        words = sys.argv[1:] if args is None else args
        printing = isinstance(words, (list, tuple)) and any(
            str(word) == "--print_config" or str(word).startswith("--print_config=") for word in words)
        if not printing:
            self.parse_with_checkpoint(parser, args)
            return
        with warnings.catch_warnings():
            # the command line given as a list, without its --print_config, where args was None
            warnings.filterwarnings("ignore", message="LightningCLI's args parameter is intended")
            self.parse_with_checkpoint(parser, [word for word in words if not str(word).startswith("--print_config")])
        super().parse_arguments(parser, args)  # prints and exits

    def parse_with_checkpoint(self, parser: LightningArgumentParser, args: Any) -> None:
        """:meth:`parse_arguments` without ``--print_config``."""
        self.from_checkpoint.preloaded, preselected = preselect_data_class(parser, args)
        recording = getattr(parser, "recording", None)  # the checkpoint's value is refused as the checkpoint's
        with recording(*preselected, shown=True) if preselected and recording else contextlib.nullcontext():
            super().parse_arguments(parser, args)
        self.words = [str(word) for word in (sys.argv[1:] if args is None else args if isinstance(args, list) else [])]
        """The command line as given (see :func:`keep_one_batch`)."""
        subcommand = self.config.get("subcommand")
        nul = nul_setting((self.config[subcommand] if subcommand else self.config).as_dict())
        if nul is not None:  # a traceback ('embedded null byte') where the path was first used
            raise UserError(f"--{nul[0]}={nul[1]!r} holds a NUL character (\\x00), which no file name or setting can "
                            "hold; remove it (was its config file written by another program?)")
        check_seed(self.config[subcommand] if subcommand else self.config)
        self.from_checkpoint.read(parser, args, self.config, self._parse)

    def _parse(self, parser: LightningArgumentParser, args: Any) -> Namespace:
        """LightningCLI's parse of ``args``, returning the configuration it sets."""
        super().parse_arguments(parser, args)
        return self.config

    def before_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        if config.trainer.get("enable_progress_bar") is False or has_progress_bar(config.trainer.get("callbacks")):
            # progress turned off, or the user's own progress bar: Lightning takes only one, and
            # none at all with enable_progress_bar false
            callbacks = self.trainer_defaults.get("callbacks", [])
            self.trainer_defaults["callbacks"] = [c for c in callbacks if not isinstance(c, ProgressBar)]
        # here, not when parsing: Lightning parses the config again after parse_arguments (a checkpoint's hparams)
        keep_one_batch(config, getattr(self, "words", []), self.from_checkpoint.recorded_settings)
        self.overfit_batches = config.trainer.get("overfit_batches")
        enum_values(config.trainer)
        # every check before anything is printed or created: a refused command is one line
        self._check_settings(config)
        check_own_callbacks(config.trainer)
        if self.subcommand == "fit":
            check_optimizer(config)
            check_logging_callbacks(config.trainer, resume=bool(config.get("ckpt_path")))
            if not config.get("ckpt_path"):
                check_monitors(config)  # a resume keeps its run's own (and would conflict with another)
        if self.subcommand in EVAL_COMMANDS:
            self._place_evaluation(config)
        if self.subcommand == "predict":
            self.predict_points = read_predict_file(config, self.from_checkpoint.model_hparams)
        self._set_threads(config)
        if self.subcommand == "fit":
            self._place_run(config)
        if self.subcommand == "predict" and config.get("return_predictions") is None:
            config.return_predictions = False  # the PredictionWriter keeps every prediction

    def _set_threads(self, config: Any) -> None:
        """Apply ``--threads`` or blobclf's policy, and record the number used in the config."""
        threads = config.get("threads")
        small = self.subcommand != "predict" and training_batch(config.data, SMALL_BATCH) <= SMALL_BATCH
        if threads is None and small:
            threads = 1
        cpus = os.cpu_count() or 1
        capped = ""
        if threads is not None and threads > cpus:
            # 10**9 made OpenMP try to allocate 216 GB and exit 1; a run's config.yaml from a bigger machine
            # still resumes here, on this machine's CPUs
            capped = f"; --threads {threads} is more than this machine's {cpus} CPUs"
            threads = cpus
        if threads is not None:
            torch.set_num_threads(int(threads))
        config.threads = torch.get_num_threads()  # recorded in the run's config.yaml
        rank_zero_info(f"torch threads: {config.threads}{capped} (--threads to change)")

    def _check_settings(self, config: Any) -> None:
        """Refuse settings that Lightning would take but that cannot work, in one line each."""
        max_epochs = config.trainer.get("max_epochs")
        if max_epochs is not None and max_epochs < -1:
            raise UserError(f"--trainer.max_epochs={max_epochs} is invalid: use -1 (no limit) or a number >= 0")
        every = config.trainer.get("check_val_every_n_epoch")
        if isinstance(every, int) and every < 1:  # 0 was a ZeroDivisionError traceback at the first epoch's end
            raise UserError(f"--trainer.check_val_every_n_epoch={every} is invalid: give a number of epochs >= 1")
        if self.subcommand == "fit" and not config.get("ckpt_path"):
            if without_limit(config):
                config.trainer.max_epochs = TUTORIAL_EPOCHS  # recorded in config.yaml and the checkpoint
            for option in ("max_epochs", "max_steps", "max_time"):
                if config.trainer.get(option) == 0:
                    raise UserError(f"--trainer.{option}=0 trains nothing, and a new run would export an untrained "
                                    f"model; give at least 1")
        check_accelerator(config.trainer.get("accelerator"))
        check_devices(config.trainer.get("devices"), config.trainer.get("accelerator"))
        check_nodes(config.trainer.get("num_nodes"))
        check_strategy(config.trainer.get("strategy"))
        check_run_files(config.trainer, self.subcommand)
        check_log_folders(config.trainer, versions=self.subcommand != "fit")  # fit's own check names its folder
        if self.subcommand in EVAL_COMMANDS and not config.get("ckpt_path"):
            raise UserError(
                f"'{self.subcommand}' needs --ckpt_path PATH (a .ckpt written by 'blobclf fit', or 'last'/'best' "
                "for the newest run); without it there is no trained model to evaluate"
            )
        if config.get("weights_only") is False:
            raise UserError("--weights_only=false is refused: blobclf loads checkpoints with weights_only=True only")
        if self.subcommand == "fit":
            check_trainer_settings(config.model.steps_per_execution, config.trainer, config.get("lr_scheduler"))
        if "weights_only" in config:
            config.weights_only = True

    def _place_run(self, config: Any) -> None:
        """Give the run its folders: a resumed run its own, a new run a freshly claimed version."""
        inits = logger_inits(config.trainer.get("logger"))
        self._refuse_path_versions(config, inits)
        init = inits[0] if inits else None
        versioned = init is not None and "version" in init
        # a list of loggers: the first places the run (Lightning's trainer.logger), the others follow it
        others = [other for other in inits[1:] if "version" in other]
        dirpath = config.checkpoint.get("dirpath")
        ckpt_path = config.get("ckpt_path")
        self._refuse_other_dirpath(dirpath, ckpt_path)
        self._follow_resumed_version(inits, init, others, versioned)
        self._follow_run_folder(config, ckpt_path, init, others, versioned)
        if ckpt_path:
            self._enter_resumed_folder(config, ckpt_path, dirpath, versioned)
            return
        if dirpath is not None and rank_zero_only.rank == 0 and not config.trainer.get("fast_dev_run"):
            self.made_dirpath = claim_folder(dirpath)
        if dirpath is not None or config.trainer.get("fast_dev_run"):
            return  # a fast_dev_run is a smoke test: it saves nothing, so it takes no run folder
        if rank_zero_only.rank != 0:
            # another process of a distributed run: process 0 claims the run folder and Lightning
            # hands its folder names to every process (the checkpoint folder and log folder are
            # broadcast from process 0)
            return
        self._claim_new_run(config, init, others, versioned)

    @staticmethod
    def _refuse_path_versions(config: Any, inits: list[Any]) -> None:
        """Refuse a logger's ``version`` that is not a plain folder name (``../x``, ``/x``), unless it names the
        run being resumed: the run's folder is ``{checkpoint root}/{version}``."""
        for each in inits:
            name = each.get("version")
            separators = ("/", os.sep, os.altsep)
            if (isinstance(name, str) and (name in ("", ".", "..") or any(sep and sep in name for sep in separators))
                    and not names_resumed_run(name, config.checkpoint.root, config.get("ckpt_path"))):
                # the run's folder is {checkpoint root}/{version}: '../../x' or '/x' put its checkpoints elsewhere
                raise UserError(
                    f"--trainer.logger.init_args.version={name!r} is not a plain folder name: the run's checkpoints "
                    f"would go to {os.path.normpath(Path(config.checkpoint.root) / name)!r} instead of a folder of "
                    f"their own in --checkpoint.root {os.fspath(config.checkpoint.root)!r}; give a name without '/' "
                    "(or leave it unset for the next free version_N)"
                )

    @staticmethod
    def _refuse_other_dirpath(dirpath: str | None, ckpt_path: str | None) -> None:
        """Refuse a ``--checkpoint.dirpath`` of a resume that is not the folder of the checkpoint resumed."""
        if ckpt_path and dirpath is not None and Path(dirpath).resolve() != Path(ckpt_path).resolve().parent:
            raise UserError(
                f"--checkpoint.dirpath={dirpath!r} is not the folder of the run being resumed "
                f"({os.fspath(Path(ckpt_path).parent)!r}), whose checkpoints stay in their own folder; drop the option"
            )

    def _follow_resumed_version(self, inits: list[Any], init: Any, others: list[Any], versioned: bool) -> None:
        """For a resume of a versioned run: its loggers take the run's version, log folder and purge step."""
        if self.from_checkpoint.resume_version is not None:
            if versioned and init.get("version") not in (None, self.from_checkpoint.resume_version):
                raise UserError(
                    f"--trainer.logger.init_args.version={init.version} conflicts with the resumed run "
                    f"version_{self.from_checkpoint.resume_version}; drop the option"
                )
            if versioned:
                init.version = self.from_checkpoint.resume_version
                if self.from_checkpoint.run_logs is not None and "save_dir" in init:
                    init.save_dir = self.from_checkpoint.run_logs[0]
            for each in inits:
                if "purge_step" in each:
                    each.purge_step = self.from_checkpoint.resume_epoch
            if versioned:
                for other in others:
                    other.version = self.from_checkpoint.resume_version

    def _follow_run_folder(self, config: Any, ckpt_path: str | None, init: Any, others: list[Any],
                           versioned: bool) -> None:
        """For a resume of a run named by its logger's version (``checkpoints/NAME``, or ``checkpoints/exp/1`` of a
        run from before ``/`` versions were refused): its loggers go on in its own log folder."""
        folder = Path(ckpt_path).resolve().parent if ckpt_path else None
        if (folder is not None and self.from_checkpoint.resume_version is None and versioned
                and init.get("version") is None and folder.parent == Path(config.checkpoint.root).resolve()):
            # a run named by its logger's version (checkpoints/NAME) goes on in its own log folder too
            for each in [init, *others]:
                each.version = folder.name
        elif (folder is not None and self.from_checkpoint.resume_version is None and versioned
              and init.get("version") is None and folder.is_relative_to(Path(config.checkpoint.root).resolve())):
            # a run from before '/' versions were refused (checkpoints/exp/1) goes on in its own log folder, where its
            # config.yaml is, as its resume with that config.yaml does (it went on in a new lightning_logs/version_N)
            old = folder.relative_to(Path(config.checkpoint.root).resolve()).as_posix()
            if "/" in old and (Path(init.save_dir) / (init.get("name") or "") / old / "config.yaml").is_file():
                for each in [init, *others]:
                    each.version = old

    def _enter_resumed_folder(self, config: Any, ckpt_path: str, dirpath: str | None, versioned: bool) -> None:
        """For a resume: the run goes on in its checkpoint's folder, which must be writable, and is locked; a run
        with nothing to train and its exports complete ends here, leaving everything unchanged."""
        if dirpath is None and (self.from_checkpoint.resume_version is None or not versioned):
            # a run folder outside the checkpoint root (moved, copied) goes on in that folder; so does a run
            # without a logger, whose version no logger gives its checkpoints (they went to the root's top)
            config.checkpoint.dirpath = os.fspath(Path(ckpt_path).parent)
        if rank_zero_only.rank == 0:
            folder = Path(ckpt_path).parent
            if not os.access(folder, os.W_OK):
                raise UserError(f"cannot resume into {os.fspath(folder)!r}: the run folder is read-only; make it "
                                "writable, or copy the run folder somewhere writable and resume from there")
            lock_resumed_run(folder, self.from_checkpoint.ckpt_given, config.checkpoint.root)
            finished = self.from_checkpoint.finished
            if finished is not None and exported_step(folder) == finished[1]:
                # nothing to train and the exports complete: no resume-K.yaml, no new event file, nothing written
                print(f"nothing was trained; the exports in {shown(folder)} are complete and kept as they were, "
                      f"and the run is left unchanged: {shown(ckpt_path)} {self._finished_text(config)}")
                sys.exit(0)
            for option in ("max_epochs", "max_steps", "max_time"):
                note = shortened_note(option, config.trainer.get(option),
                                      self.from_checkpoint.recorded_settings.get(f"trainer.{option}"))
                if note is not None:
                    rank_zero_info(note)

    def _claim_new_run(self, config: Any, init: Any, others: list[Any], versioned: bool) -> None:
        """For a new run: claim the next free version (or the one chosen) under the checkpoint root and log roots,
        and give the loggers and checkpoints its name."""
        chosen = init.get("version") if versioned else None
        log_roots = [Path(each.save_dir) / (each.get("name") or "") for each in ([init] if versioned else []) + others
                     if each.get("save_dir")]
        new_root = not Path(config.checkpoint.root).exists()
        removed: list[Path] = []
        taken = None
        try:
            # a version the user chose is claimed and held as a free one is: never shared with another fit
            version: int | str | None = claim_run(config.checkpoint.root, *log_roots, removed=removed, version=chosen)
        except FileExistsError as error:
            version, taken = None, error.filename
        if removed:
            one = sum(folder.parent == Path(config.checkpoint.root) for folder in removed) == 1
            rank_zero_info(f"note: removed {', '.join(os.fspath(folder) for folder in removed)}: left by "
                           f"{'a run killed while it' if one else 'runs killed while they'} started (no checkpoint, "
                           f"only {'its' if one else 'their'} start files; no process holds {'it' if one else 'them'})")
        if version is None:
            raise UserError(f"run folder {os.fspath(taken)!r} already exists; choose another "
                            "--trainer.logger.init_args.version (or leave it unset for the next free one)")
        self.claimed = (config.checkpoint.root, version, new_root)
        self.version_given = chosen is not None
        config.checkpoint.dirpath = os.fspath(Path(config.checkpoint.root) / run_name(version))
        if versioned:
            for each in [init, *others]:
                each.version = version

    def _finished_text(self, config: Any) -> str:
        """How the run of a resume that trains nothing stands: at which of its limits, set by whom, or ended how."""
        finished, ended = self.from_checkpoint.finished, self.from_checkpoint.ended
        assert finished is not None
        if ended == MAX_TIME:
            by = set_by_resume("max_time", config.trainer.max_time, self.from_checkpoint.recorded_settings,
                               self.from_checkpoint.started)
            return max_time_text(config.trainer.max_time, self.from_checkpoint.time_trained, finished[0], by)
        if ended:
            how = "more patience" if ended == "EarlyStopping" else "other settings"
            return (f"had stopped early after epoch {finished[0] - 1} ({ended}), and a resume trains no further (to "
                    f"train longer, start a new run with {how})")
        option, count, unit = (("max_epochs", finished[0], "epochs") if self._epochs_reached(config, finished[0])
                               else ("max_steps", finished[1], "steps"))
        value = config.trainer.get(option)
        by = set_by_resume(option, value, self.from_checkpoint.recorded_settings, self.from_checkpoint.started)
        first = self.from_checkpoint.started.get(f"trainer.{option}")
        such = f", such as {first}" if by and isinstance(first, int) and first > count else ""
        return f"has done its {count} {unit} (--trainer.{option} {value}{by}; one above {count} trains on{such})"

    @staticmethod
    def _epochs_reached(config: Any, done: int) -> bool:
        """Whether a resume's ``--trainer.max_epochs`` is reached by the ``done`` epochs of its checkpoint."""
        max_epochs = config.trainer.get("max_epochs")
        return isinstance(max_epochs, int) and max_epochs != -1 and done >= max_epochs

    def _place_evaluation(self, config: Any) -> None:
        """Keep an evaluation with the run it evaluates: it takes no run version of its own.

        Its logs go to ``{run's log folder}/{subcommand}-{checkpoint}`` (TensorBoard shows it as a
        run of its own, beside the training curves, with only the latest evaluation of that
        checkpoint: earlier events there are purged); a checkpoint outside any run folder, or of a
        run trained without a logger, is evaluated without a logger. The checkpoint callback keeps
        the checkpoint's own folder.
        """
        ckpt_path = Path(config.ckpt_path)
        config.checkpoint.dirpath = os.fspath(ckpt_path.resolve().parent)
        if self.from_checkpoint.checked is not None:
            # the run's own: the checkpoint's state is kept under a key naming them, which Lightning
            # looks for among this trainer's callbacks (and warns of where none has it)
            for key, value in checkpoint_identity(self.from_checkpoint.checked[1]).items():
                config.checkpoint[key] = value
        logger = config.trainer.get("logger")
        init = logger.get("init_args") if hasattr(logger, "get") and logger.get("class_path") else None
        if self.subcommand == "predict" and init is not None and str(logger.get("class_path")).endswith("RunLogger"):
            config.trainer.logger = False  # predict logs nothing: it writes its CSV, and no log folder
        elif isinstance(logger, list):  # each placed as one alone is (a list was passed on: Lightning's new versions)
            kept = [each for each in logger if self._place_evaluation_logger(config, ckpt_path, each)]
            config.trainer.logger = kept or False
        elif not self._place_evaluation_logger(config, ckpt_path, logger):
            config.trainer.logger = False
        if self.subcommand == "predict":
            data = config.data.get("init_args") or config.data
            writer, source = PredictionWriter(**as_plain(config.prediction)), data.get("predict_file")
            target = writer.target(writer.output, os.fspath(ckpt_path), source)
            writer.check_target(target, os.fspath(ckpt_path), source)
            # before Lightning's notices, as the above
            writer.check_top_k(self.from_checkpoint.model_hparams.get("num_classes"))
        if self.subcommand == "test":
            data = config.data.get("init_args") or config.data
            test_path = data.get("test_path") if hasattr(data, "get") else None
            if test_path:  # its report, figures and log folder are named after the table (see TestReport)
                report = ckpt_path.parent / report_name(ckpt_path, table_stem(test_path))
                refuse_case_twin(report, "--data.test_path", test_path, "rename the table")
                refuse_other_table(report, test_path)

    def _place_evaluation_logger(self, config: Any, ckpt_path: Path, logger: Any) -> bool:
        """Place one of an evaluation's loggers (see :meth:`_place_evaluation`) in its run's log folder; ``False``
        for blobclf's own where the run has none (it logs nothing then).

        Raises:
            UserError: Another logger, for a run without a log folder (see :func:`refuse_unused_logger`).
        """
        init = logger.get("init_args") if hasattr(logger, "get") and logger.get("class_path") else None
        if init is None or "version" not in init:
            return True
        version = run_version(ckpt_path, config.checkpoint.root)
        started_elsewhere = (version is None and self.from_checkpoint.run_logs is not None
                             and init.get("save_dir") == LOG_ROOT)
        if started_elsewhere:
            init.save_dir, version = self.from_checkpoint.run_logs[0], self.from_checkpoint.run_logs[2]
        checked = self.from_checkpoint.checked
        if version is not None and checked is not None and recorded_without_logger(checked[1]):
            version = None  # a run trained without a logger has no log folder: its evaluations log nothing either
        if version is None and init.get("version") is None:
            refuse_unused_logger(str(logger.get("class_path")), self.subcommand, ckpt_path,
                                 checked is not None and recorded_without_logger(checked[1]))
            return False
        if init.get("version") is None:
            init.version = version
            recorded = self.from_checkpoint.run_log_folder
            if (recorded is not None and not init.get("name") and "name" in init
                    and (started_elsewhere
                         or os.path.normpath(str(init.get("save_dir"))) == os.path.normpath(recorded[0]))):
                init.name = recorded[1]  # the run's own log folder, {save_dir}/{name}/version_N
        if "sub_dir" in init and init.get("sub_dir") is None:
            # named as the test report is: one folder per checkpoint and separate test table
            data = config.data.get("init_args") or config.data
            test_path = data.get("test_path") if hasattr(data, "get") else None
            source = f"-{table_stem(test_path)}" if test_path else ""
            init.sub_dir = f"{self.subcommand}-{checkpoint_tag(ckpt_path)}{source}"
            if "purge_step" in init and init.get("purge_step") is None:
                # the evaluation of the checkpoint as it is now replaces any earlier one there,
                # as its report does: TensorBoard hides the earlier events of this folder, and
                # their files go once this evaluation has ended (see after_validate)
                init.purge_step = 0
                self.replaced_events += tuple(events_files(
                    Path(init.save_dir) / (init.get("name") or "") / run_name(init.version) / init.sub_dir))
        return True

    replaced_events: tuple[Path, ...] = ()
    """The event files an evaluation's own replace (see :meth:`_place_evaluation`)."""

    def after_validate(self) -> None:
        """Remove the event files of earlier evaluations that this one's replace (see
        :func:`remove_replaced_events`)."""
        if rank_zero_only.rank == 0:
            remove_replaced_events(self.replaced_events)
            self._name_after_epoch_read()

    after_test = after_validate

    def after_predict(self) -> None:
        if rank_zero_only.rank == 0:
            self._name_after_epoch_read()

    def _name_after_epoch_read(self) -> None:
        """Name what this evaluation wrote after the epoch of the ``last.ckpt`` it read, if a fit training the run has
        replaced that file meanwhile: ``test_report-last.json`` would say the new one's (see
        :meth:`RunCheckpoint._write_last <blobclf.runcheckpoint.RunCheckpoint>`, which renames those of a file it
        replaces)."""
        if self.from_checkpoint.read_last is None:
            return
        path, state, epoch = self.from_checkpoint.read_last
        if file_state(path) == state:
            return
        written: list[Any] = [getattr(self.trainer.logger, "log_dir", None) if self.trainer.logger else None]
        for callback in self.trainer.callbacks:
            if isinstance(callback, TestReport):
                written += callback.written
            if isinstance(callback, PredictionWriter) and callback.output is None:
                written.append(callback.written)
        outputs = [output for output in map(as_last_output, filter(None, written))
                   if output is not None and not (output[0].is_dir() and written_to_now(output[0]))]
        renamed = rename_last_outputs(outputs, epoch)
        if renamed:
            print(f"note: {shown(path)} was replaced while {self.subcommand} ran (a fit is training the run); what "
                  f"it wrote of epoch {epoch} is named after it: "
                  f"{', '.join(f'{shown(old)} -> {new.name}' for old, new in renamed)}")

    def instantiate_classes(self) -> None:
        try:
            with warnings.catch_warnings():
                # the optimizer always comes from --optimizer (default: the tutorial's SGD), so
                # LightningCLI's notice that it replaces the model's own default is noise
                warnings.filterwarnings("ignore", message=r"`BlobClassifier.configure_optimizers` will be overridden")
                with evaluating() if self.subcommand in EVAL_COMMANDS else contextlib.nullcontext():
                    super().instantiate_classes()
        except BaseException as error:
            self.release_claim()
            cause = error.__cause__ if isinstance(error, ValueError) else error
            if isinstance(cause, NotEnoughMemory) and self.from_checkpoint.ckpt_given:
                raise UserError(self._memory_for_checkpoint(cause)) from None
            if isinstance(cause, ModelTooLarge) and self.from_checkpoint.ckpt_given:
                subcommand = self.subcommand or "fit"
                raise UserError(model_too_large(cause, subcommand, self.config[subcommand].ckpt_path)) from None
            if isinstance(error, ValueError) and isinstance(error.__cause__, UserError):
                # jsonargparse wraps what a subclass-mode data module's constructor raised
                raise error.__cause__ from None
            missing = missing_package(error)
            if missing is not None:
                raise UserError(missing) from None
            raise

    def _memory_for_checkpoint(self, error: NotEnoughMemory) -> str:
        """The memory refusal for data a checkpoint records: a smaller ``--data.n_samples`` would
        contradict the checkpoint, so the fix is another machine (or, for predict, a file of points)."""
        subcommand = self.subcommand or "fit"
        path = self.config[subcommand].ckpt_path
        fix = f"{'resume' if subcommand == 'fit' else subcommand} it on a machine with more memory"
        if subcommand == "predict":
            fix += ", or predict the points of a CSV file with --data.predict_file (no blobs are drawn then)"
        return f"{error.args[0]}, for the data the checkpoint {path!r} was trained on; {fix}"

    def instantiate_trainer(self, **kwargs: Any) -> L.Trainer:
        """LightningCLI's trainer; a ``--trainer`` value that Lightning's ``Trainer`` refuses (an
        unknown accelerator or strategy name, ``--trainer.devices -5``) is one line, not a traceback.

        Args:
            kwargs: Passed on to :meth:`LightningCLI.instantiate_trainer`.
        """
        config = self.config[self.subcommand] if self.subcommand else self.config
        for name in ONE_BATCH:  # the instantiation reads the integer 1 as 1.0 again (see keep_one_batch)
            if type(config.trainer.get(name)) is int:
                kwargs.setdefault(name, config.trainer.get(name))
        try:
            return super().instantiate_trainer(**kwargs)
        except (ValueError, TypeError, ModuleNotFoundError) as error:
            raise UserError(f"the --trainer settings were refused by Lightning: {error} (see --help)") from error

    def after_instantiate_classes(self) -> None:
        config = self.config[self.subcommand] if self.subcommand else self.config
        checkpoint_io = self.trainer.strategy.checkpoint_io
        if self.from_checkpoint.checked is not None and isinstance(checkpoint_io, AtomicCheckpointIO):
            path, checkpoint = self.from_checkpoint.checked  # an evaluation's: handed to this trainer's plugin, once
            checkpoint_io.hold(path, evaluation_states(checkpoint, self.trainer.callbacks))
        self.from_checkpoint.checked = None
        self._check_data_fits_model(config)
        if self.subcommand == "fit" and config.get("ckpt_path") and lone_checkpoint(config.ckpt_path):
            # a resume goes on in its checkpoint's folder (a run folder moved elsewhere resumes there): a checkpoint
            # lying in the folder fit runs in would spread a run's checkpoints and exports among the user's files
            given = os.fspath(config.ckpt_path)
            name, run = Path(given).name, f"{Path(given).stem}-run"
            raise UserError(
                f"--ckpt_path {shlex.quote(given)} lies in the folder fit runs in, not in a run folder: "
                "a resume writes the run's checkpoints and exports (last.ckpt, best-*.ckpt, model.pth, model.onnx, "
                "model.json) beside its checkpoint; give it a folder of its own and resume there: "
                f"mkdir {shlex.quote(run)} && mv {shlex.quote(name)} {shlex.quote(run)}/ && python -m blobclf fit "
                f"--ckpt_path {shlex.quote(f'{run}/{name}')}"
            )
        if self.subcommand in EVAL_COMMANDS and rank_zero_only.rank == 0:
            remove_run_leftovers(Path(config.ckpt_path).parent)  # what killed commands there left
        for logger in self.trainer.loggers if self.subcommand in EVAL_COMMANDS else ():
            if isinstance(logger, RunLogger):  # its values beside the training curves at the checkpoint's epoch
                logger.evaluated_epoch = self.from_checkpoint.values_epoch
        if getattr(self, "predict_points", None) is not None and isinstance(self.datamodule, SplitDataModule):
            self.datamodule.points = self.predict_points  # read and checked before anything ran
        export = self.config_init[self.subcommand].get("export") if self.subcommand else None
        if isinstance(export, RunExport):
            export.training = {key: as_plain(config.get(key)) for key in RECORDED}
            export.training[SETTINGS] = run_settings(config)
            if not config.get("ckpt_path"):  # a resume keeps its checkpoint's (see RunExport.load_state_dict)
                export.training[STARTED] = started_limits(export.training[SETTINGS])
        stop = next((c for c in getattr(self.trainer, "callbacks", []) if isinstance(c, GracefulStop)), None)
        if stop is not None and self.subcommand == "fit" and not config.get("ckpt_path") and rank_zero_only.rank == 0:
            # a new run: what a signal before its first epoch may remove (see blobclf.unstarted);
            # a logger folder that exists already (a given logger version) is another run's
            log_dir = getattr(self.trainer.logger, "log_dir", None) if self.trainer.logger is not None else None
            log_dir = log_dir if log_dir is not None and not Path(log_dir).exists() else None
            made = self.claimed is not None or self.made_dirpath[0]
            roots = [self.claimed[0]] if self.claimed is not None and self.claimed[2] else []
            checkpoint_dir = getattr(run_checkpoint(self.trainer), "dirpath", None) if made else None
            roots += [os.fspath(Path(checkpoint_dir).parent)] if checkpoint_dir and self.made_dirpath[1] else []
            new_log_root = log_dir is not None and not Path(log_dir).parent.exists()
            roots += [os.fspath(Path(log_dir).parent)] if new_log_root else []
            stop.new_run = (checkpoint_dir, log_dir, tuple(roots))
        note = tutorial_settings_note(config) if self.subcommand == "fit" and not config.get("ckpt_path") else None
        if note is not None:  # here, once the table was read: a command its data refuses prints only its refusal
            rank_zero_info(note)
        if self.claimed is not None:
            # config.yaml records what the user asked for; the version was only the next free one
            config.checkpoint.dirpath = None
            for init in logger_inits(config.trainer.get("logger")):
                if "version" in init and not self.version_given:
                    init.version = None

    def _check_data_fits_model(self, config: Any) -> None:
        """Refuse a checkpoint whose data settings give another input or output size than its model
        has (an edited checkpoint): Lightning would end in a traceback loading its weights."""
        trained = self.from_checkpoint.model_hparams
        for key in ("num_features", "num_classes"):
            given = self.model.hparams.get(key)
            if key in trained and given is not None and given != trained[key]:
                raise UserError(
                    f"checkpoint {os.fspath(config.ckpt_path)!r} does not fit its own data settings: they give "
                    f"{key}={given}, but its model was trained with {key}={trained[key]}; it was edited or written "
                    "by another program, use another checkpoint"
                )

    def release_claim(self) -> None:
        """Remove the run folder this command claimed, if nothing was written into it."""
        if self.claimed is not None:
            release_run(*self.claimed)
            self.claimed = None


def stage_callbacks(subcommand: str | None) -> list[Any]:
    """The callbacks a subcommand uses (all of them when it is not known in advance).

    Lightning calls every hook of every callback, a few dozen times an epoch; a callback that
    cannot act in a subcommand is not given to its trainer. :class:`RngState` is given to every one: an
    evaluation's trainer takes each state its checkpoint carries (it restores nothing there).
    """
    every = {"fit": [GracefulStop(), EpochAxis()], "test": [TestReport()]}
    if subcommand in LightningCLI.subcommands():
        return [RngState(), *every.get(subcommand, [])]
    return [RngState(), *(callback for callbacks in every.values() for callback in callbacks)]


def cli_kwargs(subcommand: str | None = None) -> dict[str, Any]:
    """The arguments ``cli_main`` builds :class:`BlobCLI` with (benchmarks and tests reuse them).

    Args:
        subcommand: The subcommand that will run, when known: only its callbacks are made.
    """
    program = typed_program()
    return {
        "model_class": BlobClassifier,
        "datamodule_class": SplitDataModule,
        "subclass_mode_data": True,
        "parser_class": BlobArgumentParser,
        "seed_everything_default": 42,
        "save_config_callback": RunConfig,
        "trainer_defaults": {
            "logger": {"class_path": "blobclf.logger.RunLogger"},
            "callbacks": [default_progress(), *stage_callbacks(subcommand)],
            "plugins": [{"class_path": "blobclf.checkpointio.AtomicCheckpointIO"}],
            "enable_progress_bar": True,
            "num_sanity_val_steps": 0,
            "deterministic": True,
        },
        # no abbreviations: a misspelt --trainer.max_epoch must not quietly mean --trainer.max_epochs
        "parser_kwargs": {"prog": program, "description": description(program), "allow_abbrev": False,
                          "default_epochs": TUTORIAL_EPOCHS,
                          **{name: {"description": text, "allow_abbrev": False,
                                    "usage": f"{program} [options] {name} [OPTIONS]",
                                    **({"default_epochs": TUTORIAL_EPOCHS} if name == "fit" else {})}
                             for name, text in SUBCOMMAND_HELP.items()}},
    }


def close_process_group() -> None:
    """Shut down the distributed process group a DDP run opened, before the program exits.

    Lightning keeps the group open after ``fit`` (a process may go on to ``test``) and closes it
    at exit only for NCCL. With a gloo group left open until the interpreter exited, two-node runs
    on a loaded machine sometimes aborted a worker after its work was done ("terminate called
    without an active exception"); closing it here stopped that. It is local to each process.
    """
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


def cli_for(subcommand: str | None) -> type[BlobCLI]:
    """:class:`BlobCLI` offering only ``subcommand`` (all subcommands for ``None`` or an unknown name).

    LightningCLI builds a complete parser (every Trainer, model, data and callback option, with
    their types and documentation) for each subcommand it offers, before it parses anything; a
    command that runs ``fit`` needs only ``fit``'s. ``subcommands`` is LightningCLI's public,
    overridable list of subcommands.
    """
    every = LightningCLI.subcommands()
    if subcommand not in every:
        return BlobCLI
    only = {subcommand: every[subcommand]}

    class OneSubcommandCLI(BlobCLI):
        @staticmethod
        def subcommands() -> dict[str, set[str]]:
            return only

    return OneSubcommandCLI


def _quiet_thread_errors(args: threading.ExceptHookArgs) -> None:
    """A library's writer thread (TensorBoard's) that fails to write keeps its error for the
    command, which raises it again and says it in one line; the thread prints no traceback."""
    if debugging() or not issubclass(args.exc_type, OSError):
        threading.__excepthook__(args)


def cli_main(args: list[str] | None = None, only: str | None = None) -> None:
    """Run the blobclf command line; user errors end in one line on stderr and exit status 2.

    Args:
        args: The command line (``None``: ``sys.argv[1:]``).
        only: Build only this subcommand's parser (see :func:`cli_for`); ``python -m blobclf``
            passes the subcommand it was given.
    """
    argv = sys.argv[1:] if args is None else args
    parent = os.getppid()  # process 0 of a DDP run, in the processes it starts (see lost_process_zero)
    quiet_known_notices()
    kwargs = cli_kwargs(argv[0] if argv and argv[0] in LightningCLI.subcommands() else None)
    stop = next((c for c in kwargs["trainer_defaults"]["callbacks"] if isinstance(c, GracefulStop)), GracefulStop())
    if args is None:
        threading.excepthook = _quiet_thread_errors
    try:
        check_config_files(argv)
        check_used_options(argv, LightningCLI.subcommands())
        try:
            with signals_stop_the_command(), command_line():  # refusals name --data.OPTION, as typed
                cli_for(only)(**kwargs, args=args)
        except SystemExit:
            if not stop.stopped():  # a second signal under DDP ends in Lightning's own exit
                raise
        except Stopped as stopped:
            if stop.exporting and not stop.stopped():
                stop.stopped_exporting(stopped.signum)
            if args is not None and stopped.signum == signal.SIGINT and not stop.stopped():
                raise KeyboardInterrupt from None  # called in-process (a test run): Ctrl-C is the caller's
            if not stop.stopped():  # not while a run trained or was exported: nothing to resume
                if args is None:
                    ignore_signals_from_now()  # a second signal must not cut the removal short, or the line
                stop.remove_unstarted()  # a new run stopped before its first epoch leaves no folders
                name = signal.Signals(stopped.signum).name
                sys.stderr.write(f"blobclf: stopped by {name} before training started; nothing was trained\n"
                                 if argv and argv[0] == "fit" else f"blobclf: stopped by {name}\n")
                sys.exit(128 + stopped.signum)
        if stop.stopped():
            if args is None:
                ignore_signals_from_now()  # what was asked is done: the program ends with 128 + signal
            if rank_zero_only.rank == 0:
                sys.stderr.write(stop.report() + "\n")
            sys.exit(128 + int(stop.signal or 0))
    except (UserError, MisconfigurationException) as error:
        stop.remove_unstarted()  # a new run refused before its first epoch leaves no folders
        if debugging():
            raise
        sys.stderr.write(f"blobclf: error: {error_line(one_line(str(error)))}\n")
        sys.exit(2)
    except BrokenPipeError:
        # standard output's reader left (| head, a closed less) outside training's epochs, which stop
        # themselves (see EpochLines): after a run's exports or an evaluation's files were written
        silence_stdout()
        if debugging():
            raise
        if stop.exporting and not stop.stopped():
            stop.stopped_exporting(SIGPIPE)
        closed = "blobclf: stopped by SIGPIPE: standard output was closed (the reader of the pipe left)"
        sys.stderr.write((stop.report() if stop.stopped() else closed) + "\n")
        sys.exit(128 + SIGPIPE)
    except OSError as error:
        # the machine refused a read or write (disk full, read-only folder, a file where a folder
        # should be ...): say which path and why; everything written before stays whole
        stop.remove_unstarted()  # a new run that saved no checkpoint leaves no folders
        if debugging() or (error.filename is None and error.errno not in FULL):
            raise
        line = refused_write(error, stop if argv and argv[0] == "fit" else None, argv[0] if argv else None)
        sys.stderr.write(f"blobclf: error: {error_line(line)}\n")
        sys.exit(2)
    except Exception as error:
        # Lightning's teardown failing after a failed CUDA graph recording: the recording is the cause
        lost = lost_process_zero(error, parent, rank_zero_only.rank, stop.run_folder)
        if lost is not None and not debugging():
            sys.stderr.write(f"blobclf: {lost}\n")
            sys.exit(1)
        failed = recording_failure(error)
        if failed is None or debugging():
            raise
        sys.stderr.write(f"blobclf: error: {error_line(one_line(str(failed)))}\n")
        sys.exit(2)
    finally:
        unlock_runs()
        if args is None:
            close_process_group()
