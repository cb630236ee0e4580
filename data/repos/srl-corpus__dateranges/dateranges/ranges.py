"""Half-open date ranges ``[start, end)``: length, membership, overlap, splitting and merging."""

from __future__ import annotations

from datetime import date, timedelta


class DateRange:
    """The days from ``start`` (included) to ``end`` (excluded)."""

    __slots__ = ("start", "end")

    def __init__(self, start, end):
        if end < start:
            raise ValueError(f"range ends before it starts: {start} > {end}")
        self.start = start
        self.end = end

    def __repr__(self):
        return f"DateRange({self.start.isoformat()}, {self.end.isoformat()})"

    def __eq__(self, other):
        if not isinstance(other, DateRange):
            return NotImplemented
        return self.start == other.start and self.end == other.end

    def __hash__(self):
        return hash((self.start, self.end))

    def __contains__(self, day):
        return self.start <= day < self.end

    def __iter__(self):
        day = self.start
        while day < self.end:
            yield day
            day += timedelta(days=1)

    def days(self):
        """Number of days in the range."""
        return (self.end - self.start).days

    def is_empty(self):
        return self.start == self.end

    def overlaps(self, other):
        """True when the two ranges share at least one day."""
        return self.start < other.end and other.start < self.end

    def intersection(self, other):
        """The shared days, or None when the ranges do not overlap."""
        if not self.overlaps(other):
            return None
        return DateRange(max(self.start, other.start), min(self.end, other.end))

    def touches(self, other):
        """True when the ranges overlap or one ends exactly where the other starts."""
        return self.start <= other.end and other.start <= self.end

    def shift(self, days):
        delta = timedelta(days=days)
        return DateRange(self.start + delta, self.end + delta)

    def split(self, chunk_days):
        """Consecutive ranges of ``chunk_days`` days; the last one may be shorter."""
        if chunk_days <= 0:
            raise ValueError("chunk_days must be positive")
        pieces = []
        start = self.start
        while start < self.end:
            end = min(start + timedelta(days=chunk_days), self.end)
            pieces.append(DateRange(start, end))
            start = end
        return pieces

    def subtract(self, other):
        """This range minus ``other``: zero, one or two ranges."""
        if not self.overlaps(other):
            return [self]
        pieces = []
        if self.start < other.start:
            pieces.append(DateRange(self.start, other.start))
        if other.end < self.end:
            pieces.append(DateRange(other.end, self.end))
        return pieces

    def weekdays(self, weekday):
        """The days in the range that fall on ``weekday`` (0 = Monday)."""
        return [day for day in self if day.weekday() == weekday]


def merge_ranges(ranges):
    """Sort and merge touching or overlapping ranges into the fewest ranges; empty ranges drop out."""
    ordered = sorted((r for r in ranges if not r.is_empty()), key=lambda r: (r.start, r.end))
    merged = []
    for current in ordered:
        if merged and merged[-1].touches(current):
            last = merged[-1]
            merged[-1] = DateRange(last.start, max(last.end, current.end))
        else:
            merged.append(current)
    return merged


def parse_range(text):
    """Parse ``"2024-01-01..2024-01-31"`` (both ends included, as people write them)."""
    left, separator, right = text.partition("..")
    if not separator:
        raise ValueError(f"expected START..END, got {text!r}")
    start = date.fromisoformat(left.strip())
    last = date.fromisoformat(right.strip())
    return DateRange(start, last + timedelta(days=1))
