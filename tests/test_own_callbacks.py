"""blobclf's own callbacks given again in --trainer.callbacks are refused in one line, before anything is made."""

from __future__ import annotations

import pytest
from conftest import one_error

QUICK = ("--data.n_samples", "200", "--trainer.max_epochs", "1", "--export.figures", "false", "--export.onnx", "false")


@pytest.mark.parametrize("given, where", [
    ("blobclf.callbacks.RngState", None),  # Lightning: 'Found more than one stateful callback of type RngState'
    ("blobclf.callbacks.TestReport", None),  # the report would be written twice
    ("blobclf.callbacks.RunCheckpoint", "--checkpoint"),  # a traceback too
    ("blobclf.callbacks.RunExport", "--export"),
], ids=["RngState", "TestReport", "RunCheckpoint", "RunExport"])
def test_a_callback_every_command_adds_itself_is_refused_naming_where_its_settings_go(cli, given, where):
    name = given.rsplit(".", 1)[1]
    line = one_error(cli("fit", *QUICK, f"--trainer.callbacks+={given}"))
    assert line == (f"--trainer.callbacks {name} is one of blobclf's own callbacks, which every command adds itself"
                    + (f" with the {where}.* options; set those (see --help) and" if where else ";")
                    + " leave it out of --trainer.callbacks")
    assert list(cli.cwd.iterdir()) == []  # no run folder, no log folder
