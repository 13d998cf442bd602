"""Persisting a replayed batch, set-based (`core.pg`: COPY and one UPDATE ... FROM on
PostgreSQL, executemany elsewhere): the new dossiers (with their generated codes), the derived
fields of the continued ones, the accepted events with `seq` continuing per dossier, and the
step records rewritten; plus the batch's digest."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils import timezone

from govqms.core.pg import RawJSON, bulk_copy, bulk_update_from_values, chunked, insert_with_ids
from govqms.kpi import rollups
from govqms.org.models import OrgUnit

from ..models import Dossier, DossierEvent, StepRecord
from ..services import DERIVED_FIELDS, state_assign
from .digest import canonical_event, digest
from .lookups import Rules, current_units
from .records import IngestResult, canonical_json
from .replay import Group

EVENT_COLUMNS = (
    "dossier_id", "seq", "kind", "occurred_at", "recorded_at", "actor_id", "actor_label", "step",
    "unit_id", "reason", "data", "source", "source_id",
)  # fmt: skip
STEP_COLUMNS = (
    "dossier_id", "step", "started_at", "finished_at", "handler", "unit_id", "working_seconds",
    "budget_seconds",
)  # fmt: skip
DERIVED_ATTNAMES = tuple(Dossier._meta.get_field(name).attname for name in DERIVED_FIELDS)


def _new_dossier(group: Group, source: str) -> Dossier:
    opening = group.opening.opening
    return Dossier(
        version_id=group.version_id,
        receiving_unit=opening["receiving_unit_obj"],
        competent_unit=opening["competent_unit_obj"],
        returning_unit=opening["returning_unit_obj"],
        channel=opening["channel"],
        applicant_name=opening["applicant_name"],
        applicant_phone=opening["applicant_phone"],
        applicant_email=opening["applicant_email"],
        applicant_id_number=opening["applicant_id_number"],
        calendar_code=group.calendar_code,
        source=source,
        source_id=next((r.dossier_sid for r in group.records if r.dossier_sid), ""),
        code=next((r.dossier_code for r in group.records if r.dossier_code), ""),
    )


def write(
    source: str, groups: list[Group], result: IngestResult, now: dt.datetime, calendars,
    rules: Rules,
) -> None:  # fmt: skip
    """Write the groups' dossiers, events and step records; fill the result's counts."""
    if not groups:
        return
    known = {}
    for group in groups:
        for rec, _event in group.accepted:
            if rec.unit is not None:
                known[rec.unit.code] = rec.unit
        if group.unit is not None:
            known.setdefault(group.unit.code, group.unit)
    wanted = {g.state.competent_unit_code for g in groups} | {
        span.unit_code for g in groups for span in g.state.steps
    }
    current = current_units(wanted, known)

    new_dossiers: list[Dossier] = []
    for group in groups:
        rule = rules[group.version_id]
        calendar = calendars.for_unit(group.unit, group.calendar_code)
        if group.dossier is None:
            group.dossier = _new_dossier(group, source)
            new_dossiers.append(group.dossier)
        state_assign(
            group.dossier, group.state, rule=rule, calendar=calendar, now=now, units=current
        )
    _assign_codes([d for d in new_dossiers if not d.code], groups)
    # Keep the KPI rollups current (stored state → new state), before the rows are written.
    rollups.rollup_dossiers_saving(
        (g.dossier, calendars.for_unit(g.dossier.competent_unit, g.calendar_code)) for g in groups
    )
    for dossier in new_dossiers:
        dossier.created_at = now
    insert_with_ids(Dossier, new_dossiers, natural_key="code")
    created = {id(d) for d in new_dossiers}
    updated = [g.dossier for g in groups if id(g.dossier) not in created]
    bulk_update_from_values(
        Dossier,
        [(d.pk, *(getattr(d, name) for name in DERIVED_ATTNAMES)) for d in updated],
        DERIVED_ATTNAMES,
    )

    canonical, rows = [], []
    for group in groups:
        dossier = group.dossier
        for rec, event in group.accepted:
            unit = rec.unit
            if unit is None and event.unit_code:  # the receipt's competent unit
                unit = group.unit
            unit_id, unit_code = (unit.pk, unit.code) if unit is not None else (None, "")
            data_json = rec.data_json
            if event.data is not rec.data:  # a note made of a refused move
                data_json = RawJSON(canonical_json(event.data))
            rows.append(
                (
                    dossier.pk, event.seq, event.kind, event.occurred_at, now, None,
                    event.actor_label, event.step, unit_id, event.reason, data_json, source,
                    rec.source_id,
                )
            )  # fmt: skip
            canonical.append(
                canonical_event(
                    code=dossier.code,
                    seq=event.seq,
                    kind=event.kind,
                    occurred_at=event.occurred_at,
                    step=event.step,
                    actor_label=event.actor_label,
                    unit_code=unit_code,
                    reason=event.reason,
                    data_json=data_json,
                    source_id=rec.source_id,
                )
            )
    bulk_copy(DossierEvent, rows, EVENT_COLUMNS)
    _write_step_records(groups, current, replace=[d.pk for d in updated])
    result.accepted = len(rows)
    result.dossiers_created = len(new_dossiers)
    result.dossiers_updated = len(updated)
    result.sha256 = digest(source, canonical)


def _write_step_records(groups: list[Group], units: dict[str, OrgUnit], *, replace) -> None:
    for chunk in chunked(list(replace)):
        StepRecord.objects.filter(dossier_id__in=chunk).delete()
    rows = []
    for group in groups:
        dossier_id = group.dossier.pk
        for span in group.state.steps:
            unit = units.get(span.unit_code) if span.unit_code else None
            rows.append(
                (
                    dossier_id, span.step, span.started_at, span.finished_at, span.handler,
                    unit.pk if unit is not None else None, span.working_seconds,
                    span.budget_seconds,
                )
            )  # fmt: skip
    bulk_copy(StepRecord, rows, STEP_COLUMNS)


def _assign_codes(dossiers: list[Dossier], groups: list[Group]) -> None:
    """`<receiving unit>-<yymmdd>-<nnnn>` like `services._next_code`, for a whole batch: lock
    the receiving units, read the highest number per prefix once, count on."""
    if not dossiers:
        return
    unit_ids = sorted({d.receiving_unit_id for d in dossiers})
    list(OrgUnit.objects.select_for_update().filter(pk__in=unit_ids).order_by("pk"))
    wanted = {id(d) for d in dossiers}
    opened = {
        id(g.dossier): min(e.occurred_at for _r, e in g.accepted)
        for g in groups
        if id(g.dossier) in wanted
    }
    prefixes = {}
    for dossier in dossiers:
        day = timezone.localtime(opened[id(dossier)]).strftime("%y%m%d")
        prefixes[id(dossier)] = f"{dossier.receiving_unit.code}-{day}-"
    highest: Counter = Counter()
    for chunk in chunked(sorted(set(prefixes.values())), 200):
        query = reduce(or_, (Q(code__startswith=p) for p in chunk))
        for code in Dossier.objects.filter(query).values_list("code", flat=True):
            prefix, _sep, number = code.rpartition("-")
            if number.isdigit():
                highest[prefix + "-"] = max(highest[prefix + "-"], int(number))
    for dossier in sorted(dossiers, key=lambda d: opened[id(d)]):
        prefix = prefixes[id(dossier)]
        highest[prefix] += 1
        dossier.code = f"{prefix}{highest[prefix]:04d}"
