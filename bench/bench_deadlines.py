"""Due dates in bulk: the workdays numpy path against `numpy.busday_offset` (the baseline).

`run(n)` draws n dossiers (receipt instants over 2024-2026, limits of 0.5-30 working days),
computes their due instants with `BulkCalendar.add_working_hours` (office hours, lunch break,
holidays, working Saturdays, to the microsecond) and, for the same receipts, the due *dates*
with `numpy.busday_offset` (day granularity: Mon-Fri mask and the same weekday holidays; it
cannot express working Saturdays or office hours). Each timing is the median of `repeats` runs.
`ratio` = numpy time / our time (above 1: ours is faster). A small sample is also timed
through the scalar path, for scale.

    .venv/bin/python -m bench.bench_deadlines          # prints JSON
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
import time

import numpy as np

from govqms.workdays.bulk import to_utc_datetime64
from govqms.workdays.seed import vn_calendar

LIMITS_WORKING_HOURS = np.array([4, 8, 16, 24, 40, 56, 80, 120, 160, 240], dtype=np.float64)


def _median_seconds(fn, repeats: int) -> tuple[float, object]:
    times = []
    result = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def run(n: int = 1_000_000, repeats: int = 5, seed: int = 20260213, scalar_sample: int = 20_000):
    repeats = max(3, repeats)
    rng = np.random.default_rng(seed)
    cal = vn_calendar(range(2024, 2028))
    tz = cal.tz

    start = to_utc_datetime64([dt.datetime(2024, 1, 2, tzinfo=tz)])[0].astype(np.int64)
    end = to_utc_datetime64([dt.datetime(2026, 10, 31, tzinfo=tz)])[0].astype(np.int64)
    received = rng.integers(start, end, size=n, dtype=np.int64).view("datetime64[us]")
    hours = rng.choice(LIMITS_WORKING_HOURS, size=n)

    compiled_at = time.perf_counter()
    bulk = cal.bulk(dt.date(2024, 1, 1), dt.date(2027, 12, 31))
    compile_seconds = time.perf_counter() - compiled_at

    ours_seconds, due = _median_seconds(lambda: bulk.add_working_hours(received, hours), repeats)

    # Baseline: the same receipts at day granularity (local date, whole working days).
    offset = np.timedelta64(7, "h")  # Asia/Ho_Chi_Minh is UTC+7 all year
    local_dates = (received + offset).astype("datetime64[D]")
    days = np.ceil(hours / float(cal.hours_per_day)).astype(np.int64)
    holidays = sorted(d for d in cal.days_off if d.weekday() < 5)
    busdaycal = np.busdaycalendar(weekmask="1111100", holidays=holidays)

    def baseline():
        return np.busday_offset(local_dates, days, roll="forward", busdaycal=busdaycal)

    numpy_seconds, numpy_due = _median_seconds(baseline, repeats)

    sample = min(scalar_sample, n)
    sample_received = [
        dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=int(v))
        for v in received[:sample].view(np.int64)
    ]
    sample_hours = [float(h) for h in hours[:sample]]
    scalar_started = time.perf_counter()
    scalar_due = [
        cal.add_working_hours(r, h) for r, h in zip(sample_received, sample_hours, strict=True)
    ]
    scalar_seconds = time.perf_counter() - scalar_started
    agree = to_utc_datetime64(scalar_due).astype(np.int64) == due[:sample].astype(np.int64)

    # How often the day-granularity baseline lands on the same local date as the exact path.
    our_dates = (due + offset).astype("datetime64[D]")
    same_date = float(np.mean(our_dates == numpy_due))

    return {
        "benchmark": "deadlines",
        "n": n,
        "repeats": repeats,
        "sessions_precomputed": len(bulk),
        "compile_seconds": round(compile_seconds, 6),
        "ours_seconds_median": round(ours_seconds, 6),
        "ours_rate_per_second": round(n / ours_seconds) if ours_seconds else None,
        "numpy_busday_offset_seconds_median": round(numpy_seconds, 6),
        "numpy_rate_per_second": round(n / numpy_seconds) if numpy_seconds else None,
        "ratio": round(numpy_seconds / ours_seconds, 3) if ours_seconds else math.nan,
        "ratio_meaning": "numpy_busday_offset_time / ours (>1: ours faster)",
        "scalar_sample": sample,
        "scalar_rate_per_second": round(sample / scalar_seconds) if scalar_seconds else None,
        "scalar_equals_bulk_on_sample": bool(agree.all()),
        "same_local_date_as_day_granularity_baseline": round(same_date, 4),
        "numpy": np.__version__,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
