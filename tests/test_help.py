"""Each subcommand's ``--help`` starts with what it does and its most used options, and every option
named there exists for that subcommand."""

from __future__ import annotations

import inspect
import re

import pytest

from blobclf.data import BlobDataModule
from blobclf.tabledata import TableDataModule

DATA_OPTIONS = {name for cls in (BlobDataModule, TableDataModule) for name in inspect.signature(cls).parameters}


@pytest.mark.parametrize("subcommand", ["fit", "validate", "test", "predict"])
def test_the_most_used_options_come_first_and_each_exists(cli, subcommand):
    result = cli(subcommand, "--help")
    assert result.returncode == 0, result.output
    top = result.stdout.split("\n\noptions:", 1)[0]
    assert top.startswith(f"usage: blobclf [options] {subcommand} [OPTIONS]\n\n")
    assert len(top.splitlines()) <= 12 and "Most used: " in top
    named = {option.rstrip(".") for option in re.findall(r"(--[\w.]+)", " ".join(top.split()))}
    assert "--ckpt_path" in named
    listed = set(re.findall(r"^  (?:-\w \w+, )?(--[\w.]+)", result.stdout, flags=re.M))
    for option in named:
        if option.startswith("--data."):
            assert option.removeprefix("--data.") in DATA_OPTIONS, option
        elif option.startswith("--optimizer."):  # the chosen optimizer's arguments
            assert "--optimizer" in listed and option.removeprefix("--optimizer.") == "lr", option
        else:
            assert option in listed, option


def test_predict_names_its_input_and_output_options_at_the_top(cli):
    top = " ".join(cli("predict", "--help").stdout.split("\n\noptions:", 1)[0].split())
    assert "--data.predict_file CSV, --prediction.output PATH, --prediction.overwrite true" in top
    assert "--optimizer" not in top and "--trainer.max_epochs" not in top
