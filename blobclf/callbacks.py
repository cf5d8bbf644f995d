"""The run's callbacks, under the import path that configs and older runs' saved ``config.yaml`` name.

Each lives in a module of its own: :mod:`blobclf.runcheckpoint` (each run's checkpoint folder),
:mod:`blobclf.runexport` (the end-of-fit export), :mod:`blobclf.testreport` (the test report) and
:mod:`blobclf.rngstate` (the random number generators' state). ``class_path: blobclf.callbacks.X`` keeps loading;
the command line imports them from here, so that this module is loaded as before (a recorded class path naming it
counts as loaded: see :func:`blobclf.classrefs.loaded_class`).
"""

from blobclf.hparams import HPARAM_METRIC_PREFIX, hparam_value, hparams_of
from blobclf.rngstate import RngState
from blobclf.runcheckpoint import (
    RunCheckpoint,
    averages_at_any_end,
    epoch_values,
    run_checkpoint,
    swapped_in_average,
)
from blobclf.runexport import RunExport, exported_step
from blobclf.shownpath import shown
from blobclf.testreport import TestReport

__all__ = [
    "HPARAM_METRIC_PREFIX",
    "RngState",
    "RunCheckpoint",
    "RunExport",
    "TestReport",
    "averages_at_any_end",
    "epoch_values",
    "exported_step",
    "hparam_value",
    "hparams_of",
    "run_checkpoint",
    "shown",
    "swapped_in_average",
]
