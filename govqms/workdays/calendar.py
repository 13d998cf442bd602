"""Working-day deadline maths over plain data. No Django, no ORM: everything here is a pure
function of a `WorkCalendar` value and aware datetimes.

Conventions (see docs/workdays.md for the sources):

* A day is a working day when it has office sessions: it is not a day off (holiday, swapped day
  off) and either it is a weekday outside `weekend` with office hours, or it is listed in
  `working_days` (a Saturday worked in exchange for a swapped day off).
* Time limits are counted in working time, session by session. A receipt outside office hours
  starts the count at the next session (after hours -> next working morning; in the lunch break
  -> the afternoon session). A due instant that falls exactly at the end of a session stays there
  (16:30), it never rolls over to the next morning.
* All arithmetic is done on UTC instants, so a calendar in a zone with DST (e.g. a foreign event
  log) stays exact. Results are aware datetimes in the calendar's zone.
* Limits in working days are converted to working hours (`hours_per_day`, 8 by default: the
  procedure catalogue stores limits in working hours, 8 h = 1 day). The other convention,
  "close of business of the N-th working day after the day of receipt", is available as
  `deadline_mode="end_of_day"`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # pragma: no cover
    from .bulk import BulkCalendar
    from .explain import Derivation

UTC = dt.UTC
VN_TIMEZONE = "Asia/Ho_Chi_Minh"
US_PER_HOUR = 3_600_000_000
# A calendar with no working session for this many consecutive days is treated as broken.
MAX_IDLE_DAYS = 3660

Session = tuple[dt.time, dt.time]
DayHours = tuple[Session, ...]

MODE_HOURS = "hours"
MODE_END_OF_DAY = "end_of_day"
DEADLINE_MODES = (MODE_HOURS, MODE_END_OF_DAY)

#: Vietnamese state agencies: 07:30-12:00 and 13:00-16:30, Monday to Friday (8 working hours).
VN_DEFAULT_SESSIONS: DayHours = (
    (dt.time(7, 30), dt.time(12, 0)),
    (dt.time(13, 0), dt.time(16, 30)),
)
VN_DEFAULT_HOURS: Mapping[int, DayHours] = MappingProxyType(
    {weekday: VN_DEFAULT_SESSIONS for weekday in range(5)}
)


def _validate_day_hours(weekday: int, sessions: Iterable[Sequence[dt.time]]) -> DayHours:
    if not 0 <= int(weekday) <= 6:
        raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {weekday!r}")
    result = []
    previous_end: dt.time | None = None
    for session in sessions:
        start, end = session
        for value in (start, end):
            if not isinstance(value, dt.time) or value.tzinfo is not None:
                raise ValueError("office hours are naive local times (datetime.time)")
        if not start < end:
            raise ValueError(f"office session must start before it ends: {start}-{end}")
        if previous_end is not None and start < previous_end:
            raise ValueError(f"office sessions overlap or are out of order at {start}")
        previous_end = end
        result.append((start, end))
    return tuple(result)


def _freeze_hours(hours: Mapping[int, Iterable[Sequence[dt.time]]]) -> Mapping[int, DayHours]:
    return MappingProxyType(
        {int(wd): _validate_day_hours(wd, sessions) for wd, sessions in hours.items()}
    )


@dataclass(frozen=True)
class HoursPeriod:
    """Office hours valid from `start` (inclusive) to `end` (exclusive; None = open-ended).

    A weekday missing from `hours` has no office sessions during the period.
    """

    hours: Mapping[int, DayHours]
    start: dt.date | None = None
    end: dt.date | None = None
    label: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "hours", _freeze_hours(self.hours))
        if self.start and self.end and not self.start < self.end:
            raise ValueError(f"hours period must start before it ends: {self.start}-{self.end}")

    def covers(self, day: dt.date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)


@dataclass(frozen=True)
class Pause:
    """A stop of the clock (supplement requested, financial obligation...), [start, end)."""

    start: dt.datetime
    end: dt.datetime
    reason: str = ""


@dataclass(frozen=True)
class Limit:
    """A legal time limit: `amount` of working hours ("wh"), working days ("wd") or calendar
    days ("d")."""

    amount: Decimal
    unit: str

    UNITS = ("wh", "wd", "d")
    _PATTERN = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(wh|wd|d)\s*$", re.IGNORECASE)

    def __post_init__(self) -> None:
        amount = _to_decimal(self.amount, what="limit")
        if amount < 0:
            raise ValueError("a time limit cannot be negative")
        if self.unit not in self.UNITS:
            raise ValueError(
                f"limit unit must be one of {', '.join(self.UNITS)}, got {self.unit!r}"
            )
        if self.unit == "d" and amount != amount.to_integral_value():
            raise ValueError("a limit in calendar days must be a whole number of days")
        object.__setattr__(self, "amount", amount)

    @classmethod
    def parse(cls, text: str) -> Limit:
        """'5wd' (working days), '10d' (calendar days), '4wh' or '4.5wh' (working hours)."""
        match = cls._PATTERN.match(text or "")
        if not match:
            raise ValueError(
                f"cannot read the time limit {text!r}: use e.g. 5wd (working days), "
                "10d (calendar days) or 4wh (working hours)"
            )
        return cls(Decimal(match.group(1).replace(",", ".")), match.group(2).lower())

    def __str__(self) -> str:
        return f"{_plain_number(self.amount)}{self.unit}"


def _plain_number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def _to_decimal(value: Any, *, what: str) -> Decimal:
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a number, not a bool")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{what} must be finite")
        result = Decimal(repr(value))
    else:
        try:
            result = Decimal(str(value))
        except InvalidOperation as exc:
            raise TypeError(f"{what} must be a number, got {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"{what} must be finite")
    return result


def hours_to_duration(hours: Any) -> dt.timedelta:
    """Working hours -> timedelta, rounded to the microsecond (half-even, like numpy.rint).

    Floats are multiplied as floats, so the bulk path (float64 arrays) rounds identically.
    """
    if isinstance(hours, dt.timedelta):
        duration = hours
    elif isinstance(hours, bool):
        raise TypeError("hours must be a number, not a bool")
    elif isinstance(hours, int):
        duration = dt.timedelta(microseconds=hours * US_PER_HOUR)
    elif isinstance(hours, float):
        if not math.isfinite(hours):
            raise ValueError("hours must be finite")
        duration = dt.timedelta(microseconds=round(hours * US_PER_HOUR))
    else:
        value = _to_decimal(hours, what="hours") * US_PER_HOUR
        duration = dt.timedelta(microseconds=int(value.to_integral_value(ROUND_HALF_EVEN)))
    if duration < dt.timedelta(0):
        raise ValueError("hours cannot be negative")
    return duration


def require_aware(value: dt.datetime, what: str = "datetime") -> dt.datetime:
    if not isinstance(value, dt.datetime):
        raise TypeError(f"{what} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware (got naive {value.isoformat()})")
    return value


@dataclass(frozen=True, eq=False)
class WorkCalendar:
    """Plain data describing when an office works. Build it with `seed.vn_calendar()`,
    `seed.calendar_for_country()` or the `workdays.selectors` (database)."""

    days_off: Mapping[dt.date, str] = field(default_factory=dict)
    working_days: Mapping[dt.date, str] = field(default_factory=dict)
    weekend: frozenset[int] = frozenset({5, 6})
    hours: Mapping[int, DayHours] = field(default_factory=lambda: dict(VN_DEFAULT_HOURS))
    hours_periods: Sequence[HoursPeriod] = ()
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo(VN_TIMEZONE))
    hours_per_day: Decimal = Decimal(8)
    deadline_mode: str = MODE_HOURS
    calendar_day_rollover: bool = True
    valid_range: tuple[dt.date, dt.date] | None = None
    name: str = ""

    def __post_init__(self) -> None:
        setter = object.__setattr__
        setter(self, "days_off", MappingProxyType(dict(self.days_off)))
        setter(self, "working_days", MappingProxyType(dict(self.working_days)))
        both = set(self.days_off) & set(self.working_days)
        if both:
            raise ValueError(f"dates both off and worked: {sorted(both)}")
        weekend = frozenset(int(d) for d in self.weekend)
        if not weekend <= set(range(7)):
            raise ValueError("weekend days are 0 (Monday) .. 6 (Sunday)")
        setter(self, "weekend", weekend)
        setter(self, "hours", _freeze_hours(self.hours))
        setter(self, "hours_periods", tuple(self.hours_periods))
        if isinstance(self.tz, str):
            setter(self, "tz", ZoneInfo(self.tz))
        per_day = _to_decimal(self.hours_per_day, what="hours_per_day")
        if per_day <= 0:
            raise ValueError("hours_per_day must be positive")
        setter(self, "hours_per_day", per_day)
        if self.deadline_mode not in DEADLINE_MODES:
            raise ValueError(f"deadline_mode must be one of {DEADLINE_MODES}")
        setter(self, "_cache", {})

    # --- days and sessions -------------------------------------------------------------------
    def hours_for(self, day: dt.date) -> Mapping[int, DayHours]:
        """The weekly office hours that apply on `day` (first matching period, else default)."""
        for period in self.hours_periods:
            if period.covers(day):
                return period.hours
        return self.hours

    def sessions_on(self, day: dt.date) -> DayHours:
        """Local office sessions on `day`; empty on a day off."""
        if day in self.days_off:
            return ()
        hours = self.hours_for(day)
        weekday = day.weekday()
        if day in self.working_days:
            return hours.get(weekday) or self._standard_day(hours)
        if weekday in self.weekend:
            return ()
        return hours.get(weekday, ())

    @staticmethod
    def _standard_day(hours: Mapping[int, DayHours]) -> DayHours:
        """Hours worked on a swapped working Saturday: the first weekday that has hours."""
        for weekday in range(7):
            if hours.get(weekday):
                return hours[weekday]
        return ()

    def is_working_day(self, day: dt.date) -> bool:
        return bool(self.sessions_on(day))

    def utc_sessions(self, day: dt.date) -> tuple[tuple[dt.datetime, dt.datetime], ...]:
        cache: dict = self._cache  # type: ignore[attr-defined]
        sessions = cache.get(day)
        if sessions is None:
            sessions = tuple(
                (
                    dt.datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC),
                    dt.datetime.combine(day, end, tzinfo=self.tz).astimezone(UTC),
                )
                for start, end in self.sessions_on(day)
            )
            cache[day] = sessions
        return sessions

    def next_working_day(self, day: dt.date) -> dt.date:
        """The first working day strictly after `day`."""
        for offset in range(1, MAX_IDLE_DAYS + 1):
            candidate = day + dt.timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError(f"the calendar has no working day within {MAX_IDLE_DAYS} days of {day}")

    def local(self, value: dt.datetime, what: str = "datetime") -> dt.datetime:
        return require_aware(value, what).astimezone(self.tz)

    def _sessions_from(
        self, t: dt.datetime, *, stop_day: dt.date | None = None
    ) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """UTC sessions that end after instant `t`, in order (until `stop_day` if given)."""
        day = t.astimezone(self.tz).date()
        idle = 0
        while stop_day is None or day <= stop_day:
            sessions = self.utc_sessions(day)
            if sessions:
                idle = 0
            else:
                idle += 1
                if stop_day is None and idle > MAX_IDLE_DAYS:
                    raise ValueError(
                        f"the calendar has no working time within {MAX_IDLE_DAYS} days of {day}"
                    )
            for start, end in sessions:
                if end > t:
                    yield start, end
            day += dt.timedelta(days=1)

    # --- working-hour arithmetic -------------------------------------------------------------
    def counting_start(self, start: dt.datetime) -> dt.datetime:
        """The instant the clock starts for a receipt at `start` (itself if in office hours)."""
        return self.add_working_hours(start, 0)

    def add_working_hours(self, start: dt.datetime, hours: Any) -> dt.datetime:
        """The instant `hours` of working time after `start` (a number or a timedelta)."""
        t = require_aware(start, "start").astimezone(UTC)
        remaining = hours_to_duration(hours)
        for session_start, session_end in self._sessions_from(t):
            begin = max(session_start, t)
            available = session_end - begin
            if remaining <= available:
                return (begin + remaining).astimezone(self.tz)
            remaining -= available
        raise AssertionError("unreachable: _sessions_from is endless")  # pragma: no cover

    def working_time_between(self, a: dt.datetime, b: dt.datetime) -> dt.timedelta:
        """Working time in [a, b); negative when b is before a."""
        ta = require_aware(a, "a").astimezone(UTC)
        tb = require_aware(b, "b").astimezone(UTC)
        if tb < ta:
            return -self.working_time_between(b, a)
        total = dt.timedelta(0)
        for session_start, session_end in self._sessions_from(
            ta, stop_day=tb.astimezone(self.tz).date()
        ):
            if session_start >= tb:
                break
            total += min(session_end, tb) - max(session_start, ta)
        return total

    # --- working days and calendar days -----------------------------------------------------
    def receipt_day(self, start: dt.datetime) -> dt.date:
        """The day a receipt counts as made on: its own day if it came before the close of a
        working day, else the next working day (after hours, weekend, holiday)."""
        local = self.local(start, "start")
        day = local.date()
        sessions = self.utc_sessions(day)
        if sessions and local.astimezone(UTC) < sessions[-1][1]:
            return day
        return self.next_working_day(day)

    def close_of_day(self, day: dt.date) -> dt.datetime:
        """End of the last office session of `day` (of a standard day if `day` has none)."""
        sessions = self.sessions_on(day) or self._standard_day(self.hours_for(day))
        if not sessions:
            raise ValueError("the calendar has no office hours at all")
        return dt.datetime.combine(day, sessions[-1][1], tzinfo=self.tz)

    def add_working_days(self, start: dt.datetime, days: Any, *, mode: str | None = None):
        """`days` working days after `start`.

        mode "hours" (default): days x hours_per_day working hours, exact to the minute.
        mode "end_of_day": close of business of the days-th working day after the receipt day
        (the receipt day itself is not counted); `days` must be whole.
        """
        mode = mode or self.deadline_mode
        amount = _to_decimal(days, what="days")
        if amount < 0:
            raise ValueError("days cannot be negative")
        if mode == MODE_HOURS:
            return self.add_working_hours(start, amount * self.hours_per_day)
        if mode != MODE_END_OF_DAY:
            raise ValueError(f"mode must be one of {DEADLINE_MODES}, got {mode!r}")
        if amount != amount.to_integral_value():
            raise ValueError("end_of_day mode counts whole working days")
        day = self.receipt_day(start)
        for _ in range(int(amount)):
            day = self.next_working_day(day)
        return self.close_of_day(day)

    def add_calendar_days(self, start: dt.datetime, days: int, *, rollover: bool | None = None):
        """Close of office hours on the receipt day + `days` calendar days; when that day is
        not a working day, on the next working day (unless rollover is off)."""
        return self._calendar_days(start, days, rollover)[1]

    def _calendar_days(self, start, days, rollover) -> tuple[dt.date, dt.datetime, dt.date]:
        amount = _to_decimal(days, what="days")
        if amount < 0 or amount != amount.to_integral_value():
            raise ValueError("calendar days must be a whole, non-negative number")
        rollover = self.calendar_day_rollover if rollover is None else rollover
        last = self.receipt_day(start) + dt.timedelta(days=int(amount))
        landing = last
        if rollover and not self.is_working_day(last):
            landing = self.next_working_day(last)
        return last, self.close_of_day(landing), landing

    # --- pauses -------------------------------------------------------------------------------
    @staticmethod
    def normalize_pauses(pauses: Iterable[Any]) -> list[Pause]:
        """Pauses as `Pause` objects, validated, sorted by start."""
        result = []
        for item in pauses:
            if isinstance(item, Pause):
                pause = item
            else:
                values = tuple(item)
                if len(values) not in (2, 3):
                    raise ValueError("a pause is (from, to) or (from, to, reason)")
                pause = Pause(*values)
            require_aware(pause.start, "pause start")
            require_aware(pause.end, "pause end")
            if pause.end < pause.start:
                raise ValueError(
                    f"pause ends before it starts: {pause.start.isoformat()} / "
                    f"{pause.end.isoformat()}"
                )
            result.append(pause)
        return sorted(result, key=lambda p: p.start.astimezone(UTC))

    def paused_working_time(self, pauses: Iterable[Any]) -> dt.timedelta:
        """Working time covered by the union of `pauses` (overlaps count once)."""
        total = dt.timedelta(0)
        cur_start = cur_end = None
        for pause in self.normalize_pauses(pauses):
            start, end = pause.start.astimezone(UTC), pause.end.astimezone(UTC)
            if cur_end is not None and start <= cur_end:
                cur_end = max(cur_end, end)
                continue
            if cur_start is not None:
                total += self.working_time_between(cur_start, cur_end)
            cur_start, cur_end = start, end
        if cur_start is not None:
            total += self.working_time_between(cur_start, cur_end)
        return total

    def extend_for_pauses(self, due: dt.datetime, pauses: Iterable[Any]) -> dt.datetime:
        """`due` pushed back by exactly the working time the clock was stopped."""
        paused = self.paused_working_time(pauses)
        if not paused:
            return self.local(due, "due")
        return self.add_working_hours(due, paused)

    # --- one entry point for a legal limit ------------------------------------------------------
    def due(
        self,
        start: dt.datetime,
        limit: Limit | str,
        *,
        pauses: Iterable[Any] = (),
        mode: str | None = None,
    ) -> dt.datetime:
        limit = Limit.parse(limit) if isinstance(limit, str) else limit
        if limit.unit == "wh":
            due = self.add_working_hours(start, limit.amount)
        elif limit.unit == "wd":
            due = self.add_working_days(start, limit.amount, mode=mode)
        else:
            due = self.add_calendar_days(start, int(limit.amount))
        return self.extend_for_pauses(due, pauses)

    def explain(
        self,
        start: dt.datetime,
        limit: Limit | str,
        *,
        pauses: Iterable[Any] = (),
        mode: str | None = None,
    ) -> Derivation:
        """The due instant with a step-by-step derivation a clerk can print (Vietnamese)."""
        from .explain import derive

        limit = Limit.parse(limit) if isinstance(limit, str) else limit
        return derive(self, start, limit, pauses=pauses, mode=mode)

    # --- bulk (numpy) -----------------------------------------------------------------------
    def bulk(self, first: dt.date, last: dt.date) -> BulkCalendar:
        """Precomputed session arrays for vectorized due dates between `first` and `last`."""
        from .bulk import BulkCalendar

        return BulkCalendar(self, first, last)

    def add_working_hours_bulk(self, received, hours):
        """Vectorized `add_working_hours`: see `bulk.add_working_hours_auto`."""
        from .bulk import add_working_hours_auto

        return add_working_hours_auto(self, received, hours)
