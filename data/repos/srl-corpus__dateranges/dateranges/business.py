"""Business-day arithmetic: weekends and an optional set of holidays are skipped."""

from __future__ import annotations

from datetime import timedelta

WEEKEND = (5, 6)  # Saturday, Sunday


def is_business_day(day, holidays=()):
    return day.weekday() not in WEEKEND and day not in holidays


def next_business_day(day, holidays=()):
    """The first business day strictly after ``day``."""
    day += timedelta(days=1)
    while not is_business_day(day, holidays):
        day += timedelta(days=1)
    return day


def previous_business_day(day, holidays=()):
    """The last business day strictly before ``day``."""
    day -= timedelta(days=1)
    while not is_business_day(day, holidays):
        day -= timedelta(days=1)
    return day


def add_business_days(day, count, holidays=()):
    """Move ``count`` business days forward (or backward when negative); 0 returns ``day``."""
    step = next_business_day if count > 0 else previous_business_day
    for _ in range(abs(count)):
        day = step(day, holidays)
    return day


def business_days_between(start, end, holidays=()):
    """Business days in ``[start, end)``; negative when ``end`` is before ``start``."""
    if end < start:
        return -business_days_between(end, start, holidays)
    count = 0
    day = start
    while day < end:
        if is_business_day(day, holidays):
            count += 1
        day += timedelta(days=1)
    return count


def roll_forward(day, holidays=()):
    """``day`` itself when it is a business day, else the next one."""
    return day if is_business_day(day, holidays) else next_business_day(day, holidays)
