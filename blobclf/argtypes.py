"""Restricted argument types: LightningCLI rejects out-of-range values while parsing."""

from jsonargparse.typing import (
    NonNegativeFloat,
    NonNegativeInt,
    OpenUnitInterval,
    PositiveFloat,
    PositiveInt,
    restricted_number_type,
)
from typing_extensions import TypeAliasType

AtLeastTwoInt = restricted_number_type("AtLeastTwoInt", int, (">=", 2), docstring="int >= 2")

NameList = TypeAliasType("NameList", tuple[str, ...])
"""Column or class names, given as a list (``[a,b]``). A tuple to jsonargparse, which checks a ``list[str]``
in quadratic time (thousands of names took minutes); named, so that ``--help`` shows ``NameList`` rather
than ``tuple[str, ...]``."""

WeightList = TypeAliasType("WeightList", tuple[NonNegativeFloat, ...])
"""Class weights, given as a list (``[1,20]``): a tuple to jsonargparse, as :data:`NameList` is (1,000 weights typed
``list[PositiveFloat]`` added 26 s to a fit and 42 s to a test of its checkpoint). Weights of 0 pass here, for
:class:`~blobclf.system.BlobClassifier` to say why it refuses them."""

__all__ = ["AtLeastTwoInt", "NameList", "NonNegativeFloat", "NonNegativeInt", "OpenUnitInterval", "PositiveFloat", "PositiveInt", "WeightList"]
