"""Keeping the daily rollups current, and rebuilding them exactly (docs/rollups.md).

A dossier's *contribution* is a pure function of its derived state: a few additive counters
keyed by (local day, measure), booked under its competent unit and procedure. The rollup table
is, at every commit, the sum of the contributions of the stored dossier rows:

* `contribution(state, calendar=...)` — pure: dated facts → {(day, measure): n};
* `contribution_of(dossier)` / `contribution_stored(dossier_id)` — a dossier object / its stored
  row (read under a row lock) → `Contribution` (unit, procedure, counts);
* `rollup_dossier_changed(before=..., dossier=...)` — adds after − before to the rows of every
  grain (`GRAINS`: day and month, per procedure and for the whole unit) with one
  INSERT ... ON CONFLICT DO UPDATE per grain (rows created on demand, rows back to all-zero
  deleted). Deltas are differences of *states*, not increments per event: applying the same
  state twice changes nothing the second time;
* `rollup_dossier_saving(dossier=...)` — the one-line hook for `dossiers.services._store_state`:
  before = the stored row, after = the object about to be saved;
* `rollup_dossiers_saving(items)` — the same for a batch (bulk ingestion), deltas summed first;
* `rollups_rebuild(unit=...)` — recompute from the dossiers with the same pure function and
  replace the rows that differ, at every grain (per competent unit, one transaction each);
* `coarse_rebuild(unit=...)` — the three coarse grains again from the stored daily rows.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import TruncMonth

from govqms.core import pg
from govqms.dossiers.models import Dossier, DossierEvent
from govqms.org.models import OrgUnit
from govqms.procedures.models import ProcedureVersion

from .models import (
    HISTOGRAM_EDGES_DAYS,
    HISTOGRAM_FIELDS,
    MEASURES,
    DailyRollup,
    MonthlyRollup,
    RollupCounters,
    UnitDailyRollup,
    UnitMonthlyRollup,
)

#: Day keys are local dates in Vietnam, whatever calendar judged the dossier.
ROLLUP_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
#: One working day of processing time (DESIGN §2: 8 working hours = 1 day).
SECONDS_PER_WORKING_DAY = 8 * 3600
HISTOGRAM_EDGES_SECONDS = tuple(int(d * SECONDS_PER_WORKING_DAY) for d in HISTOGRAM_EDGES_DAYS)

# Status and timeliness values (the same strings as dossiers.models.Status / Timeliness).
ONLINE = "online"
CLOSING_STATUSES = ("refused", "withdrawn", "stopped")  # counted on closed_at, measure = status
FINISHED_CLASSES = {
    "early": "finished_early",
    "on_time": "finished_on_time",
    "late": "finished_late",
}
OPENING_KINDS = ("submitted", "received")

#: The Dossier fields a contribution reads (besides unit and procedure).
STATE_FIELDS = (
    "status",
    "channel",
    "submitted_at",
    "received_at",
    "finished_at",
    "returned_at",
    "closed_at",
    "timeliness",
    "reappointed",
    "paused_seconds",
)

Key = tuple[dt.date, str]
RowKey = tuple[int, int, dt.date]  # (unit id, procedure id, day)


@dataclass(frozen=True)
class Grain:
    """One rollup table: its model, its date column ("day" or "month": the month's first day)
    and whether rows are per procedure or for the whole unit."""

    model: type[RollupCounters]
    date_field: str
    by_procedure: bool

    @property
    def key_fields(self) -> tuple[str, ...]:
        if self.by_procedure:
            return ("unit_id", "procedure_id", self.date_field)
        return ("unit_id", self.date_field)

    def key(self, unit_id: int, procedure_id: int, day: dt.date) -> tuple:
        """The row of this grain that a daily row (unit, procedure, day) adds into."""
        date = day.replace(day=1) if self.date_field == "month" else day
        return (unit_id, procedure_id, date) if self.by_procedure else (unit_id, date)


DAILY = Grain(DailyRollup, "day", True)
GRAINS = (
    DAILY,
    Grain(MonthlyRollup, "month", True),
    Grain(UnitDailyRollup, "day", False),
    Grain(UnitMonthlyRollup, "month", False),
)


# --- The pure part ----------------------------------------------------------------------------


def local_day(instant: dt.datetime) -> dt.date:
    return instant.astimezone(ROLLUP_TZ).date()


def histogram_field(seconds: int) -> str:
    """The histogram column of a processing time in working seconds."""
    for i, edge in enumerate(HISTOGRAM_EDGES_SECONDS):
        if seconds < edge:
            return HISTOGRAM_FIELDS[i]
    return HISTOGRAM_FIELDS[-1]


def processing_seconds(state: Any, calendar) -> int:
    """Working seconds from receipt to finish on `calendar`, minus the paused working time
    (supplement requested, financial obligation); never negative."""
    if calendar is None:
        raise ValueError("a finished dossier's processing time needs its working calendar")
    worked = calendar.working_time_between(state.received_at, state.finished_at)
    return max(0, worked // dt.timedelta(seconds=1) - int(state.paused_seconds or 0))


def contribution(state: Any, *, calendar=None) -> dict[Key, int]:
    """The counters one dossier adds, keyed by (local day, measure); zero entries left out.

    `state` is anything with the attributes in `STATE_FIELDS` (a Dossier row, a namespace).
    `calendar` (a `WorkCalendar`) is read only for a finished dossier's processing time.
    """
    out: Counter[Key] = Counter()
    if state.received_at is not None:
        day = local_day(state.received_at)
        out[day, "received"] += 1
        if state.channel == ONLINE:
            out[day, "received_online"] += 1
    if state.submitted_at is not None:
        out[local_day(state.submitted_at), "submitted"] += 1
    if state.finished_at is not None:
        day = local_day(state.finished_at)
        out[day, "finished"] += 1
        klass = FINISHED_CLASSES.get(state.timeliness or "")
        if klass:
            out[day, klass] += 1
        if state.reappointed:
            out[day, "finished_reappointed"] += 1
        if state.received_at is not None:
            seconds = processing_seconds(state, calendar)
            out[day, "processing_seconds"] += seconds
            out[day, histogram_field(seconds)] += 1
    if state.returned_at is not None:
        out[local_day(state.returned_at), "returned"] += 1
    if state.status in CLOSING_STATUSES and state.closed_at is not None:
        out[local_day(state.closed_at), state.status] += 1
    return {key: n for key, n in out.items() if n}


def needs_calendar(state: Any) -> bool:
    return state.finished_at is not None and state.received_at is not None


@dataclass(frozen=True)
class Contribution:
    """One dossier's counters and where they are booked (competent unit, procedure)."""

    unit_id: int
    procedure_id: int
    counts: Mapping[Key, int] = field(default_factory=dict)

    def rows(self) -> dict[RowKey, dict[str, int]]:
        result: dict[RowKey, dict[str, int]] = defaultdict(dict)
        for (day, measure), n in self.counts.items():
            result[self.unit_id, self.procedure_id, day][measure] = n
        return result


def contribution_delta(
    before: Contribution | None, after: Contribution | None
) -> dict[RowKey, dict[str, int]]:
    """after − before, per rollup row, zero entries left out."""
    delta: dict[RowKey, Counter[str]] = defaultdict(Counter)
    for sign, part in ((-1, before), (1, after)):
        if part is None:
            continue
        for key, counts in part.rows().items():
            for measure, n in counts.items():
                delta[key][measure] += sign * n
    return {
        key: {m: n for m, n in counts.items() if n}
        for key, counts in delta.items()
        if any(counts.values())
    }


# --- Calendars --------------------------------------------------------------------------------


def _calendar_cache():
    # Late import: dossiers.services calls into this module.
    from govqms.dossiers.services import CalendarCache

    return CalendarCache()


def _calendar_codes(dossier_ids: Iterable[int]) -> dict[int, str | None]:
    """{dossier id: the calendar code its opening event names, or None}, one query."""
    from govqms.dossiers.services import dossier_calendar_code

    ids = list(dossier_ids)
    if not ids:
        return {}
    events: dict[int, list] = defaultdict(list)
    rows = (
        DossierEvent.objects.filter(dossier_id__in=ids, kind__in=OPENING_KINDS)
        .order_by("dossier_id", "occurred_at", "seq")
        .values_list("dossier_id", "kind", "data")
    )
    for dossier_id, kind, data in rows:
        events[dossier_id].append(SimpleNamespace(kind=kind, data=data))
    return {pk: dossier_calendar_code(events.get(pk, ())) for pk in ids}


def dossier_calendar(dossier_id: int | None, unit: OrgUnit, calendars=None):
    """The calendar a dossier is judged by: its competent unit's, of the code its receipt
    names (as `dossiers.services` resolves it)."""
    calendars = calendars or _calendar_cache()
    code = _calendar_codes([dossier_id]).get(dossier_id) if dossier_id else None
    return calendars.for_unit(unit, code)


# --- Contributions of dossiers ---------------------------------------------------------------


def _procedure_ids(dossiers: Iterable[Dossier]) -> dict[int, int]:
    """{version id: procedure id} for the dossiers (no query when versions are loaded)."""
    result, missing = {}, set()
    for dossier in dossiers:
        if Dossier.version.is_cached(dossier):
            result[dossier.version_id] = dossier.version.procedure_id
        else:
            missing.add(dossier.version_id)
    if missing:
        result.update(
            ProcedureVersion.objects.filter(pk__in=missing).values_list("pk", "procedure_id")
        )
    return result


def contribution_of(
    dossier: Dossier, *, calendar=None, procedure_id: int | None = None
) -> Contribution:
    """The contribution of a dossier object as it stands in memory."""
    if procedure_id is None:
        procedure_id = _procedure_ids([dossier])[dossier.version_id]
    if calendar is None and needs_calendar(dossier):
        calendar = dossier_calendar(dossier.pk, dossier.competent_unit)
    return Contribution(
        dossier.competent_unit_id, procedure_id, contribution(dossier, calendar=calendar)
    )


def contribution_stored(dossier_id: int | None, *, calendar=None) -> Contribution | None:
    """The contribution of the dossier's row as stored (None if there is none yet).

    The row is read under a lock (PostgreSQL), so the before-state of a write is the state the
    table already counts even when the caller's object is stale.
    """
    if dossier_id is None:
        return None
    row = (
        Dossier.objects.select_for_update(of=("self",))
        .filter(pk=dossier_id)
        .values("competent_unit_id", "version__procedure_id", *STATE_FIELDS)
        .first()
    )
    if row is None:
        return None
    state = SimpleNamespace(**row)
    if calendar is None and needs_calendar(state):
        unit = OrgUnit.objects.get(pk=row["competent_unit_id"])
        calendar = dossier_calendar(dossier_id, unit)
    return Contribution(
        row["competent_unit_id"],
        row["version__procedure_id"],
        contribution(state, calendar=calendar),
    )


# --- Applying deltas --------------------------------------------------------------------------


def _grain_delta(grain: Grain, delta: Mapping[RowKey, Mapping[str, int]]) -> dict[tuple, dict]:
    """The daily deltas summed into `grain`'s rows, zero entries left out."""
    rows: dict[tuple, Counter[str]] = defaultdict(Counter)
    for (unit_id, procedure_id, day), counts in delta.items():
        rows[grain.key(unit_id, procedure_id, day)].update(counts)
    return {
        key: {m: n for m, n in counts.items() if n}
        for key, counts in rows.items()
        if any(counts.values())
    }


def _apply(delta: Mapping[RowKey, Mapping[str, int]]) -> None:
    """Add the daily deltas to every grain: per grain one INSERT ... ON CONFLICT DO UPDATE
    (`core.pg.add_counts`) in key order (a stable lock order, atomic under concurrent
    writers), then DELETE the rows a negative delta brought back to all zeros."""
    zero = {measure: 0 for measure in MEASURES}
    for grain in GRAINS:
        rows = _grain_delta(grain, delta)
        pg.add_counts(
            grain.model,
            grain.key_fields,
            MEASURES,
            [(key, [rows[key].get(m, 0) for m in MEASURES]) for key in sorted(rows)],
        )
        for key in sorted(k for k, counts in rows.items() if min(counts.values()) < 0):
            match = dict(zip(grain.key_fields, key, strict=True))
            grain.model.objects.filter(**match, **zero).delete()


def rollup_dossier_changed(*, before: Contribution | None, dossier: Dossier, calendar=None) -> None:
    """Book `dossier`'s current contribution minus `before` (its contribution before the
    write, from `contribution_stored` or `contribution_of`). `calendar`: the dossier's working
    calendar if the caller has it (saves the look-up)."""
    after = contribution_of(dossier, calendar=calendar)
    _apply(contribution_delta(before, after))


def rollup_dossier_saving(*, dossier: Dossier, calendar=None) -> None:
    """The hook for a write of one dossier: call it after the new state is assigned to the
    object and before `dossier.save()`, inside the write's transaction."""
    before = contribution_stored(dossier.pk, calendar=calendar)
    rollup_dossier_changed(before=before, dossier=dossier, calendar=calendar)


def rollup_dossiers_saving(items: Iterable[tuple[Dossier, Any]]) -> None:
    """The hook for a batch write (bulk ingestion): `items` are (dossier, calendar or None)
    with the new state assigned, called before bulk_create / bulk_update. Deltas are summed
    over the batch before they touch the table; a fixed number of reads per chunk."""
    items = list(items)
    if not items:
        return
    procedures = _procedure_ids(d for d, _ in items)
    stored_ids = [d.pk for d, _ in items if d.pk is not None]
    stored: dict[int, dict] = {}
    for start in range(0, len(stored_ids), 500):
        chunk = stored_ids[start : start + 500]
        for row in (
            Dossier.objects.select_for_update(of=("self",))
            .filter(pk__in=chunk)
            .values("pk", "competent_unit_id", "version__procedure_id", *STATE_FIELDS)
        ):
            stored[row["pk"]] = row
    calendars = _calendar_cache()
    delta: dict[RowKey, Counter[str]] = defaultdict(Counter)
    for dossier, calendar in items:
        row = stored.get(dossier.pk) if dossier.pk is not None else None
        before = None
        if row is not None:
            state = SimpleNamespace(**row)
            cal = calendar
            if cal is None and needs_calendar(state):
                unit = OrgUnit.objects.get(pk=row["competent_unit_id"])
                cal = dossier_calendar(dossier.pk, unit, calendars)
            before = Contribution(
                row["competent_unit_id"],
                row["version__procedure_id"],
                contribution(state, calendar=cal),
            )
        cal = calendar
        if cal is None and needs_calendar(dossier):
            cal = dossier_calendar(dossier.pk, dossier.competent_unit, calendars)
        after = Contribution(
            dossier.competent_unit_id,
            procedures[dossier.version_id],
            contribution(dossier, calendar=cal),
        )
        for key, counts in contribution_delta(before, after).items():
            delta[key].update(counts)
    _apply({key: {m: n for m, n in c.items() if n} for key, c in delta.items()})


# --- Rebuilding -------------------------------------------------------------------------------


@dataclass
class RebuildResult:
    units: int = 0
    dossiers: int = 0
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted

    def as_dict(self) -> dict[str, int]:
        return {
            "units": self.units,
            "dossiers": self.dossiers,
            "created": self.created,
            "updated": self.updated,
            "deleted": self.deleted,
            "unchanged": self.unchanged,
            "changed": self.changed,
        }


def _unit_table(
    unit: OrgUnit, calendars, chunk_size: int
) -> tuple[dict[tuple[int, dt.date], Counter[str]], int]:
    """{(procedure id, day): counters} of the dossiers whose competent unit is `unit`."""
    table: dict[tuple[int, dt.date], Counter[str]] = defaultdict(Counter)
    base = Dossier.objects.filter(competent_unit_id=unit.pk).order_by("pk")
    fields = ("pk", "version__procedure_id", *STATE_FIELDS)
    last, count = 0, 0
    while True:
        chunk = list(base.filter(pk__gt=last).values(*fields)[:chunk_size])
        if not chunk:
            break
        last = chunk[-1]["pk"]
        count += len(chunk)
        states = [SimpleNamespace(**row) for row in chunk]
        codes = _calendar_codes(s.pk for s in states if needs_calendar(s))
        for state in states:
            calendar = None
            if needs_calendar(state):
                calendar = calendars.for_unit(unit, codes.get(state.pk))
            procedure_id = state.version__procedure_id
            for (day, measure), n in contribution(state, calendar=calendar).items():
                table[procedure_id, day][measure] += n
    return table, count


def _coarse_tables(daily: Mapping[tuple[int, dt.date], Mapping[str, int]]) -> dict[Grain, dict]:
    """{grain: {key without the unit: counters}} of one unit's daily table."""
    tables: dict[Grain, dict] = {}
    for grain in GRAINS:
        table: dict[tuple, Counter[str]] = defaultdict(Counter)
        for (procedure_id, day), counts in daily.items():
            table[grain.key(0, procedure_id, day)[1:]].update(counts)
        tables[grain] = table
    return tables


def _replace_unit(grain: Grain, unit_id: int, fresh: Mapping, result: RebuildResult) -> None:
    """Make `grain`'s rows of one unit equal `fresh` ({key without the unit: counters}),
    writing only the rows that differ (call inside a transaction)."""
    model, fields = grain.model, grain.key_fields[1:]
    existing = {
        tuple(getattr(row, f) for f in fields): row
        for row in model.objects.select_for_update().filter(unit_id=unit_id)
    }
    create, update = [], []
    for key, counts in fresh.items():
        values = {m: counts.get(m, 0) for m in MEASURES}
        if not any(values.values()):
            continue
        row = existing.pop(key, None)
        if row is None:
            create.append(model(unit_id=unit_id, **dict(zip(fields, key, strict=True)), **values))
        elif row.counters() != values:
            for measure, n in values.items():
                setattr(row, measure, n)
            update.append(row)
        else:
            result.unchanged += 1
    stale = [row.pk for row in existing.values()]
    for start in range(0, len(stale), 500):
        model.objects.filter(pk__in=stale[start : start + 500]).delete()
    model.objects.bulk_update(update, MEASURES, batch_size=500)
    model.objects.bulk_create(create, batch_size=500)
    result.created += len(create)
    result.updated += len(update)
    result.deleted += len(stale)


def _units_to_rebuild(unit: OrgUnit | None, *, dossiers: bool):
    """The units with dossiers (if `dossiers`) or rollup rows, in `unit`'s subtree."""
    units = OrgUnit.objects.order_by("path")
    ids: set[int] = set()
    if dossiers:
        rows = Dossier.objects.order_by()
        if unit is not None:
            rows = rows.filter(competent_unit__path__startswith=unit.path)
        ids |= set(rows.values_list("competent_unit_id", flat=True).distinct())
    for grain in GRAINS:
        rows = grain.model.objects.order_by()
        if unit is not None:
            rows = rows.filter(unit__path__startswith=unit.path)
        ids |= set(rows.values_list("unit_id", flat=True).distinct())
    if unit is not None:
        units = units.filter(path__startswith=unit.path)
    return units.filter(pk__in=ids)


def rollups_rebuild(*, unit: OrgUnit | None = None, chunk_size: int = 2000) -> RebuildResult:
    """Recompute the rollups of `unit`'s subtree (default: everything) from the dossiers and
    write only the rows that differ, at every grain. Per competent unit: stream its dossiers
    by primary-key chunks through `contribution`, then replace its rows in one transaction."""
    result = RebuildResult()
    calendars = _calendar_cache()
    for org_unit in _units_to_rebuild(unit, dossiers=True):
        daily, count = _unit_table(org_unit, calendars, chunk_size)
        with transaction.atomic():
            for grain, fresh in _coarse_tables(daily).items():
                _replace_unit(grain, org_unit.pk, fresh, result)
        result.units += 1
        result.dossiers += count
    return result


def coarse_rebuild(*, unit: OrgUnit | None = None) -> RebuildResult:
    """Recompute the coarse grains (month; whole unit) of `unit`'s subtree from the stored
    daily rows, summed in the database (for data loaded straight into the daily table, and
    repairs; `rollups_rebuild` does it from the dossiers)."""
    result = RebuildResult()
    for org_unit in _units_to_rebuild(unit, dossiers=False):
        daily = DailyRollup.objects.filter(unit_id=org_unit.pk).order_by()
        daily = daily.annotate(month=TruncMonth("day"))
        with transaction.atomic():
            for grain in GRAINS[1:]:
                fields = grain.key_fields[1:]
                rows = daily.values(*fields).annotate(**{m: Sum(m) for m in MEASURES})
                fresh = {tuple(r[f] for f in fields): r for r in rows}
                _replace_unit(grain, org_unit.pk, fresh, result)
        result.units += 1
    return result


def rollup_table(*, unit: OrgUnit | None = None) -> dict[tuple, dict[str, int]]:
    """Every stored row of every grain as {(table, *key): counters} (tests, diagnostics)."""
    out = {}
    for grain in GRAINS:
        rows = grain.model.objects.order_by()
        if unit is not None:
            rows = rows.filter(unit__path__startswith=unit.path)
        for r in rows.values(*grain.key_fields, *MEASURES):
            key = tuple(r[f] for f in grain.key_fields)
            out[(grain.model._meta.model_name, *key)] = {m: r[m] for m in MEASURES}
    return out
