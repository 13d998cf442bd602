"""The procedure catalogue and versions over the API (read-only). All operations need the
project's default authentication; the catalogue itself is not scoped, versions are."""

from __future__ import annotations

import datetime

from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from . import selectors

router = Router(tags=["procedures"])


class ProcedureOut(Schema):
    code: str
    name: str
    sector: str
    levels: list[str]
    limit_value: float | None
    limit_unit: str
    limit_known: bool
    limit_text: str
    channels: list[str]
    online_level: str


class ProcedureDetailOut(ProcedureOut):
    fee_text: str
    documents: list[dict]
    legal_basis: list[str]
    source: str


class StepOut(Schema):
    order: int
    code: str
    name: str
    role: str
    where: str
    other_unit_code: str | None
    budget_hours: float
    optional: bool
    parallel_group: str
    description: str
    output: str

    @staticmethod
    def resolve_other_unit_code(obj):
        return obj.other_unit.code if obj.other_unit_id else None


class VersionOut(Schema):
    id: int
    procedure_code: str
    unit_code: str
    number: int
    status: str
    limit_unit: str
    limit_hours: float
    calendar_days: int | None
    due_soon_hours: float
    document_code: str
    based_on_id: int | None
    activated_at: datetime.datetime | None
    retired_at: datetime.datetime | None

    @staticmethod
    def resolve_procedure_code(obj):
        return obj.procedure.code

    @staticmethod
    def resolve_unit_code(obj):
        return obj.unit.code


class VersionDetailOut(VersionOut):
    notes: str
    steps: list[StepOut]

    @staticmethod
    def resolve_steps(obj):
        return list(obj.steps.all())


@router.get(
    "", response=list[ProcedureOut], operation_id="procedure_list", url_name="procedure_list"
)
@paginate(LimitOffsetPagination)
def procedure_list(request, search: str = "", sector: str = ""):
    """The catalogue (search in code and name; filter by sector), paged with limit/offset."""
    return selectors.procedure_list(user=request.user, search=search, sector=sector)


@router.get("/versions/{version_id}", response=VersionDetailOut, operation_id="version_get")
def version_get(request, version_id: int):
    """One version with its steps (404 outside the caller's dossier.view scope)."""
    return selectors.version_get(user=request.user, pk=version_id)


@router.get("/{code}", response=ProcedureDetailOut, operation_id="procedure_get")
def procedure_get(request, code: str):
    return selectors.procedure_get(user=request.user, code=code)


@router.get("/{code}/versions", response=list[VersionOut], operation_id="procedure_versions")
def procedure_versions(request, code: str, status: str | None = None):
    """The versions of a procedure declared at units the caller may see."""
    procedure = selectors.procedure_get(user=request.user, code=code)
    return list(selectors.version_list(user=request.user, procedure=procedure, status=status))
