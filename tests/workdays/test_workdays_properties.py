"""Property-based tests of the deadline maths (hypothesis), scalar and bulk paths."""

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govqms.workdays.bulk import from_utc_datetime64, to_utc_datetime64
from govqms.workdays.calendar import WorkCalendar, hours_to_duration
from govqms.workdays.seed import calendar_for_country, vn_calendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = vn_calendar(range(2024, 2028))
BULK = CAL.bulk(dt.date(2023, 12, 1), dt.date(2027, 12, 31))

# A zone with DST and an odd night session, so that the UTC arithmetic is exercised.
AMS = ZoneInfo("Europe/Amsterdam")
NIGHT = WorkCalendar(
    days_off={dt.date(2026, 3, 30): "x", dt.date(2026, 10, 26): "y"},
    hours={wd: ((dt.time(1, 0), dt.time(4, 0)), (dt.time(9), dt.time(17))) for wd in range(7)},
    weekend=frozenset(),
    tz=AMS,
)
NIGHT_BULK = NIGHT.bulk(dt.date(2025, 12, 1), dt.date(2027, 6, 30))

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

instants = st.datetimes(
    min_value=dt.datetime(2024, 1, 1),  # noqa: DTZ001 (hypothesis bounds are naive)
    max_value=dt.datetime(2026, 12, 31, 23, 59),  # noqa: DTZ001
    timezones=st.just(VN),
)
# Whole minutes, and arbitrary fractions of an hour.
hours = st.one_of(
    st.integers(0, 400 * 60).map(lambda m: m / 60),
    st.floats(0, 400, allow_nan=False, allow_infinity=False),
    st.integers(0, 60),
)


def in_session_or_at_end(cal, instant):
    local = instant.astimezone(cal.tz)
    t = local.astimezone(dt.UTC)
    return any(start < t <= end for start, end in cal.utc_sessions(local.date()))


@SETTINGS
@given(instants, hours, hours)
def test_monotonic_in_hours(start, h1, h2):
    low, high = sorted((h1, h2))
    assert CAL.add_working_hours(start, low) <= CAL.add_working_hours(start, high)


@SETTINGS
@given(instants, hours.filter(lambda h: hours_to_duration(h) > dt.timedelta(0)))
def test_due_is_in_office_hours_of_a_working_day(start, h):
    due = CAL.add_working_hours(start, h)
    assert CAL.is_working_day(due.date())
    assert in_session_or_at_end(CAL, due)
    assert due > start


@SETTINGS
@given(instants, hours)
def test_working_time_between_inverts_add_working_hours(start, h):
    due = CAL.add_working_hours(start, h)
    assert CAL.working_time_between(start, due) == hours_to_duration(h)


@SETTINGS
@given(instants, st.integers(0, 30))
def test_working_days_in_hours_mode_are_eight_hours_each(start, days):
    assert CAL.add_working_days(start, days) == CAL.add_working_hours(start, 8 * days)


@SETTINGS
@given(instants, st.integers(0, 30))
def test_end_of_day_mode_lands_on_the_close_of_the_nth_working_day(start, days):
    due = CAL.add_working_days(start, days, mode="end_of_day")
    receipt_day = CAL.receipt_day(start)
    assert due == CAL.close_of_day(due.date())
    counted = [
        receipt_day + dt.timedelta(days=i)
        for i in range(1, (due.date() - receipt_day).days + 1)
        if CAL.is_working_day(receipt_day + dt.timedelta(days=i))
    ]
    assert len(counted) == days


@SETTINGS
@given(instants, st.integers(0, 60))
def test_calendar_days_land_on_a_working_day_on_or_after_the_nominal_day(start, days):
    due = CAL.add_calendar_days(start, days)
    nominal = CAL.receipt_day(start) + dt.timedelta(days=days)
    assert CAL.is_working_day(due.date())
    assert due.date() >= nominal
    assert all(
        not CAL.is_working_day(nominal + dt.timedelta(days=i))
        for i in range((due.date() - nominal).days)
    )


pause_lists = st.lists(
    st.tuples(instants, st.integers(0, 7 * 24 * 60)).map(
        lambda p: (p[0], p[0] + dt.timedelta(minutes=p[1]))
    ),
    max_size=4,
)


@SETTINGS
@given(instants, hours, pause_lists)
def test_pause_extends_by_exactly_the_paused_working_time(start, h, pauses):
    due = CAL.add_working_hours(start, h)
    extended = CAL.extend_for_pauses(due, pauses)
    paused = CAL.paused_working_time(pauses)
    assert CAL.working_time_between(due, extended) == paused
    # The union counts overlaps once: never more than the sum, never less than the longest.
    single = [CAL.working_time_between(a, b) for a, b in pauses]
    assert max(single, default=dt.timedelta(0)) <= paused <= sum(single, dt.timedelta(0))


@SETTINGS
@given(st.lists(st.tuples(instants, hours), min_size=1, max_size=40))
def test_bulk_equals_scalar(items):
    received = to_utc_datetime64([r for r, _ in items])
    due = from_utc_datetime64(BULK.add_working_hours(received, [h for _, h in items]), VN)
    assert due == [CAL.add_working_hours(r, h) for r, h in items]


@SETTINGS
@given(st.lists(st.tuples(instants, instants), min_size=1, max_size=20))
def test_bulk_working_time_equals_scalar(pairs):
    a = to_utc_datetime64([p[0] for p in pairs])
    b = to_utc_datetime64([p[1] for p in pairs])
    got = BULK.working_time_us(a, b)
    want = [CAL.working_time_between(x, y) // dt.timedelta(microseconds=1) for x, y in pairs]
    assert got.tolist() == want


night_instants = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2026, 12, 31),  # noqa: DTZ001
    timezones=st.just(AMS),
)


@SETTINGS
@given(st.lists(st.tuples(night_instants, hours), min_size=1, max_size=20))
def test_bulk_equals_scalar_across_dst(items):
    received = to_utc_datetime64([r for r, _ in items])
    due = from_utc_datetime64(NIGHT_BULK.add_working_hours(received, [h for _, h in items]), AMS)
    expected = [NIGHT.add_working_hours(r, h) for r, h in items]
    assert [d.astimezone(dt.UTC) for d in due] == [e.astimezone(dt.UTC) for e in expected]
    for (r, h), e in zip(items, expected, strict=True):
        assert NIGHT.working_time_between(r, e) == dt.timedelta(
            microseconds=round(h * 3_600_000_000)
        )


def test_dst_night_session_lengths():
    # 29/03/2026 (spring forward in Amsterdam): 01:00-04:00 local lasts only 2 hours.
    short = NIGHT.working_time_between(
        dt.datetime(2026, 3, 29, 0, tzinfo=AMS), dt.datetime(2026, 3, 29, 5, tzinfo=AMS)
    )
    assert short == dt.timedelta(hours=2)


def test_bulk_rejects_out_of_range_and_auto_path_grows():
    late = to_utc_datetime64([dt.datetime(2027, 12, 30, 9, tzinfo=VN)])
    with pytest.raises(ValueError, match="extend the range"):
        BULK.add_working_hours(late, [100])
    with pytest.raises(ValueError, match="outside"):
        BULK.add_working_hours(to_utc_datetime64([dt.datetime(2020, 1, 1, tzinfo=VN)]), [1])
    received = [dt.datetime(2026, 2, 13, 16, 45, tzinfo=VN)] * 2
    due = from_utc_datetime64(CAL.add_working_hours_bulk(received, [40, 4000]), VN)
    assert due[0] == dt.datetime(2026, 2, 27, 16, 30, tzinfo=VN)
    assert due[1] == CAL.add_working_hours(received[1], 4000)
    with pytest.raises(ValueError, match="negative"):
        BULK.add_working_hours(late, [-1])
    with pytest.raises(ValueError, match="timezone-aware"):
        to_utc_datetime64(np.array([dt.datetime(2026, 1, 1)], dtype=object))  # noqa: DTZ001


def test_generic_country_calendar_for_nl():
    nl = calendar_for_country("NL", [2026])
    assert nl.tz == AMS
    assert not nl.is_working_day(dt.date(2026, 4, 27))  # King's Day
    start = dt.datetime(2026, 4, 24, 16, tzinfo=AMS)
    assert nl.add_working_hours(start, 2) == dt.datetime(2026, 4, 28, 10, tzinfo=AMS)
    with pytest.raises(ValueError, match="several time zones"):
        calendar_for_country("US", [2026])
    assert calendar_for_country("US", [2026], tz="America/New_York").is_working_day(
        dt.date(2026, 7, 2)
    )
    with pytest.raises(ValueError, match="does not know"):
        calendar_for_country("XX", [2026])


@SETTINGS
@given(
    st.lists(st.integers(0, 10**6), min_size=1, max_size=50, unique=True),
    st.lists(st.integers(0, 2 * 10**6), min_size=1, max_size=50),
    st.sampled_from(["left", "right"]),
    st.booleans(),
)
def test_sorted_index_equals_searchsorted(values, keys, side, small_table):
    from govqms.workdays.bulk import _SortedIndex

    array = np.array(sorted(values), dtype=np.int64)
    origin = int(array[0]) - 7
    keys = np.array([k for k in keys if k >= origin] or [origin], dtype=np.int64)
    index = _SortedIndex(array, origin, side=side)
    if small_table:
        index.table = None  # the binary-search fallback
    assert index(keys).tolist() == np.searchsorted(array, keys, side=side).tolist()
