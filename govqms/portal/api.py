"""The public API: anyone holding a dossier code may read its status. No personal data.
Throttled per client like the lookup page, with the same counters (`portal.throttle`)."""

import datetime

from django.http import HttpResponse
from ninja import Router, Schema
from ninja.responses import Status as Reply

from . import throttle

router = Router(tags=["public"])


class ThrottledOut(Schema):
    detail: str
    retry_after: int


class PublicDossierOut(Schema):
    found: bool
    code: str
    procedure_code: str = ""
    procedure_name: str = ""
    status: str = ""
    status_label: str = ""
    portal_status_code: int | None = None
    received_at: datetime.datetime | None = None
    due_at: datetime.datetime | None = None
    finished_at: datetime.datetime | None = None
    returned_at: datetime.datetime | None = None
    timeliness: str = ""
    timeliness_label: str = ""
    receiving_unit_name: str = ""
    returning_unit_name: str = ""
    reappointed: bool = False
    paused: bool = False


@router.get(
    "/dossiers/{code}",
    auth=None,
    response={200: PublicDossierOut, 429: ThrottledOut},
    operation_id="public_dossier_get",
)
def public_dossier_get(request, response: HttpResponse, code: str):
    """Status and expected return date of a dossier, by its code. Public; no personal data.

    An unknown code answers 200 with `found: false` (the same shape as a hit). Too many lookups
    from one address answer 429 with `Retry-After` (seconds) until the window ends; a lookup of an
    unknown code also counts against a lower limit of its own."""
    result, refusal = throttle.throttled_lookup(request, code[:60])
    if refusal is not None:
        response["Retry-After"] = str(refusal.retry_after)
        return Reply(
            429,
            {"detail": throttle.refusal_message(refusal), "retry_after": refusal.retry_after},
        )
    if result is None:
        return {"found": False, "code": code[:60]}
    return {
        "found": True,
        "code": result.code,
        "procedure_code": result.procedure_code,
        "procedure_name": result.procedure_name,
        "status": result.status,
        "status_label": result.status_label,
        "portal_status_code": result.portal_status_code,
        "received_at": result.received_at,
        "due_at": result.due_at,
        "finished_at": result.finished_at,
        "returned_at": result.returned_at,
        "timeliness": result.timeliness,
        "timeliness_label": result.timeliness_label,
        "receiving_unit_name": result.receiving_unit_name,
        "returning_unit_name": result.returning_unit_name,
        "reappointed": result.reappointed,
        "paused": result.paused,
    }
