from datetime import date

import pytest
from dateranges import DateRange, merge_ranges, parse_range


def r(a, b):
    return DateRange(date.fromisoformat(a), date.fromisoformat(b))


def test_days_counts_half_open():
    assert r("2024-01-01", "2024-02-01").days() == 31


def test_leap_february():
    assert r("2024-02-01", "2024-03-01").days() == 29


def test_end_before_start_raises():
    with pytest.raises(ValueError):
        r("2024-01-02", "2024-01-01")


def test_contains_start_not_end():
    rng = r("2024-01-01", "2024-01-03")
    assert date(2024, 1, 1) in rng
    assert date(2024, 1, 3) not in rng


def test_iteration_yields_each_day():
    assert list(r("2024-01-30", "2024-02-02")) == [date(2024, 1, 30), date(2024, 1, 31), date(2024, 2, 1)]


def test_empty_range():
    assert r("2024-01-01", "2024-01-01").is_empty()
    assert list(r("2024-01-01", "2024-01-01")) == []


def test_overlaps():
    assert r("2024-01-01", "2024-01-10").overlaps(r("2024-01-09", "2024-01-20"))


def test_adjacent_do_not_overlap():
    assert not r("2024-01-01", "2024-01-10").overlaps(r("2024-01-10", "2024-01-20"))


def test_adjacent_touch():
    assert r("2024-01-01", "2024-01-10").touches(r("2024-01-10", "2024-01-20"))


def test_intersection():
    assert r("2024-01-01", "2024-01-10").intersection(r("2024-01-05", "2024-01-20")) == r(
        "2024-01-05", "2024-01-10"
    )


def test_intersection_none():
    assert r("2024-01-01", "2024-01-02").intersection(r("2024-02-01", "2024-02-02")) is None


def test_shift():
    assert r("2024-01-30", "2024-02-01").shift(2) == r("2024-02-01", "2024-02-03")


def test_split_last_chunk_shorter():
    pieces = r("2024-01-01", "2024-01-11").split(4)
    assert [p.days() for p in pieces] == [4, 4, 2]
    assert pieces[-1].end == date(2024, 1, 11)


def test_split_rejects_zero():
    with pytest.raises(ValueError):
        r("2024-01-01", "2024-01-11").split(0)


def test_subtract_middle_gives_two():
    assert r("2024-01-01", "2024-01-31").subtract(r("2024-01-10", "2024-01-20")) == [
        r("2024-01-01", "2024-01-10"),
        r("2024-01-20", "2024-01-31"),
    ]


def test_subtract_disjoint_keeps_self():
    rng = r("2024-01-01", "2024-01-05")
    assert rng.subtract(r("2024-02-01", "2024-02-05")) == [rng]


def test_subtract_covering_gives_nothing():
    assert r("2024-01-05", "2024-01-06").subtract(r("2024-01-01", "2024-01-31")) == []


def test_weekdays_mondays_in_january():
    mondays = r("2024-01-01", "2024-02-01").weekdays(0)
    assert [d.day for d in mondays] == [1, 8, 15, 22, 29]


def test_merge_touching_and_overlapping():
    merged = merge_ranges(
        [r("2024-01-10", "2024-01-15"), r("2024-01-01", "2024-01-05"), r("2024-01-05", "2024-01-12")]
    )
    assert merged == [r("2024-01-01", "2024-01-15")]


def test_merge_keeps_gaps():
    merged = merge_ranges([r("2024-01-01", "2024-01-02"), r("2024-01-04", "2024-01-05")])
    assert len(merged) == 2


def test_merge_drops_empty():
    assert merge_ranges([r("2024-01-01", "2024-01-01")]) == []


def test_merge_contained_range():
    merged = merge_ranges([r("2024-01-01", "2024-01-31"), r("2024-01-03", "2024-01-04")])
    assert merged == [r("2024-01-01", "2024-01-31")]


def test_parse_range_inclusive_end():
    assert parse_range("2024-01-01..2024-01-31").days() == 31


def test_parse_range_needs_separator():
    with pytest.raises(ValueError):
        parse_range("2024-01-01/2024-01-31")


def test_equal_ranges_hash_alike():
    assert len({r("2024-01-01", "2024-01-02"), r("2024-01-01", "2024-01-02")}) == 1
