"""Reads of the catalogue and the versions.

The catalogue is public information (no scope). Versions belong to the unit that declared them
and are read with `.restrict(user, "dossier.view")`. `version_for` is a system lookup: which
active version governs a unit (its own, or the nearest ancestor's).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from govqms.org.models import OrgUnit

from .models import Procedure, ProcedureVersion
from .specs import StepSpec, VersionLimit, VersionSpec

PERM_VIEW = "dossier.view"


def procedure_list(*, user=None, search: str = "", sector: str = "") -> QuerySet[Procedure]:
    """Catalogue entries, by code. `search` matches the code or a part of the name (on SQLite,
    case-insensitive for ASCII letters only); `sector` is matched exactly."""
    qs = Procedure.objects.all()
    search = (search or "").strip()
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    if sector:
        qs = qs.filter(sector=sector)
    return qs.order_by("code")


def procedure_get(*, user=None, code: str) -> Procedure:
    procedure = Procedure.objects.filter(code=code).first()
    if procedure is None:
        raise Http404(_("Không tìm thấy thủ tục %(code)s.") % {"code": code})
    return procedure


def procedure_sectors() -> list[str]:
    return list(
        Procedure.objects.exclude(sector="")
        .order_by("sector")
        .values_list("sector", flat=True)
        .distinct()
    )


def path_prefixes(path: str) -> list[str]:
    """'/01/00070/00070-VP/' → ['/01/', '/01/00070/', '/01/00070/00070-VP/']."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def version_for(*, procedure: Procedure, unit: OrgUnit) -> ProcedureVersion | None:
    """The active version that governs `unit`: declared at the unit or its nearest ancestor."""
    return (
        ProcedureVersion.objects.active()
        .filter(procedure=procedure, unit__path__in=path_prefixes(unit.path))
        .select_related("procedure", "unit")
        .order_by("-unit__depth")
        .first()
    )


def version_list(
    *, user, procedure: Procedure | None = None, status: str | None = None
) -> QuerySet[ProcedureVersion]:
    """Versions declared at units the user may see dossiers of."""
    qs = ProcedureVersion.objects.restrict(user, PERM_VIEW).select_related("procedure", "unit")
    if procedure is not None:
        qs = qs.filter(procedure=procedure)
    if status:
        qs = qs.filter(status=status)
    return qs


def version_get(*, user, pk: int) -> ProcedureVersion:
    """One version with its steps; 404 when outside the user's scope (existence not leaked)."""
    version = version_list(user=user).prefetch_related("steps").filter(pk=pk).first()
    if version is None:
        raise Http404(_("Không tìm thấy quy trình."))
    return version


def version_find(
    *, procedure_code: str, unit_code: str, number: int | None = None
) -> ProcedureVersion:
    """System lookup (CLI): version `number`, else the active one, else the newest draft."""
    qs = ProcedureVersion.objects.filter(
        procedure__code=procedure_code, unit__code=unit_code
    ).select_related("procedure", "unit")
    if number is not None:
        version = qs.filter(number=number).first()
    else:
        version = qs.active().first() or qs.order_by("-number").first()
    if version is None:
        raise ProcedureVersion.DoesNotExist(
            f"no version of {procedure_code} at unit {unit_code}"
            + (f" numbered {number}" if number is not None else "")
        )
    return version


def step_specs(version: ProcedureVersion) -> list[StepSpec]:
    """The version's steps as plain specs, in order."""
    return [
        StepSpec(
            code=s.code,
            name=s.name,
            role=s.role,
            budget_hours=s.budget_hours,
            where=s.where,
            optional=s.optional,
            parallel_group=s.parallel_group,
            other_unit_code=s.other_unit.code if s.other_unit_id else "",
            description=s.description,
            output=s.output,
        )
        for s in version.steps.select_related("other_unit").order_by("order")
    ]


def version_spec(version: ProcedureVersion) -> VersionSpec:
    """The version as plain data (what the YAML and BPMN files carry)."""
    limit = VersionLimit(version.limit_unit, version.limit_hours, version.calendar_days)
    return VersionSpec(
        procedure_code=version.procedure.code,
        procedure_name=version.procedure.name,
        unit_code=version.unit.code,
        limit=limit,
        steps=step_specs(version),
        due_soon_hours=version.due_soon_hours,
        document_code=version.document_code,
        notes=version.notes,
    )
