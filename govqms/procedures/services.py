"""Every write to the procedure catalogue and its versions: one transaction, an explicit actor,
a permission check, an audit entry.

Lifecycle of a version: DRAFT → ACTIVE → RETIRED. A draft is edited in place; editing an
active version makes a new draft (number + 1, `based_on` the active one) and leaves the active
one untouched, because dossiers keep the version they started on. Activating a draft retires
the version that was active for the same procedure and unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from govqms.accounts.roles import Role
from govqms.core.audit import audit_append, diff_fields, snapshot
from govqms.core.scoping import require
from govqms.org.models import OrgUnit

from .catalogue import RowError, read_catalogue
from .models import LimitUnit, Procedure, ProcedureVersion, Step
from .selectors import step_specs
from .specs import (
    CALENDAR_DAYS,
    HOURS_PER_DAY,
    MONTHS,
    LimitCheck,
    StepSpec,
    VersionLimit,
    VersionSpec,
    limit_check,
    step_errors,
)

__all__ = [
    "KEEP",
    "CatalogueReport",
    "ImportOutcome",
    "StepSpec",
    "catalogue_import",
    "procedure_upsert",
    "version_activate",
    "version_check",
    "version_create_draft",
    "version_edit",
    "version_import",
    "version_limit",
    "version_retire",
]

PERM_MANAGE = "quality.manage"
CATALOGUE_PATH = "/"  # the national catalogue belongs to no unit: only a global scope covers it

PROCEDURE_FIELDS = (
    "name",
    "sector",
    "levels",
    "limit_value",
    "limit_unit",
    "limit_text",
    "fee_text",
    "channels",
    "online_level",
    "documents",
    "legal_basis",
    "source",
)
VERSION_FIELDS = (
    "status",
    "limit_unit",
    "limit_hours",
    "calendar_days",
    "due_soon_hours",
    "document_code",
    "notes",
)
STEP_FIELDS = (
    "code",
    "name",
    "role",
    "where",
    "budget_hours",
    "optional",
    "parallel_group",
    "description",
    "output",
)


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()  # "leave this field as it is" in version_edit


def _check(actor, path: str) -> None:
    """`actor=None` is the system (imports, the demo); people need quality.manage there."""
    if actor is not None:
        require(actor, PERM_MANAGE, path)


# --- The catalogue ---------------------------------------------------------------------------


@transaction.atomic
def procedure_upsert(
    *,
    actor,
    code: str,
    name: str,
    sector: str = "",
    levels: Sequence[str] = (),
    limit_value: Decimal | None = None,
    limit_unit: str = "",
    limit_text: str = "",
    fee_text: str = "",
    channels: Sequence[str] = (),
    online_level: str = "",
    documents: Sequence[dict] = (),
    legal_basis: Sequence[str] = (),
    source: str = "",
) -> tuple[Procedure, str]:
    """Create or update one catalogue entry by its national code.

    Returns (procedure, "created" | "updated" | "unchanged"). The catalogue is national data:
    the system (actor=None) or a user whose quality.manage scope is global may write it.
    """
    _check(actor, CATALOGUE_PATH)
    code = code.strip()
    values = {
        "name": name.strip(),
        "sector": sector.strip(),
        "levels": list(levels),
        "limit_value": None if limit_value is None else _hours(limit_value),
        "limit_unit": limit_unit,
        "limit_text": limit_text,
        "fee_text": fee_text,
        "channels": list(channels),
        "online_level": online_level,
        "documents": [dict(d) for d in documents],
        "legal_basis": list(legal_basis),
        "source": source,
    }
    procedure = Procedure.objects.select_for_update().filter(code=code).first()
    before = snapshot(procedure, PROCEDURE_FIELDS) if procedure else None
    created = procedure is None
    procedure = procedure or Procedure(code=code)
    for key, value in values.items():
        setattr(procedure, key, value)
    procedure.full_clean(validate_unique=created)
    changes = diff_fields(before, snapshot(procedure, PROCEDURE_FIELDS))
    if not created and not changes:
        return procedure, "unchanged"
    procedure.save()
    audit_append(
        actor=actor,
        action="create" if created else "update",
        obj=procedure,
        unit_path=CATALOGUE_PATH,
        changes=changes if not created else {"code": [None, code], **changes},
    )
    return procedure, "created" if created else "updated"


# --- Versions --------------------------------------------------------------------------------


def version_limit(
    limit_unit: str, limit_hours: Decimal | None, calendar_days: int | None
) -> VersionLimit:
    """Check a (unit, hours, calendar days) triple and fill in calendar-day working time.

    Raises ValidationError keyed by field (the admin form shows it next to the field)."""
    if limit_unit == MONTHS:
        raise ValidationError(
            {
                "limit_unit": _(
                    "Quy trình nội bộ không tính theo tháng: hãy quy đổi thời hạn sang ngày "
                    "(theo văn bản quy định) hoặc ngày làm việc."
                )
            }
        )
    if limit_unit not in {c for c, _label in LimitUnit.choices if c}:
        raise ValidationError({"limit_unit": _("Cách tính thời hạn không hợp lệ.")})
    if limit_unit == CALENDAR_DAYS:
        if not calendar_days or int(calendar_days) < 1:
            raise ValidationError(
                {"calendar_days": _("Thời hạn tính theo ngày lịch cần số ngày (≥ 1).")}
            )
        limit = VersionLimit.calendar(int(calendar_days), limit_hours)
        limit = VersionLimit(limit.unit, _hours(limit.hours), limit.calendar_days)
        if limit.hours > Decimal(int(calendar_days)) * HOURS_PER_DAY:
            raise ValidationError(
                {"limit_hours": _("Số giờ làm việc vượt quá số ngày lịch của thời hạn.")}
            )
        if limit.hours < 0:
            raise ValidationError({"limit_hours": _("Thời hạn không được âm.")})
        return limit
    if calendar_days is not None:
        raise ValidationError(
            {"calendar_days": _("Chỉ dùng số ngày lịch khi thời hạn tính theo ngày lịch.")}
        )
    if limit_hours is None or Decimal(limit_hours) <= 0:
        raise ValidationError({"limit_hours": _("Thời hạn (giờ làm việc) phải lớn hơn 0.")})
    return VersionLimit(limit_unit, _hours(limit_hours))


def _other_units(steps: Sequence[StepSpec]) -> dict[str, OrgUnit]:
    codes = {s.other_unit_code for s in steps if s.other_unit_code}
    units = {u.code: u for u in OrgUnit.objects.current().filter(code__in=codes)}
    for i, step in enumerate(steps):
        if step.other_unit_code and step.other_unit_code not in units:
            raise ValidationError(
                {
                    f"steps[{i}].other_unit": _("Không có đơn vị mã %(code)s.")
                    % {"code": step.other_unit_code}
                }
            )
    return units


def _validate_steps(steps: Sequence[StepSpec]) -> None:
    errors = step_errors(steps, roles=Role.values)
    if errors:
        raise ValidationError({e.path: e.message for e in errors})


def _write_steps(version: ProcedureVersion, steps: Sequence[StepSpec]) -> None:
    units = _other_units(steps)
    version.steps.all().delete()
    Step.objects.bulk_create(
        Step(
            version=version,
            order=i + 1,
            code=s.code.strip(),
            name=s.name.strip(),
            role=s.role,
            where=s.where,
            other_unit=units.get(s.other_unit_code) if s.other_unit_code else None,
            budget_hours=_hours(s.budget_hours),
            optional=bool(s.optional),
            parallel_group=s.parallel_group.strip(),
            description=s.description,
            output=s.output.strip(),
        )
        for i, s in enumerate(steps)
    )


def _steps_snapshot(steps: Iterable[StepSpec]) -> list[list]:
    """What the audit trail records of the steps (texts left out: they can be long)."""
    return [
        [
            s.code,
            s.name,
            s.role,
            s.where,
            str(_hours(s.budget_hours)),
            s.optional,
            s.parallel_group,
            s.other_unit_code,
        ]
        for s in steps
    ]


def _steps_full(steps: Sequence[StepSpec]) -> list:
    return [
        (*row, s.description, s.output)
        for row, s in zip(_steps_snapshot(steps), steps, strict=True)
    ]


def _hours(value) -> Decimal:
    """Hours as stored (two decimals), so that 8 and 8.00 compare equal."""
    return Decimal(value).quantize(Decimal("0.01"))


def _next_number(procedure: Procedure, unit: OrgUnit) -> int:
    Procedure.objects.select_for_update().filter(pk=procedure.pk).first()  # serialise numbering
    last = ProcedureVersion.objects.filter(procedure=procedure, unit=unit).aggregate(
        n=Max("number")
    )["n"]
    return (last or 0) + 1


@transaction.atomic
def version_create_draft(
    *,
    actor,
    procedure: Procedure,
    unit: OrgUnit,
    limit_unit: str,
    limit_hours: Decimal | None = None,
    calendar_days: int | None = None,
    steps: Sequence[StepSpec] = (),
    due_soon_hours: Decimal = HOURS_PER_DAY,
    document_code: str = "",
    notes: str = "",
    based_on: ProcedureVersion | None = None,
) -> ProcedureVersion:
    """A new DRAFT version of `procedure` declared by `unit` (number = last + 1).

    `limit_hours` is the limit in working hours (8 h = 1 working day). For a calendar-day limit
    give `calendar_days`; `limit_hours` then defaults to the working time the limit guarantees
    with only weekends off (see specs.min_working_days) and is what step budgets are checked
    against. Drafts may be incomplete; `version_activate` enforces the rules.
    """
    _check(actor, unit.path)
    limit = version_limit(limit_unit, limit_hours, calendar_days)
    steps = list(steps)
    _validate_steps(steps)
    version = ProcedureVersion(
        procedure=procedure,
        unit=unit,
        number=_next_number(procedure, unit),
        status=ProcedureVersion.Status.DRAFT,
        limit_unit=limit.unit,
        limit_hours=limit.hours,
        calendar_days=limit.calendar_days,
        due_soon_hours=_hours(due_soon_hours),
        document_code=document_code.strip(),
        notes=notes,
        based_on=based_on,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    version.full_clean()
    version.save()
    _write_steps(version, steps)
    changes = diff_fields(None, snapshot(version, VERSION_FIELDS))
    changes["number"] = [None, version.number]
    changes["steps"] = [None, _steps_snapshot(steps)]
    if based_on is not None:
        changes["based_on"] = [None, based_on.pk]
    audit_append(actor=actor, action="create", obj=version, changes=changes)
    return version


@transaction.atomic
def version_edit(
    *,
    actor,
    version: ProcedureVersion,
    limit_unit: str = KEEP,
    limit_hours: Decimal | None = KEEP,
    calendar_days: int | None = KEEP,
    steps: Sequence[StepSpec] = KEEP,
    due_soon_hours: Decimal = KEEP,
    document_code: str = KEEP,
    notes: str = KEEP,
) -> ProcedureVersion:
    """Change a version. Arguments left out keep their value.

    A DRAFT is edited in place. An ACTIVE version is left untouched: the changes go into a new
    DRAFT (number + 1, based on it), which is returned. When nothing would change, the version
    is returned as it is. RETIRED versions are history and cannot be edited.
    """
    version, _changed = _edit(
        actor=actor,
        version=version,
        limit_unit=limit_unit,
        limit_hours=limit_hours,
        calendar_days=calendar_days,
        steps=steps,
        due_soon_hours=due_soon_hours,
        document_code=document_code,
        notes=notes,
    )
    return version


def _edit(
    *,
    actor,
    version: ProcedureVersion,
    limit_unit,
    limit_hours,
    calendar_days,
    steps,
    due_soon_hours,
    document_code,
    notes,
) -> tuple[ProcedureVersion, bool]:
    _check(actor, version.unit.path)
    version = ProcedureVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == ProcedureVersion.Status.RETIRED:
        raise ValidationError(_("Phiên bản đã hết hiệu lực, không thể sửa."))
    old_steps = step_specs(version)
    new_unit = version.limit_unit if limit_unit is KEEP else limit_unit
    if calendar_days is KEEP:
        calendar_days = version.calendar_days if new_unit == CALENDAR_DAYS else None
    if limit_hours is KEEP:
        limit_hours = None
        if new_unit == version.limit_unit != CALENDAR_DAYS:
            limit_hours = version.limit_hours
        elif new_unit == version.limit_unit and calendar_days == version.calendar_days:
            # A custom working time for a calendar-day limit stays; the default follows.
            limit = VersionLimit.calendar(version.calendar_days, version.limit_hours)
            limit_hours = None if limit.default_hours else version.limit_hours
    limit = version_limit(new_unit, limit_hours, calendar_days)
    new_steps = old_steps if steps is KEEP else list(steps)
    _validate_steps(new_steps)
    fields = {
        "limit_unit": limit.unit,
        "limit_hours": limit.hours,
        "calendar_days": limit.calendar_days,
        "due_soon_hours": version.due_soon_hours
        if due_soon_hours is KEEP
        else _hours(due_soon_hours),
        "document_code": version.document_code if document_code is KEEP else document_code.strip(),
        "notes": version.notes if notes is KEEP else notes,
    }
    before = snapshot(version, VERSION_FIELDS)
    changes = diff_fields(before, {**before, **fields})
    if _steps_full(old_steps) != _steps_full(new_steps):
        changes["steps"] = [_steps_snapshot(old_steps), _steps_snapshot(new_steps)]
    if not changes:
        return version, False
    if version.status == ProcedureVersion.Status.ACTIVE:
        draft = version_create_draft(
            actor=actor,
            procedure=version.procedure,
            unit=version.unit,
            limit_unit=limit.unit,
            limit_hours=limit.hours,
            calendar_days=limit.calendar_days,
            steps=new_steps,
            due_soon_hours=fields["due_soon_hours"],
            document_code=fields["document_code"],
            notes=fields["notes"],
            based_on=version,
        )
        return draft, True
    for key, value in fields.items():
        setattr(version, key, value)
    version.full_clean()
    version.save()
    if "steps" in changes:
        _write_steps(version, new_steps)
    audit_append(actor=actor, action="update", obj=version, changes=changes)
    return version, True


def version_check(version: ProcedureVersion, steps: Sequence[StepSpec] | None = None) -> LimitCheck:
    """The activation rules for a version: errors block activation, warnings do not."""
    steps = step_specs(version) if steps is None else steps
    return limit_check(steps, version.limit_hours)


@transaction.atomic
def version_activate(*, actor, version: ProcedureVersion) -> ProcedureVersion:
    """Put a DRAFT into force; the version active until now for the same procedure and unit is
    retired at the same instant. Raises ValidationError when the steps are empty or their
    critical path exceeds the limit; slack is reported as a warning in the audit entry."""
    _check(actor, version.unit.path)
    version = ProcedureVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != ProcedureVersion.Status.DRAFT:
        raise ValidationError(_("Chỉ có thể ban hành một phiên bản dự thảo."))
    steps = step_specs(version)
    _validate_steps(steps)
    check = version_check(version, steps)
    if check.errors:
        raise ValidationError(list(check.errors))
    now = timezone.now()
    previous = (
        ProcedureVersion.objects.select_for_update()
        .filter(procedure=version.procedure, unit=version.unit)
        .active()
        .first()
    )
    if previous is not None:
        _retire(actor=actor, version=previous, at=now, reason=f"replaced by v{version.number}")
    version.status = ProcedureVersion.Status.ACTIVE
    version.activated_at = now
    version.save(update_fields=["status", "activated_at"])
    audit_append(
        actor=actor,
        action="update",
        obj=version,
        changes={
            "status": [ProcedureVersion.Status.DRAFT, ProcedureVersion.Status.ACTIVE],
            "activated_at": [None, now],
            "critical_path_hours": [None, check.critical_path_hours],
            "replaces": [None, previous.number if previous else None],
        },
        reason="; ".join(check.warnings),
    )
    return version


def _retire(*, actor, version: ProcedureVersion, at, reason: str = "") -> None:
    old = version.status
    version.status = ProcedureVersion.Status.RETIRED
    version.retired_at = at
    version.save(update_fields=["status", "retired_at"])
    audit_append(
        actor=actor,
        action="update",
        obj=version,
        changes={"status": [old, version.status], "retired_at": [None, at]},
        reason=reason,
    )


@transaction.atomic
def version_retire(*, actor, version: ProcedureVersion, reason: str = "") -> ProcedureVersion:
    """Take an ACTIVE version (or abandon a DRAFT) out of use. Dossiers that run on it keep it."""
    _check(actor, version.unit.path)
    version = ProcedureVersion.objects.select_for_update().get(pk=version.pk)
    if version.status == ProcedureVersion.Status.RETIRED:
        return version
    _retire(actor=actor, version=version, at=timezone.now(), reason=reason)
    return version


# --- Import of a version file (YAML or BPMN, already parsed) ---------------------------------


@dataclass(frozen=True)
class ImportOutcome:
    version: ProcedureVersion
    result: str  # "created" | "updated" | "unchanged"
    activated: bool
    warnings: tuple[str, ...] = ()


@transaction.atomic
def version_import(*, actor, spec: VersionSpec, activate: bool = False) -> ImportOutcome:
    """Declare `spec` for its procedure and unit; idempotent.

    The newest DRAFT of (procedure, unit) is edited in place if there is one; otherwise the
    ACTIVE version is edited (which makes a new draft when anything differs); otherwise a first
    draft is created. With `activate`, the resulting draft is put into force.
    Raises ValidationError (unknown procedure/unit, bad steps, a limit the steps exceed).
    """
    procedure = Procedure.objects.filter(code=spec.procedure_code).first()
    if procedure is None:
        raise ValidationError(
            {
                "procedure": _(
                    "Thủ tục %(code)s chưa có trong danh mục (chạy govqms import-procedures)."
                )
                % {"code": spec.procedure_code}
            }
        )
    unit = OrgUnit.objects.current().filter(code=spec.unit_code).first()
    if unit is None:
        raise ValidationError(
            {"unit": _("Không có đơn vị mã %(code)s.") % {"code": spec.unit_code}}
        )
    _check(actor, unit.path)
    limit = spec.limit
    limit_hours = None if limit.unit == CALENDAR_DAYS and limit.default_hours else limit.hours
    fields = {
        "limit_unit": limit.unit,
        "limit_hours": limit_hours,
        "calendar_days": limit.calendar_days,
        "steps": spec.steps,
        "due_soon_hours": spec.due_soon_hours,
        "document_code": spec.document_code,
        "notes": spec.notes,
    }
    versions = ProcedureVersion.objects.filter(procedure=procedure, unit=unit)
    draft = versions.filter(status=ProcedureVersion.Status.DRAFT).order_by("-number").first()
    active = versions.active().first()
    if draft is not None:
        version, changed = _edit(actor=actor, version=draft, **fields)
        result = "updated" if changed else "unchanged"
    elif active is not None:
        version, changed = _edit(actor=actor, version=active, **fields)
        result = "created" if changed else "unchanged"
    else:
        version = version_create_draft(actor=actor, procedure=procedure, unit=unit, **fields)
        result = "created"
    activated = False
    warnings: tuple[str, ...] = ()
    if activate and version.status == ProcedureVersion.Status.DRAFT:
        warnings = version_check(version).warnings
        version = version_activate(actor=actor, version=version)
        activated = True
    return ImportOutcome(version=version, result=result, activated=activated, warnings=warnings)


# --- Import of the national catalogue (tthc.csv) -----------------------------------------------


@dataclass
class CatalogueReport:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unknown_unit: int = 0  # a value without a unit: shown as unknown, never guessed
    no_limit: int = 0  # the portal shows no time limit
    errors: list = field(default_factory=list)  # RowError, in file order


def catalogue_import(*, actor, path, limit: int | None = None) -> CatalogueReport:
    """Upsert the catalogue from a tthc.csv file; idempotent.

    Every row is read first; the good rows are written in one transaction and the bad ones are
    reported (`errors`, each naming its line and field). A bad header raises RowError and
    writes nothing.
    """
    report = CatalogueReport()
    records = []
    for _line, item in read_catalogue(path, limit=limit):
        report.rows += 1
        if isinstance(item, RowError):
            report.errors.append(item)
        else:
            records.append(item)
    with transaction.atomic():
        for record in records:
            _procedure, result = procedure_upsert(
                actor=actor, code=record.code, **record.as_fields()
            )
            setattr(report, result, getattr(report, result) + 1)
            if record.limit_value is None:
                report.no_limit += 1
            elif not record.limit_unit:
                report.unknown_unit += 1
    return report
