"""The callbacks live in modules of their own; ``blobclf.callbacks`` still names each of them, as configs and the
``config.yaml`` of runs written before the split do (``class_path: blobclf.callbacks.RunCheckpoint``)."""

from __future__ import annotations

import importlib

import pytest

import blobclf.callbacks
from blobclf.classrefs import loaded_class

MOVED = {
    "RunCheckpoint": "blobclf.runcheckpoint", "run_checkpoint": "blobclf.runcheckpoint",
    "epoch_values": "blobclf.runcheckpoint", "averages_at_any_end": "blobclf.runcheckpoint",
    "swapped_in_average": "blobclf.runcheckpoint", "RunExport": "blobclf.runexport",
    "exported_step": "blobclf.runexport", "TestReport": "blobclf.testreport", "RngState": "blobclf.rngstate",
    "shown": "blobclf.shownpath", "hparams_of": "blobclf.hparams", "hparam_value": "blobclf.hparams",
    "HPARAM_METRIC_PREFIX": "blobclf.hparams",
}


@pytest.mark.parametrize("name", sorted(MOVED))
def test_the_old_module_names_the_moved_object(name):
    assert getattr(blobclf.callbacks, name) is getattr(importlib.import_module(MOVED[name]), name)


def test_the_old_module_lists_exactly_what_moved():
    assert sorted(blobclf.callbacks.__all__) == sorted(MOVED)


@pytest.mark.parametrize("name", ["RunCheckpoint", "RunExport", "TestReport", "RngState"])
def test_an_old_class_path_names_a_loaded_class(name):
    import blobclf.cli  # noqa: F401 - the command line loads blobclf.callbacks, as before the split

    assert loaded_class(f"blobclf.callbacks.{name}") is getattr(importlib.import_module(MOVED[name]), name)
