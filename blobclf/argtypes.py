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

__all__ = ["AtLeastTwoInt", "NameList", "NonNegativeFloat", "NonNegativeInt", "OpenUnitInterval", "PositiveFloat", "PositiveInt"]
