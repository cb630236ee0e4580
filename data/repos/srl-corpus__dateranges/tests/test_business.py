from datetime import date

from dateranges import add_business_days, business_days_between, is_business_day
from dateranges.business import next_business_day, previous_business_day, roll_forward

FRIDAY = date(2024, 1, 5)
SATURDAY = date(2024, 1, 6)
MONDAY = date(2024, 1, 8)


def test_weekend_is_not_business_day():
    assert not is_business_day(SATURDAY)
    assert is_business_day(FRIDAY)


def test_holiday_is_not_business_day():
    assert not is_business_day(MONDAY, holidays={MONDAY})


def test_next_business_day_skips_weekend():
    assert next_business_day(FRIDAY) == MONDAY


def test_previous_business_day_skips_weekend():
    assert previous_business_day(MONDAY) == FRIDAY


def test_add_one_business_day_over_weekend():
    assert add_business_days(FRIDAY, 1) == MONDAY


def test_add_business_days_with_holiday():
    assert add_business_days(FRIDAY, 1, holidays={MONDAY}) == date(2024, 1, 9)


def test_add_negative_business_days():
    assert add_business_days(MONDAY, -1) == FRIDAY


def test_add_zero_business_days():
    assert add_business_days(SATURDAY, 0) == SATURDAY


def test_add_ten_business_days():
    assert add_business_days(date(2024, 1, 1), 10) == date(2024, 1, 15)


def test_business_days_between_full_week():
    assert business_days_between(date(2024, 1, 1), date(2024, 1, 8)) == 5


def test_business_days_between_reversed_is_negative():
    assert business_days_between(date(2024, 1, 8), date(2024, 1, 1)) == -5


def test_business_days_between_excludes_end():
    assert business_days_between(FRIDAY, MONDAY) == 1


def test_roll_forward():
    assert roll_forward(SATURDAY) == MONDAY
    assert roll_forward(FRIDAY) == FRIDAY
