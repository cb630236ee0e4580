"""dateranges: date ranges, business days and recurring schedules."""

from dateranges.business import add_business_days, business_days_between, is_business_day
from dateranges.ranges import DateRange, merge_ranges, parse_range
from dateranges.schedule import add_months, month_end, monthly, weekly

__all__ = [
    "DateRange",
    "add_business_days",
    "add_months",
    "business_days_between",
    "is_business_day",
    "merge_ranges",
    "month_end",
    "monthly",
    "parse_range",
    "weekly",
]
