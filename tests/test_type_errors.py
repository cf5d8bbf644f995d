"""A value of the wrong type for an option that takes several types names every type it takes, and
offers null only where the option takes it, in blobclf's words."""

from __future__ import annotations

import pytest

from conftest import one_error


@pytest.mark.parametrize(("args", "line"), [
    # jsonargparse: 'Parser key "seed_everything": abc is invalid: Expected a <class 'bool'> or a <class 'int'>'
    (["--seed_everything", "abc"], "--seed_everything='abc' is invalid: give true, false or an integer (see --help)"),
    # 'Parser key "trainer.max_epochs": ten is invalid: Expected a <class 'int'> (or null)'
    (["--trainer.max_epochs", "ten"], "--trainer.max_epochs='ten' is invalid: give an integer, or null (see --help)"),
    # 'Parser key "threads": 0 is invalid: Not of type PositiveInt: does not conform to restriction v>0 (or null)'
    (["--threads", "0"], "--threads=0 is invalid: give an integer > 0, or null (see --help)"),
    # 'Parser key "model.cuda_graphs": Expected a <class 'bool'>. Got value: maybe'
    (["--model.cuda_graphs", "maybe"], "--model.cuda_graphs='maybe' is invalid: give true or false (see --help)"),
    # '... is invalid for blobclf.BlobDataModule (expected jsonargparse.typing.PositiveInt)'
    (["--data.batch_size", "abc"],
     "--data.batch_size='abc' is invalid for blobclf.BlobDataModule: not PositiveInt; give an integer > 0 (see --help)"),
])
def test_a_value_of_the_wrong_type_names_the_types_the_option_takes(cli, args, line):
    assert one_error(cli("fit", *args)) == line
    assert list(cli.cwd.iterdir()) == []
