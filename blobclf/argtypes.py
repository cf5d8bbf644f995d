"""Restricted argument types: LightningCLI rejects out-of-range values while parsing."""

import operator
from typing import Any, Literal

from jsonargparse.typing import (
    NonNegativeFloat,
    NonNegativeInt,
    OpenUnitInterval,
    PositiveFloat,
    PositiveInt,
    restricted_number_type,
)
from typing_extensions import TypeAliasType

from blobclf.errors import ArgumentValueError

AtLeastTwoInt = restricted_number_type("AtLeastTwoInt", int, (">=", 2), docstring="int >= 2")



def integer_at_least(name: str, value: Any, minimum: int) -> int:
    """``value`` as a plain ``int`` (a numpy or torch integer too, never a bool), refused unless it is >= ``minimum``.

    Checkpoints keep plain ints: a numpy integer in hyperparameters would make them load only with
    ``weights_only=False``.

    Args:
        name: The argument's name, as the error names it.
        value: The value given.
        minimum: The smallest value taken.

    Raises:
        ArgumentValueError: ``{name} must be an integer >= {minimum}, got {value}`` (a value of another type as
            its ``repr``).
    """
    try:
        number = operator.index(value) if not isinstance(value, bool) else None
    except TypeError:
        number = None
    if number is None or number < minimum:
        # an integer of numpy or torch is shown as the number it is (numpy 2 writes np.int64(0), numpy 1 writes 0)
        shown = number if number is not None else repr(value)
        raise ArgumentValueError(f"{name} must be an integer >= {minimum}, got {shown}")
    return number


DecimalPoint = Literal[".", ","]
"""The decimal point of a table's feature cells: ``.``, or ``,`` (as spreadsheets in German, French ... save).
A plain ``Literal``, not a named alias, so that ``--help`` lists the two choices."""

NameList = TypeAliasType("NameList", tuple[str, ...])
"""Column or class names, given as a list (``[a,b]``). A tuple to jsonargparse, which checks a ``list[str]``
in quadratic time (thousands of names took minutes); named, so that ``--help`` shows ``NameList`` rather
than ``tuple[str, ...]``."""

WeightList = TypeAliasType("WeightList", tuple[NonNegativeFloat, ...])
"""Class weights, given as a list (``[1,20]``): a tuple to jsonargparse, as :data:`NameList` is (1,000 weights typed
``list[PositiveFloat]`` added 26 s to a fit and 42 s to a test of its checkpoint). Weights of 0 pass here, for
:class:`~blobclf.system.BlobClassifier` to say why it refuses them."""

__all__ = ["AtLeastTwoInt", "DecimalPoint", "NameList", "NonNegativeFloat", "NonNegativeInt", "OpenUnitInterval",
           "PositiveFloat",
           "PositiveInt", "WeightList", "integer_at_least"]
