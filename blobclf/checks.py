"""Settings that Lightning or torch would take but that cannot work, refused in one line before anything
is printed or written: a seed ``seed_everything`` cannot take, Trainer options that would take away what a
blobclf run is made of (its checkpoints, its log folder), an optimizer or scheduler that fails to build or
whose schedule ends before the run does, a resume to fewer epochs than its checkpoint has done, and
one to another number of epochs that a run's weight averaging cannot follow.
:class:`blobclf.cli.BlobCLI` calls them once the command is parsed."""

from __future__ import annotations

import math
import os
from collections.abc import Collection, Sequence
from pathlib import PurePath
from typing import Any

import torch
import yaml
from lightning.pytorch.cli import instantiate_class

from blobclf.errors import UserError
from blobclf.recorded import as_plain, epoch_progress, logger_inits

OWN_OPTIONS = {"--export": "fit", "--prediction": "predict", "--checkpoint": "fit", "--optimizer": "fit",
               "--lr_scheduler": "fit"}
"""Option groups every subcommand's parser has but only one subcommand uses (an evaluation still
takes ``--checkpoint.root``, where ``last`` and ``best`` are looked for; its optimizer and scheduler
are the checkpoint's, and unused)."""
SHARED_OPTIONS = ("--checkpoint.root",)
FIT_ONLY_OPTIONS = (
    "--trainer.max_epochs", "--trainer.min_epochs", "--trainer.max_steps", "--trainer.min_steps", "--trainer.max_time",
    "--trainer.limit_train_batches", "--trainer.val_check_interval", "--trainer.check_val_every_n_epoch",
    "--trainer.num_sanity_val_steps", "--trainer.log_every_n_steps", "--trainer.enable_model_summary",
    "--trainer.accumulate_grad_batches", "--trainer.gradient_clip_val", "--trainer.gradient_clip_algorithm",
    "--trainer.reload_dataloaders_every_n_epochs", "--trainer.detect_anomaly", "--trainer.sync_batchnorm",
    "--model.cuda_graphs", "--model.steps_per_execution",
)
"""Options of the groups every subcommand uses (the Trainer's, the model's) that only fit's training uses: Lightning's
evaluation loops never read them (its ModelSummary is printed when fit starts; it turns on anomaly detection around
the fit loop only, and its strategies convert batch norm layers when fitting only), and CUDA graphs and
steps_per_execution group training steps."""
SOME_OPTIONS = {
    "--trainer.limit_val_batches": ("fit", "validate"),
    "--trainer.overfit_batches": ("fit", "validate"),
    "--trainer.limit_test_batches": ("test",),
    "--trainer.limit_predict_batches": ("predict",),
}
"""The Trainer's batch limits, with the subcommands that use each: Lightning's evaluation loop reads
``limit_test_batches`` when testing and ``limit_val_batches`` otherwise (fit's validation, validate), its prediction
loop ``limit_predict_batches``; ``overfit_batches`` sets the training and validation limits. blobclf's fit tests and
predicts nothing."""
USED_BY = {**{option: ("fit",) for option in FIT_ONLY_OPTIONS}, **SOME_OPTIONS}
"""Every option of the shared groups that some subcommands only use, with those subcommands."""
OWN_LIMITS = {"validate": "--trainer.limit_val_batches", "test": "--trainer.limit_test_batches",
              "predict": "--trainer.limit_predict_batches"}
"""The batch limit each evaluation reads (named when another limit is given to it)."""

MAX_SEED = 2**32 - 1  # the seeds numpy's generator (and so Lightning's seed_everything) accepts


def check_seed(config: Any) -> None:
    """Refuse a seed that Lightning's ``seed_everything`` cannot take (it would end in a traceback)."""
    seed = config.get("seed_everything")
    if isinstance(seed, int) and not isinstance(seed, bool) and not 0 <= seed <= MAX_SEED:
        raise UserError(f"--seed_everything={seed} is out of range: use a number from 0 to {MAX_SEED}")


def check_used_options(argv: Sequence[str], subcommands: Collection[str]) -> None:
    """Refuse, in one line, an option on the command line that its subcommand takes and ignores.

    LightningCLI gives every subcommand the same groups: ``fit --prediction.top_k 3`` trained and
    dropped the setting, ``test --checkpoint.save_top_k 3`` wrote no checkpoint. Values from a
    ``--config`` file are left alone: one file may serve several subcommands.

    Args:
        argv: The command line, the subcommand first (or after the top-level options).
        subcommands: The subcommands' names.
    """
    at = next((i for i, arg in enumerate(argv) if arg in subcommands), None)
    if at is None:
        return
    subcommand, rest = argv[at], list(argv[at + 1:])
    for i, arg in enumerate(rest):
        name = arg.split("=", 1)[0]
        group = name.split(".", 1)[0]
        if name == group and (partly_shared(group) or any(o.startswith(f"{group}.") for o in USED_BY)):
            # the group as one value: '{root: DIR}' is used, the other keys would be ignored (a file is a config)
            value = arg.split("=", 1)[1] if "=" in arg else (rest[i + 1] if i + 1 < len(rest) else "")
            keys = group_keys(value)
            name = next((f"{group}.{key}" for key in keys if used_only_by(f"{group}.{key}", subcommand)), group)
            if name == group:
                continue
        user = used_only_by(name, subcommand)
        if user:
            own = OWN_LIMITS.get(subcommand) if name in (*SOME_OPTIONS, "--trainer.limit_train_batches") else None
            raise UserError(f"{name} is used by {user} only, and '{subcommand}' would ignore it: drop it (or give it "
                            f"to {user.replace(' and ', ' or ')})" + (f"; {subcommand}'s own is {own}" if own else ""))


def used_only_by(option: str, subcommand: str) -> str | None:
    """The subcommands that use ``option`` (``--export.onnx``, as typed; ``fit and validate``), where ``subcommand``
    would ignore it; ``None`` where ``subcommand`` uses it (or every subcommand does)."""
    if option in USED_BY:
        return None if subcommand in USED_BY[option] else " and ".join(USED_BY[option])
    user = OWN_OPTIONS.get(option.split(".", 1)[0])
    return user if user and user != subcommand and option not in SHARED_OPTIONS else None


def partly_shared(group: str) -> bool:
    """Whether some of the options of the group ``group`` (``--checkpoint``) are used by every subcommand."""
    return any(shared.startswith(f"{group}.") for shared in SHARED_OPTIONS)


def shown_in_help(option_strings: Sequence[str], subcommand: str) -> bool:
    """Whether ``subcommand``'s ``--help`` lists the option of these names: not one that :func:`check_used_options`
    refuses on its command line (a ``--config`` file's values are accepted, and ignored)."""
    return not any(used_only_by(option, subcommand) and not partly_shared(option) for option in option_strings)


def group_keys(value: str) -> list[str]:
    """The keys of an option group given as one YAML mapping (``--checkpoint '{root: DIR}'``); none for a
    config file's path or anything else."""
    try:
        loaded = yaml.safe_load(value)
    except yaml.YAMLError:
        return []
    return [str(key) for key in loaded] if isinstance(loaded, dict) else []


def check_run_files(trainer: Any, subcommand: str = "fit") -> None:
    """Refuse the Trainer options that would take away what a blobclf run is made of (its checkpoints,
    its log folder), each with the options of ``subcommand`` that do what the user likely wants."""
    if trainer.get("enable_checkpointing") is False:
        raise UserError("--trainer.enable_checkpointing=false is refused: a blobclf run keeps checkpoints (last.ckpt "
                        "resumes it, the best one is tested); " + (
                            "to write fewer, use --checkpoint.save_top_k 0 (no best checkpoint) and "
                            "--checkpoint.save_last false (no last.ckpt)" if subcommand == "fit" else
                            f"'{subcommand}' writes none: drop it"))
    if trainer.get("barebones"):
        raise UserError("--trainer.barebones=true is refused: it turns off the logger and checkpoints a blobclf run "
                        "is made of; for speed use --trainer.enable_progress_bar false" + (
                            " --trainer.enable_model_summary false --export.figures false --export.onnx false"
                            if subcommand == "fit" else ""))
    strategy = trainer.get("strategy")
    if isinstance(strategy, str) and "spawn" in strategy:
        raise UserError(f"--trainer.strategy={strategy} is refused: blobclf's command line cannot hand its run to "
                        "spawned processes; use --trainer.strategy ddp, which starts its processes as a fresh "
                        "command (the same training, the same weights)")
    if trainer.get("model_registry") is not None:
        raise UserError(
            f"--trainer.model_registry={trainer.model_registry!r} is not used by blobclf: Lightning uploads to a "
            "model registry only through the checkpoint callback it adds when there is none, and a blobclf run has "
            "its own (--checkpoint); drop it (the run's checkpoints are files under --checkpoint.root)")
    if trainer.get("default_root_dir") is not None:
        raise UserError(f"--trainer.default_root_dir={trainer.default_root_dir!r} is not used by blobclf, whose runs "
                        "go to --checkpoint.root (checkpoints) and the logger's save_dir (lightning_logs); give those "
                        "instead: --checkpoint.root DIR/checkpoints --trainer.logger.init_args.save_dir "
                        "DIR/lightning_logs (or run blobclf from DIR)")


LOG_FOLDERS = ("name", "sub_dir")
"""A logger's arguments that name a sub-folder of its ``save_dir`` (Lightning: ``save_dir/name/version/sub_dir``)."""


def check_log_folders(trainer: Any, versions: bool) -> None:
    """Refuse a logger ``name`` or ``sub_dir`` (with ``versions``, also a ``version``) that leaves its ``save_dir``.

    Lightning documents each as a sub-folder; ``..`` or an absolute path wrote a run's logs, its ``config.yaml``
    among them, outside the logger's folder (``sub_dir: ../../x`` into the folder blobclf was run from, where a
    later run with the same value wrote over them). A ``/`` that makes sub-folders stays inside, and ``save_dir``
    itself may be anywhere: it is where the user puts the logs.
    """
    for init in logger_inits(as_plain(trainer.get("logger"))):
        keys = (*LOG_FOLDERS, "version") if versions else LOG_FOLDERS
        for key in keys:
            value = init.get(key)
            if not isinstance(value, str) or not (os.path.isabs(value) or ".." in PurePath(value).parts):
                continue
            save_dir = os.fspath(init.get("save_dir") or ".")
            name = str(init.get("name") or "")
            parts = {"name": [value], "version": [name, value], "sub_dir": [name, "version_N", value]}[key]
            where = os.path.normpath(os.path.join(save_dir, *parts))
            raise UserError(
                f"--trainer.logger.init_args.{key}={value!r} leads out of the logger's save_dir {save_dir!r}: its "
                f"logs would go to {where!r}; give a name without '..' that is not absolute (a '/' makes sub-folders), "
                "or choose the folder with --trainer.logger.init_args.save_dir DIR"
            )


def check_optimizer(config: Any) -> None:
    """Build the configured optimizer and scheduler once on a stand-in parameter, so that an
    invalid value (a negative learning rate, a scheduler missing its required argument) is a
    one-line error before anything is written."""
    if not config.get("optimizer"):
        return
    for group in ("optimizer", "lr_scheduler"):
        settings = as_plain(config.get(group)) if config.get(group) else None
        given = settings.get("init_args") if isinstance(settings, dict) else None
        for key, value in (given.items() if isinstance(given, dict) else ()):
            numbers = value if isinstance(value, (list, tuple)) else [value]
            if any(isinstance(v, float) and not math.isfinite(v) for v in numbers):
                # torch takes an lr of inf or nan: the first epoch ends the run as 'diverged', its folders written
                raise UserError(f"--{group}.{key}={value!r} is not a finite number; give a finite value")
    try:
        optimizer = instantiate_class([torch.nn.Parameter(torch.zeros(1))], as_plain(config.optimizer))
    except (ValueError, TypeError) as error:
        raise UserError(f"--optimizer {config.optimizer.class_path}: {error}") from None
    if config.get("lr_scheduler"):
        try:
            scheduler = instantiate_class(optimizer, config.lr_scheduler.as_dict())
        except (ValueError, TypeError, KeyError) as error:
            raise UserError(f"--lr_scheduler {config.lr_scheduler.class_path}: {error}") from None
        _check_schedule_length(scheduler, config)


def check_optimizer_state(config: Any, checkpoint: dict[str, Any], path: str, model: torch.nn.Module) -> None:
    """Refuse a resume whose checkpoint's optimizer state does not fit the run's optimizer: torch loads it as it is
    (an ``lr`` of ``'0.1'``, a group of other parameters, a momentum of another shape) and fails at the first step
    with a traceback, or takes a NaN ``lr`` and ends the run as 'diverged'."""
    states = checkpoint.get("optimizer_states")
    if not states or not config.get("optimizer"):
        return  # none recorded: the optimizer starts afresh, as Lightning does
    why = "" if isinstance(states, list) and len(states) == 1 and isinstance(states[0], dict) else (
        f"it holds {type(states).__name__ if not isinstance(states, list) else f'{len(states)} states'}, not one")
    if not why:
        params = list(model.parameters())
        fresh = instantiate_class(params, as_plain(config.optimizer))
        try:
            fresh.load_state_dict(states[0])
        except (ValueError, TypeError, KeyError, IndexError, RuntimeError) as error:
            why = str(error).splitlines()[0] if str(error) else type(error).__name__
    if not why:
        why = _state_mismatch(fresh, params)
    if why:
        raise UserError(f"checkpoint {path!r} holds an optimizer state that does not fit its optimizer "
                        f"({config.optimizer.class_path}): {why}; it was edited or written by another program: use "
                        "another checkpoint")


def _state_mismatch(optimizer: torch.optim.Optimizer, params: list[torch.Tensor]) -> str:
    """What in a loaded optimizer state differs from a fresh one's kinds: a setting of another type or not finite,
    a per-parameter tensor of another shape; ``""`` if nothing."""
    defaults = optimizer.defaults
    for index, group in enumerate(optimizer.param_groups):
        for key, default in defaults.items():
            value = group.get(key)
            if isinstance(default, bool):
                ok = isinstance(value, bool)
            elif isinstance(default, (int, float)):
                ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)) or (
                    isinstance(value, torch.Tensor) and value.numel() == 1 and bool(value.isfinite().all()))
            elif isinstance(default, tuple):
                ok = isinstance(value, (tuple, list)) and len(value) == len(default) and all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
            else:
                continue
            if not ok:
                return f"param_groups[{index}][{key!r}] is {value!r}, not a finite {type(default).__name__}"
    for param in params:
        for key, value in optimizer.state.get(param, {}).items():
            if isinstance(value, torch.Tensor) and value.dim() > 0 and value.shape != param.shape:
                return (f"its {key!r} has the shape {tuple(value.shape)} for a parameter of the shape "
                        f"{tuple(param.shape)}")
    return ""


def epochs_done(checkpoint: dict[str, Any]) -> int:
    """The number of epochs ``checkpoint`` has trained, as Lightning's ``max_epochs`` stop counts them: those processed
    (a ``last.ckpt`` saved within the last epoch's end, as ``--checkpoint.last_interval 0`` saves it, has not counted
    that epoch completed yet)."""
    done = int(checkpoint.get("epoch", -1)) + 1
    loops = epoch_progress(checkpoint)
    if not isinstance(loops, dict):
        return done
    counts = [count for count in (loops.get("completed"), loops.get("processed"))
              if isinstance(count, int) and not isinstance(count, bool)]
    return max(counts) if counts else done


def check_extension(config: Any, checkpoint: dict[str, Any], path: str) -> None:
    """Refuse a resume whose ``max_epochs`` lies below the epochs the checkpoint has done."""
    done = epochs_done(checkpoint)
    max_epochs = config.trainer.get("max_epochs")
    if max_epochs is not None and max_epochs != -1 and max_epochs < done:
        raise UserError(
            f"--trainer.max_epochs={max_epochs} is below the {done} epochs {path!r} has done; give a larger "
            "number to train on, or drop the option to keep the run's own"
        )


def check_averaging_extension(config: Any, checkpoint: dict[str, Any], path: str, epochs: Any) -> None:
    """Refuse a resume to another ``max_epochs`` than the run's own ``epochs`` once its ``StochasticWeightAveraging``
    has begun averaging, where the result could not be the uninterrupted run's: the run had trained all its epochs
    (the callback then replaced the trained weights with their average), or ``swa_epoch_start`` is a fraction of
    ``max_epochs`` that starts the averaging at another epoch for the new number."""
    state = next((value for key, value in checkpoint.get("callbacks", {}).items()
                  if key.startswith("StochasticWeightAveraging") and isinstance(value, dict)), None)
    wanted = config.trainer.get("max_epochs")
    if (state is None or not isinstance(state.get("latest_update_epoch"), int) or state["latest_update_epoch"] < 0
            or not isinstance(epochs, int) or not isinstance(wanted, int) or wanted == epochs):
        return
    progress = epoch_progress(checkpoint)
    if not isinstance(progress, dict):
        progress = {}
    done = max((count for count in (progress.get("processed"), progress.get("completed")) if isinstance(count, int)),
               default=0)  # a checkpoint edited by hand may hold anything there
    fix = f"to train longer, start a new run with --trainer.max_epochs {wanted} (this run stays as it is)"
    if epochs != -1 and done >= epochs:
        raise UserError(f"--trainer.max_epochs={wanted} cannot extend {path!r}: its StochasticWeightAveraging ended "
                        f"with its {epochs} epochs and replaced the trained weights with their average, so training "
                        f"on would not be the run of {wanted} epochs; {fix}")
    settings = [as_plain(entry) for entry in (config.trainer.get("callbacks") or [])]
    averaging = [entry for entry in settings if isinstance(entry, dict)
                 and str(entry.get("class_path", "")).endswith("StochasticWeightAveraging")]
    start = (averaging[0].get("init_args") or {}).get("swa_epoch_start", 0.8) if averaging else None
    if not isinstance(start, float) or epochs == -1:
        return
    began = max(int(epochs * start) - 1, 0)  # as the callback counts it: swa_epoch_start * max_epochs, from 1
    if wanted == -1 or max(int(wanted * start) - 1, 0) != began:
        then = "" if wanted == -1 else f" (it begins at epoch {max(int(wanted * start) - 1, 0)})"
        raise UserError(f"--trainer.max_epochs={wanted} cannot extend {path!r}: its StochasticWeightAveraging began "
                        f"averaging at epoch {began} (swa_epoch_start {start} of {epochs} epochs), as a run of "
                        f"{wanted} epochs would not{then}; {fix}")


def _check_schedule_length(scheduler: Any, config: Any) -> None:
    """Refuse a ``OneCycleLR`` whose schedule ends before ``max_epochs``: torch raises at the first step past
    its ``total_steps``, mid-run (LightningCLI steps a scheduler once an epoch)."""
    total = getattr(scheduler, "total_steps", None)
    epochs = config.trainer.get("max_epochs")
    if not isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR) or not isinstance(epochs, int) or epochs < 0:
        return
    if total < epochs:
        fix = ("start a new run to train longer (a resume keeps the run's scheduler)" if config.get("ckpt_path") else
               f"give --lr_scheduler.total_steps {epochs} (or more), or fewer --trainer.max_epochs")
        raise UserError(f"--lr_scheduler OneCycleLR: its schedule has {total} steps, one per epoch, and ends before "
                        f"--trainer.max_epochs={epochs}; {fix}")
