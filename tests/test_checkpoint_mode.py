"""``--checkpoint.mode`` is typed ``Literal["min", "max"]``: the parser refuses anything else, in blobclf's words,
naming the config file that gave the value where the command line did not."""

from __future__ import annotations

import io

import pytest
from conftest import one_error

CONFIGS = {
    "run.yaml": "checkpoint:\n  monitor: val/loss\n  mode: maxx\n",
    "mode.yaml": "checkpoint:\n  mode: maxx\n",  # the monitor is the default val/acc
    "root.yaml": "fit:\n  checkpoint:\n    mode: 1\n",  # a config given before the subcommand
    "group.yaml": "mode: maxx\n",  # --checkpoint group.yaml
    "monitor.yaml": "checkpoint:\n  monitor: val/loss\n",
}


@pytest.mark.parametrize(("args", "line"), [
    (["fit", "--checkpoint.monitor=val/loss", "--checkpoint.mode", "maxx"],
     "--checkpoint.mode='maxx' is not a mode (min or max); use --checkpoint.mode min (val/loss improves as it falls)"),
    (["fit", "--config", "run.yaml"],
     "checkpoint.mode='maxx' in --config run.yaml is not a mode (min or max); set it to min there (val/loss improves "
     "as it falls)"),
    (["fit", "--config=mode.yaml", "--checkpoint.monitor", "val/loss"],
     "checkpoint.mode='maxx' in --config mode.yaml is not a mode (min or max); set it to min there (val/loss "
     "improves as it falls)"),
    (["fit", "-c", "mode.yaml"],
     "checkpoint.mode='maxx' in -c mode.yaml is not a mode (min or max); set it to max there (val/acc improves as it "
     "grows)"),
    (["--config", "root.yaml", "fit"],
     "checkpoint.mode=1 in --config root.yaml is not a mode (min or max); set it to max there (val/acc improves as "
     "it grows)"),
    (["fit", "--checkpoint", "group.yaml"],
     "checkpoint.mode='maxx' in --checkpoint group.yaml is not a mode (min or max); set it to max there (val/acc "
     "improves as it grows)"),
    (["fit", "--config", "monitor.yaml", "--checkpoint.mode", "mni"],
     "--checkpoint.mode='mni' is not a mode (min or max); use --checkpoint.mode min (val/loss improves as it falls)"),
], ids=["command-line", "config-file", "monitor-given", "default-monitor", "root-config", "group-file",
        "monitor-in-config"])
def test_a_mode_typo_names_the_modes_and_where_it_was_written(cli, args, line):
    for name, text in CONFIGS.items():
        (cli.cwd / name).write_text(text)
    assert one_error(cli(*args)) == line
    assert sorted(path.name for path in cli.cwd.iterdir()) == sorted(CONFIGS)


def test_help_lists_the_two_modes(cli):
    assert "--checkpoint.mode {min,max}" in cli("fit", "--help").stdout


def test_a_mode_typo_read_from_standard_input_is_named_there(cli, monkeypatch):
    # the line said 'use --checkpoint.mode min or max', which mends nothing: the piped config's value is refused
    # whatever the command line gives after it
    monkeypatch.setattr("sys.stdin", io.StringIO("checkpoint:\n  mode: mni\n"))
    assert one_error(cli("fit", "--config", "-", "--checkpoint.mode", "max")) == (
        "checkpoint.mode='mni' in --config - is not a mode (min or max); set it to min or max there")
    assert list(cli.cwd.iterdir()) == []
