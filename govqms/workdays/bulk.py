"""Vectorized due dates (numpy): millions of (received instant, limit in working hours) at once,
equal to `WorkCalendar.add_working_hours` to the microsecond.

Over a date range the calendar's office sessions become three int64 arrays (UTC microseconds):
session starts, session ends and the cumulative working time before each session. An instant
maps to a point on the "working-time axis", W(t) = working time elapsed since the start of the
range; a due date is the inverse image of W(t) + h. Both directions are one `np.searchsorted`
over a few thousand sessions, so the cost is O(n log S) with no Python loop per dossier.

Instants are numpy `datetime64` values read as UTC (numpy has no time zones); arrays of aware
`datetime` objects are converted (slowly) on the way in. Results are `datetime64[us]` in UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from .calendar import US_PER_HOUR, UTC, WorkCalendar, require_aware

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)


def _us(instant: dt.datetime) -> int:
    delta = instant.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def to_utc_datetime64(values: Any) -> np.ndarray:
    """Aware datetimes (or datetime64 read as UTC) -> `datetime64[us]` array."""
    array = np.asarray(values)
    if np.issubdtype(array.dtype, np.datetime64):
        return array.astype("datetime64[us]")
    if array.dtype != object:
        raise TypeError(f"expected datetime64 or aware datetimes, got dtype {array.dtype}")
    flat = [_us(require_aware(v, "received")) for v in array.ravel()]
    return np.asarray(flat, dtype=np.int64).reshape(array.shape).view("datetime64[us]")


def from_utc_datetime64(values: np.ndarray, tz) -> list[dt.datetime]:
    """`datetime64` (UTC) -> aware datetimes in `tz` (for display and tests)."""
    micros = np.asarray(values).astype("datetime64[us]").view(np.int64)
    return [(_EPOCH + dt.timedelta(microseconds=int(v))).astimezone(tz) for v in micros.ravel()]


def hours_to_us(hours: Any) -> np.ndarray:
    """Working hours (numbers or timedelta64) -> int64 microseconds, rounded half-even like the
    scalar path."""
    array = np.asarray(hours)
    if np.issubdtype(array.dtype, np.timedelta64):
        result = array.astype("timedelta64[us]").view(np.int64)
    else:
        as_float = array.astype(np.float64)
        if not np.isfinite(as_float).all():
            raise ValueError("hours must be finite")
        result = np.rint(as_float * float(US_PER_HOUR)).astype(np.int64)
    if (result < 0).any():
        raise ValueError("hours cannot be negative")
    return result


class BulkCalendar:
    """The sessions of `calendar` from `first` to `last` (inclusive) as sorted arrays."""

    def __init__(self, calendar: WorkCalendar, first: dt.date, last: dt.date):
        if last < first:
            raise ValueError("last must not be before first")
        self.calendar = calendar
        self.first, self.last = first, last
        starts: list[int] = []
        ends: list[int] = []
        day = first
        while day <= last:
            for start, end in calendar.utc_sessions(day):
                starts.append(_us(start))
                ends.append(_us(end))
            day += dt.timedelta(days=1)
        if not starts:
            raise ValueError(f"no office session between {first} and {last}")
        self.starts = np.asarray(starts, dtype=np.int64)
        self.ends = np.asarray(ends, dtype=np.int64)
        lengths = self.ends - self.starts
        self.cum_end = np.cumsum(lengths)
        self.cum_start = self.cum_end - lengths
        tz = calendar.tz
        self.t_min = _us(dt.datetime.combine(first, dt.time(), tzinfo=tz))
        self.t_max = _us(dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz))
        # k(t) = first session ending after t; j(w) = first session whose cumulative end >= w.
        self._session_after = _SortedIndex(self.ends, self.t_min, side="right")
        self._session_reaching = _SortedIndex(self.cum_end, 0, side="left")

    def __len__(self) -> int:
        return len(self.starts)

    def _instants(self, values: Any) -> np.ndarray:
        t = to_utc_datetime64(values).view(np.int64)
        if t.size and (t.min() < self.t_min or t.max() >= self.t_max):
            raise OutOfRange(
                f"instants outside the precomputed range {self.first}..{self.last}: "
                "build a BulkCalendar that covers them"
            )
        return t

    def _position(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(W(t) in µs, index of the first session ending after t) for instants t."""
        k = self._session_after(t)
        inside = k < len(self.starts)
        k_safe = np.minimum(k, len(self.starts) - 1)
        start = self.starts[k_safe]
        w = np.where(inside, self.cum_start[k_safe] + np.maximum(t - start, 0), self.cum_end[-1])
        return w, k

    def working_time_us(self, a: Any, b: Any) -> np.ndarray:
        """Working time between instants a and b (int64 µs; negative when b < a)."""
        wa, _ = self._position(self._instants(a))
        wb, _ = self._position(self._instants(b))
        return wb - wa

    def add_working_hours(self, received: Any, hours: Any) -> np.ndarray:
        """Due instants (`datetime64[us]`, UTC) for each received instant plus working hours."""
        return self.add_working_us(self._instants(received), hours_to_us(hours))

    def add_working_us(self, t: np.ndarray, h: np.ndarray) -> np.ndarray:
        """Core of `add_working_hours` on int64 µs instants (in range) and µs of working time."""
        t, h = np.broadcast_arrays(np.asarray(t, dtype=np.int64), np.asarray(h, dtype=np.int64))
        if t.size and t.min() < self.t_min:
            raise OutOfRange(f"a receipt falls before {self.first}")
        n = len(self.starts)
        k = self._session_after(t)
        if (k >= n).any():
            raise OutOfRange(f"a receipt falls after the last session up to {self.last}")
        first_start = self.starts[k]
        begin = np.maximum(first_start, t)
        target = self.cum_start[k] + (begin - first_start) + h
        j = self._session_reaching(target)
        if (j >= n).any():
            raise OutOfRange(f"a due date falls after {self.last}: extend the range")
        due = self.starts[j] + (target - self.cum_start[j])
        if not h.all():
            due = np.where(h == 0, begin, due)
        return due.view("datetime64[us]")


class _SortedIndex:
    """`np.searchsorted(values, x, side)` for a strictly increasing `values`, in O(1) per key.

    Buckets of width `step` = the smallest gap between consecutive values hold at most one value
    each, so the answer is the precomputed answer at the bucket's lower edge, plus one if the
    single value inside the bucket lies before x. Keys must be >= `origin`. Falls back to a
    binary search when the table would be too large (sub-second sessions).
    """

    MAX_TABLE = 20_000_000

    def __init__(self, values: np.ndarray, origin: int, *, side: str):
        self.values, self.origin, self.side = values, int(origin), side
        gaps = np.diff(values)
        self.step = int(gaps.min()) if gaps.size else 1 << 40
        size = (int(values[-1]) - self.origin) // self.step + 2
        self.table = None
        if self.step > 0 and 0 < size <= self.MAX_TABLE:
            edges = self.origin + np.arange(size, dtype=np.int64) * self.step
            self.table = np.searchsorted(values, edges, side=side)
            self.size = size
            self.padded = np.append(values, np.iinfo(np.int64).max)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if self.table is None:
            return np.searchsorted(self.values, x, side=self.side)
        bucket = np.minimum((x - self.origin) // self.step, self.size - 1)
        base = self.table[bucket]
        ahead = self.padded[base]
        return base + ((ahead <= x) if self.side == "right" else (ahead < x))


class OutOfRange(ValueError):
    """An instant or a due date beyond the precomputed range."""


def add_working_hours_auto(calendar: WorkCalendar, received: Any, hours: Any) -> np.ndarray:
    """`BulkCalendar.add_working_hours` over a range sized from the inputs (grown if needed)."""
    t = to_utc_datetime64(received).view(np.int64)
    h = hours_to_us(hours)
    if t.size == 0:
        return t.view("datetime64[us]")
    tz = calendar.tz
    first = from_utc_datetime64(t.min(), tz)[0].date() - dt.timedelta(days=1)
    last_received = from_utc_datetime64(t.max(), tz)[0].date()
    per_day_us = float(calendar.hours_per_day) * US_PER_HOUR
    span = int(h.max() / per_day_us * 7 / 5 * 1.5) + 60
    while True:
        bulk = BulkCalendar(calendar, first, last_received + dt.timedelta(days=span))
        try:
            return bulk.add_working_us(t, h)
        except OutOfRange:
            if span > 366 * 100:
                raise
            span *= 2
