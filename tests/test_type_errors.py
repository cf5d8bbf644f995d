"""A value of the wrong type for an option that takes several types names every type it takes, and
offers null only where the option takes it."""

from __future__ import annotations

import pytest

from conftest import one_error


@pytest.mark.parametrize(("args", "line"), [
    (["--seed_everything", "abc"],
     "Parser key \"seed_everything\": abc is invalid: Expected a <class 'bool'> or a <class 'int'> (see --help)"),
    (["--trainer.max_epochs", "ten"],
     "Parser key \"trainer.max_epochs\": ten is invalid: Expected a <class 'int'> (or null) (see --help)"),
])
def test_a_value_of_the_wrong_type_names_the_types_the_option_takes(cli, args, line):
    assert one_error(cli("fit", *args)) == line
    assert list(cli.cwd.iterdir()) == []
