"""Unit tables and conversion: every linear unit is a factor to its dimension's base unit."""

from __future__ import annotations

# dimension -> unit -> factor to the base unit (metre, kilogram, second, litre, metre per second)
FACTORS = {
    "length": {
        "m": 1.0,
        "km": 1000.0,
        "cm": 0.01,
        "mm": 0.001,
        "in": 0.0254,
        "ft": 0.3048,
        "yd": 0.9144,
        "mi": 1609.344,
    },
    "mass": {"kg": 1.0, "g": 0.001, "mg": 1e-6, "t": 1000.0, "lb": 0.45359237, "oz": 0.028349523125},
    "time": {"s": 1.0, "ms": 0.001, "min": 60.0, "h": 3600.0, "d": 86400.0, "wk": 604800.0},
    "volume": {
        "l": 1.0,
        "ml": 0.001,
        "m3": 1000.0,
        "gal": 3.785411784,
        "qt": 0.946352946,
        "cup": 0.2365882365,
    },
    "speed": {"m/s": 1.0, "km/h": 1000.0 / 3600.0, "mph": 1609.344 / 3600.0, "kn": 1852.0 / 3600.0},
}
TEMPERATURE_UNITS = ("C", "F", "K")
ALIASES = {
    "meter": "m",
    "meters": "m",
    "metre": "m",
    "kilometers": "km",
    "miles": "mi",
    "mile": "mi",
    "feet": "ft",
    "foot": "ft",
    "inches": "in",
    "inch": "in",
    "pounds": "lb",
    "pound": "lb",
    "grams": "g",
    "hours": "h",
    "hour": "h",
    "minutes": "min",
    "seconds": "s",
    "liters": "l",
    "litres": "l",
    "celsius": "C",
    "fahrenheit": "F",
    "kelvin": "K",
}
ABSOLUTE_ZERO_C = -273.15


class ConversionError(ValueError):
    """Unknown unit, or units of different dimensions."""


def canonical(unit):
    """The table spelling of a unit name or alias (``"Miles"`` -> ``"mi"``)."""
    text = unit.strip()
    if text in TEMPERATURE_UNITS or any(text in table for table in FACTORS.values()):
        return text
    lowered = text.lower()
    if lowered in ALIASES:
        return ALIASES[lowered]
    if any(lowered in table for table in FACTORS.values()):
        return lowered
    raise ConversionError(f"unknown unit {unit!r}")


def dimension_of(unit):
    unit = canonical(unit)
    if unit in TEMPERATURE_UNITS:
        return "temperature"
    for dimension, table in FACTORS.items():
        if unit in table:
            return dimension
    raise ConversionError(f"unknown unit {unit!r}")


def units_of(dimension):
    """The units of one dimension, sorted."""
    if dimension == "temperature":
        return sorted(TEMPERATURE_UNITS)
    if dimension not in FACTORS:
        raise ConversionError(f"unknown dimension {dimension!r}")
    return sorted(FACTORS[dimension])


def to_celsius(value, unit):
    if unit == "C":
        return value
    if unit == "F":
        return (value - 32) * 5 / 9
    return value + ABSOLUTE_ZERO_C


def from_celsius(value, unit):
    if unit == "C":
        return value
    if unit == "F":
        return value * 9 / 5 + 32
    return value - ABSOLUTE_ZERO_C


def convert_temperature(value, source, target):
    """Temperature conversion; below absolute zero is an error."""
    celsius = to_celsius(value, source)
    if celsius < ABSOLUTE_ZERO_C - 1e-9:
        raise ConversionError(f"{value} {source} is below absolute zero")
    return from_celsius(celsius, target)


def convert(value, source, target):
    """``value`` in ``source`` units expressed in ``target`` units."""
    source, target = canonical(source), canonical(target)
    source_dimension, target_dimension = dimension_of(source), dimension_of(target)
    if source_dimension != target_dimension:
        raise ConversionError(
            f"cannot convert {source_dimension} ({source}) to {target_dimension} ({target})"
        )
    if source_dimension == "temperature":
        return convert_temperature(value, source, target)
    table = FACTORS[source_dimension]
    return value * table[source] / table[target]


def best_unit(value, unit, candidates):
    """The candidate unit giving the smallest magnitude that is still >= 1 (else the largest unit)."""
    options = [(abs(convert(value, unit, c)), c) for c in candidates]
    at_least_one = [option for option in options if option[0] >= 1]
    if at_least_one:
        return min(at_least_one)[1]
    return min(options, key=lambda option: -option[0])[1]
