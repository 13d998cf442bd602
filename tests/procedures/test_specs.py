"""Pure rules: durations, the critical path, the working time a calendar-day limit guarantees."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govqms.procedures.specs import (
    SpecError,
    StepSpec,
    VersionLimit,
    critical_path_hours,
    format_hours,
    limit_check,
    min_working_days,
    parse_hours,
)


@given(st.integers(min_value=0, max_value=400))
def test_min_working_days_is_the_worst_start_day(days):
    def weekdays(start: dt.date) -> int:
        return sum((start + dt.timedelta(i)).weekday() < 5 for i in range(days))

    monday = dt.date(2026, 1, 5)
    assert min_working_days(days) == min(weekdays(monday + dt.timedelta(k)) for k in range(7))


@given(st.decimals(min_value=0, max_value=10_000, places=2))
def test_hours_format_round_trip(hours):
    assert parse_hours(format_hours(hours), path="x") == hours


@pytest.mark.parametrize(
    ("text", "hours"), [("4wh", 4), ("0.5wd", 4), ("2WD", 16), ("1,5wh", Decimal("1.5"))]
)
def test_parse_hours(text, hours):
    assert parse_hours(text, path="x") == hours


@pytest.mark.parametrize("text", ["4", "4h", "wd", "-1wh", "0.001wh", "3d", None, 4])
def test_parse_hours_refuses(text):
    with pytest.raises(SpecError) as info:
        parse_hours(text, path="steps[2].budget")
    assert str(info.value).startswith("steps[2].budget: ")


def test_limits():
    assert VersionLimit.parse("5wd") == VersionLimit("working_days", Decimal(40))
    assert VersionLimit.parse("4wh") == VersionLimit("working_hours", Decimal(4))
    assert VersionLimit.parse("10d") == VersionLimit("calendar_days", Decimal(48), 10)
    assert [str(VersionLimit.parse(t)) for t in ("5wd", "4wh", "10d", "0.5wd")] == [
        "5wd",
        "4wh",
        "10d",
        "0.5wd",
    ]
    for bad in ("0wd", "1.5d", "0d", "5 days"):
        with pytest.raises(SpecError):
            VersionLimit.parse(bad)


def _s(code, hours, group=""):
    return StepSpec(code, code, "case_handler", Decimal(hours), parallel_group=group)


def test_critical_path_counts_a_parallel_group_once_by_its_longest_member():
    steps = [_s("A", 1), _s("B", 3, "G"), _s("C", 5, "G"), _s("D", 2, "H"), _s("E", 1)]
    assert critical_path_hours(steps) == 1 + 5 + 2 + 1
    assert limit_check(steps, Decimal(9)).errors == ()
    assert limit_check(steps, Decimal(8)).errors
    assert limit_check(steps, Decimal(10)).warnings
    assert limit_check([], Decimal(8)).errors
