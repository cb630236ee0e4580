import pytest
from ledger import CurrencyMismatch, Money, allocate
from ledger.money import round_half_even


@pytest.mark.parametrize(
    ("text", "minor"),
    [("12.5", 1250), ("0.07", 7), ("-3.10", -310), ("1,234.00", 123400), ("8", 800)],
)
def test_parse_usd(text, minor):
    assert Money.parse(text) == Money(minor)


def test_parse_zero_decimal_currency():
    assert Money.parse("500", "JPY") == Money(500, "JPY")


def test_parse_three_decimal_currency():
    assert Money.parse("1.5", "KWD") == Money(1500, "KWD")


def test_parse_rejects_too_many_decimals():
    with pytest.raises(ValueError):
        Money.parse("1.234")


def test_parse_rejects_garbage():
    with pytest.raises(ValueError):
        Money.parse("12a")


def test_unknown_currency():
    with pytest.raises(ValueError):
        Money(1, "XYZ")


def test_minor_must_be_int():
    with pytest.raises(TypeError):
        Money(1.5)


def test_add_and_subtract():
    assert Money(150) + Money(275) == Money(425)
    assert Money(150) - Money(275) == Money(-125)


def test_negate():
    assert -Money(40) == Money(-40)


def test_mixed_currency_add_raises():
    with pytest.raises(CurrencyMismatch):
        Money(1, "USD") + Money(1, "EUR")


def test_ordering():
    assert Money(1) < Money(2)
    assert Money(2) <= Money(2)
    assert not Money(3) < Money(2)


def test_equality_includes_currency():
    assert Money(5, "USD") != Money(5, "EUR")


def test_hash_matches_equality():
    assert len({Money(5), Money(5), Money(6)}) == 2


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(5, 2, 2), (7, 2, 4), (9, 4, 2), (11, 4, 3), (-5, 2, -2), (10, 5, 2)],
)
def test_round_half_even(numerator, denominator, expected):
    assert round_half_even(numerator, denominator) == expected


def test_round_half_even_rejects_bad_denominator():
    with pytest.raises(ValueError):
        round_half_even(1, 0)


def test_multiply_fraction():
    assert Money(1000).multiply(1, 3) == Money(333)


def test_percent_integer_rate():
    assert Money(2000).percent(15) == Money(300)


def test_percent_decimal_rate():
    assert Money(10000).percent("7.25") == Money(725)


def test_percent_rounds_half_even():
    assert Money(50).percent(5) == Money(2)


def test_format_with_symbol():
    assert Money(-123450).format("$") == "-$1,234.50"


def test_format_with_code():
    assert Money(5).format() == "0.05 USD"


def test_format_zero_digit_currency():
    assert Money(1500, "JPY").format() == "1,500 JPY"


def test_allocate_even():
    assert allocate(Money(900), [1, 1, 1]) == [Money(300)] * 3


def test_allocate_leftover_goes_first():
    assert allocate(Money(100), [1, 1, 1]) == [Money(34), Money(33), Money(33)]


def test_allocate_weights():
    assert allocate(Money(1000), [3, 1]) == [Money(750), Money(250)]


def test_allocate_negative_amount():
    parts = allocate(Money(-100), [1, 2])
    assert sum(p.minor for p in parts) == -100
    assert parts == [Money(-34), Money(-66)]


def test_allocate_rejects_zero_weights():
    with pytest.raises(ValueError):
        allocate(Money(100), [0, 0])
