"""Replaying one dossier: its stored events, then the batch's records in occurrence order, with
`workflows.apply` (the same fold as `services.dossier_rebuild`), so the derived state always
equals a rebuild. A record the lifecycle refuses is rejected, or kept as a note
(`on_violation="note"`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from django.utils.translation import gettext as _

from govqms.org.models import OrgUnit

from .. import workflows
from ..models import Dossier, EventKind
from ..services import dossier_calendar_code, transition_message
from .lookups import Rules
from .records import NOTE, OPENING_KINDS, Record

Reject = Callable[[int, str, str], None]


@dataclass(eq=False)
class Group:
    """The records of one dossier in this batch."""

    dossier: Dossier | None  # None: a new dossier
    records: list[Record] = field(default_factory=list)
    opening: Record | None = None
    version_id: int | None = None
    unit: OrgUnit | None = None  # competent unit: calendar and permission scope
    stored: list[workflows.Event] = field(default_factory=list)
    accepted: list[tuple[Record, workflows.Event]] = field(default_factory=list)
    state: workflows.State | None = None
    calendar_code: str = ""  # the dossier's (stored, or named by the records opening it)


def _event_of(record: Record, unit_code: str, seq: int = 0) -> workflows.Event:
    return workflows.Event(
        kind=record.kind,
        occurred_at=record.occurred_at,
        step=record.step,
        actor_label=record.actor_label,
        unit_code=unit_code,
        reason=record.reason,
        data=record.data,
        seq=seq,
    )


def _as_note(event: workflows.Event, exc: workflows.TransitionError) -> workflows.Event:
    # Stored data: the stable code and the English text of workflows, not a translation.
    lifecycle = {"kind": event.kind, "field": exc.field, "code": exc.code, "error": str(exc)}
    data = {**event.data, "lifecycle": lifecycle}
    return dataclasses.replace(event, kind=EventKind.NOTE.value, data=data)


def _step(state, events, event, *, in_order: bool, rule, calendar) -> workflows.State:
    if in_order:  # the usual case: apply on top of the state so far
        return workflows.apply(state, event, rule=rule, calendar=calendar)
    return workflows.replay([*events, event], rule=rule, calendar=calendar)


def _fold(
    group: Group, *, rule: workflows.DueRule, calendar, on_violation: str, reject: Reject
) -> int:
    """Replay the stored events, then add the group's records in occurrence order; fills
    group.accepted and group.state. Returns how many records became notes."""
    events = list(group.stored)
    state = workflows.replay(events, rule=rule, calendar=calendar)
    last = max((e.occurred_at for e in events), default=None)
    seq = max((e.seq for e in events), default=0)
    noted = 0
    for record in sorted(group.records, key=lambda r: (r.occurred_at, r.index)):
        unit_code = record.unit.code if record.unit is not None else ""
        if not unit_code and group.dossier is None and record.kind in OPENING_KINDS:
            unit_code = group.unit.code  # like dossier_open: the receipt names the competent unit
        event = _event_of(record, unit_code, seq + 1)
        # Replay sorts by (occurred_at, seq) and this seq is the highest: not older than the
        # last event means "append"; older means a full replay with the event inserted.
        in_order = last is None or event.occurred_at >= last
        try:
            try:
                state = _step(state, events, event, in_order=in_order, rule=rule, calendar=calendar)
            except workflows.TransitionError as exc:
                if on_violation != NOTE:
                    raise
                event = _as_note(event, exc)
                state = _step(state, events, event, in_order=in_order, rule=rule, calendar=calendar)
                noted += 1
        except workflows.TransitionError as exc:
            reject(record.index, exc.field, transition_message(exc))
            continue
        except (ValueError, TypeError, OverflowError) as exc:  # calendar maths on odd data
            message = _("Không tính được với ngày giờ này: %(error)s") % {"error": exc}
            reject(record.index, "occurred_at", message)
            continue
        seq += 1
        events.append(event)
        group.accepted.append((record, event))
        last = event.occurred_at if last is None else max(last, event.occurred_at)
    group.state = state
    return noted


def _setdefault(errors: dict, index: int, field_name: str, message: str) -> None:
    errors.setdefault(index, (field_name, message))


def calendar_code(items: Sequence) -> str | None:
    """`services.dossier_calendar_code` of events (or records, seq 0) in replay order."""
    named = [
        (item.occurred_at, getattr(item, "seq", 0), item)
        for item in items
        if item.kind in OPENING_KINDS and item.data.get("calendar")
    ]
    if not named:
        return None
    return dossier_calendar_code([min(named, key=lambda n: n[:2])[2]])


def _keep_calendar(group: Group, reject: Reject) -> None:
    """A stored dossier keeps the calendar it was opened with: a record naming another one is
    rejected (field `calendar`)."""
    kept = []
    for rec in group.records:
        named = dossier_calendar_code([rec])
        if named and named != group.calendar_code:
            message = _("Hồ sơ %(dossier)s được xét theo lịch %(calendar)s; không đổi lịch được.")
            code = group.dossier.code
            reject(
                rec.index, "calendar", message % {"dossier": code, "calendar": group.calendar_code}
            )
            continue
        kept.append(rec)
    group.records = kept


def replay_group(group: Group, rules: Rules, calendars, on_violation: str, reject: Reject) -> int:
    """Fold one dossier's records; report its errors. Returns the number of notes.

    The calendar: a stored dossier's own (`Dossier.calendar_code`); a new dossier's is the one
    its earliest submitted or received record names (else the cache's default), replayed once
    more if that record was refused."""
    if group.dossier is not None:
        group.calendar_code = group.dossier.calendar_code
        _keep_calendar(group, reject)
        attempts = 1
    else:
        group.calendar_code = (calendar_code(group.records) or calendars.calendar_code).upper()
        attempts = 2
    for _attempt in range(attempts):
        code = group.calendar_code
        try:
            calendar = calendars.for_unit(group.unit, code)
        except (ValueError, LookupError) as exc:
            message = _("Không có lịch làm việc '%(code)s': %(error)s")
            for rec in group.records:
                reject(rec.index, "calendar", message % {"code": code, "error": exc})
            return 0
        group.accepted, errors = [], {}
        try:
            noted = _fold(
                group,
                rule=rules[group.version_id],
                calendar=calendar,
                on_violation=on_violation,
                reject=partial(_setdefault, errors),
            )
        except (ValueError, TypeError) as exc:  # the stored events themselves do not replay
            message = _(
                "Các sự kiện đã lưu của hồ sơ này không tái lập được (%(error)s); hãy kiểm tra "
                "bằng `govqms rebuild-dossiers`."
            )
            for rec in group.records:
                reject(rec.index, "dossier_code", message % {"error": exc})
            group.accepted = []
            return 0
        if group.dossier is not None:
            break
        accepted = calendar_code([e for _r, e in group.accepted]) or calendars.calendar_code
        if accepted.upper() == code:
            break
        group.calendar_code = accepted.upper()  # the record naming it was refused: once more
    if group.dossier is None and not group.state.status:
        message = _("Hồ sơ mới phải bắt đầu bằng sự kiện submitted, received hoặc refused.")
        for rec, _event in group.accepted:
            errors[rec.index] = ("kind", message)
        group.accepted, noted = [], 0
    for index, (field_name, message) in errors.items():
        reject(index, field_name, message)
    return noted
