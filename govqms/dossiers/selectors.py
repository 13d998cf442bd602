"""Reads of dossiers a person makes: scoped to the user, personal data masked in lists, every
full read of an applicant's data logged (Law 91/2025/QH15).

Scope: a dossier belongs to its competent unit (`Dossier.scope_path_lookup`); the desk that
received it and the desk that returns the result see it too (they print its slips and hand the
result over), so a grant at any of the three units covers it.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govqms.accounts.roles import role_has
from govqms.accounts.selectors import my_roles
from govqms.core.audit import audit_read
from govqms.core.scoping import path_q, scope_for
from govqms.org.models import OrgUnit
from govqms.org.selectors import unit_ancestors
from govqms.procedures.models import Procedure, ProcedureVersion
from govqms.procedures.selectors import path_prefixes, version_for
from govqms.workdays.calendar import Pause

from . import workflows
from .models import Dossier, Status, StepRecord, Timeliness
from .services import CalendarCache

PERM_VIEW = "dossier.view"
PERM_RECEIVE = "dossier.receive"

#: Every personal-data field of a dossier (all of them are shown on the dossier page and slips).
APPLICANT_FIELDS = ("applicant_name", "applicant_phone", "applicant_email", "applicant_id_number")

#: Internal units never decide a dossier: the authority above them does.
INTERNAL_KINDS = frozenset(
    {OrgUnit.Kind.DIVISION, OrgUnit.Kind.SERVICE_CENTRE, OrgUnit.Kind.SERVICE_BRANCH}
)

WORKLIST_LIMIT = 500


# --- Masking ----------------------------------------------------------------------------------


def mask_name(name: str) -> str:
    """'Nguyễn Văn An' → 'Nguyễn V. A.': the family name and the initials of the other words."""
    words = (name or "").split()
    if not words:
        return ""
    if len(words) == 1:
        return words[0][0] + "."
    return " ".join([words[0], *(f"{word[0]}." for word in words[1:])])


def mask_phone(phone: str) -> str:
    """'0912345678' → '091****678'; short numbers keep only their last two digits."""
    digits = "".join(ch for ch in (phone or "") if ch.isdigit() or ch == "+")
    if not digits:
        return ""
    if len(digits) < 7:
        return "*" * (len(digits) - 2) + digits[-2:] if len(digits) > 2 else "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 6) + digits[-3:]


def mask_email(email: str) -> str:
    """'an.nguyen@example.vn' → 'a***@example.vn'."""
    local, sep, domain = (email or "").partition("@")
    if not sep:
        return ""
    return f"{local[:1]}***@{domain}"


def masked_applicant(dossier: Dossier) -> dict[str, str]:
    return {
        "name": mask_name(dossier.applicant_name),
        "phone": mask_phone(dossier.applicant_phone),
    }


# --- Scope ------------------------------------------------------------------------------------


def _visible(user, perm: str = PERM_VIEW):
    scope = scope_for(user, perm)
    if scope.everything:
        return Dossier.objects.all()
    if scope.empty:
        return Dossier.objects.none()
    return Dossier.objects.restrict(user, perm) | Dossier.objects.filter(
        path_q("receiving_unit__path", scope) | path_q("returning_unit__path", scope)
    )


def dossier_list(
    *,
    user,
    q: str = "",
    status: str = "",
    open_only: bool = False,
    unit: OrgUnit | None = None,
):
    """Dossiers the user may see, newest receipt first. `q` matches the code (prefix)."""
    qs = _visible(user).select_related(
        "version__procedure", "competent_unit", "receiving_unit", "returning_unit"
    )
    if q:
        qs = qs.filter(code__istartswith=q.strip())
    if status:
        qs = qs.filter(status=status)
    if open_only:
        qs = qs.open()
    if unit is not None:
        qs = qs.filter(
            Q(competent_unit__path__startswith=unit.path)
            | Q(receiving_unit__path__startswith=unit.path)
        )
    return qs.order_by("-received_at", "-id")


def dossier_find(*, user, code: str) -> Dossier:
    """The dossier if the user may see it (no personal-data read logged: callers that show the
    applicant use `dossier_get`). Out of scope or unknown → 404, existence not leaked."""
    dossier = (
        _visible(user)
        .select_related(
            "version__procedure",
            "version__unit",
            "competent_unit",
            "receiving_unit",
            "returning_unit",
        )
        .filter(code=code)
        .first()
    )
    if dossier is None:
        raise Http404(_("Không tìm thấy hồ sơ %(code)s.") % {"code": code})
    return dossier


def dossier_get(*, user, code: str, purpose: str) -> Dossier:
    """The dossier with its applicant's data, logging the read (who, whose, which fields, why)."""
    dossier = dossier_find(user=user, code=code)
    audit_read(actor=user, obj=dossier, fields=APPLICANT_FIELDS, purpose=purpose)
    return dossier


def dossier_events(dossier: Dossier):
    return dossier.events.select_related("actor", "unit").order_by("occurred_at", "seq")


def dossier_step_records(dossier: Dossier):
    return dossier.step_records.select_related("unit").order_by("started_at", "id")


# --- Worklist ---------------------------------------------------------------------------------

URGENCY = {
    Timeliness.OVERDUE: 0,
    Timeliness.DUE_SOON: 1,
    Timeliness.WITHIN: 2,
    Timeliness.NONE: 3,
}


@dataclass
class WorkItem:
    dossier: Dossier
    timeliness: str
    paused: bool
    step_name: str
    step_budget_hours: Decimal | None
    step_used_hours: Decimal | None
    applicant: dict[str, str]

    @property
    def timeliness_label(self) -> str:
        return Timeliness(self.timeliness).label

    @property
    def over_budget(self) -> bool:
        return (
            self.step_budget_hours is not None
            and self.step_used_hours is not None
            and self.step_used_hours > self.step_budget_hours
        )


def _hours(delta: dt.timedelta) -> Decimal:
    return (Decimal(delta.total_seconds()) / Decimal(3600)).quantize(Decimal("0.1"))


def timeliness_now(
    dossier: Dossier, *, now: dt.datetime, calendars: CalendarCache
) -> tuple[str, workflows.DueRule]:
    """The dossier's timeliness class at `now`, from its stored row (no replay), on the
    dossier's own calendar (`calendar_code`: a Dutch log is judged by Dutch holidays)."""
    state = workflows.State(
        status=dossier.status,
        due_at=dossier.due_at,
        finished_at=dossier.finished_at,
        paused_since=dossier.paused_since,
    )
    rule = workflows.DueRule(limit=None, due_soon_hours=dossier.version.due_soon_hours)
    calendar = calendars.for_unit(dossier.competent_unit, dossier.calendar_code)
    return workflows.timeliness(state, now=now, rule=rule, calendar=calendar), rule


def worklist(
    *, user, now: dt.datetime | None = None, mine: bool = False, limit: int = WORKLIST_LIMIT
) -> list[WorkItem]:
    """The user's open dossiers, most urgent first: overdue, then due soon, then within the
    limit, each group by due date. Timeliness is computed at `now`; paused dossiers (waiting
    for the applicant) are flagged. A fixed number of queries whatever the length."""
    now = now or timezone.now()
    qs = (
        _visible(user)
        .open()
        .select_related("version__procedure", "competent_unit")
        .prefetch_related(
            "version__steps",
            Prefetch(
                "step_records",
                queryset=StepRecord.objects.filter(finished_at__isnull=True).order_by(
                    "-started_at"
                ),
                to_attr="open_steps",
            ),
        )
        .order_by("due_at", "id")
    )
    if mine:
        qs = qs.filter(current_handler=user.get_username())
    calendars = CalendarCache()
    items = []
    for dossier in qs[:limit]:
        klass, _rule = timeliness_now(dossier, now=now, calendars=calendars)
        steps = {step.code: step for step in dossier.version.steps.all()}
        step = steps.get(dossier.current_step)
        used = None
        if dossier.open_steps:
            started = dossier.open_steps[0].started_at
            end = dossier.paused_since or now
            if end > started:
                calendar = calendars.for_unit(dossier.competent_unit, dossier.calendar_code)
                used = _hours(calendar.working_time_between(started, end))
            else:
                used = Decimal("0.0")
        items.append(
            WorkItem(
                dossier=dossier,
                timeliness=klass,
                paused=dossier.paused_since is not None,
                step_name=step.name if step else dossier.current_step,
                step_budget_hours=step.budget_hours if step else None,
                step_used_hours=used,
                applicant=masked_applicant(dossier),
            )
        )
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    items.sort(key=lambda i: (URGENCY.get(i.timeliness, 3), i.dossier.due_at or far))
    return items


# --- Reception --------------------------------------------------------------------------------


def reception_units(*, user) -> list[OrgUnit]:
    """Current units where the user may receive dossiers: the home unit first (when covered),
    then the units of the user's `dossier.receive` grants. Superusers: their home unit."""
    scope = scope_for(user, PERM_RECEIVE)
    if scope.empty:
        return []
    home = getattr(user, "home_unit", None)
    units: list[OrgUnit] = []
    if home is not None and home.is_current and scope.covers(home.path):
        units.append(home)
    for grant in my_roles(user=user):
        if role_has(grant.role, PERM_RECEIVE) and grant.unit.is_current and grant.unit not in units:
            units.append(grant.unit)
    return units


def authority_of(unit: OrgUnit) -> OrgUnit:
    """The unit that decides dossiers received at `unit`: itself, or the nearest ancestor that is
    not an internal division, service centre or branch."""
    if unit.kind not in INTERNAL_KINDS:
        return unit
    for ancestor in reversed(unit_ancestors(unit)):
        if ancestor.kind not in INTERNAL_KINDS:
            return ancestor
    return unit


def governing_versions(*, unit: OrgUnit, q: str = "") -> list[ProcedureVersion]:
    """For each procedure, the active version declared at `unit` or its nearest ancestor."""
    depth = {path: i for i, path in enumerate(path_prefixes(unit.path))}  # root first
    qs = (
        ProcedureVersion.objects.active()
        .filter(unit__path__in=depth, procedure__is_active=True)
        .select_related("procedure", "unit")
    )
    best: dict[int, ProcedureVersion] = {}
    for version in qs:
        current = best.get(version.procedure_id)
        if current is None or depth[version.unit.path] > depth[current.unit.path]:
            best[version.procedure_id] = version
    versions = best.values()
    words = fold(q).split()
    if words:
        versions = [
            v
            for v in versions
            if all(w in fold(f"{v.procedure.code} {v.procedure.name}") for w in words)
        ]
    return sorted(versions, key=lambda v: (v.procedure.name, v.procedure.code))


def fold(text: str) -> str:
    """Lower case without diacritics, so 'dang ky khai sinh' finds 'Đăng ký khai sinh'."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def governing_version(*, unit: OrgUnit, procedure_code: str) -> ProcedureVersion | None:
    procedure = Procedure.objects.filter(code=procedure_code).first()
    if procedure is None:
        return None
    return version_for(procedure=procedure, unit=unit)


def procedure_by_code(code: str) -> Procedure | None:
    return Procedure.objects.filter(code=code).first()


# --- Public lookup (no personal data) -------------------------------------------------------


@dataclass(frozen=True)
class PublicStatus:
    code: str
    procedure_name: str
    procedure_code: str
    status: str
    status_label: str
    portal_status_code: int
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    original_due_at: dt.datetime | None
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    timeliness: str
    timeliness_label: str
    receiving_unit_name: str
    returning_unit_name: str
    reappointed: bool
    paused: bool


def public_lookup(code: str, *, now: dt.datetime | None = None) -> PublicStatus | None:
    """What anyone holding the code may know: no applicant data at all. None when unknown."""
    code = (code or "").strip()
    if not code or len(code) > 60:
        return None
    dossier = (
        Dossier.objects.select_related(
            "version__procedure", "competent_unit", "receiving_unit", "returning_unit"
        )
        .filter(code=code)
        .first()
    )
    if dossier is None or not dossier.status:
        return None
    klass, _rule = timeliness_now(dossier, now=now or timezone.now(), calendars=CalendarCache())
    return PublicStatus(
        code=dossier.code,
        procedure_name=dossier.version.procedure.name,
        procedure_code=dossier.version.procedure.code,
        status=dossier.status,
        status_label=str(Status(dossier.status).label),
        portal_status_code=dossier.portal_status_code,
        received_at=dossier.received_at,
        due_at=dossier.due_at,
        original_due_at=dossier.original_due_at,
        finished_at=dossier.finished_at,
        returned_at=dossier.returned_at,
        timeliness=klass,
        timeliness_label=str(Timeliness(klass).label),
        receiving_unit_name=dossier.receiving_unit.name,
        returning_unit_name=dossier.returning_unit.name,
        reappointed=dossier.reappointed,
        paused=dossier.paused_since is not None,
    )


# --- The dossier page: derived views of one dossier ------------------------------------------


def timeliness_label(state: workflows.State, *, rule, calendar, now: dt.datetime) -> dict:
    klass = workflows.timeliness(state, now=now, rule=rule, calendar=calendar)
    return {"code": klass, "label": Timeliness(klass).label}


def step_rows(dossier: Dossier, *, steps, calendar, now: dt.datetime) -> list[dict]:
    """Each step record with its working time against the step's budget (hours)."""
    names = {s.code: s.name for s in steps}
    rows = []
    for record in dossier_step_records(dossier):
        if record.working_seconds is not None and record.finished_at is not None:
            used = Decimal(record.working_seconds) / Decimal(3600)
        else:
            end = dossier.paused_since or now
            used = _hours(calendar.working_time_between(record.started_at, end))
            used = max(used, Decimal(0))
        budget = (
            Decimal(record.budget_seconds) / Decimal(3600)
            if record.budget_seconds is not None
            else None
        )
        if budget is None:
            budget = next((s.budget_hours for s in steps if s.code == record.step), None)
        rows.append(
            {
                "record": record,
                "name": names.get(record.step, record.step),
                "used_hours": used.quantize(Decimal("0.1")),
                "budget_hours": budget,
                "over": budget is not None and used > budget,
                "open": record.finished_at is None,
            }
        )
    return rows


PAUSE_LABELS = {
    "supplement_requested": gettext_lazy("Chờ bổ sung hồ sơ"),
    "financial_requested": gettext_lazy("Chờ thực hiện nghĩa vụ tài chính"),
}


def pause_rows(state: workflows.State, *, calendar, now: dt.datetime) -> list[dict]:
    rows = []
    for pause in state.pauses:
        rows.append(
            {
                "label": PAUSE_LABELS.get(pause.reason, pause.reason),
                "start": pause.start,
                "end": pause.end,
                "hours": _hours(calendar.working_time_between(pause.start, pause.end)),
            }
        )
    if state.paused_since is not None:
        rows.append(
            {
                "label": PAUSE_LABELS.get(state.paused_kind, state.paused_kind),
                "start": state.paused_since,
                "end": None,
                "hours": _hours(calendar.working_time_between(state.paused_since, now))
                if now > state.paused_since
                else Decimal("0.0"),
            }
        )
    return rows


def due_explanation(dossier: Dossier, state: workflows.State, rule, calendar) -> dict | None:
    """How the due date was derived, as numbered lines a clerk can read out or print:
    the working-day derivation from the receipt, the legal limit and the pauses
    (`WorkCalendar.explain`), then a re-appointment and an ongoing pause if any."""
    if state.received_at is None or rule.limit is None:
        return None
    before = state.pauses[: state.pauses_from] if state.reappointed else state.pauses
    # The derivation prints each pause's reason: give it words, not the event code.
    before = [
        Pause(p.start, p.end, reason=str(PAUSE_LABELS.get(p.reason, p.reason)).lower())
        for p in before
    ]
    derivation = calendar.explain(state.received_at, rule.limit, pauses=before)
    lines = [step.text for step in derivation.steps]
    notes = []
    if state.reappointed:
        lines.append(
            _("Đã xin lỗi và hẹn lại ngày trả kết quả: %(date)s")
            % {"date": _fmt(calendar.local(state.base_due_at))}
        )
        later = state.pauses[state.pauses_from :]
        if later:
            paused = calendar.paused_working_time(later)
            lines.append(
                _("Cộng thêm %(hours)s giờ làm việc tạm dừng sau khi hẹn lại")
                % {"hours": _hours(paused)}
            )
        if state.due_at is not None:
            lines.append(
                _("Hạn trả kết quả hiện tại: %(date)s")
                % {"date": _fmt(calendar.local(state.due_at))}
            )
    elif state.due_at is not None and derivation.due != state.due_at:
        notes.append(
            _(
                "Hạn trả của hồ sơ (%(due)s) được ghi nhận từ hệ thống nguồn, khác với hạn tính "
                "theo quy trình hiện hành."
            )
            % {"due": _fmt(calendar.local(state.due_at))}
        )
    if state.paused_since is not None:
        notes.append(
            _(
                "Hồ sơ đang tạm dừng từ %(start)s; khi tiếp tục, hạn trả được lùi thêm đúng thời "
                "gian làm việc đã tạm dừng."
            )
            % {"start": _fmt(calendar.local(state.paused_since))}
        )
    return {"lines": lines, "notes": notes, "calendar": derivation.calendar, "due": state.due_at}


def _fmt(value: dt.datetime) -> str:
    return value.strftime("%H:%M %d/%m/%Y")
