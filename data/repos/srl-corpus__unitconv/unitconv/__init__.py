"""unitconv: unit conversion and quantities."""

from unitconv.quantity import Quantity, format_quantity, parse_quantity
from unitconv.units import ConversionError, convert, dimension_of, units_of

__all__ = [
    "ConversionError",
    "Quantity",
    "convert",
    "dimension_of",
    "format_quantity",
    "parse_quantity",
    "units_of",
]
