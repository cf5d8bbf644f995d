"""``--checkpoint.mode`` is typed ``Literal["min", "max"]``: the parser refuses anything else, in blobclf's words."""

from __future__ import annotations

import pytest
from conftest import one_error


@pytest.mark.parametrize(("args", "line"), [
    (["--checkpoint.monitor=val/loss", "--checkpoint.mode", "maxx"],
     "--checkpoint.mode='maxx' is not a mode (min or max); use --checkpoint.mode min (val/loss improves as it falls)"),
    # the monitor may come from the config file, which the parser's error does not see: both modes are named
    (["--config", "run.yaml"], "--checkpoint.mode='maxx' is not a mode (min or max); use --checkpoint.mode min or max"),
], ids=["monitor-given", "config-file"])
def test_a_mode_typo_names_the_modes(cli, args, line):
    (cli.cwd / "run.yaml").write_text("checkpoint:\n  monitor: val/loss\n  mode: maxx\n")
    assert one_error(cli("fit", *args)) == line
    assert sorted(path.name for path in cli.cwd.iterdir()) == ["run.yaml"]


def test_help_lists_the_two_modes(cli):
    assert "--checkpoint.mode {min,max}" in cli("fit", "--help").stdout
