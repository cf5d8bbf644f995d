"""Restricted argument types: LightningCLI rejects out-of-range values while parsing."""

from jsonargparse.typing import (
    NonNegativeFloat,
    NonNegativeInt,
    OpenUnitInterval,
    PositiveFloat,
    PositiveInt,
    restricted_number_type,
)

AtLeastTwoInt = restricted_number_type("AtLeastTwoInt", int, (">=", 2), docstring="int >= 2")

__all__ = ["AtLeastTwoInt", "NonNegativeFloat", "NonNegativeInt", "OpenUnitInterval", "PositiveFloat", "PositiveInt"]
