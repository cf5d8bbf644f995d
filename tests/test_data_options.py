"""A ``--data.NAME`` option the chosen data module does not take is one line saying which module
takes it, or the option meant: the usual mistake is a table's ``--data.path`` without ``--data
TableDataModule``, which the blobs data module used to call an invalid value."""

from __future__ import annotations

import pytest

from conftest import one_error


@pytest.mark.parametrize(("args", "line"), [
    (["--data.path", "iris.csv", "--data.target", "species"],
     "--data.path is not an option of BlobDataModule but of TableDataModule, for a CSV table: give "
     "--data TableDataModule before it (or --config configs/table.yaml) (see --help)"),
    (["--data.path", "iris.csv", "--data", "TableDataModule", "--data.target", "species"],
     "--data.path is not an option of BlobDataModule but of TableDataModule, for a CSV table: give "
     "--data TableDataModule before it (or --config configs/table.yaml) (see --help)"),
    (["--data.n_sample", "5"], "--data.n_sample is not an option of BlobDataModule; did you mean --data.n_samples? "
                               "(see --help)"),
    (["--data", "TableDataModule", "--data.path", "iris.csv", "--data.taget", "species"],
     "--data.taget is not an option of TableDataModule; did you mean --data.target? (see --help)"),
    (["--data", "TableDataModule", "--data.path", "iris.csv", "--data.target", "species", "--data.centers", "3"],
     "--data.centers is not an option of TableDataModule but of BlobDataModule; TableDataModule does not take it "
     "(see --help)"),
    (["--data.zzz", "1"], "--data.zzz is not an option of BlobDataModule; its options: python -m blobclf fit "
                          "--data.help BlobDataModule (see --help)"),
])
def test_an_option_the_data_module_does_not_take_is_one_line_naming_the_module_that_does(cli, args, line):
    assert one_error(cli("fit", *args)) == line
    assert list(cli.cwd.iterdir()) == []
