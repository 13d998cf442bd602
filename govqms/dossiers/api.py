"""The dossier API (django-ninja router, mounted at /api/v1/dossiers).

Sections: the dossier screens' reads and writes (list, get, receive, record an event). Other
sections (batch ingestion) live further down. Thin: parse, call a selector or service, return
a schema.
"""

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status as Reply
from pydantic import ConfigDict

from govqms.org.models import OrgUnit

from . import ingest, selectors, services, workflows
from .models import Dossier, Status, Timeliness

router = Router(tags=["dossiers"])


# =============================================================================================
# Dossier screens API: dossier_list, dossier_get, dossier_receive, dossier_event_create
# =============================================================================================


class ErrorOut(Schema):
    detail: Any


class DossierItemOut(Schema):
    code: str
    procedure_code: str
    procedure_name: str
    status: str
    status_label: str
    portal_status_code: int | None
    channel: str
    received_at: datetime.datetime | None
    due_at: datetime.datetime | None
    timeliness: str
    timeliness_label: str
    reappointed: bool
    paused: bool
    current_step: str
    receiving_unit: str
    competent_unit: str
    returning_unit: str
    applicant_name_masked: str
    applicant_phone_masked: str


class DossierPageOut(Schema):
    count: int
    limit: int
    offset: int
    items: list[DossierItemOut]


class ApplicantIn(Schema):
    name: str = Field(..., min_length=1, max_length=200)
    phone: str = Field("", max_length=20)
    email: str = Field("", max_length=254)
    id_number: str = Field("", max_length=20)


class ApplicantOut(Schema):
    name: str
    phone: str
    email: str
    id_number: str


class EventOut(Schema):
    seq: int
    kind: str
    kind_label: str
    occurred_at: datetime.datetime
    actor: str
    step: str
    reason: str
    data: dict


class StepOut(Schema):
    step: str
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    handler: str
    working_seconds: int | None
    budget_seconds: int | None


class DossierOut(DossierItemOut):
    original_due_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    returned_at: datetime.datetime | None
    paused_seconds: int
    applicant: ApplicantOut
    events: list[EventOut]
    steps: list[StepOut]
    due_explanation: list[str]


class DossierReceiveIn(Schema):
    procedure_code: str
    unit_code: str = Field(..., description="the receiving unit (the desk)")
    competent_unit_code: str = Field(
        "", description="default: the authority above the receiving unit"
    )
    channel: str = "counter"
    applicant: ApplicantIn
    received_at: datetime.datetime | None = None


class EventIn(Schema):
    kind: str
    occurred_at: datetime.datetime | None = None
    step: str = ""
    reason: str = Field("", max_length=4000)
    data: dict = Field(default_factory=dict)


class DossierStateOut(Schema):
    code: str
    seq: int
    status: str
    status_label: str
    due_at: datetime.datetime | None
    timeliness: str
    timeliness_label: str
    current_step: str
    reappointed: bool
    paused: bool
    event_count: int


def _item(dossier: Dossier, klass: str) -> dict:
    return {
        "code": dossier.code,
        "procedure_code": dossier.version.procedure.code,
        "procedure_name": dossier.version.procedure.name,
        "status": dossier.status,
        "status_label": str(Status(dossier.status).label) if dossier.status else "",
        "portal_status_code": dossier.portal_status_code if dossier.status else None,
        "channel": dossier.channel,
        "received_at": dossier.received_at,
        "due_at": dossier.due_at,
        "timeliness": klass,
        "timeliness_label": str(Timeliness(klass).label),
        "reappointed": dossier.reappointed,
        "paused": dossier.paused_since is not None,
        "current_step": dossier.current_step,
        "receiving_unit": dossier.receiving_unit.code,
        "competent_unit": dossier.competent_unit.code,
        "returning_unit": dossier.returning_unit.code,
        "applicant_name_masked": selectors.mask_name(dossier.applicant_name),
        "applicant_phone_masked": selectors.mask_phone(dossier.applicant_phone),
    }


def _full(dossier: Dossier) -> dict:
    state, rule, calendar = services.dossier_state(dossier)
    klass = workflows.timeliness(state, now=timezone.now(), rule=rule, calendar=calendar)
    explanation = selectors.due_explanation(dossier, state, rule, calendar)
    body = _item(dossier, klass)
    body.update(
        original_due_at=dossier.original_due_at,
        finished_at=dossier.finished_at,
        returned_at=dossier.returned_at,
        paused_seconds=dossier.paused_seconds,
        applicant={
            "name": dossier.applicant_name,
            "phone": dossier.applicant_phone,
            "email": dossier.applicant_email,
            "id_number": dossier.applicant_id_number,
        },
        events=[
            {
                "seq": e.seq,
                "kind": e.kind,
                "kind_label": str(e.get_kind_display()),
                "occurred_at": e.occurred_at,
                "actor": e.actor.username if e.actor_id else e.actor_label,
                "step": e.step,
                "reason": e.reason,
                "data": e.data or {},
            }
            for e in selectors.dossier_events(dossier)
        ],
        steps=[
            {
                "step": r.step,
                "started_at": r.started_at,
                "finished_at": r.finished_at,
                "handler": r.handler,
                "working_seconds": r.working_seconds,
                "budget_seconds": r.budget_seconds,
            }
            for r in selectors.dossier_step_records(dossier)
        ],
        due_explanation=[*explanation["lines"], *explanation["notes"]] if explanation else [],
    )
    return body


@router.get("", response=DossierPageOut, operation_id="dossier_list")
def dossier_list(
    request,
    q: str = "",
    status: str = "",
    open: bool = False,
    limit: int = 50,
    offset: int = 0,
):
    """Dossiers the caller may see, newest receipt first; the applicant is masked. `q` matches
    the start of the code; `open=true` keeps the dossiers still being handled."""
    limit = max(1, min(limit, 500))
    offset = max(0, offset)
    qs = selectors.dossier_list(user=request.user, q=q[:60], status=status, open_only=open)
    count = qs.count()
    calendars = services.CalendarCache()
    now = timezone.now()
    items = []
    for dossier in qs[offset : offset + limit]:
        klass, _rule = selectors.timeliness_now(dossier, now=now, calendars=calendars)
        items.append(_item(dossier, klass))
    return {"count": count, "limit": limit, "offset": offset, "items": items}


@router.get("/{code}", response={200: DossierOut, 404: ErrorOut}, operation_id="dossier_get")
def dossier_get(request, code: str):
    """One dossier in full, with the applicant's data (the read is logged), its events, step
    records and the derivation of its due date."""
    dossier = selectors.dossier_get(user=request.user, code=code, purpose=_("API: xem hồ sơ"))
    return Reply(200, _full(dossier))


@router.post(
    "",
    response={201: DossierOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="dossier_receive",
)
def dossier_receive(request, payload: DossierReceiveIn):
    """Receive a dossier at a desk (one-stop): the due date comes from the procedure's active
    version governing the unit and the unit's working calendar."""
    unit = OrgUnit.objects.current().filter(code=payload.unit_code).first()
    if unit is None:
        raise Http404(_("Không có đơn vị mã %(code)s.") % {"code": payload.unit_code})
    competent = selectors.authority_of(unit)
    if payload.competent_unit_code:
        competent = OrgUnit.objects.current().filter(code=payload.competent_unit_code).first()
        if competent is None:
            raise Http404(_("Không có đơn vị mã %(code)s.") % {"code": payload.competent_unit_code})
    version = selectors.governing_version(unit=unit, procedure_code=payload.procedure_code)
    if version is None:
        raise ValidationError(
            {
                "procedure_code": _(
                    "Thủ tục %(code)s chưa có quy trình nội bộ đang áp dụng tại đơn vị này."
                )
                % {"code": payload.procedure_code}
            }
        )
    if payload.received_at is not None and timezone.is_naive(payload.received_at):
        raise ValidationError({"received_at": _("Thời điểm phải có múi giờ.")})
    dossier = services.dossier_open(
        actor=request.user,
        version=version,
        receiving_unit=unit,
        competent_unit=competent,
        channel=payload.channel,
        applicant=services.ApplicantData(
            name=payload.applicant.name,
            phone=payload.applicant.phone,
            email=payload.applicant.email,
            id_number=payload.applicant.id_number,
        ),
        at=payload.received_at,
    )
    dossier = selectors.dossier_find(user=request.user, code=dossier.code)
    return Reply(201, _full(dossier))


@router.post(
    "/{code}/events",
    response={201: DossierStateOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="dossier_event_create",
)
def dossier_event_create(request, code: str, payload: EventIn):
    """Record one lifecycle event (step started/finished, supplement requested/provided,
    financial obligation, re-appointment with `data.new_due_at`, finished, returned, withdrawn,
    stopped, refused, note). Returns the dossier's new state; a move the lifecycle does not
    allow answers 422 naming the field."""
    dossier = selectors.dossier_find(user=request.user, code=code)
    occurred_at = payload.occurred_at
    if occurred_at is not None and timezone.is_naive(occurred_at):
        return Reply(422, {"detail": {"occurred_at": [_("Thời điểm phải có múi giờ.")]}})
    try:
        event = services.dossier_event_record(
            actor=request.user,
            dossier=dossier,
            kind=payload.kind,
            occurred_at=occurred_at,
            step=payload.step,
            reason=payload.reason,
            data=payload.data,
        )
    except workflows.TransitionError as exc:
        return Reply(422, {"detail": {exc.field: [services.transition_message(exc, labels=True)]}})
    dossier.refresh_from_db()
    return Reply(
        201,
        {
            "code": dossier.code,
            "seq": event.seq,
            "status": dossier.status,
            "status_label": str(Status(dossier.status).label) if dossier.status else "",
            "due_at": dossier.due_at,
            "timeliness": dossier.timeliness,
            "timeliness_label": str(Timeliness(dossier.timeliness).label),
            "current_step": dossier.current_step,
            "reappointed": dossier.reappointed,
            "paused": dossier.paused_since is not None,
            "event_count": dossier.event_count,
        },
    )


# =============================================================================================
# (end of the dossier screens API)
# =============================================================================================


# =============================================================================================
# Batch ingestion: dossier_events_batch (docs/ingestion.md)
# =============================================================================================


class IngestRecordIn(Schema):
    """One dossier event. Text on purpose for the date-times: a value without a time zone is
    reported on its record (index, field, message), not as a malformed body."""

    model_config = ConfigDict(extra="forbid")

    source_id: str | None = Field(None, description="unique within `source`: the idempotency key")
    kind: str | None = Field(None, description="an event kind (received, step_finished, ...)")
    occurred_at: str | None = Field(None, description="ISO 8601 with a UTC offset")
    dossier_code: str | None = None
    dossier_source_id: str | None = Field(None, description="the dossier's id in the source")
    procedure: str | None = Field(None, description="opening a dossier: the procedure code")
    receiving_unit: str | None = None
    competent_unit: str | None = None
    returning_unit: str | None = None
    channel: str | None = Field(None, description="counter, online or postal")
    step: str | None = None
    actor: str | None = Field(None, description="who did it in the source system (a label)")
    unit: str | None = Field(None, description="the unit of the event (a transfer's target)")
    reason: str | None = None
    due_at: str | None = Field(None, description="received: an explicit due date")
    new_due_at: str | None = Field(None, description="reappointed: the new date")
    calendar: str | None = Field(None, description="received/submitted: calendar code, e.g. NL")
    applicant_name: str | None = None
    applicant_phone: str | None = None
    applicant_email: str | None = None
    applicant_id_number: str | None = None
    data: dict[str, Any] | None = None


class IngestBatchIn(Schema):
    source: str = Field(..., min_length=1, max_length=60, description="the sending system")
    events: list[IngestRecordIn]


class IngestErrorOut(Schema):
    index: int
    field: str
    message: str


class IngestResultOut(Schema):
    source: str
    records: int
    accepted: int
    duplicated: int
    rejected: int
    noted: int
    dossiers_created: int
    dossiers_updated: int
    sha256: str
    errors: list[IngestErrorOut]


@router.post(
    "/events/batch",
    response={200: IngestResultOut, 413: ErrorOut},
    operation_id="dossier_events_batch",
)
def dossier_events_batch(request, payload: IngestBatchIn):
    """Land up to 10,000 dossier events in one transaction. Idempotent by (`source`,
    `source_id`): a resend counts the stored records as `duplicated` (no Idempotency-Key
    header needed). Each bad record is listed in `errors` with its index, field and message;
    the others land. Records at units where the caller may neither receive nor process
    dossiers are rejected with field `competent_unit`."""
    if len(payload.events) > ingest.MAX_BATCH:
        return Reply(413, {"detail": str(ingest.BatchTooLarge.for_count(len(payload.events)))})
    records = [record.model_dump(exclude_none=True) for record in payload.events]
    result = ingest.events_ingest(actor=request.user, source=payload.source, records=records)
    return Reply(200, result.as_dict())


# =============================================================================================
# (end of batch ingestion)
# =============================================================================================
