"""The shapes of jsonargparse's error texts that ``blobclf.messages.one_line`` reads (jsonargparse has no structured
form of them), pinned against the installed jsonargparse: a change there fails here, naming the shape."""

from __future__ import annotations

import re
from typing import Optional, Union

import pytest
import torch
from blobclf.data import SplitDataModule
from blobclf.messages import one_line
from jsonargparse import ArgumentError, ArgumentParser
from jsonargparse.typing import PositiveInt


def optimizer(parser: ArgumentParser) -> None:
    parser.add_subclass_arguments(torch.optim.Optimizer, "optimizer", skip={"params"})


def data(parser: ArgumentParser) -> None:
    parser.add_subclass_arguments(SplitDataModule, "data")


CASES = [
    ("int", lambda p: p.add_argument("--n", type=int), ["--n", "abc"],
     r'Parser key "n":\n +Expected a <class \'int\'>\. Got value: abc',
     "Parser key \"n\": Expected a <class 'int'>. Got value: abc"),
    ("restricted", lambda p: p.add_argument("--n", type=PositiveInt), ["--n", "-1"],
     r'Parser key "n":\n +Not of type PositiveInt: -1 does not conform to restriction v>0',
     'Parser key "n": Not of type PositiveInt: -1 does not conform to restriction v>0'),
    ("optional", lambda p: p.add_argument("--n", type=Optional[int]), ["--n", "abc"],
     r'Parser key "n":\n +Does not validate against any of the Union subtypes\n +Subtypes: \[<class \'int\'>, '
     r'<class \'NoneType\'>\]\n +Errors:\n +- Expected a <class \'int\'>\n +- Expected a <class \'NoneType\'>\n +'
     r'Given value type: <class \'str\'>\n +Given value: abc',
     "Parser key \"n\": abc is invalid: Expected a <class 'int'> (or null)"),
    ("union", lambda p: p.add_argument("--n", type=Union[bool, int]), ["--n", "x"],
     r'Parser key "n":\n +Does not validate against any of the Union subtypes\n +Subtypes: \[<class \'bool\'>, '
     r'<class \'int\'>\]\n +Errors:\n +- Expected a <class \'bool\'>\n +- Expected a <class \'int\'>\n.*Given value: x',
     "Parser key \"n\": x is invalid: Expected a <class 'bool'> or a <class 'int'>"),
    ("class-option-value", optimizer, ["--optimizer", "SGD", "--optimizer.lr", "abc"],
     r'Parser key "optimizer":\n +Does not validate against any of the Union subtypes\n.*Errors:\n +- Problem with '
     r'given class_path \'torch\.optim\.SGD\':\n +Parser key "lr":.*Given value: NestedArg\(key=\'lr\', val=\'abc\'\)',
     "--optimizer.lr='abc' is invalid for torch.optim.SGD: give a number"),
    ("class-option-unknown", optimizer, ["--optimizer", "SGD", "--optimizer.lrr", "1"],
     r'Parser key "optimizer":\n.*- Problem with given class_path \'torch\.optim\.SGD\':\n +Option \'lrr\' is not '
     r'accepted\n.*Given value: NestedArg\(key=\'lrr\', val=\'1\'\)',
     "--optimizer.lrr is not an option of SGD; did you mean --optimizer.lr?"),
    # a class's option of fixed choices, on the command line and in a config's value: said as the parser's own
    # option's would be, for BlobArgumentParser.plain_error to word (--data.decimal ';')
    ("class-option-choice", data, ["--data", "blobclf.TableDataModule", "--data.decimal", ";"],
     r'Parser key "data":\n.*- Problem with given class_path \'blobclf\.TableDataModule\':\n +Parser key "decimal":\n +'
     r'Expected a typing\.Literal\[\'\.\', \',\'\]\. Got value: ;\n'
     r'.*Given value: NestedArg\(key=\'decimal\', val=\';\'\)',
     "Parser key \"data.decimal\": Expected a typing.Literal['.', ',']. Got value: ;"),
    ("class-option-choice-config", data,
     ["--data", "{class_path: blobclf.TableDataModule, init_args: {path: t.csv, target: k, decimal: ';'}}"],
     r'Parser key "data":\n.*- Problem with given class_path \'blobclf\.TableDataModule\':\n +Parser key "decimal":\n +'
     r'Expected a typing\.Literal\[\'\.\', \',\'\]\. Got value: ;\n.*Given value: \{.*\}',
     "Parser key \"data.decimal\": Expected a typing.Literal['.', ',']. Got value: ;"),
    ("class-not-found", optimizer, ["--optimizer", "Nope"],
     r'Parser key "optimizer":\n.*- Expected a dot import path string: Nope\n.*',
     "--optimizer Nope: no such class; name one in torch.optim (e.g. Adam) or give a full import path"),
]


@pytest.mark.parametrize(("add", "args", "shape", "line"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_one_line_reads_the_shape_jsonargparse_writes(add, args, shape, line):
    parser = ArgumentParser(exit_on_error=False)
    add(parser)
    with pytest.raises(ArgumentError) as refused:
        parser.parse_args(args)
    assert re.fullmatch(shape, str(refused.value), re.DOTALL), str(refused.value)
    assert one_line(str(refused.value)) == line
