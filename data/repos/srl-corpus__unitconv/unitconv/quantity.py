"""Quantities: a number with a unit, parsed from and formatted to text, with arithmetic."""

from __future__ import annotations

import re

from unitconv.units import ConversionError, canonical, convert, dimension_of

QUANTITY_PATTERN = re.compile(r"^\s*(-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)\s*([A-Za-z/0-9]+)\s*$")


class Quantity:
    """An immutable value with a unit; arithmetic converts the right operand to the left's unit."""

    __slots__ = ("value", "unit")

    def __init__(self, value, unit):
        self.value = float(value)
        self.unit = canonical(unit)

    def __repr__(self):
        return f"Quantity({self.value!r}, {self.unit!r})"

    def to(self, unit):
        return Quantity(convert(self.value, self.unit, unit), unit)

    def dimension(self):
        return dimension_of(self.unit)

    def _other_value(self, other):
        if not isinstance(other, Quantity):
            raise TypeError("can only combine with another Quantity")
        if self.dimension() == "temperature":
            raise ConversionError("temperatures cannot be added or subtracted")
        return convert(other.value, other.unit, self.unit)

    def __add__(self, other):
        return Quantity(self.value + self._other_value(other), self.unit)

    def __sub__(self, other):
        return Quantity(self.value - self._other_value(other), self.unit)

    def __mul__(self, factor):
        if not isinstance(factor, (int, float)):
            return NotImplemented
        return Quantity(self.value * factor, self.unit)

    __rmul__ = __mul__

    def __eq__(self, other):
        if not isinstance(other, Quantity):
            return NotImplemented
        if self.dimension() != other.dimension():
            return False
        return abs(self.value - convert(other.value, other.unit, self.unit)) < 1e-9

    def __lt__(self, other):
        return self.value < convert(other.value, other.unit, self.unit)

    def __hash__(self):
        return hash((round(self.value, 9), self.unit))


def parse_quantity(text):
    """``"3.5 km"``, ``"-40F"``, ``"12 miles"`` -> Quantity; raises ValueError on other text."""
    match = QUANTITY_PATTERN.match(text)
    if not match:
        raise ValueError(f"not a quantity: {text!r}")
    return Quantity(float(match.group(1)), match.group(2))


def format_quantity(quantity, digits=2):
    """``"3.50 km"``; trailing zeros kept, temperatures written with a degree sign."""
    number = f"{quantity.value:.{digits}f}"
    if quantity.unit in ("C", "F"):
        return f"{number} \N{DEGREE SIGN}{quantity.unit}"
    return f"{number} {quantity.unit}"


def total(quantities, unit):
    """Sum of quantities of one dimension, expressed in ``unit``."""
    result = Quantity(0, unit)
    for quantity in quantities:
        result = result + quantity
    return result
