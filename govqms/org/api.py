import datetime

from ninja import Router, Schema

from . import selectors

router = Router(tags=["org"])


class UnitOut(Schema):
    code: str
    national_code: str
    name: str
    kind: str
    parent_code: str | None
    path: str
    valid_from: datetime.date | None
    valid_to: datetime.date | None

    @staticmethod
    def resolve_parent_code(obj):
        return obj.parent.code if obj.parent_id else None


@router.get("/units", response=list[UnitOut], operation_id="org_unit_list")
def unit_list(
    request, kind: str | None = None, parent: str | None = None, limit: int = 500, offset: int = 0
):
    """Units the caller may see (current ones), optionally filtered by kind or parent code."""
    parent_unit = selectors.unit_get(user=request.user, code=parent) if parent else None
    qs = selectors.unit_list(user=request.user, kind=kind, parent=parent_unit)
    limit = max(1, min(limit, 5000))
    return list(qs[offset : offset + limit])


@router.get("/units/{code}", response=UnitOut, operation_id="org_unit_get")
def unit_get(request, code: str):
    return selectors.unit_get(user=request.user, code=code)
