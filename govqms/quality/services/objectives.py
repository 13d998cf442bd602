"""Writes of quality objectives and their measurements (docs/quality.md §2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govqms.core.audit import audit_append, diff_fields, snapshot
from govqms.kpi import indicators
from govqms.kpi.selectors import period_bounds
from govqms.org.models import OrgUnit

from .. import selectors, workflows
from ..models import Comparison, ObjectiveMeasurement, QualityObjective
from ._base import PERM_MANAGE, check

CENT = Decimal("0.01")

OBJECTIVE_FIELDS = (
    "unit",
    "title",
    "indicator",
    "procedure",
    "target",
    "comparison",
    "period",
    "start",
    "end",
    "owner",
    "at_risk_margin",
    "iso_clause",
    "state",
)
EDITABLE = frozenset(
    {
        "title",
        "indicator",
        "procedure",
        "target",
        "period",
        "start",
        "end",
        "owner",
        "at_risk_margin",
        "iso_clause",
    }
)
#: What a measurement measures: fixed once there are measurements (another objective).
MEASURED_IDENTITY = ("indicator", "procedure", "period")
MEASUREMENT_FIELDS = (
    "period_end",
    "through",
    "complete",
    "value",
    "numerator",
    "denominator",
    "exact",
    "target",
    "comparison",
    "at_risk_margin",
    "status",
)


def _cents(value, name: str) -> Decimal:
    try:
        return Decimal(str(value)).quantize(CENT)
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({name: _("Giá trị không phải là số.")}) from None


# --- Objectives ------------------------------------------------------------------------------


def comparison_for(code: str) -> str:
    """≥ for an indicator where higher is better, ≤ where lower is; others cannot be targets."""
    indicator = indicators.REGISTRY.get(code)
    if indicator is None:
        raise ValidationError({"indicator": _("Không có chỉ số mã %(code)s.") % {"code": code}})
    if indicator.direction == indicators.Direction.HIGHER:
        return Comparison.AT_LEAST
    if indicator.direction == indicators.Direction.LOWER:
        return Comparison.AT_MOST
    raise ValidationError(
        {"indicator": _("Chỉ số %(code)s chỉ để theo dõi, không đặt chỉ tiêu.") % {"code": code}}
    )


def _validate(objective: QualityObjective) -> None:
    objective.comparison = comparison_for(objective.indicator)
    indicator = indicators.REGISTRY[objective.indicator]
    if indicator.unit == indicators.Unit.PERCENT and not 0 <= objective.target <= 100:
        raise ValidationError({"target": _("Chỉ tiêu tỷ lệ phải từ 0 đến 100.")})
    if objective.target < 0:
        raise ValidationError({"target": _("Chỉ tiêu không được âm.")})
    if objective.owner_id and not objective.owner.is_active:
        raise ValidationError(
            {"owner": _("Người chịu trách nhiệm phải là tài khoản đang hoạt động.")}
        )
    objective.full_clean()


@transaction.atomic
def objective_create(
    *,
    actor,
    unit: OrgUnit,
    title: str,
    indicator: str,
    target,
    period: str,
    start: dt.date,
    owner,
    end: dt.date | None = None,
    procedure=None,
    at_risk_margin=Decimal(5),
    iso_clause: str = "6.2",
) -> QualityObjective:
    check(actor, unit.path)
    objective = QualityObjective(
        unit=unit,
        title=title.strip(),
        indicator=indicator.strip(),
        procedure=procedure,
        target=_cents(target, "target"),
        period=period,
        start=start,
        end=end,
        owner=owner,
        at_risk_margin=_cents(at_risk_margin, "at_risk_margin"),
        iso_clause=iso_clause.strip() or "6.2",
    )
    _validate(objective)
    objective.save()
    audit_append(
        actor=actor,
        action="create",
        obj=objective,
        changes=diff_fields(None, snapshot(objective, OBJECTIVE_FIELDS)),
    )
    return objective


@transaction.atomic
def objective_update(*, actor, objective: QualityObjective, **fields) -> QualityObjective:
    """Change an active objective. The unit is fixed, and so are the indicator, procedure and
    period once it has been measured: that would be another objective. Measurements already
    taken keep the target they were judged against."""
    unknown = set(fields) - EDITABLE
    if unknown:
        raise ValidationError(_("Không thể sửa các trường: %s") % ", ".join(sorted(unknown)))
    check(actor, objective.unit.path)
    objective = QualityObjective.objects.select_for_update().get(pk=objective.pk)
    if objective.state != QualityObjective.State.ACTIVE:
        raise ValidationError(_("Mục tiêu đã đóng, không sửa được."))
    fixed = sorted(
        name
        for name in MEASURED_IDENTITY
        if name in fields and fields[name] != getattr(objective, name)
    )
    if fixed and objective.measurements.exists():
        raise ValidationError(
            _(
                "Mục tiêu đã có kết quả đo: không đổi %(fields)s được, hãy đóng mục tiêu này "
                "và lập mục tiêu mới."
            )
            % {"fields": ", ".join(fixed)}
        )
    before = snapshot(objective, OBJECTIVE_FIELDS)
    for name, value in fields.items():
        if name in ("target", "at_risk_margin"):
            value = _cents(value, name)
        elif isinstance(value, str):
            value = value.strip()
        setattr(objective, name, value)
    _validate(objective)
    changes = diff_fields(before, snapshot(objective, OBJECTIVE_FIELDS))
    if changes:
        objective.save()
        audit_append(actor=actor, action="update", obj=objective, changes=changes)
    return objective


@transaction.atomic
def objective_close(*, actor, objective: QualityObjective, reason: str = "") -> QualityObjective:
    """Stop tracking an objective (achieved, replaced, no longer relevant); its measurements
    stay."""
    check(actor, objective.unit.path)
    objective = QualityObjective.objects.select_for_update().get(pk=objective.pk)
    before = objective.state
    try:
        objective.state = workflows.transition(
            workflows.OBJECTIVE_TRANSITIONS, before, QualityObjective.State.CLOSED
        )
    except workflows.TransitionError:
        raise ValidationError(_("Mục tiêu đã đóng.")) from None
    objective.closed_at = timezone.now()
    objective.closed_reason = reason.strip()
    objective.save(update_fields=["state", "closed_at", "closed_reason"])
    audit_append(
        actor=actor,
        action="update",
        obj=objective,
        changes={"state": [before, objective.state]},
        reason=objective.closed_reason,
    )
    return objective


# --- Measuring objectives --------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureResult:
    objective: QualityObjective
    measurement: ObjectiveMeasurement
    outcome: str  # "created", "updated" or "unchanged"


def measurement_periods(
    objective: QualityObjective, as_of: dt.date
) -> list[tuple[dt.date, dt.date, dt.date, bool]]:
    """(start, end, through, complete) of the last completed period and the current one,
    clipped to the objective's dates; `through` is the last day counted. The period holding
    `as_of` is never complete (its figures are read through `as_of`)."""
    out = []
    for first, last in (
        selectors.previous_period(objective.period, as_of),
        period_bounds(objective.period, as_of),
    ):
        start = max(first, objective.start)
        end = last if objective.end is None else min(last, objective.end)
        if start > end or start > as_of:
            continue
        out.append((start, end, min(end, as_of), end < as_of))
    return out


def _number(value) -> float | None:
    return None if value is None else float(value)


@transaction.atomic
def objective_measure(
    *, actor=None, objective: QualityObjective, as_of: dt.date
) -> list[MeasureResult]:
    """Measure one objective for its last completed and its current period, from
    `govqms.kpi.selectors` (the unit's subtree, the objective's procedure). Upserts one
    measurement per period; a re-run on the same data writes nothing."""
    check(actor, objective.unit.path)
    now = timezone.now()
    results = []
    for start, end, through, complete in measurement_periods(objective, as_of):
        row = selectors.figure_row(
            unit=objective.unit,
            procedure=objective.procedure,
            start=start,
            end=through,
            code=objective.indicator,
        )
        values = {
            "period_end": end,
            "through": through,
            "complete": complete,
            "value": _number(row["value"]),
            "numerator": _number(row["numerator"]),
            "denominator": _number(row["denominator"]),
            "exact": bool(row["exact"]),
            "target": objective.target.quantize(CENT),
            "comparison": objective.comparison,
            "at_risk_margin": objective.at_risk_margin.quantize(CENT),
            "status": workflows.health(
                value=row["value"],
                target=objective.target,
                comparison=objective.comparison,
                margin=objective.at_risk_margin,
                complete=complete,
            ),
        }
        existing = (
            ObjectiveMeasurement.objects.select_for_update()
            .filter(objective=objective, period_start=start)
            .first()
        )
        if existing is None:
            measurement = ObjectiveMeasurement.objects.create(
                objective=objective, period_start=start, measured_at=now, **values
            )
            changes = diff_fields(None, snapshot(measurement, ("period_start", *values)))
            outcome = "created"
        else:
            measurement = existing
            before = snapshot(measurement, MEASUREMENT_FIELDS)
            for name, value in values.items():
                setattr(measurement, name, value)
            changes = diff_fields(before, snapshot(measurement, MEASUREMENT_FIELDS))
            outcome = "updated" if changes else "unchanged"
            if changes:
                measurement.measured_at = now
                measurement.save()
        if changes:
            audit_append(
                actor=actor,
                action="create" if outcome == "created" else "update",
                obj=measurement,
                unit_path=objective.unit.path,
                changes=changes,
            )
        results.append(MeasureResult(objective, measurement, outcome))
    _derive_status(actor, objective, now)
    return results


def _derive_status(actor, objective: QualityObjective, now: dt.datetime) -> None:
    """The objective's status: the worse of its two latest measurements (workflows.headline),
    with the value of the measurement that decided it."""
    latest = list(objective.measurements.order_by("-period_start")[:2])
    status = workflows.headline(m.status for m in latest) if latest else ""
    deciding = next((m for m in latest if m.status == status), None)
    derived = {
        "status": status,
        "status_value": deciding.value if deciding else None,
        "status_period_start": deciding.period_start if deciding else None,
    }
    before = snapshot(objective, derived)
    for name, value in derived.items():
        setattr(objective, name, value)
    changes = diff_fields(before, snapshot(objective, derived))
    if changes or objective.measured_at is None:
        objective.measured_at = now
        objective.save(update_fields=[*derived, "measured_at"])
    if changes:
        audit_append(actor=actor, action="update", obj=objective, changes=changes)


def objectives_measure(
    *, actor=None, as_of: dt.date, unit: OrgUnit | None = None
) -> list[MeasureResult]:
    """Measure every active objective (of `unit`'s subtree; with an actor, those the actor
    manages) that has started by `as_of`. One transaction per objective."""
    qs = (
        QualityObjective.objects.restrict(actor, PERM_MANAGE)
        if actor is not None
        else QualityObjective.objects.all()
    )
    qs = qs.filter(state=QualityObjective.State.ACTIVE, start__lte=as_of)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    results = []
    for objective in qs.select_related("unit", "procedure").order_by("pk"):
        results.extend(objective_measure(actor=actor, objective=objective, as_of=as_of))
    return results
