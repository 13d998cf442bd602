"""Celery tasks of the quality module: they take ids and ISO dates and call a service (eager,
in-process, in the embedded default). Schedule `quality.scan` nightly with Celery beat."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.utils import timezone

from govqms.org.models import OrgUnit
from govqms.procedures.models import Procedure

from . import selectors, services


def _day(value: str | None) -> dt.date:
    return dt.date.fromisoformat(value) if value else timezone.localdate()


def _procedure(procedure_id: int | None):
    return None if procedure_id is None else Procedure.objects.get(pk=procedure_id)


@shared_task(name="quality.objectives_measure")
def objectives_measure_task(as_of: str | None = None, unit_id: int | None = None) -> dict:
    """Measure the active objectives (of a unit's subtree) as of a day (default today)."""
    unit = OrgUnit.objects.get(pk=unit_id) if unit_id is not None else None
    results = services.objectives_measure(actor=None, as_of=_day(as_of), unit=unit)
    outcomes: dict[str, int] = {}
    for r in results:
        outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
    return {"measurements": len(results), **outcomes}


@shared_task(name="quality.spc_scan")
def spc_scan_task(
    unit_id: int, as_of: str | None = None, procedure_id: int | None = None, months: int = 12
) -> dict:
    """SPC charts of one unit (and procedure); returns the signal ids found and recorded."""
    result = services.spc_scan(
        actor=None,
        unit=OrgUnit.objects.get(pk=unit_id),
        procedure=_procedure(procedure_id),
        months=months,
        as_of=_day(as_of),
    )
    return result.to_dict()


@shared_task(name="quality.scan")
def quality_scan_task(unit_id: int | None = None, as_of: str | None = None) -> dict:
    """Nightly: measure the objectives, then one SPC scan task per unit of the subtree."""
    day = _day(as_of)
    measured = objectives_measure_task(day.isoformat(), unit_id)
    root = OrgUnit.objects.get(pk=unit_id) if unit_id is not None else None
    units = selectors.scan_units(root=root, on=day)
    for unit in units:
        spc_scan_task.delay(unit.pk, day.isoformat())
    return {"objectives": measured, "units_scanned": len(units)}
