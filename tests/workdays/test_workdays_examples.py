"""Worked examples of the Vietnamese working-day calendar (pure; no database)."""

import datetime as dt
import json
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from govqms.workdays.calendar import Limit, WorkCalendar, hours_to_duration
from govqms.workdays.seed import vn_calendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(y, m, d, hh=0, mm=0):
    return dt.datetime(y, m, d, hh, mm, tzinfo=VN)


@pytest.fixture(scope="module")
def cal():
    return vn_calendar(range(2024, 2028))


# --- receipt outside office hours ------------------------------------------------------------
def test_after_hours_before_tet_starts_after_the_holiday(cal):
    # Fri 13/02/2026 16:45: Tết 2026 runs 14-22/02 (TB 9441/TB-BNV), so the clock starts Mon 23/02.
    assert cal.counting_start(at(2026, 2, 13, 16, 45)) == at(2026, 2, 23, 7, 30)
    # 5 working days = 40 working hours -> Fri 27/02 16:30, which stays at the session end.
    assert cal.add_working_days(at(2026, 2, 13, 16, 45), 5) == at(2026, 2, 27, 16, 30)


def test_receipt_at_exactly_close_starts_next_morning(cal):
    assert cal.add_working_hours(at(2026, 3, 2, 16, 30), 1) == at(2026, 3, 3, 8, 30)


def test_receipt_in_lunch_break_starts_at_13(cal):
    assert cal.counting_start(at(2026, 3, 2, 12, 15)) == at(2026, 3, 2, 13, 0)
    assert cal.add_working_hours(at(2026, 3, 2, 12, 15), 3.5) == at(2026, 3, 2, 16, 30)
    assert cal.add_working_hours(at(2026, 3, 2, 12, 15), 4) == at(2026, 3, 3, 8, 0)


def test_receipt_before_opening_starts_at_0730(cal):
    assert cal.add_working_hours(at(2026, 3, 2, 6, 0), 4.5) == at(2026, 3, 2, 12, 0)


def test_due_at_end_of_morning_stays_at_noon(cal):
    assert cal.add_working_hours(at(2026, 3, 2, 7, 30), 4.5) == at(2026, 3, 2, 12, 0)
    assert cal.add_working_hours(at(2026, 3, 2, 7, 30), 4.5 + 1 / 60) == at(2026, 3, 2, 13, 1)


def test_one_day_limit_in_the_morning_is_due_same_time_next_day(cal):
    assert cal.add_working_days(at(2026, 3, 3, 9, 15), 1) == at(2026, 3, 4, 9, 15)


# --- swaps and holidays ------------------------------------------------------------------------
def test_working_saturday_10_jan_2026_counts(cal):
    # CV 12729/VPCP-KGVX: Fri 02/01/2026 off, Sat 10/01/2026 worked instead.
    assert cal.is_working_day(dt.date(2026, 1, 10))
    assert not cal.is_working_day(dt.date(2026, 1, 2))
    assert cal.add_working_days(at(2026, 1, 9, 10), 1) == at(2026, 1, 10, 10)


def test_new_year_2026_bridge(cal):
    # Wed 31/12/2025 14:00 + 1 day: 01/01 holiday, 02/01 swapped off, 03-04 weekend.
    assert cal.add_working_days(at(2025, 12, 31, 14), 1) == at(2026, 1, 5, 14)


def test_hung_kings_day_2026_falls_on_sunday_and_is_observed_monday(cal):
    assert not cal.is_working_day(dt.date(2026, 4, 27))
    assert cal.add_working_days(at(2026, 4, 24, 15), 1) == at(2026, 4, 28, 15)


def test_hung_kings_day_2025_is_monday_7_april(cal):
    assert not cal.is_working_day(dt.date(2025, 4, 7))
    assert cal.add_working_hours(at(2025, 4, 4, 16), 1) == at(2025, 4, 8, 8)


def test_tet_2025_nine_days_and_swap_of_2_may(cal):
    for day in range(25, 32):
        assert not cal.is_working_day(dt.date(2025, 1, day))
    assert cal.is_working_day(dt.date(2025, 4, 26))  # Saturday worked
    assert not cal.is_working_day(dt.date(2025, 5, 2))


def test_2024_swap_and_national_day(cal):
    assert not cal.is_working_day(dt.date(2024, 4, 29))
    assert cal.is_working_day(dt.date(2024, 5, 4))
    assert not cal.is_working_day(dt.date(2024, 9, 3))


def test_national_day_2026_and_culture_day(cal):
    assert cal.is_working_day(dt.date(2026, 8, 22))
    for day in (dt.date(2026, 8, 31), dt.date(2026, 9, 1), dt.date(2026, 9, 2)):
        assert not cal.is_working_day(day)
    assert not cal.is_working_day(dt.date(2026, 11, 24))


# --- other modes ----------------------------------------------------------------------------------
def test_end_of_day_mode_does_not_count_the_day_of_receipt(cal):
    assert cal.add_working_days(at(2026, 3, 3, 9, 15), 1, mode="end_of_day") == at(
        2026, 3, 4, 16, 30
    )
    # After hours on Fri before Tết: deemed received Mon 23/02; 5th working day after is 02/03.
    due = cal.add_working_days(at(2026, 2, 13, 16, 45), 5, mode="end_of_day")
    assert due == at(2026, 3, 2, 16, 30)
    assert cal.add_working_days(at(2026, 3, 3, 9), 0, mode="end_of_day") == at(2026, 3, 3, 16, 30)
    with pytest.raises(ValueError, match="whole"):
        cal.add_working_days(at(2026, 3, 3, 9), 1.5, mode="end_of_day")


def test_calendar_days_roll_to_next_working_day(cal):
    # Received Mon 02/02/2026 10:00 + 12 days = Sat 14/02 -> first working day after Tết, 23/02.
    assert cal.add_calendar_days(at(2026, 2, 2, 10), 12) == at(2026, 2, 23, 16, 30)
    assert cal.add_calendar_days(at(2026, 2, 2, 10), 12, rollover=False) == at(2026, 2, 14, 16, 30)
    assert cal.add_calendar_days(at(2026, 2, 2, 10), 10) == at(2026, 2, 12, 16, 30)


def test_deadline_mode_is_configurable_on_the_calendar():
    eod = vn_calendar(range(2026, 2027), deadline_mode="end_of_day")
    assert eod.due(at(2026, 3, 3, 9, 15), "1wd") == at(2026, 3, 4, 16, 30)
    with pytest.raises(ValueError):
        vn_calendar(range(2026, 2027), deadline_mode="weekly")


def test_working_time_between(cal):
    assert cal.working_time_between(at(2026, 3, 2, 7), at(2026, 3, 2, 18)) == dt.timedelta(hours=8)
    assert cal.working_time_between(at(2026, 2, 13, 16), at(2026, 2, 23, 8)) == dt.timedelta(
        hours=1
    )
    assert cal.working_time_between(at(2026, 3, 2, 18), at(2026, 3, 2, 7)) == -dt.timedelta(hours=8)


def test_pauses_extend_by_paused_working_time_counting_overlaps_once(cal):
    due = at(2026, 3, 6, 16, 30)
    pauses = [
        (at(2026, 3, 2, 9), at(2026, 3, 2, 11), "bổ sung hồ sơ"),
        (at(2026, 3, 2, 10), at(2026, 3, 2, 14)),  # overlaps: 09:00-14:00 = 4 working hours
    ]
    assert cal.paused_working_time(pauses) == dt.timedelta(hours=4)
    assert cal.extend_for_pauses(due, pauses) == at(2026, 3, 9, 11, 30)
    assert cal.extend_for_pauses(due, []) == due
    with pytest.raises(ValueError, match="ends before"):
        cal.extend_for_pauses(due, [(at(2026, 3, 2, 9), at(2026, 3, 1, 9))])


# --- input checking ------------------------------------------------------------------------------
def test_naive_datetimes_are_rejected(cal):
    naive = dt.datetime(2026, 3, 2, 9)  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_hours(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.working_time_between(naive, at(2026, 3, 2, 10))
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.extend_for_pauses(at(2026, 3, 2, 10), [(naive, naive)])
    with pytest.raises(ValueError, match="negative"):
        cal.add_working_hours(at(2026, 3, 2, 9), -1)


def test_other_zone_input_gives_same_instant(cal):
    utc = at(2026, 3, 2, 9).astimezone(dt.UTC)
    assert cal.add_working_hours(utc, 1) == at(2026, 3, 2, 10)
    assert cal.add_working_hours(utc, 1).tzinfo == VN


def test_limit_parsing():
    assert Limit.parse("5wd") == Limit(Decimal(5), "wd")
    assert Limit.parse(" 10D ") == Limit(Decimal(10), "d")
    assert Limit.parse("4,5wh") == Limit(Decimal("4.5"), "wh")
    for bad in ("", "5", "5 days", "-1wd", "1.5d", "wd"):
        with pytest.raises(ValueError):
            Limit.parse(bad)


def test_hours_conversion_is_exact_for_decimals_and_matches_float_rounding():
    assert hours_to_duration(Decimal("0.1")) == dt.timedelta(minutes=6)
    assert hours_to_duration(1 / 3) == dt.timedelta(microseconds=round(1 / 3 * 3_600_000_000))
    assert hours_to_duration(dt.timedelta(minutes=5)) == dt.timedelta(minutes=5)


def test_bad_office_hours_are_rejected():
    with pytest.raises(ValueError, match="overlap"):
        WorkCalendar(hours={0: ((dt.time(8), dt.time(12)), (dt.time(11), dt.time(13)))})
    with pytest.raises(ValueError, match="start before"):
        WorkCalendar(hours={0: ((dt.time(12), dt.time(8)),)})
    with pytest.raises(ValueError, match="both off and worked"):
        WorkCalendar(days_off={dt.date(2026, 1, 3): "x"}, working_days={dt.date(2026, 1, 3): "y"})


def test_calendar_without_office_hours_fails_clearly():
    with pytest.raises(ValueError, match="no working"):
        WorkCalendar(hours={}).add_working_hours(at(2026, 1, 1), 1)


# --- explanation --------------------------------------------------------------------------------
def test_explain_tet_receipt_text(cal):
    derivation = cal.explain(at(2026, 2, 13, 16, 45), "5wd")
    first = derivation.steps[0].text
    assert first == (
        "Tiếp nhận 13/02/2026 16:45, sau giờ làm việc → bắt đầu tính từ 07:30 ngày 23/02/2026 "
        "(nghỉ Tết Nguyên đán 14\u201322/02)"
    )
    assert derivation.due == at(2026, 2, 27, 16, 30)
    assert derivation.steps[-1].kind == "due"
    assert "16:30 thứ Sáu, 27/02/2026" in derivation.steps[-1].text


def test_explain_lists_swaps_pauses_and_is_json(cal):
    pauses = [(at(2026, 1, 5, 8), at(2026, 1, 5, 9), "nghĩa vụ tài chính")]
    derivation = cal.explain(at(2025, 12, 31, 14), "6wd", pauses=pauses)
    kinds = [s.kind for s in derivation.steps]
    assert kinds[:3] == ["receipt", "limit", "skip"]
    assert "working_day" in kinds and "pause" in kinds and kinds[-1] == "due"
    texts = derivation.to_text()
    assert "nghỉ Tết Dương lịch, nghỉ hoán đổi 01\u201304/01" in texts
    assert "thứ Bảy 10/01/2026 là ngày làm việc" in texts
    payload = json.loads(json.dumps(derivation.to_dict()))
    assert payload["due"] == cal.due(at(2025, 12, 31, 14), "6wd", pauses=pauses).isoformat()
    assert payload["paused_working_seconds"] == 3600
    assert derivation.due == at(2026, 1, 10, 15)


def test_explain_calendar_days_rollover_and_range_warning(cal):
    derivation = cal.explain(at(2026, 2, 2, 10), "12d")
    assert any(s.kind == "rollover" for s in derivation.steps)
    assert derivation.due == at(2026, 2, 23, 16, 30)
    far = cal.explain(at(2027, 12, 30, 10), "10wd")
    assert far.steps[-1].kind == "warning"


def test_explain_agrees_with_due_in_every_mode(cal):
    start = at(2026, 8, 20, 15, 10)
    for limit in ("3wh", "2wd", "10d", "0wd"):
        for mode in ("hours", "end_of_day"):
            assert cal.explain(start, limit, mode=mode).due == cal.due(start, limit, mode=mode)
