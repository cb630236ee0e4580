"""Recurring dates: month arithmetic that clamps to month ends, weekly and monthly schedules."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def month_end(year, month):
    """The last day of a month."""
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day, months):
    """Same day-of-month ``months`` later, clamped to the month's last day (Jan 31 + 1 -> Feb 28/29)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def weekly(start, count, interval=1):
    """``count`` dates every ``interval`` weeks from ``start``."""
    if count < 0 or interval <= 0:
        raise ValueError("count must be >= 0 and interval > 0")
    return [start + timedelta(weeks=interval * index) for index in range(count)]


def monthly(start, count, interval=1):
    """``count`` dates every ``interval`` months from ``start``, each clamped from the start's day."""
    if count < 0 or interval <= 0:
        raise ValueError("count must be >= 0 and interval > 0")
    return [add_months(start, interval * index) for index in range(count)]


def nth_weekday(year, month, weekday, n):
    """The n-th ``weekday`` (0 = Monday) of a month; n = -1 is the last one."""
    if n == 0:
        raise ValueError("n must not be 0")
    if n > 0:
        first = date(year, month, 1)
        offset = (weekday - first.weekday()) % 7
        result = first + timedelta(days=offset + 7 * (n - 1))
    else:
        last = month_end(year, month)
        offset = (last.weekday() - weekday) % 7
        result = last - timedelta(days=offset + 7 * (-n - 1))
    if result.month != month:
        raise ValueError(f"month {year}-{month:02d} has no such weekday occurrence")
    return result


def quarter(day):
    """Quarter number 1-4 of a date."""
    return (day.month - 1) // 3 + 1


def quarter_start(day):
    return date(day.year, 3 * (quarter(day) - 1) + 1, 1)


def age_in_years(born, on):
    """Completed years between ``born`` and ``on`` (birthday not yet reached counts one less)."""
    years = on.year - born.year
    if (on.month, on.day) < (born.month, born.day):
        years -= 1
    return years
