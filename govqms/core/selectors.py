from .models import AuditEntry

PERM_AUDIT_VIEW = "audit.view"


def audit_entry_list(*, user, object_type: str | None = None, object_id: str | None = None):
    qs = AuditEntry.objects.restrict(user, PERM_AUDIT_VIEW).order_by("-seq")
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    return qs
