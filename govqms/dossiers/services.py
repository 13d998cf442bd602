"""Every write to dossiers. One transaction each, an explicit actor, permission checks, audit.

Events are appended, never changed; the dossier row and its step records are recomputed from
the events with `workflows.replay` on every write, so the cache always equals a rebuild.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govqms.core.audit import audit_append
from govqms.core.scoping import require
from govqms.kpi import rollups
from govqms.org.models import OrgUnit
from govqms.procedures.models import LimitUnit, ProcedureVersion
from govqms.workdays.calendar import Limit, WorkCalendar
from govqms.workdays.selectors import workcalendar_for_unit

from . import workflows
from .models import Dossier, DossierEvent, EventKind, Status, StepRecord

SOURCE_LOCAL = "govqms"

# Which permission each event kind needs at the dossier's competent unit.
KIND_PERMISSION = {
    EventKind.SUBMITTED: "dossier.receive",
    EventKind.RECEIVED: "dossier.receive",
    EventKind.REFUSED: "dossier.receive",
    EventKind.RETURNED: "dossier.receive",
    # The citizen brings the supplement or the proof of payment to the one-stop desk.
    EventKind.SUPPLEMENT_PROVIDED: "dossier.receive",
    EventKind.FINANCIAL_FULFILLED: "dossier.receive",
    EventKind.WITHDRAWN: "dossier.receive",  # the citizen's written request, taken at the desk
    EventKind.REAPPOINTED: "dossier.approve",
    EventKind.FINISHED: "dossier.approve",
    EventKind.STOPPED: "dossier.approve",
    EventKind.TRANSFERRED: "dossier.approve",
}
DEFAULT_PERMISSION = "dossier.process"


# --- What people read when the lifecycle refuses a move ---------------------------------------

#: `workflows.TransitionError.code` -> the text people read (workflows.py is pure and does not
#: translate; every screen, the API and the ingest errors render it with `transition_message`).
TRANSITION_MESSAGES = {
    "not_allowed": gettext_lazy(
        "Sự kiện '%(kind)s' không được phép khi hồ sơ đang ở trạng thái '%(status)s'."
    ),
    "unknown_kind": gettext_lazy("Loại sự kiện không hợp lệ."),
    "step_required": gettext_lazy("Sự kiện '%(kind)s' cần mã bước."),
    "supplement_once": gettext_lazy(
        "Chỉ được yêu cầu bổ sung hồ sơ một lần (hướng dẫn đầy đủ, một lần bằng văn bản)."
    ),
    "transfer_unit": gettext_lazy("Cần ghi cơ quan nhận hồ sơ chuyển đến."),
    "reappoint_once": gettext_lazy("Mỗi hồ sơ chỉ được xin lỗi và hẹn lại một lần."),
    "reappoint_no_due": gettext_lazy("Hồ sơ chưa có hạn trả kết quả để hẹn lại."),
    "reappoint_late": gettext_lazy("Phiếu xin lỗi và hẹn lại phải được lập trước hạn trả kết quả."),
    "reappoint_reason": gettext_lazy("Cần ghi lý do."),
    "reappoint_date": gettext_lazy("Cần chọn ngày hẹn trả mới."),
    "reappoint_not_later": gettext_lazy("Ngày hẹn mới phải sau hạn trả kết quả hiện tại."),
    "bad_datetime": gettext_lazy("%(what)s không phải ngày giờ ISO 8601: '%(value)s'."),
    "naive_datetime": gettext_lazy("%(what)s phải là ngày giờ có múi giờ."),
}


def transition_message(exc: workflows.TransitionError, *, labels: bool = False) -> str:
    """A lifecycle refusal in the active language, from its stable code and params.

    `labels=True` (screens, the dossier API) names the event kind and the status by their
    labels; otherwise by their codes (ingest errors: the sending system speaks in codes)."""
    params = dict(exc.params)
    if labels:
        if params.get("kind") in EventKind.values:
            params["kind"] = EventKind(params["kind"]).label
        if params.get("status") in Status.values:
            params["status"] = Status(params["status"]).label
    return str(TRANSITION_MESSAGES[exc.code]) % params


# --- Rules and calendars -----------------------------------------------------------------------


def version_rule(version: ProcedureVersion, steps: Iterable | None = None) -> workflows.DueRule:
    """The due-date rule a procedure version implies."""
    if version.limit_unit == LimitUnit.CALENDAR_DAYS and version.calendar_days is not None:
        limit = Limit(Decimal(version.calendar_days), "d")
    elif version.limit_unit == LimitUnit.WORKING_HOURS:
        limit = Limit(version.limit_hours, "wh")
    else:
        limit = Limit(version.limit_hours / Decimal(8), "wd")
    if steps is None:
        steps = version.steps.all()
    budgets = {step.code: step.budget_hours for step in steps}
    return workflows.DueRule(
        limit=limit, due_soon_hours=version.due_soon_hours, step_budgets=budgets
    )


class CalendarCache:
    """Calendars by (unit, calendar code) for one batch (building one costs a few queries).

    A dossier is judged by its row's `calendar_code` (set when it is opened: "NL" for a Dutch
    event log, else "VN"): `for_unit(dossier.competent_unit, dossier.calendar_code)`.
    """

    def __init__(self, calendar_code: str = "VN"):
        self.calendar_code = calendar_code
        self._by_unit: dict[tuple[int | None, str], WorkCalendar] = {}

    def for_unit(self, unit: OrgUnit | None, calendar_code: str | None = None) -> WorkCalendar:
        code = (calendar_code or self.calendar_code).upper()
        key = (unit.pk if unit is not None else None, code)
        if key not in self._by_unit:
            self._by_unit[key] = workcalendar_for_unit(unit=unit, calendar_code=code)
        return self._by_unit[key]


OPENING_KINDS = frozenset({EventKind.SUBMITTED, EventKind.RECEIVED})


def dossier_calendar_code(events: Iterable) -> str | None:
    """The calendar code a dossier's opening event names (`data["calendar"]`), or None.

    `events` in replay order (DossierEvent rows or workflows.Event); the first submitted or
    received event that names a calendar decides. Used when a dossier is opened (bulk ingest
    sets `Dossier.calendar_code` from it) and by the KPI rollups; a stored dossier's calendar
    is its row's `calendar_code`.
    """
    for event in events:
        if event.kind in OPENING_KINDS:
            code = (event.data or {}).get("calendar")
            if code:
                return str(code).upper()
    return None


# --- Derivation -------------------------------------------------------------------------------


def _as_event(row: DossierEvent, unit_codes: dict[int, str]) -> workflows.Event:
    return workflows.Event(
        kind=row.kind,
        occurred_at=row.occurred_at,
        step=row.step,
        actor_label=row.actor_label,
        unit_code=unit_codes.get(row.unit_id, "") if row.unit_id else "",
        reason=row.reason,
        data=row.data or {},
        seq=row.seq,
    )


#: The Dossier fields derived from its events (assigned only by `state_assign`).
DERIVED_FIELDS = (
    "status",
    "submitted_at",
    "received_at",
    "due_at",
    "original_due_at",
    "paused_seconds",
    "paused_since",
    "finished_at",
    "returned_at",
    "closed_at",
    "reappointed",
    "current_step",
    "current_handler",
    "event_count",
    "last_event_at",
    "timeliness",
    "competent_unit",
)


def state_assign(
    dossier: Dossier,
    state: workflows.State,
    *,
    rule,
    calendar,
    now: dt.datetime,
    units: dict[str, OrgUnit] | None = None,
) -> None:
    """Copy the derived state onto the dossier row (not saved). `units`: current units by
    code, to resolve a transfer without a query (bulk ingestion)."""
    dossier.status = state.status
    dossier.submitted_at = state.submitted_at
    dossier.received_at = state.received_at
    dossier.due_at = state.due_at
    dossier.original_due_at = state.original_due_at
    dossier.paused_seconds = state.paused_seconds
    dossier.paused_since = state.paused_since
    dossier.finished_at = state.finished_at
    dossier.returned_at = state.returned_at
    dossier.closed_at = state.closed_at
    dossier.reappointed = state.reappointed
    dossier.current_step = state.current_step
    dossier.current_handler = state.current_handler
    dossier.event_count = state.event_count
    dossier.last_event_at = state.last_event_at
    dossier.timeliness = workflows.timeliness(state, now=now, rule=rule, calendar=calendar)
    if state.competent_unit_code and state.competent_unit_code != dossier.competent_unit.code:
        unit = (units or {}).get(state.competent_unit_code)
        if unit is None:
            unit = OrgUnit.objects.current().get(code=state.competent_unit_code)
        dossier.competent_unit = unit


def _store_state(
    dossier: Dossier, state: workflows.State, *, rule, calendar, now: dt.datetime
) -> None:
    """Copy the derived state onto the dossier row and its step records."""
    state_assign(dossier, state, rule=rule, calendar=calendar, now=now)
    # Keep the KPI rollups current: book the difference between the stored and the new state.
    rollups.rollup_dossier_saving(dossier=dossier, calendar=calendar)
    dossier.save()
    StepRecord.objects.filter(dossier=dossier).delete()
    units = _units_by_code({span.unit_code for span in state.steps if span.unit_code})
    StepRecord.objects.bulk_create(
        StepRecord(
            dossier=dossier,
            step=span.step,
            started_at=span.started_at,
            finished_at=span.finished_at,
            handler=span.handler,
            unit=units.get(span.unit_code),
            working_seconds=span.working_seconds,
            budget_seconds=span.budget_seconds,
        )
        for span in state.steps
    )


def _units_by_code(codes: Iterable[str]) -> dict[str, OrgUnit]:
    codes = [c for c in codes if c]
    if not codes:
        return {}
    return {u.code: u for u in OrgUnit.objects.current().filter(code__in=codes)}


def dossier_state(dossier: Dossier, *, calendars: CalendarCache | None = None):
    """(state, rule, calendar) replayed from the stored events."""
    calendars = calendars or CalendarCache()
    rows = list(dossier.events.order_by("occurred_at", "seq"))
    calendar = calendars.for_unit(dossier.competent_unit, dossier.calendar_code)
    rule = version_rule(dossier.version)
    units = dict(
        OrgUnit.objects.filter(pk__in={r.unit_id for r in rows if r.unit_id}).values_list(
            "pk", "code"
        )
    )
    state = workflows.replay([_as_event(r, units) for r in rows], rule=rule, calendar=calendar)
    return state, rule, calendar


@transaction.atomic
def dossier_rebuild(
    *, dossier: Dossier, calendars: CalendarCache | None = None, now: dt.datetime | None = None
) -> Dossier:
    """Recompute the dossier's derived fields from its events (idempotent)."""
    state, rule, calendar = dossier_state(dossier, calendars=calendars)
    _store_state(dossier, state, rule=rule, calendar=calendar, now=now or timezone.now())
    return dossier


# --- Creating dossiers and appending events -------------------------------------------------


def _next_code(unit: OrgUnit, at: dt.datetime) -> str:
    """`<unit code>-<yymmdd>-<nnnn>`: readable on a slip, unique per receiving unit and day."""
    day = timezone.localtime(at).strftime("%y%m%d")
    prefix = f"{unit.code}-{day}-"
    OrgUnit.objects.select_for_update().filter(pk=unit.pk).first()  # serialise per unit
    last = (
        Dossier.objects.filter(code__startswith=prefix)
        .order_by("-code")
        .values_list("code", flat=True)
        .first()
    )
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


@dataclass
class ApplicantData:
    name: str = ""
    phone: str = ""
    email: str = ""
    id_number: str = ""


@transaction.atomic
def dossier_open(
    *,
    actor,
    version: ProcedureVersion,
    receiving_unit: OrgUnit,
    competent_unit: OrgUnit | None = None,
    returning_unit: OrgUnit | None = None,
    channel: str,
    applicant: ApplicantData | None = None,
    at: dt.datetime | None = None,
    online: bool = False,
    code: str = "",
    source: str = SOURCE_LOCAL,
    source_id: str = "",
    due_at: dt.datetime | None = None,
) -> Dossier:
    """Receive a dossier at the desk (or record an online submission, `online=True`)."""
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise ValidationError({"at": _("Thời điểm phải có múi giờ.")})
    competent_unit = competent_unit or receiving_unit
    returning_unit = returning_unit or receiving_unit
    if actor is not None:
        require(actor, "dossier.receive", receiving_unit.path)
    if version.status != ProcedureVersion.Status.ACTIVE:
        raise ValidationError({"version": _("Quy trình chưa được ban hành hoặc đã hết hiệu lực.")})
    applicant = applicant or ApplicantData()
    dossier = Dossier(
        code=code or _next_code(receiving_unit, at),
        version=version,
        receiving_unit=receiving_unit,
        competent_unit=competent_unit,
        returning_unit=returning_unit,
        channel=channel,
        applicant_name=applicant.name.strip(),
        applicant_phone=applicant.phone.strip(),
        applicant_email=applicant.email.strip(),
        applicant_id_number=applicant.id_number.strip(),
        status="",
        source=source,
        source_id=source_id,
    )
    dossier.full_clean(exclude=["status"])
    dossier.save()
    data = {"due_at": due_at.isoformat()} if due_at is not None else {}
    kind = EventKind.SUBMITTED if online else EventKind.RECEIVED
    dossier_event_record(
        actor=actor,
        dossier=dossier,
        kind=kind,
        occurred_at=at,
        unit=competent_unit,
        data=data,
        source=source,
        source_id=f"{source_id or dossier.code}:{kind}",
        check_permission=False,
    )
    audit_append(
        actor=actor,
        action="create",
        obj=dossier,
        changes={
            "code": [None, dossier.code],
            "procedure": [None, version.procedure.code],
            "channel": [None, channel],
        },
    )
    return dossier


@transaction.atomic
def dossier_event_record(
    *,
    actor,
    dossier: Dossier,
    kind: str,
    occurred_at: dt.datetime | None = None,
    step: str = "",
    unit: OrgUnit | None = None,
    reason: str = "",
    data: dict[str, Any] | None = None,
    source: str = SOURCE_LOCAL,
    source_id: str | None = None,
    calendars: CalendarCache | None = None,
    check_permission: bool = True,
) -> DossierEvent:
    """Append one event after checking that the lifecycle allows it; recompute the dossier.

    Raises `workflows.TransitionError` (a ValueError naming the field; `transition_message`
    gives its text) when not allowed. The dossier is judged by its row's `calendar_code`.
    """
    occurred_at = occurred_at or timezone.now()
    if kind not in EventKind.values:
        raise workflows.TransitionError("unknown_kind", kind=kind)
    if check_permission and actor is not None:
        require(actor, KIND_PERMISSION.get(kind, DEFAULT_PERMISSION), dossier.competent_unit.path)
    Dossier.objects.select_for_update().filter(pk=dossier.pk).first()
    rows = list(dossier.events.order_by("occurred_at", "seq"))
    seq = (max((r.seq for r in rows), default=0)) + 1
    event = DossierEvent(
        dossier=dossier,
        seq=seq,
        kind=kind,
        occurred_at=occurred_at,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "username", "") or (data or {}).get("actor_label", ""),
        step=step,
        unit=unit,
        reason=reason,
        data=data or {},
        source=source,
        source_id=source_id or f"{dossier.code}:{seq}",
    )
    calendars = calendars or CalendarCache()
    calendar = calendars.for_unit(dossier.competent_unit, dossier.calendar_code)
    rule = version_rule(dossier.version)
    units = dict(
        OrgUnit.objects.filter(pk__in={r.unit_id for r in rows if r.unit_id}).values_list(
            "pk", "code"
        )
    )
    if unit is not None:
        units[unit.pk] = unit.code
    state = workflows.replay(
        [_as_event(r, units) for r in [*rows, event]], rule=rule, calendar=calendar
    )
    try:
        with transaction.atomic():
            event.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationError({"source_id": _("Sự kiện đã được ghi nhận trước đó.")}) from exc
    _store_state(dossier, state, rule=rule, calendar=calendar, now=timezone.now())
    audit_append(
        actor=actor,
        action="update",
        obj=dossier,
        changes={"event": [None, kind], "status": [None, dossier.status]},
        reason=reason[:500],
    )
    return event
