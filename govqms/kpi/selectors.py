"""Reads of the indicators: figures from the rollups, and the dossiers behind each figure.

`indicator_values` sums the rollups of a unit (or its subtree, with the history of the units
merged into it) over [start, end] — the monthly rows for the whole months, the daily rows for
the days at either end, per procedure or for the whole unit (two aggregate queries) — adds the
open-dossier snapshot (live, from the Dossier table's partial index of open dossiers: it is not
additive over time), and runs every indicator of the registry (`kpi.indicators`) on those
counts. `dossiers_behind` returns the Dossier queryset
behind the numerator or the denominator of one figure, with the same filters, so that its count
is the figure's (tests/kpi/test_rollups_selectors.py checks each indicator). docs/rollups.md.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone, translation

from govqms.core import generations
from govqms.dossiers.models import OPEN_STATUSES, Dossier
from govqms.org.models import OrgUnit
from govqms.org.selectors import rollup_map
from govqms.procedures.models import Procedure, ProcedureVersion
from govqms.workdays.selectors import workcalendar_for_unit

from . import indicators, rollups
from .models import (
    HISTOGRAM_EDGES_DAYS,
    HISTOGRAM_FIELDS,
    MEASURES,
    DailyRollup,
    MonthlyRollup,
    UnitDailyRollup,
    UnitMonthlyRollup,
)

PERM = "report.view"
SNAPSHOT_INPUTS = ("open_within_limit", "open_due_soon", "open_overdue")
SAMPLE_INPUT = "processing_days"
DAY = rollups.SECONDS_PER_WORKING_DAY


# --- Periods ----------------------------------------------------------------------------------

PERIODS = ("day", "week", "month", "quarter", "year")


def period_bounds(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The (first, last) day of the day / ISO week / month / quarter / year holding `day`."""
    if period == "day":
        return day, day
    if period == "week":
        first = day - dt.timedelta(days=day.weekday())
        return first, first + dt.timedelta(days=6)
    if period in ("month", "quarter", "year"):
        months = {"month": 1, "quarter": 3, "year": 12}[period]
        start_month = (day.month - 1) // months * months + 1
        first = dt.date(day.year, start_month, 1)
        end_month = start_month + months
        year = day.year + (end_month - 1) // 12
        last = dt.date(year, (end_month - 1) % 12 + 1, 1) - dt.timedelta(days=1)
        return first, last
    raise ValueError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")


def _instants(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end+1 00:00) in Asia/Ho_Chi_Minh: the instants whose rollup day is in
    [start, end]."""
    tz = rollups.ROLLUP_TZ
    return (
        dt.datetime.combine(start, dt.time(), tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=tz),
    )


# --- Units: the subtree, and the history of the units merged into it -------------------------


def unit_scope(
    unit: OrgUnit, subtree: bool, *, moved: Mapping[int, tuple[str, int, str]] | None = None
) -> tuple[str, tuple]:
    """Which units' rows a figure sums: ("paths", prefixes) or ("ids", unit ids).

    subtree: every unit whose path lies under `unit`'s (closed units included: the tree is
    effective-dated, units are never moved), plus the subtree of every closed unit whose history
    is carried (`org.selectors.rollup_map`: primary successions) by a unit in that subtree.
    Not subtree: `unit` itself and the closed units it carries. Rows keep their own unit either
    way; this only decides which units' rows are summed. `moved`: `moved_units()` if the
    caller has it.
    """
    moved = moved_units() if moved is None else moved
    if not subtree:
        ids = {unit.pk} | {closed for closed, (_, target, _) in moved.items() if target == unit.pk}
        return "ids", tuple(sorted(ids))
    prefixes = {unit.path}
    for closed_path, _, target_path in moved.values():
        if target_path.startswith(unit.path):
            prefixes.add(closed_path)
    minimal = sorted(p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes))
    return "paths", tuple(minimal)


def moved_units() -> dict[int, tuple[str, int, str]]:
    """{closed unit id: (its path, id and path of the unit carrying its history)} for every
    closed unit whose history moved (`org.selectors.rollup_map`), two queries."""
    moved = {closed: target for closed, target in rollup_map().items() if closed != target}
    paths = dict(OrgUnit.objects.filter(pk__in={*moved, *moved.values()}).values_list("pk", "path"))
    return {
        closed: (paths[closed], target, paths.get(target, "")) for closed, target in moved.items()
    }


def unit_q(scope: tuple[str, tuple], prefix: str) -> Q:
    """The `unit_scope` as a Q over `<prefix>` (an OrgUnit relation: "unit", "competent_unit";
    "" for OrgUnit itself)."""
    kind, values = scope
    if kind == "ids":
        return Q(**{f"{prefix}_id__in" if prefix else "pk__in": values})
    q = Q()
    for path in values:
        q |= Q(**{f"{prefix}__path__startswith" if prefix else "path__startswith": path})
    return q


# --- Counts from the rollups -----------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """What a figure is about: the unit (subtree or not), the procedure, the days, and `now`
    for the open-dossier snapshot."""

    unit: OrgUnit
    subtree: bool
    procedure: Procedure | None
    start: dt.date
    end: dt.date
    now: dt.datetime
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError("the period ends before it starts")

    def _reference(self, key: tuple, compute):
        """A lookup over the org tree, calendars or procedures, kept by the process under the
        data's generations (`REFERENCE`); the generations are checked once per figure."""
        if "tokens" not in self._memo:
            self._memo["tokens"] = REFERENCE.tokens()
        return REFERENCE.get((*key, timezone.localdate()), compute, tokens=self._memo["tokens"])

    @property
    def scope(self) -> tuple[str, tuple]:
        if "scope" not in self._memo:
            key = ("scope", self.unit.pk, self.unit.path, self.subtree)
            self._memo["scope"] = self._reference(
                key, lambda: unit_scope(self.unit, self.subtree, moved=self.moved)
            )
        return self._memo["scope"]

    @property
    def moved(self) -> Mapping[int, tuple[str, int, str]]:
        """`moved_units()`, kept in memory."""
        return self._reference(("moved",), moved_units)

    @property
    def unit_paths(self) -> Mapping[int, str]:
        """{unit id: tree path} of the units whose rows the figure sums (`scope` resolved)."""
        return self._reference(
            ("unit_paths", self.unit.pk, self.unit.path, self.subtree),
            lambda: dict(OrgUnit.objects.filter(unit_q(self.scope, "")).values_list("pk", "path")),
        )

    @property
    def unit_ids(self) -> tuple[int, ...]:
        if "unit_ids" not in self._memo:
            self._memo["unit_ids"] = tuple(sorted(self.unit_paths))
        return self._memo["unit_ids"]

    @property
    def version_ids(self) -> tuple[int, ...] | None:
        """The ids of the procedure's versions (None: every procedure)."""
        if self.procedure is None:
            return None
        if "version_ids" not in self._memo:
            self._memo["version_ids"] = self._reference(
                ("versions", self.procedure.pk),
                lambda: tuple(
                    ProcedureVersion.objects.filter(procedure=self.procedure).values_list(
                        "pk", flat=True
                    )
                ),
            )
        return self._memo["version_ids"]

    @property
    def margins(self) -> Mapping[int, Any]:
        """{version id: due-soon margin in working hours}, every version."""
        return self._reference(
            ("margins",),
            lambda: dict(ProcedureVersion.objects.values_list("pk", "due_soon_hours")),
        )

    @property
    def calendar(self):
        """The working calendar of the figure's unit."""
        return self._reference(
            ("calendar", self.unit.pk), lambda: workcalendar_for_unit(unit=self.unit)
        )

    @property
    def thresholds(self) -> dict[Any, dt.datetime]:
        if "thresholds" not in self._memo:
            self._memo["thresholds"] = _due_soon_thresholds(self)
        return self._memo["thresholds"]


#: Lookups of figures kept in memory while the org tree, the calendars and the procedures stay
#: as they are (`core.generations`).
REFERENCE = generations.Memo("org", "calendar", "procedures")


def month_split(start: dt.date, end: dt.date) -> tuple[tuple[dt.date, dt.date] | None, list]:
    """[start, end] as (first, last) month start of the whole months in it (None if there is
    none) and the day ranges left at either end."""
    first = (
        start if start.day == 1 else (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    )
    after = end + dt.timedelta(days=1)
    stop = after if after.day == 1 else end.replace(day=1)  # the day after the whole months
    if first >= stop:
        return None, [(start, end)]
    edges = [(a, b) for a, b in ((start, first - dt.timedelta(days=1)), (stop, end)) if a <= b]
    last = (stop - dt.timedelta(days=1)).replace(day=1)
    return (first, last), edges


def _grain_reads(figure: Figure, start: dt.date, end: dt.date, *, by_procedure: bool, days: bool):
    """[(model, filter, month expression)] whose rows cover [start, end] exactly once: whole
    months from the monthly grain, the days at either end from the daily grain (`days`: the
    daily grain for everything, e.g. for weeks); per procedure or for the whole unit."""
    monthly = MonthlyRollup if by_procedure else UnitMonthlyRollup
    daily = DailyRollup if by_procedure else UnitDailyRollup
    months, edges = (None, [(start, end)]) if days else month_split(start, end)
    reads = []
    if months is not None:
        reads.append((monthly, Q(month__range=months), F("month")))
    if edges:
        q = Q(pk__in=[])
        for a, b in edges:
            q |= Q(day__range=(a, b))
        reads.append((daily, q, TruncMonth("day")))
    return reads


def grouped_counts(
    *,
    user=None,
    figure: Figure,
    by: tuple[str, ...] = (),
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> dict[tuple, dict[str, int]]:
    """Every rollup measure summed over the figure's units and procedure and [start, end]
    (default: the figure's days), per `by` — any of "unit_id", "procedure_id", "month" (first
    day), "week" (Monday) — as {group values: counts}; groups without rows are absent. One or two
    aggregate queries, on the coarsest grains that fit (docs/rollups.md §6)."""
    start, end = start or figure.start, end or figure.end
    by_procedure = figure.procedure is not None or "procedure_id" in by
    out: dict[tuple, dict[str, int]] = {}
    for model, q, month in _grain_reads(
        figure, start, end, by_procedure=by_procedure, days="week" in by
    ):
        rows = model.objects.restrict(user, PERM) if user is not None else model.objects.all()
        rows = rows.filter(q, unit_id__in=figure.unit_ids)
        if figure.procedure is not None:
            rows = rows.filter(procedure=figure.procedure)
        if "month" in by:
            rows = rows.annotate(bucket_month=month)
        if "week" in by:
            rows = rows.annotate(bucket_week=TruncWeek("day"))
        fields = [{"month": "bucket_month", "week": "bucket_week"}.get(f, f) for f in by]
        sums = {m: Sum(m) for m in MEASURES}
        rows = rows.order_by().values(*fields).annotate(**sums) if by else [rows.aggregate(**sums)]
        for row in rows:
            key = tuple(_as_date(row[f]) for f in fields)
            counts = out.setdefault(key, dict.fromkeys(MEASURES, 0))
            for m in MEASURES:
                counts[m] += int(row[m] or 0)
    return out


def _as_date(value):
    return value.date() if isinstance(value, dt.datetime) else value


def rollup_counts(*, user=None, figure: Figure) -> dict[str, int]:
    """Every rollup measure summed over the figure's units, procedure and days: the monthly
    grain for the whole months, the daily grain for the days at either end (per procedure, or
    the whole-unit tables when the figure has none); at most two small aggregate queries."""
    return grouped_counts(user=user, figure=figure).get((), dict.fromkeys(MEASURES, 0))


# --- The open-dossier snapshot (live) ---------------------------------------------------------


def _margins_of(version_ids) -> dict[int, Any]:
    return dict(
        ProcedureVersion.objects.filter(pk__in=version_ids).values_list("pk", "due_soon_hours")
    )


def _due_soon_thresholds(figure: Figure, margins: set | None = None) -> dict[Any, dt.datetime]:
    """{due-soon margin in working hours: first due instant that is NOT due soon at `now`}.

    A running dossier is due soon when working_time(now, due) ≤ margin, i.e. when
    due < add_working_hours(now, margin + 1 µs); computed once per distinct margin on the
    calendar of the figure's unit (docs/rollups.md: units of a subtree with other office hours).
    """
    calendar = figure.calendar
    margins = set(figure.margins.values()) if margins is None else margins
    return {
        h: calendar.add_working_hours(
            figure.now, dt.timedelta(hours=float(h)) + dt.timedelta(microseconds=1)
        )
        for h in margins
    }


def _snapshot_q(figure: Figure, thresholds: Mapping[Any, dt.datetime]) -> dict[str, Q]:
    """Open dossiers by timeliness class at `figure.now`, as `dossiers.workflows.timeliness`
    classes them: a running dossier against `now`; a paused one (clock stopped) by its stored
    class, which was computed at the pause and does not age."""
    now = figure.now
    is_open = Q(status__in=OPEN_STATUSES)
    running = is_open & Q(paused_since__isnull=True, due_at__isnull=False)
    paused = is_open & Q(paused_since__isnull=False)
    soon, later = Q(pk__in=[]), Q(pk__in=[])
    for h, limit in thresholds.items():
        soon |= Q(version__due_soon_hours=h, due_at__lt=limit)
        later |= Q(version__due_soon_hours=h, due_at__gte=limit)
    return {
        "open_overdue": (running & Q(due_at__lt=now)) | (paused & Q(timeliness="overdue")),
        "open_due_soon": (running & Q(due_at__gte=now) & soon)
        | (paused & Q(timeliness="due_soon")),
        "open_within_limit": (running & Q(due_at__gte=now) & later)
        | (paused & Q(timeliness="within")),
    }


def _dossiers(user, figure: Figure):
    qs = Dossier.objects.restrict(user, PERM) if user is not None else Dossier.objects.all()
    qs = qs.filter(unit_q(figure.scope, "competent_unit"))
    if figure.procedure is not None:
        qs = qs.filter(version__procedure=figure.procedure)
    return qs


def snapshot_counts(*, user=None, figure: Figure) -> dict[str, int]:
    """Open dossiers within limit / due soon / overdue at `figure.now`, classed as
    `_snapshot_q` classes them: one query over the partial index of open dossiers
    (`dossiers_open_unit_due`), grouped by version, then each version's due-soon margin
    applied."""
    per_unit = snapshot_by_unit(user=user, figure=figure, by_unit=False)
    return per_unit.get(None, dict.fromkeys(SNAPSHOT_INPUTS, 0))


def snapshot_by_unit(
    *, user=None, figure: Figure, by_unit: bool = True
) -> dict[int | None, dict[str, int]]:
    """`snapshot_counts` per competent unit id ({None: ...} when not `by_unit`); units with
    no open dossier are absent."""
    now, thresholds = figure.now, figure.thresholds
    margins = sorted(thresholds)
    qs = Dossier.objects.restrict(user, PERM) if user is not None else Dossier.objects.all()
    qs = qs.filter(competent_unit_id__in=figure.unit_ids, status__in=OPEN_STATUSES)
    if figure.version_ids is not None:
        qs = qs.filter(version_id__in=figure.version_ids)
    running = Q(paused_since__isnull=True, due_at__isnull=False)
    paused = Q(paused_since__isnull=False)
    # COUNT(version_id), not COUNT(id): every column read is in the index (an index-only scan).
    counts = {
        "overdue": Count("version", filter=running & Q(due_at__lt=now)),
        "running": Count("version", filter=running & Q(due_at__gte=now)),
        **{
            f"soon_{i}": Count(
                "version", filter=running & Q(due_at__gte=now, due_at__lt=thresholds[h])
            )
            for i, h in enumerate(margins)
        },
        **{
            f"paused_{klass}": Count("version", filter=paused & Q(timeliness=klass))
            for klass in ("overdue", "due_soon", "within")
        },
    }
    group = ("competent_unit_id", "version_id") if by_unit else ("version_id",)
    rows = list(qs.order_by().values(*group).annotate(**counts))
    margin_of = figure.margins
    unknown = {r["version_id"] for r in rows} - set(margin_of)
    if unknown:  # versions created after the lookups were read (in a concurrent transaction)
        margin_of = {**margin_of, **_margins_of(unknown)}
    if any(margin_of[r["version_id"]] not in thresholds for r in rows):
        # A margin no version had when the thresholds were computed: count them again with it.
        figure._memo["thresholds"] = _due_soon_thresholds(figure, set(margin_of.values()))
        return snapshot_by_unit(user=user, figure=figure, by_unit=by_unit)
    out: dict[int | None, dict[str, int]] = {}
    for r in rows:
        soon = r[f"soon_{margins.index(margin_of[r['version_id']])}"]
        unit = out.setdefault(r.get("competent_unit_id"), dict.fromkeys(SNAPSHOT_INPUTS, 0))
        unit["open_overdue"] += r["overdue"] + r["paused_overdue"]
        unit["open_due_soon"] += soon + r["paused_due_soon"]
        unit["open_within_limit"] += r["running"] - soon + r["paused_within"]
    return out


# --- Which dossiers each input counts ---------------------------------------------------------


def measure_q(measure: str, figure: Figure) -> Q:
    """The dossiers a count measure (a rollup column or a snapshot input) counts, as a Q over
    Dossier — the same rules as `rollups.contribution`, so counts match exactly."""
    if measure in SNAPSHOT_INPUTS:
        return _snapshot_q(figure, figure.thresholds)[measure]
    a, b = _instants(figure.start, figure.end)

    def within(field_name: str) -> Q:
        return Q(**{f"{field_name}__gte": a, f"{field_name}__lt": b})

    if measure == "received":
        return within("received_at")
    if measure == "received_online":
        return within("received_at") & Q(channel=rollups.ONLINE)
    if measure == "submitted":
        return within("submitted_at")
    if measure == "finished":
        return within("finished_at")
    for klass, name in rollups.FINISHED_CLASSES.items():
        if measure == name:
            return within("finished_at") & Q(timeliness=klass)
    if measure == "finished_reappointed":
        return within("finished_at") & Q(reappointed=True)
    if measure in (SAMPLE_INPUT, "processing_seconds"):
        return within("finished_at") & Q(received_at__isnull=False)
    if measure == "returned":
        return within("returned_at")
    if measure in rollups.CLOSING_STATUSES:
        return within("closed_at") & Q(status=measure)
    raise KeyError(f"no dossier filter for {measure!r}")


#: Registry inputs the rollups and the snapshot provide (others — digitization, feedback,
#: surveys — come from the apps that own them and are reported as missing here).
COUNT_INPUTS = frozenset(MEASURES) | frozenset(SNAPSHOT_INPUTS)


# --- Indicators -------------------------------------------------------------------------------


@cache
def _parts(code: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(numerator inputs, denominator inputs) of a count indicator, found by probing its
    formula with one input at 1 and the rest at 0 (the registry's formulas are sums)."""
    indicator = indicators.REGISTRY[code]
    numerator, denominator = [], []
    for name in indicator.inputs:
        probe = {n: (1 if n == name else 0) for n in indicator.inputs}
        result = indicator.compute(probe)
        if result.numerator == 1:
            numerator.append(name)
        if result.denominator == 1:
            denominator.append(name)
    return tuple(numerator), tuple(denominator)


def median_estimate(bins: list[int]) -> float | None:
    """Median processing days from the histogram (grouped-data interpolation): the true median
    lies in the bin holding the middle rank (or the next one for an even count), so the error is
    below that bin's width; the open-ended last bin answers its lower edge (90)."""
    n = sum(bins)
    if n <= 0:
        return None
    half = n / 2
    below = 0
    edges = (0.0, *map(float, HISTOGRAM_EDGES_DAYS))
    for i, count in enumerate(bins):
        if count and below + count >= half:
            lower = edges[i]
            if i + 1 >= len(edges):
                return lower
            return lower + (half - below) / count * (edges[i + 1] - lower)
        below += count
    return edges[-1]  # pragma: no cover


def _from_rollups(code: str, counts: Mapping[str, int]) -> tuple[indicators.Result, bool] | None:
    """Sample indicators (processing_days) from the rollup sums: (result, exact) or None."""
    finished = sum(counts[f] for f in HISTOGRAM_FIELDS)
    if code == "AVG_PROCESSING_DAYS":
        total = counts["processing_seconds"] / DAY
        return indicators.Result(total, finished, total / finished if finished else None), True
    if code == "MEDIAN_PROCESSING_DAYS":
        estimate = median_estimate([counts[f] for f in HISTOGRAM_FIELDS])
        return indicators.Result(None, finished, estimate), False
    return None


def processing_days_sample(queryset) -> list[float]:
    """Exact processing days of each finished dossier in `queryset` (for small drill-downs:
    one working-time computation per dossier, calendars as `rollups` resolves them)."""
    rows = list(
        queryset.filter(finished_at__isnull=False, received_at__isnull=False)
        .select_related("competent_unit")
        .order_by("pk")
    )
    codes = rollups._calendar_codes(d.pk for d in rows)
    calendars = rollups._calendar_cache()
    return [
        rollups.processing_seconds(d, calendars.for_unit(d.competent_unit, codes.get(d.pk))) / DAY
        for d in rows
    ]


def _name(indicator) -> str:
    english = (translation.get_language() or "vi").startswith("en")
    return indicator.name_en if english else indicator.name_vi


def _number(value):
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return int(value) if abs(value) < 2**53 else value
    return value


def indicator_values(
    *,
    user=None,
    unit: OrgUnit,
    subtree: bool,
    procedure: Procedure | None = None,
    start: dt.date,
    end: dt.date,
    now: dt.datetime | None = None,
    exact: bool = False,
) -> list[dict[str, Any]]:
    """Every registry indicator for the figure: {code, name, numerator, denominator, value,
    unit, exact, missing}. Counts come from the rollups (one query) and the snapshot (one
    query); `exact` computes sample indicators (median) from the dossier rows instead of the
    histogram. `user`: scope to what the user may see with `report.view` (None = system)."""
    figure = Figure(unit, subtree, procedure, start, end, now or timezone.now())
    return indicator_report(user=user, figure=figure, exact=exact)["indicators"]


def indicator_report(*, user=None, figure: Figure, exact: bool = False) -> dict[str, Any]:
    """{"indicators": [...as indicator_values...], "counts": {measure: n}} for a figure."""
    counts: dict[str, Any] = rollup_counts(user=user, figure=figure)
    counts.update(snapshot_counts(user=user, figure=figure))
    sample = None
    results = []
    for code, indicator in indicators.REGISTRY.items():
        missing = [n for n in indicator.inputs if n not in COUNT_INPUTS and n != SAMPLE_INPUT]
        is_exact = True
        result = None
        if missing:
            pass
        elif SAMPLE_INPUT in indicator.inputs:
            computed = None if exact else _from_rollups(code, counts)
            if computed is None:
                if sample is None:
                    sample = processing_days_sample(
                        dossiers_behind(user=user, code=code, figure=figure)
                    )
                result = indicator.compute({**counts, SAMPLE_INPUT: sample})
            else:
                result, is_exact = computed
        else:
            result = indicator.compute(counts)
        results.append(
            {
                "code": code,
                "name": _name(indicator),
                "numerator": _number(result.numerator) if result else None,
                "denominator": _number(result.denominator) if result else None,
                "value": result.value if result else None,
                "unit": str(indicator.unit),
                "exact": is_exact,
                "missing": missing,
            }
        )
    return {"indicators": results, "counts": counts}


def dossiers_behind(
    *,
    user=None,
    code: str,
    figure: Figure | None = None,
    unit: OrgUnit | None = None,
    subtree: bool = True,
    procedure: Procedure | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    now: dt.datetime | None = None,
    part: str = "denominator",
):
    """The dossiers behind the numerator or the denominator (`part`) of indicator `code`, with
    the figure's filters: its count is the figure's (for a sample indicator: the dossiers whose
    processing time makes up the sample, either part). Give `figure` or its fields; pass the
    same `now` as `indicator_values` for the open-dossier snapshot."""
    if part not in ("numerator", "denominator"):
        raise ValueError("part must be 'numerator' or 'denominator'")
    if figure is None:
        if unit is None or start is None or end is None:
            raise ValueError("give a figure, or its unit, start and end")
        figure = Figure(unit, subtree, procedure, start, end, now or timezone.now())
    try:
        indicator = indicators.REGISTRY[code]
    except KeyError:
        raise KeyError(f"unknown indicator {code!r}") from None
    missing = [n for n in indicator.inputs if n not in COUNT_INPUTS and n != SAMPLE_INPUT]
    if missing:
        raise ValueError(f"{code}: no dossier data for {', '.join(missing)}")
    if SAMPLE_INPUT in indicator.inputs:
        names: Iterable[str] = (SAMPLE_INPUT,)
    else:
        numerator, denominator = _parts(code)
        names = numerator if part == "numerator" else denominator
        if not names:
            raise ValueError(f"{code} has no {part}")
    q = Q(pk__in=[])
    for name in names:
        q |= measure_q(name, figure)
    return _dossiers(user, figure).filter(q)


def dossiers_for_measure(*, user=None, figure: Figure, measure: str):
    """The dossiers a rollup measure (or snapshot input) counts over the figure."""
    return _dossiers(user, figure).filter(measure_q(measure, figure))


def processing_median_exact(*, user=None, figure: Figure) -> float | None:
    sample = processing_days_sample(
        dossiers_behind(user=user, code="MEDIAN_PROCESSING_DAYS", figure=figure)
    )
    return statistics.median(sample) if sample else None
