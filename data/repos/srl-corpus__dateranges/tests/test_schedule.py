from datetime import date

import pytest
from dateranges import add_months, month_end, monthly, weekly
from dateranges.schedule import age_in_years, nth_weekday, quarter, quarter_start


def test_month_end_leap_year():
    assert month_end(2024, 2) == date(2024, 2, 29)
    assert month_end(2023, 2) == date(2023, 2, 28)


def test_add_months_clamps():
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)


def test_add_months_across_year():
    assert add_months(date(2024, 11, 15), 3) == date(2025, 2, 15)


def test_add_months_negative():
    assert add_months(date(2024, 3, 31), -1) == date(2024, 2, 29)
    assert add_months(date(2024, 1, 10), -13) == date(2022, 12, 10)


def test_weekly():
    assert weekly(date(2024, 1, 1), 3, interval=2) == [date(2024, 1, 1), date(2024, 1, 15), date(2024, 1, 29)]


def test_weekly_rejects_bad_interval():
    with pytest.raises(ValueError):
        weekly(date(2024, 1, 1), 3, interval=0)


def test_monthly_clamps_from_start_day():
    assert monthly(date(2024, 1, 31), 3) == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]


def test_monthly_zero_count():
    assert monthly(date(2024, 1, 31), 0) == []


def test_nth_weekday_first_monday():
    assert nth_weekday(2024, 9, 0, 1) == date(2024, 9, 2)


def test_nth_weekday_fourth_thursday():
    assert nth_weekday(2024, 11, 3, 4) == date(2024, 11, 28)


def test_nth_weekday_last_monday():
    assert nth_weekday(2024, 5, 0, -1) == date(2024, 5, 27)


def test_nth_weekday_fifth_missing():
    with pytest.raises(ValueError):
        nth_weekday(2024, 2, 0, 5)


def test_nth_weekday_zero_rejected():
    with pytest.raises(ValueError):
        nth_weekday(2024, 2, 0, 0)


@pytest.mark.parametrize(("month", "expected"), [(1, 1), (3, 1), (4, 2), (9, 3), (12, 4)])
def test_quarter(month, expected):
    assert quarter(date(2024, month, 1)) == expected


def test_quarter_start():
    assert quarter_start(date(2024, 8, 19)) == date(2024, 7, 1)


def test_age_before_birthday():
    assert age_in_years(date(2000, 6, 15), date(2024, 6, 14)) == 23


def test_age_on_birthday():
    assert age_in_years(date(2000, 6, 15), date(2024, 6, 15)) == 24
