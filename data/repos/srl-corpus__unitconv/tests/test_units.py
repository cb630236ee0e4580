import pytest
from unitconv import ConversionError, convert, dimension_of, units_of
from unitconv.units import best_unit, canonical


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        (1, "km", "m", 1000),
        (1, "mi", "km", 1.609344),
        (12, "in", "ft", 1),
        (3, "ft", "yd", 1),
        (2, "lb", "kg", 0.90718474),
        (16, "oz", "lb", 1),
        (90, "min", "h", 1.5),
        (2, "d", "h", 48),
        (1, "gal", "qt", 4),
        (500, "ml", "l", 0.5),
        (36, "km/h", "m/s", 10),
        (1, "kn", "km/h", 1.852),
    ],
)
def test_linear_conversions(value, source, target, expected):
    assert convert(value, source, target) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "source", "target", "expected"),
    [
        (100, "C", "F", 212),
        (32, "F", "C", 0),
        (0, "K", "C", -273.15),
        (-40, "F", "C", -40),
        (25, "C", "K", 298.15),
    ],
)
def test_temperature_conversions(value, source, target, expected):
    assert convert(value, source, target) == pytest.approx(expected)


def test_below_absolute_zero():
    with pytest.raises(ConversionError):
        convert(-300, "C", "K")


def test_cross_dimension_rejected():
    with pytest.raises(ConversionError):
        convert(1, "kg", "m")


def test_unknown_unit():
    with pytest.raises(ConversionError):
        convert(1, "parsec", "m")


def test_aliases():
    assert canonical("Miles") == "mi"
    assert canonical("celsius") == "C"


def test_canonical_lowercases_table_units():
    assert canonical("KM") == "km"


def test_dimension_of():
    assert dimension_of("oz") == "mass"
    assert dimension_of("F") == "temperature"
    assert dimension_of("mph") == "speed"


def test_units_of():
    assert units_of("time") == ["d", "h", "min", "ms", "s", "wk"]
    assert units_of("temperature") == ["C", "F", "K"]


def test_units_of_unknown():
    with pytest.raises(ConversionError):
        units_of("luminosity")


def test_same_unit_identity():
    assert convert(7.5, "kg", "kg") == 7.5


def test_best_unit_picks_smallest_at_least_one():
    assert best_unit(1500, "m", ["mm", "m", "km"]) == "km"
    assert best_unit(0.5, "m", ["mm", "cm", "m"]) == "cm"


def test_best_unit_all_below_one():
    assert best_unit(0.001, "mm", ["m", "km"]) == "m"
