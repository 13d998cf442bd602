"""The dossier lifecycle: one state machine, replayed from the append-only events.

Pure: no ORM. `replay(events, rule=..., calendar=...)` folds plain `Event`s into a `State`;
`apply` is one step of the fold and raises `TransitionError` for a move the lifecycle does not
allow. The services persist the result; `status` is assigned nowhere else.

Rules (sources in docs/dossiers.md):
* received → the due date is the legal limit counted from receipt on the working-day calendar
  (Decree 118/2025/NĐ-CP; after-hours receipt counts from the next working morning);
* supplement requested and financial obligation stop the clock; the due date moves by exactly
  the paused working time; a supplement may be requested once (one written guidance);
* an apology & re-appointment is allowed only before the due date, with a reason and a later
  date, once;
* finished early / on time / late compares the finish with the due date (early: an earlier
  calendar day; late: after the due instant).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from govqms.workdays.calendar import Limit, Pause, WorkCalendar

# Status and event-kind values (the same strings as models.Status / models.EventKind; this module
# stays free of Django so that it can be tested and reused on plain data).
NEW_ONLINE, RECEIVED, REFUSED, PROCESSING = "new_online", "received", "refused", "processing"
SUPPLEMENT, FINANCIAL, WITHDRAWN, STOPPED = "supplement", "financial", "withdrawn", "stopped"
FINISHED, RETURNED = "finished", "returned"

OPEN = frozenset({RECEIVED, PROCESSING, SUPPLEMENT, FINANCIAL})
TERMINAL = frozenset({REFUSED, WITHDRAWN, STOPPED, RETURNED})
PAUSED = frozenset({SUPPLEMENT, FINANCIAL})
WORKING = frozenset({RECEIVED, PROCESSING})

# Which event kinds each status accepts ("" = no event yet). "note" is accepted everywhere.
ALLOWED: dict[str, frozenset[str]] = {
    "": frozenset({"submitted", "received", "refused"}),
    NEW_ONLINE: frozenset({"received", "refused", "withdrawn"}),
    RECEIVED: frozenset(
        {
            "step_started",
            "step_finished",
            "supplement_requested",
            "financial_requested",
            "transferred",
            "reappointed",
            "finished",
            "withdrawn",
            "stopped",
        }
    ),
    PROCESSING: frozenset(
        {
            "step_started",
            "step_finished",
            "supplement_requested",
            "financial_requested",
            "transferred",
            "reappointed",
            "finished",
            "withdrawn",
            "stopped",
        }
    ),
    SUPPLEMENT: frozenset({"supplement_provided", "withdrawn", "stopped"}),
    FINANCIAL: frozenset({"financial_fulfilled", "withdrawn", "stopped"}),
    FINISHED: frozenset({"returned"}),
    REFUSED: frozenset(),
    WITHDRAWN: frozenset(),
    STOPPED: frozenset(),
    RETURNED: frozenset(),
}

MAX_SUPPLEMENT_REQUESTS = 1


class TransitionError(ValueError):
    """The event is not allowed in the dossier's current state.

    `code` names the rule that refused it (stable: a key of `TRANSITION_CODES`), `params` its
    plain values (event kind, status, dates as ISO text) and `field` the record field at fault.
    `str(exc)` is an English sentence for logs and developers; people read the translated text
    that `services.transition_message(exc)` renders from the code and params (this module stays
    free of Django, so it does not translate).
    """

    def __init__(self, code: str, *, field: str = "kind", **params: str):
        if code not in TRANSITION_CODES:
            raise ValueError(f"unknown transition error code {code!r}")
        self.code, self.field, self.params = code, field, params
        super().__init__(TRANSITION_CODES[code].format(**params))


#: Every refusal of the lifecycle: code -> English text (for logs; `{name}` = params).
TRANSITION_CODES = {
    "not_allowed": "event '{kind}' is not allowed when the dossier is '{status}'",
    "unknown_kind": "unknown event kind '{kind}'",
    "step_required": "{kind} needs a step code",
    "supplement_once": "a supplement may be requested only once (one written guidance)",
    "transfer_unit": "a transfer names the receiving agency (unit)",
    "reappoint_once": "a dossier may be re-appointed only once",
    "reappoint_no_due": "the dossier has no due date to re-appoint",
    "reappoint_late": (
        "the apology & re-appointment slip must be issued before the due date ({due_at})"
    ),
    "reappoint_reason": "a re-appointment needs a reason",
    "reappoint_date": "a re-appointment needs the new date",
    "reappoint_not_later": "the new date must be later than the current due date",
    "bad_datetime": "{what}: not an ISO 8601 date-time: {value!r}",
    "naive_datetime": "{what} must be a date-time with a time zone",
}


@dataclass(frozen=True)
class Event:
    kind: str
    occurred_at: dt.datetime
    step: str = ""
    actor_label: str = ""
    unit_code: str = ""
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    seq: int = 0


@dataclass(frozen=True)
class DueRule:
    """How the due date is set at receipt: a legal limit, or None (due date from the event)."""

    limit: Limit | None
    due_soon_hours: Decimal = Decimal(8)
    step_budgets: dict[str, Decimal] = field(default_factory=dict)  # step code → working hours


@dataclass
class StepSpan:
    step: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    handler: str = ""
    unit_code: str = ""
    working_seconds: int | None = None
    budget_seconds: int | None = None


@dataclass
class State:
    status: str = ""
    submitted_at: dt.datetime | None = None
    received_at: dt.datetime | None = None
    base_due_at: dt.datetime | None = None  # limit from receipt (or re-appointment), no pauses
    due_at: dt.datetime | None = None
    original_due_at: dt.datetime | None = None
    pauses: list[Pause] = field(default_factory=list)
    paused_since: dt.datetime | None = None
    paused_kind: str = ""
    supplement_requests: int = 0
    reappointed: bool = False
    finished_at: dt.datetime | None = None
    returned_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    competent_unit_code: str = ""
    current_step: str = ""
    current_handler: str = ""
    steps: list[StepSpan] = field(default_factory=list)
    event_count: int = 0
    last_event_at: dt.datetime | None = None
    paused_seconds: int = 0  # all paused working time, in seconds
    pauses_from: int = 0  # pauses[pauses_from:] extend base_due_at (reset by a re-appointment)


def _open_span(state: State, step: str) -> StepSpan | None:
    for span in reversed(state.steps):
        if span.step == step and span.finished_at is None:
            return span
    return None


def apply(state: State, event: Event, *, rule: DueRule, calendar: WorkCalendar) -> State:
    """One transition. Returns a new State; raises TransitionError when not allowed."""
    kind = event.kind
    if kind == "note":
        return dataclasses.replace(state, event_count=state.event_count + 1)
    allowed = ALLOWED.get(state.status, frozenset())
    if kind not in allowed:
        raise TransitionError("not_allowed", kind=kind, status=state.status or "new")
    s = dataclasses.replace(state, pauses=list(state.pauses), steps=list(state.steps))
    at = event.occurred_at
    s.event_count += 1
    s.last_event_at = at

    if kind == "submitted":
        s.status, s.submitted_at = NEW_ONLINE, at
    elif kind == "received":
        s.status, s.received_at = RECEIVED, at
        s.competent_unit_code = event.unit_code or s.competent_unit_code
        explicit = event.data.get("due_at")
        if explicit is not None:
            s.base_due_at = _aware(explicit, "due_at")
        elif rule.limit is not None:
            s.base_due_at = calendar.due(at, rule.limit)
        s.due_at = s.original_due_at = s.base_due_at
    elif kind == "refused":
        s.status, s.closed_at = REFUSED, at
    elif kind == "step_started":
        if not event.step:
            raise TransitionError("step_required", field="step", kind=kind)
        s.status = PROCESSING
        s.steps.append(
            StepSpan(
                step=event.step, started_at=at, handler=event.actor_label, unit_code=event.unit_code
            )
        )
        s.current_step, s.current_handler = event.step, event.actor_label
    elif kind == "step_finished":
        if not event.step:
            raise TransitionError("step_required", field="step", kind=kind)
        s.status = PROCESSING
        span = _open_span(s, event.step)
        if span is None:  # logs often record only completions: the step ran since the last event
            start = state.last_event_at or at
            span = StepSpan(
                step=event.step,
                started_at=start,
                handler=event.actor_label,
                unit_code=event.unit_code,
            )
            s.steps.append(span)
        idx = s.steps.index(span)
        s.steps[idx] = _closed(span, at, calendar, rule)
        if s.current_step == event.step:
            s.current_step = ""
    elif kind == "supplement_requested":
        if s.supplement_requests >= MAX_SUPPLEMENT_REQUESTS:
            raise TransitionError("supplement_once")
        s.supplement_requests += 1
        s.status, s.paused_since, s.paused_kind = SUPPLEMENT, at, kind
    elif kind == "financial_requested":
        s.status, s.paused_since, s.paused_kind = FINANCIAL, at, kind
    elif kind in ("supplement_provided", "financial_fulfilled"):
        s.pauses.append(Pause(start=s.paused_since, end=at, reason=s.paused_kind))
        s.status, s.paused_since, s.paused_kind = PROCESSING, None, ""
        s.paused_seconds = int(calendar.paused_working_time(s.pauses).total_seconds())
        if s.base_due_at is not None:
            s.due_at = calendar.extend_for_pauses(s.base_due_at, s.pauses[s.pauses_from :])
    elif kind == "transferred":
        target = event.unit_code or event.data.get("to_unit", "")
        if not target:
            raise TransitionError("transfer_unit", field="unit")
        s.competent_unit_code = target
    elif kind == "reappointed":
        _reappoint(s, event)
    elif kind == "finished":
        s.status, s.finished_at = FINISHED, at
        s.current_step = ""
        for i, span in enumerate(s.steps):
            if span.finished_at is None:
                s.steps[i] = _closed(span, at, calendar, rule)
    elif kind == "returned":
        s.status, s.returned_at, s.closed_at = RETURNED, at, at
    elif kind in ("withdrawn", "stopped"):
        if s.paused_since is not None:
            s.pauses.append(Pause(start=s.paused_since, end=at, reason=s.paused_kind))
            s.paused_since, s.paused_kind = None, ""
        s.status, s.closed_at = (WITHDRAWN if kind == "withdrawn" else STOPPED), at
    return s


def _reappoint(s: State, event: Event) -> None:
    if s.reappointed:
        raise TransitionError("reappoint_once")
    if s.due_at is None:
        raise TransitionError("reappoint_no_due", field="occurred_at")
    if event.occurred_at >= s.due_at:
        raise TransitionError("reappoint_late", field="occurred_at", due_at=s.due_at.isoformat())
    if not event.reason.strip():
        raise TransitionError("reappoint_reason", field="reason")
    raw = event.data.get("new_due_at")
    if raw is None:
        raise TransitionError("reappoint_date", field="new_due_at")
    new_due = _aware(raw, "new_due_at")
    if new_due <= s.due_at:
        raise TransitionError("reappoint_not_later", field="new_due_at")
    s.reappointed = True
    # The new date already accounts for the pauses so far; later pauses extend it.
    s.base_due_at, s.due_at = new_due, new_due
    s.pauses_from = len(s.pauses)


def _closed(span: StepSpan, at: dt.datetime, calendar: WorkCalendar, rule: DueRule) -> StepSpan:
    worked = calendar.working_time_between(span.started_at, at) if at > span.started_at else None
    budget = rule.step_budgets.get(span.step)
    return dataclasses.replace(
        span,
        finished_at=at,
        working_seconds=int(worked.total_seconds()) if worked is not None else 0,
        budget_seconds=int(Decimal(budget) * 3600) if budget is not None else None,
    )


def _aware(value: Any, what: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise TransitionError("bad_datetime", field=what, what=what, value=value) from exc
    if not isinstance(value, dt.datetime) or value.tzinfo is None:
        raise TransitionError("naive_datetime", field=what, what=what)
    return value


def replay(events: Iterable[Event], *, rule: DueRule, calendar: WorkCalendar) -> State:
    """Fold events (in occurrence order, then arrival order) into the dossier's state."""
    state = State()
    for event in sorted(events, key=lambda e: (e.occurred_at, e.seq)):
        state = apply(state, event, rule=rule, calendar=calendar)
    return state


# --- Timeliness ------------------------------------------------------------------------------

EARLY, ON_TIME, LATE = "early", "on_time", "late"
WITHIN, DUE_SOON, OVERDUE = "within", "due_soon", "overdue"


def timeliness(state: State, *, now: dt.datetime, rule: DueRule, calendar: WorkCalendar) -> str:
    """Finished early / on time / late; open within limit / due soon / overdue; '' otherwise."""
    due = state.due_at
    if due is None:
        return ""
    if state.finished_at is not None:
        done = state.finished_at
        if done > due:
            return LATE
        if calendar.local(done).date() < calendar.local(due).date():
            return EARLY
        return ON_TIME
    if state.status not in OPEN:
        return ""
    if state.paused_since is not None:
        # The clock is stopped: judge against the due date as it stands when the pause began.
        now = state.paused_since
    if now > due:
        return OVERDUE
    remaining = calendar.working_time_between(now, due)
    if remaining <= dt.timedelta(hours=float(rule.due_soon_hours)):
        return DUE_SOON
    return WITHIN
