import datetime

from ninja import Router, Schema

from .selectors import audit_entry_list

router = Router(tags=["audit"])


class AuditEntryOut(Schema):
    seq: int
    created_at: datetime.datetime
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_label: str
    unit_path: str
    changes: dict
    reason: str
    request_id: str
    hash: str


@router.get("/entries", response=list[AuditEntryOut], operation_id="audit_entry_list")
def entry_list(
    request,
    object_type: str | None = None,
    object_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
):
    """Audit entries within the caller's scope (needs audit.view), newest first."""
    limit = max(1, min(limit, 1000))
    qs = audit_entry_list(user=request.user, object_type=object_type, object_id=object_id)
    return list(qs[offset : offset + limit])
