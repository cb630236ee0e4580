import pytest
from unitconv import ConversionError, Quantity, format_quantity, parse_quantity
from unitconv.quantity import total


def test_parse_with_space():
    assert parse_quantity("3.5 km") == Quantity(3.5, "km")


def test_parse_without_space():
    quantity = parse_quantity("-40F")
    assert quantity.value == -40 and quantity.unit == "F"


def test_parse_alias():
    assert parse_quantity("12 miles").unit == "mi"


def test_parse_scientific():
    assert parse_quantity("1e3 m").value == 1000


def test_parse_garbage():
    with pytest.raises(ValueError):
        parse_quantity("three km")


def test_to_converts():
    assert parse_quantity("72 F").to("C").value == pytest.approx(22.2222222)


def test_add_converts_right_operand():
    assert (Quantity(1, "km") + Quantity(500, "m")).value == pytest.approx(1.5)


def test_sub():
    assert (Quantity(1, "h") - Quantity(30, "min")) == Quantity(0.5, "h")


def test_add_temperature_rejected():
    with pytest.raises(ConversionError):
        Quantity(1, "C") + Quantity(1, "C")


def test_add_non_quantity():
    with pytest.raises(TypeError):
        Quantity(1, "m") + 3


def test_scalar_multiply_both_sides():
    assert (Quantity(2, "kg") * 3).value == 6
    assert (3 * Quantity(2, "kg")).value == 6


def test_equality_across_units():
    assert Quantity(1000, "g") == Quantity(1, "kg")


def test_equality_other_dimension():
    assert Quantity(1, "m") != Quantity(1, "s")


def test_ordering_across_units():
    assert Quantity(999, "m") < Quantity(1, "km")


def test_format_plain():
    assert format_quantity(Quantity(3.5, "km")) == "3.50 km"


def test_format_temperature():
    assert format_quantity(Quantity(21, "C"), digits=1) == "21.0 \N{DEGREE SIGN}C"


def test_total_in_unit():
    assert total([Quantity(1, "ft"), Quantity(12, "in")], "in").value == pytest.approx(24)


def test_total_empty():
    assert total([], "kg").value == 0
