"""Reads of the calendar data, and the one place that turns it into a pure `WorkCalendar`.

Calendar data is not personal and not unit-scoped: every signed-in user may read it, and
deadline computation (system code) reads it without a user.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from itertools import pairwise

from django.utils import timezone

from govqms.org.selectors import unit_ancestors

from . import seed
from .calendar import HoursPeriod, WorkCalendar
from .models import CalendarDay, HolidayCalendar, OfficeHours


def calendar_get(code: str = "VN") -> HolidayCalendar | None:
    return HolidayCalendar.objects.filter(code=code.upper()).first()


def calendar_day_list(
    *, calendar: HolidayCalendar, year: int | None = None, known_at: dt.datetime | None = None
):
    qs = CalendarDay.objects.known_at(known_at).filter(calendar=calendar)
    if year is not None:
        qs = qs.filter(date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31))
    return qs.order_by("date")


def _periods_of(rows: Iterable[OfficeHours], label: str) -> list[HoursPeriod]:
    """Rows of one level (one unit, or the defaults) -> non-overlapping weekly periods."""
    rows = list(rows)
    if not rows:
        return []
    bounds = sorted(
        {r.valid_from for r in rows if r.valid_from} | {r.valid_to for r in rows if r.valid_to}
    )
    edges: list[dt.date | None] = [None, *bounds, None]
    periods = []
    for start, end in pairwise(edges):
        probe = start or (end - dt.timedelta(days=1) if end else dt.date(2000, 1, 1))
        hours: dict[int, tuple] = {}
        for row in rows:
            if (row.valid_from is None or row.valid_from <= probe) and (
                row.valid_to is None or probe < row.valid_to
            ):
                hours[row.weekday] = row.sessions()
        if hours:
            periods.append(HoursPeriod(hours=hours, start=start, end=end, label=label))
    return periods


def office_hours_periods(*, unit=None, known_at: dt.datetime | None = None) -> list[HoursPeriod]:
    """The unit's weekly hours, nearest level first: the unit's own rows, then each ancestor's
    (ward -> province), then the default rows (unit = null). On a given day the first level
    with hours for that day defines the whole week."""
    levels = []
    if unit is not None:
        levels = [unit, *reversed(unit_ancestors(unit))]
    by_unit: dict[int | None, list[OfficeHours]] = defaultdict(list)
    ids = [u.pk for u in levels]
    rows = OfficeHours.objects.known_at(known_at).filter(unit_id__in=ids)
    for row in rows:
        by_unit[row.unit_id].append(row)
    for row in OfficeHours.objects.known_at(known_at).filter(unit__isnull=True):
        by_unit[None].append(row)
    periods: list[HoursPeriod] = []
    for level in levels:
        periods += _periods_of(by_unit.get(level.pk, ()), level.code)
    periods += _periods_of(by_unit.get(None, ()), "default")
    return periods


def _fallback_years(known_at: dt.datetime | None) -> range:
    year = (known_at or timezone.now()).year
    return range(year - 2, year + 3)


def workcalendar_for_unit(
    *,
    unit=None,
    calendar_code: str = "VN",
    known_at: dt.datetime | None = None,
    fallback_years: Iterable[int] | None = None,
) -> WorkCalendar:
    """The pure calendar that governs `unit`'s deadlines, as the system knew it at `known_at`
    (default: now). Without a seeded calendar in the database the seed data is used directly
    (for `fallback_years`, default: two years either side of `known_at`)."""
    calendar = calendar_get(calendar_code)
    periods = office_hours_periods(unit=unit, known_at=known_at)
    foreign = calendar_code.upper() != "VN"
    if foreign:
        # The default rows are Vietnamese office hours; a foreign calendar (a foreign event log)
        # keeps only hours declared for its own units, else its country's working week.
        periods = [p for p in periods if p.label != "default"]
    if calendar is None:
        years = sorted(set(fallback_years or _fallback_years(known_at)))
        name = f"{calendar_code.upper()} (dữ liệu seed, chưa nạp vào CSDL)"
        if calendar_code.upper() == "VN":
            return seed.vn_calendar(years, name=name, hours_periods=periods)
        return seed.calendar_for_country(calendar_code, years, name=name, hours_periods=periods)
    days = list(
        CalendarDay.objects.known_at(known_at)
        .filter(calendar=calendar)
        .values_list("date", "kind", "name")
    )
    valid_range = None
    if calendar.first_year and calendar.last_year:
        valid_range = (dt.date(calendar.first_year, 1, 1), dt.date(calendar.last_year, 12, 31))
    name = calendar.name
    if unit is not None:
        name = f"{name} — {unit.name}"
    weekend = frozenset(calendar.weekend or ())
    base_hours = {}
    if foreign:
        base_hours["hours"] = {wd: seed.GENERIC_SESSIONS for wd in range(7) if wd not in weekend}
    return WorkCalendar(
        **base_hours,
        days_off={d: n for d, k, n in days if k != CalendarDay.Kind.WORKING_DAY_SWAP},
        working_days={d: n for d, k, n in days if k == CalendarDay.Kind.WORKING_DAY_SWAP},
        weekend=weekend,
        hours_periods=periods,
        tz=calendar.timezone,
        hours_per_day=calendar.hours_per_day,
        deadline_mode=calendar.deadline_mode,
        calendar_day_rollover=calendar.calendar_day_rollover,
        valid_range=valid_range,
        name=name,
    )
