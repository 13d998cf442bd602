"""Loss-free bulk ingestion of dossier events (DESIGN §5.1; docs/ingestion.md).

`events_ingest` takes a batch of plain records (one dossier event each, from the API, a CSV or
Excel file, or an XES log) and lands it in ONE transaction, set-based:

* idempotent: every record carries a `source_id`, unique within its `source` (backed by the
  `dossiers_event_source` constraint); a record already stored, or repeated unchanged within the
  batch, counts as `duplicated` and is never applied twice;
* per-record errors: a bad record gets its own {index, field, message} and the rest still land;
  a move the lifecycle does not allow (`workflows.TransitionError`) rejects that record only;
* derived state: each touched dossier is replayed in Python with `workflows.apply` (a record
  older than the dossier's last event triggers a full replay with it inserted), the events are
  bulk-inserted with `seq` continuing per dossier, the dossier rows bulk-updated and their step
  records rewritten, so the cache always equals `services.dossier_rebuild`;
* one audit entry per batch (action "import") with the counts and a SHA-256 over the canonical
  JSON of the accepted events (`events_digest` recomputes it from the database).

The queries do not grow with the batch: a handful per batch (chunked `IN` lists), none per
record. Calendars are cached per (unit, calendar code), due-date rules per procedure version.
Rows are written set-based: on PostgreSQL by COPY (events, step records, new dossiers with ids
drawn from the sequence) and one UPDATE ... FROM for the existing dossiers; elsewhere by
executemany. Throughput and where the time goes: docs/ingestion.md.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial, reduce
from operator import or_
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    Case,
    DateField,
    DateTimeField,
    DecimalField,
    F,
    JSONField,
    Q,
    TimeField,
    When,
)
from django.utils import timezone

from govqms.core.audit import audit_append
from govqms.core.scoping import scope_for
from govqms.org.models import OrgUnit
from govqms.procedures.models import ProcedureVersion, Step

from . import workflows
from .models import Channel, Dossier, DossierEvent, EventKind, StepRecord
from .selectors import authority_of
from .services import (
    DERIVED_FIELDS,
    CalendarCache,
    dossier_calendar_code,
    state_assign,
    version_rule,
)

MAX_BATCH = 10_000
#: A caller needs one of these at a record's competent unit (actor=None: the system).
PERMISSIONS = ("dossier.receive", "dossier.process")
#: What a lifecycle violation does: reject the record, or keep it as a `note` event that says
#: what the source claimed and why the lifecycle refused it (foreign event logs).
REJECT, NOTE = "reject", "note"
_IN_CHUNK = 900  # SQLite's historical bound on query parameters
_IN_CHUNK_PG = 10_000

KINDS = frozenset(EventKind.values)
CHANNELS = frozenset(Channel.values)
OPENING_KINDS = frozenset({EventKind.SUBMITTED, EventKind.RECEIVED})
#: Record fields and their maximum length (text fields); `data` is an object.
TEXT_FIELDS = {
    "source_id": 160,
    "kind": 24,
    "dossier_code": 60,
    "dossier_source_id": 120,
    "procedure": 60,
    "receiving_unit": 40,
    "competent_unit": 40,
    "returning_unit": 40,
    "channel": 10,
    "step": 30,
    "actor": 150,
    "unit": 40,
    "reason": 5000,
    "calendar": 20,
    "applicant_name": 200,
    "applicant_phone": 20,
    "applicant_email": 254,
    "applicant_id_number": 20,
}
INSTANT_FIELDS = ("occurred_at", "due_at", "new_due_at")
UNIT_ROLES = ("receiving_unit", "competent_unit", "returning_unit")
APPLICANT_FIELDS = ("applicant_name", "applicant_phone", "applicant_email", "applicant_id_number")
AUDIT_FIELDS = (
    "source",
    "records",
    "accepted",
    "duplicated",
    "rejected",
    "noted",
    "dossiers_created",
    "dossiers_updated",
    "sha256",
)


class BatchTooLarge(ValueError):
    """More than MAX_BATCH records: split the batch (nothing was written)."""


@dataclass(frozen=True)
class IngestError:
    index: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "field": self.field, "message": self.message}


@dataclass
class IngestResult:
    source: str
    records: int = 0
    accepted: int = 0
    duplicated: int = 0
    rejected: int = 0
    noted: int = 0  # accepted as notes because the lifecycle refused them (on_violation="note")
    dossiers_created: int = 0
    dossiers_updated: int = 0
    sha256: str = ""
    errors: list[IngestError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["errors"] = [e.as_dict() for e in self.errors]
        return data

    def add(self, other: IngestResult) -> None:
        """Sum the counts of another batch (errors are kept by the caller)."""
        for name in ("records", "accepted", "duplicated", "rejected", "noted"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.dossiers_created += other.dossiers_created
        self.dossiers_updated += other.dossiers_updated


class _Bad(Exception):
    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(slots=True, eq=False)
class _Record:
    index: int
    source_id: str
    kind: str
    occurred_at: dt.datetime
    dossier_code: str
    dossier_sid: str
    step: str
    actor_label: str
    unit_code: str
    reason: str
    data: dict
    data_json: str
    opening: dict | None
    unit: OrgUnit | None = None


@dataclass(eq=False)
class _Group:
    """The records of one dossier in this batch."""

    dossier: Dossier | None  # None: a new dossier
    records: list[_Record] = field(default_factory=list)
    opening: _Record | None = None
    version_id: int | None = None
    unit: OrgUnit | None = None  # competent unit: calendar and permission scope
    stored: list[workflows.Event] = field(default_factory=list)
    accepted: list[tuple[_Record, workflows.Event]] = field(default_factory=list)
    state: workflows.State | None = None
    calendar_code: str | None = None


# --- Parsing -----------------------------------------------------------------------------------


def parse_instant(value: Any, what: str = "occurred_at") -> dt.datetime:
    """An aware datetime from an ISO 8601 string (or an aware datetime); naive is refused."""
    if isinstance(value, dt.datetime):
        parsed, text = value, value.isoformat()
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise _Bad(what, f"not an ISO 8601 date-time: {text!r}") from None
    elif value is None or value == "":
        raise _Bad(what, "is required")
    else:
        raise _Bad(what, f"must be an ISO 8601 date-time string, got {type(value).__name__}")
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise _Bad(
            what,
            f"{text!r} has no time zone: give the UTC offset, "
            "e.g. 2026-03-03T09:00:00+07:00 or 2026-03-03T02:00:00Z",
        )
    return parsed


def _text(key: str, value: Any) -> str:
    if type(value) is str:
        value = value.strip()
    elif isinstance(value, bool) or not isinstance(value, str | int):
        raise _Bad(key, f"must be text, got {type(value).__name__}")
    else:
        value = str(value).strip()
    limit = TEXT_FIELDS[key]
    if len(value) > limit:
        raise _Bad(key, f"is longer than {limit} characters")
    return value


def _source_id(raw: Any) -> str:
    if not isinstance(raw, Mapping):
        raise _Bad("", "a record must be an object")
    sid = _text("source_id", raw.get("source_id") or "")
    if not sid:
        raise _Bad("source_id", "is required (the record's id in its source system)")
    return sid


_quote = json.encoder.encode_basestring  # the escaping json.dumps(ensure_ascii=False) uses


class _RawJSON(str):
    """JSON already serialized (canonical form): stored and hashed as it is."""


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )


def _parse(index: int, raw: Mapping, sid: str) -> _Record:
    values: dict[str, Any] = {}
    for key, value in raw.items():  # one pass: only the fields present
        if value is None or value == "":
            continue
        if key in TEXT_FIELDS:
            values[key] = _text(key, value)
        elif key in INSTANT_FIELDS or key == "data":
            values[key] = value
        else:
            raise _Bad(key, "unknown field (see docs/ingestion.md for the record format)")
    get = values.get
    kind = get("kind", "")
    if not kind:
        raise _Bad("kind", "is required")
    if kind not in KINDS:
        raise _Bad("kind", f"unknown event kind {kind!r} (one of: {', '.join(sorted(KINDS))})")
    occurred_at = parse_instant(get("occurred_at"), "occurred_at")
    dossier_code, dossier_sid = get("dossier_code", ""), get("dossier_source_id", "")
    if not dossier_code and not dossier_sid:
        raise _Bad("dossier_code", "give the dossier: dossier_code or dossier_source_id")
    data = get("data") or {}
    if not isinstance(data, Mapping):
        raise _Bad("data", "must be an object")
    data = dict(data)
    for key in ("due_at", "new_due_at"):
        if key in values:
            data[key] = parse_instant(values[key], key).isoformat()
    calendar = get("calendar", "").upper()
    if calendar:
        if kind not in OPENING_KINDS:
            raise _Bad("calendar", "only a submitted or received event names the calendar")
        data["calendar"] = calendar
    try:
        data_json = _RawJSON(canonical_json(data))
    except (TypeError, ValueError):
        raise _Bad("data", "must be plain JSON (text, numbers, lists, objects)") from None
    opening = None
    procedure = get("procedure", "")
    if procedure:
        channel = get("channel", "")
        if channel not in CHANNELS:
            raise _Bad("channel", f"is required to open a dossier: one of {sorted(CHANNELS)}")
        receiving = get("receiving_unit", "")
        if not receiving:
            raise _Bad("receiving_unit", "is required to open a dossier")
        email = get("applicant_email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise _Bad("applicant_email", "not an e-mail address") from None
        opening = {
            "procedure": procedure,
            "channel": channel,
            "receiving_unit": receiving,
            "competent_unit": get("competent_unit", ""),  # default: the desk's authority
            "returning_unit": get("returning_unit", "") or receiving,
            **{k: get(k, "") for k in APPLICANT_FIELDS},
        }
    return _Record(
        index=index,
        source_id=sid,
        kind=kind,
        occurred_at=occurred_at,
        dossier_code=dossier_code,
        dossier_sid=dossier_sid,
        step=get("step", ""),
        actor_label=get("actor", ""),
        unit_code=get("unit", ""),
        reason=get("reason", ""),
        data=data,
        data_json=data_json,
        opening=opening,
    )


# --- Lookups (a few queries per batch) ---------------------------------------------------------


def _chunks(values: Sequence, size: int = 0) -> Iterable[Sequence]:
    size = size or (_IN_CHUNK_PG if connection.vendor == "postgresql" else _IN_CHUNK)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _stored_source_ids(source: str, sids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    if connection.vendor == "postgresql":  # one array parameter instead of thousands
        table = connection.ops.quote_name(DossierEvent._meta.db_table)
        with connection.cursor() as cursor:
            for chunk in _chunks(list(sids), 50_000):
                cursor.execute(
                    f"SELECT source_id FROM {table} WHERE source = %s "  # noqa: S608
                    "AND source_id = ANY(%s::text[])",
                    [source, list(chunk)],
                )
                found.update(row[0] for row in cursor.fetchall())
        return found
    for chunk in _chunks(list(sids)):
        found.update(
            DossierEvent.objects.filter(source=source, source_id__in=chunk).values_list(
                "source_id", flat=True
            )
        )
    return found


def _units_by_code(codes: Iterable[str]) -> dict[str, list[OrgUnit]]:
    """Every unit (current or closed) holding one of `codes`, by code."""
    result: dict[str, list[OrgUnit]] = defaultdict(list)
    for chunk in _chunks(sorted(set(codes) - {""})):
        for unit in OrgUnit.objects.filter(code__in=chunk):
            result[unit.code].append(unit)
    return result


def _unit_on(candidates: list[OrgUnit], day: dt.date) -> OrgUnit | None:
    """The unit valid on `day` (historical imports), else the current one, else the latest."""
    for unit in candidates:
        if (unit.valid_from is None or unit.valid_from <= day) and (
            unit.valid_to is None or day < unit.valid_to
        ):
            return unit
    current = [u for u in candidates if u.valid_to is None]
    if current:
        return current[0]
    return max(candidates, key=lambda u: u.valid_to, default=None)


def _ancestor_paths(path: str) -> list[str]:
    """`path` and its ancestors' paths, deepest first."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[:i]) + "/" for i in range(len(parts), 0, -1)]


def _active_versions(pairs: set[tuple[str, OrgUnit]]) -> dict[tuple[str, int], ProcedureVersion]:
    """(procedure code, unit) -> the active version declared at the unit or its nearest
    ancestor. One query for all pairs."""
    codes = sorted({code for code, _unit in pairs})
    paths = sorted({p for _code, unit in pairs for p in _ancestor_paths(unit.path)})
    found: dict[tuple[str, str], ProcedureVersion] = {}
    for chunk in _chunks(paths):
        for version in (
            ProcedureVersion.objects.active()
            .filter(procedure__code__in=codes, unit__path__in=chunk)
            .select_related("procedure", "unit")
        ):
            found[(version.procedure.code, version.unit.path)] = version
    result = {}
    for code, unit in pairs:
        for path in _ancestor_paths(unit.path):
            if (code, path) in found:
                result[(code, unit.pk)] = found[(code, path)]
                break
    return result


class _Rules:
    """Due-date rules per procedure version, loaded in bulk and cached."""

    def __init__(self):
        self._rules: dict[int, workflows.DueRule] = {}

    def load(self, version_ids: Iterable[int]) -> None:
        missing = sorted(set(version_ids) - set(self._rules))
        if not missing:
            return
        steps = defaultdict(list)
        for step in Step.objects.filter(version_id__in=missing):
            steps[step.version_id].append(step)
        for version in ProcedureVersion.objects.filter(pk__in=missing):
            self._rules[version.pk] = version_rule(version, steps[version.pk])

    def __getitem__(self, version_id: int) -> workflows.DueRule:
        return self._rules[version_id]


#: The replay reads `data` only on these kinds (due dates, the calendar, a transfer's target):
#: the others' data is not loaded.
DATA_KINDS = ("submitted", "received", "reappointed", "transferred")
DATA_READ = Case(When(kind__in=DATA_KINDS, then=F("data")), default=None, output_field=JSONField())


def _stored_events(dossier_ids: Sequence[int]) -> dict[int, list[workflows.Event]]:
    rows_by_dossier: dict[int, list[tuple]] = defaultdict(list)
    unit_ids: set[int] = set()
    for chunk in _chunks(list(dossier_ids)):
        for row in (
            DossierEvent.objects.filter(dossier_id__in=chunk)
            .annotate(used_data=DATA_READ)
            .values_list(
                "dossier_id", "seq", "kind", "occurred_at", "step", "actor_label", "unit_id",
                "reason", "used_data",
            )
        ):  # fmt: skip
            rows_by_dossier[row[0]].append(row)
            if row[6]:
                unit_ids.add(row[6])
    codes = dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "code"))
    result = {}
    for dossier_id, rows in rows_by_dossier.items():
        rows.sort(key=lambda r: (r[3], r[1]))
        result[dossier_id] = [
            workflows.Event(
                kind=kind,
                occurred_at=at,
                step=step,
                actor_label=label,
                unit_code=codes.get(unit_id, "") if unit_id else "",
                reason=reason,
                data=data or {},
                seq=seq,
            )
            for _d, seq, kind, at, step, label, unit_id, reason, data in rows
        ]
    return result


def _current_units(codes: Iterable[str], known: dict[str, OrgUnit]) -> dict[str, OrgUnit]:
    """Current units by code (transfer targets, step units), reusing the ones already loaded."""
    result = {c: u for c, u in known.items() if u.valid_to is None}
    missing = sorted(set(codes) - set(result) - {""})
    for chunk in _chunks(missing):
        result.update({u.code: u for u in OrgUnit.objects.current().filter(code__in=chunk)})
    return result


# --- Replay -------------------------------------------------------------------------------------


def _event_of(record: _Record, unit_code: str, seq: int = 0) -> workflows.Event:
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
    data = {**event.data, "lifecycle": {"kind": event.kind, "field": exc.field, "error": str(exc)}}
    return dataclasses.replace(event, kind=EventKind.NOTE.value, data=data)


def _step(state, events, event, *, in_order: bool, rule, calendar) -> workflows.State:
    if in_order:  # the usual case: apply on top of the state so far
        return workflows.apply(state, event, rule=rule, calendar=calendar)
    return workflows.replay([*events, event], rule=rule, calendar=calendar)


def _fold(
    group: _Group,
    *,
    rule: workflows.DueRule,
    calendar,
    on_violation: str,
    reject: Callable[[int, str, str], None],
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
            reject(record.index, exc.field, str(exc))
            continue
        except (ValueError, TypeError, OverflowError) as exc:  # calendar maths on odd data
            reject(record.index, "occurred_at", f"cannot compute with this date: {exc}")
            continue
        seq += 1
        events.append(event)
        group.accepted.append((record, event))
        last = event.occurred_at if last is None else max(last, event.occurred_at)
    group.state = state
    return noted


# --- Digest ------------------------------------------------------------------------------------


def _canonical_event(
    *, code: str, seq: int, kind: str, occurred_at: dt.datetime, step: str, actor_label: str,
    unit_code: str, reason: str, data_json: str, source_id: str,
) -> tuple[str, str]:  # fmt: skip
    """(source_id, canonical JSON of the event): what `canonical_json` gives for
    {actor, data, dossier, kind, occurred_at, reason, seq, source_id, step, unit}, written out
    (keys in sorted order, strings escaped by json's own encoder, `data` already canonical)."""
    q = _quote
    at = occurred_at.astimezone(dt.UTC).isoformat()
    return source_id, (
        f'{{"actor":{q(actor_label)},"data":{data_json},"dossier":{q(code)},"kind":{q(kind)},'
        f'"occurred_at":{q(at)},"reason":{q(reason)},"seq":{int(seq)},'
        f'"source_id":{q(source_id)},"step":{q(step)},"unit":{q(unit_code)}}}'
    )


def _digest(source: str, events: list[tuple[str, str]]) -> str:
    """SHA-256 over {"events": [...sorted by source_id], "source": ...} in canonical JSON."""
    events = sorted(events)
    blob = f'{{"events":[{",".join(e for _sid, e in events)}],"source":{canonical_json(source)}}}'
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def events_digest(*, source: str, source_ids: Iterable[str]) -> str:
    """Recompute a batch's SHA-256 from the stored events (compare with its audit entry)."""
    events = []
    for chunk in _chunks(sorted(set(source_ids))):
        rows = DossierEvent.objects.filter(source=source, source_id__in=chunk).select_related(
            "dossier", "unit"
        )
        for row in rows:
            events.append(
                _canonical_event(
                    code=row.dossier.code,
                    seq=row.seq,
                    kind=row.kind,
                    occurred_at=row.occurred_at,
                    step=row.step,
                    actor_label=row.actor_label,
                    unit_code=row.unit.code if row.unit_id else "",
                    reason=row.reason,
                    data_json=canonical_json(row.data or {}),
                    source_id=row.source_id,
                )
            )
    return _digest(source, events)


# --- The service --------------------------------------------------------------------------------


def events_ingest(
    *,
    actor,
    source: str,
    records: Sequence[Mapping[str, Any]],
    on_violation: str = REJECT,
    calendars: CalendarCache | None = None,
    now: dt.datetime | None = None,
) -> IngestResult:
    """Land a batch of dossier event records; see the module docstring and docs/ingestion.md.

    `actor=None` is the system (no permission check). Raises BatchTooLarge (nothing written)
    for more than MAX_BATCH records and ValueError for a bad `source`; everything else wrong
    with a record is reported in `IngestResult.errors` and the other records still land.
    """
    source = (source or "").strip()
    if not source or len(source) > 60:
        raise ValueError("source must be a name of 1-60 characters")
    if len(records) > MAX_BATCH:
        raise BatchTooLarge(
            f"{len(records)} records in one batch; at most {MAX_BATCH}: split it "
            "(records already stored are skipped on resend, so any split is safe)"
        )
    if on_violation not in (REJECT, NOTE):
        raise ValueError(f"on_violation must be {REJECT!r} or {NOTE!r}")
    calendars = calendars or CalendarCache()
    now = now or timezone.now()
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _ingest(actor, source, records, on_violation, calendars, now)
        except IntegrityError:
            # A concurrent batch landed the same event or opened the same dossier first; the
            # retry sees its rows as stored (duplicates / existing dossiers).
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _ingest(actor, source, records, on_violation, calendars, now) -> IngestResult:
    batch = _Batch(source, records)
    batch.dedupe()
    batch.parse()
    batch.resolve_units()
    batch.group()
    batch.authorize(actor)
    batch.resolve_versions()
    batch.replay(on_violation, calendars)
    _write(source, [g for g in batch.live if g.accepted], batch.result, now, calendars, batch.rules)
    result = batch.result
    result.errors = sorted(batch.errors.values(), key=lambda e: e.index)
    result.rejected = len(result.errors)
    if result.accepted or result.rejected:
        audit_append(
            actor=actor,
            action="import",
            object_type="dossiers.dossierevent",
            object_id=source,
            object_label=f"{source}: {result.accepted} events"[:255],
            unit_path=_common_path(g.unit.path for g in batch.groups.values() if g.unit),
            changes={name: getattr(result, name) for name in AUDIT_FIELDS},
            reason="events_ingest",
        )
    return result


class _Batch:
    """The steps of one batch; each step drops the records it rejects."""

    def __init__(self, source: str, records: Sequence[Mapping[str, Any]]):
        self.source, self.raw = source, records
        self.result = IngestResult(source=source, records=len(records))
        self.errors: dict[int, IngestError] = {}
        self.candidates: list[tuple[int, str]] = []
        self.records: list[_Record] = []
        self.groups: dict[Any, _Group] = {}
        self.rules = _Rules()

    def reject(self, index: int, field_name: str, message: str) -> None:
        self.errors.setdefault(index, IngestError(index, field_name, message))

    def _reject_group(self, group: _Group, field_name: str, message: str) -> None:
        for rec in group.records:
            self.reject(rec.index, field_name, message)
        group.records = []

    @property
    def live(self) -> list[_Group]:
        return [g for g in self.groups.values() if g.records]

    def dedupe(self) -> None:
        """Repeats within the batch (same content: duplicated; else rejected), then the source
        ids already stored (duplicated)."""
        first_at: dict[str, int] = {}
        for index, raw in enumerate(self.raw):
            try:
                sid = _source_id(raw)
            except _Bad as bad:
                self.reject(index, bad.field, bad.message)
                continue
            first = first_at.setdefault(sid, index)
            if first == index:
                self.candidates.append((index, sid))
            elif self.raw[first] == raw:
                self.result.duplicated += 1
            else:
                self.reject(
                    index,
                    "source_id",
                    f"source_id {sid!r} is repeated in this batch (first at index {first}) "
                    "with different content",
                )
        stored = _stored_source_ids(self.source, [sid for _i, sid in self.candidates])
        self.result.duplicated += sum(1 for _i, sid in self.candidates if sid in stored)
        self.candidates = [(i, sid) for i, sid in self.candidates if sid not in stored]

    def parse(self) -> None:
        for index, sid in self.candidates:
            try:
                self.records.append(_parse(index, self.raw[index], sid))
            except _Bad as bad:
                self.reject(index, bad.field, bad.message)

    def resolve_units(self) -> None:
        """Unit codes -> the unit valid on the event's day."""
        codes = set()
        for rec in self.records:
            codes.add(rec.unit_code)
            if rec.opening:
                codes.update(rec.opening[k] for k in UNIT_ROLES)
        units = _units_by_code(codes)
        authorities: dict[int, OrgUnit] = {}
        kept = []
        for rec in self.records:
            if not rec.unit_code and not rec.opening:
                kept.append(rec)
                continue
            day = timezone.localdate(rec.occurred_at)
            try:
                if rec.unit_code:
                    rec.unit = _unit_on(units.get(rec.unit_code, []), day)
                    if rec.unit is None:
                        raise _Bad("unit", f"no unit with code {rec.unit_code!r}")
                for key in UNIT_ROLES if rec.opening else ():
                    if key == "competent_unit" and not rec.opening[key]:
                        desk = rec.opening["receiving_unit_obj"]
                        if desk.pk not in authorities:
                            authorities[desk.pk] = authority_of(desk)
                        rec.opening[f"{key}_obj"] = authorities[desk.pk]
                        continue
                    unit = _unit_on(units.get(rec.opening[key], []), day)
                    if unit is None:
                        raise _Bad(key, f"no unit with code {rec.opening[key]!r}")
                    rec.opening[f"{key}_obj"] = unit
            except _Bad as bad:
                self.reject(rec.index, bad.field, bad.message)
                continue
            kept.append(rec)
        self.records = kept

    def group(self) -> None:
        """By dossier: existing ones (locked) by code or source id; new ones by code, else by
        source id (a record giving both links the two)."""
        by_code, by_sid = _existing_dossiers(self.source, self.records)
        alias: dict[str, str] = {}
        for rec in self.records:
            if rec.dossier_code and rec.dossier_sid:
                alias.setdefault(rec.dossier_sid, rec.dossier_code)
        for rec in self.records:
            dossier = by_code.get(rec.dossier_code) or by_sid.get(rec.dossier_sid)
            conflict = _conflict(rec, dossier, alias, self.source)
            if conflict:
                self.reject(rec.index, "dossier_source_id", conflict)
                continue
            if dossier is not None:
                key: Any = dossier.pk
            else:
                code = rec.dossier_code or alias.get(rec.dossier_sid, "")
                key = ("code", code) if code else ("sid", rec.dossier_sid)
            group = self.groups.get(key)
            if group is None:
                group = self.groups[key] = _Group(dossier=dossier)
                if dossier is not None:
                    group.version_id, group.unit = dossier.version_id, dossier.competent_unit
            group.records.append(rec)
        for group in self.groups.values():  # a new dossier: the earliest record naming it opens it
            if group.dossier is None:
                openers = [r for r in group.records if r.opening]
                if not openers:
                    rec = group.records[0]
                    self._reject_group(
                        group,
                        "procedure",
                        f"unknown dossier {rec.dossier_code or rec.dossier_sid!r}: the record "
                        "that opens it must name procedure, receiving_unit and channel",
                    )
                    continue
                group.opening = min(openers, key=lambda r: (r.occurred_at, r.index))
                group.unit = group.opening.opening["competent_unit_obj"]

    def authorize(self, actor) -> None:
        """dossier.receive or dossier.process at each record's competent unit."""
        if actor is None:
            return
        scopes = [scope_for(actor, perm) for perm in PERMISSIONS]
        for group in self.live:
            if not any(scope.covers(group.unit.path) for scope in scopes):
                self._reject_group(
                    group,
                    "competent_unit",
                    "outside your scope: you may not receive or process dossiers of unit "
                    f"{group.unit.code}",
                )

    def resolve_versions(self) -> None:
        """The active version of the procedure declared at the competent unit or its nearest
        ancestor, else at the receiving desk or its nearest ancestor."""
        new = [g for g in self.live if g.dossier is None]
        pairs = set()
        for group in new:
            code, desk = group.opening.opening["procedure"], group.opening.opening
            pairs.update({(code, group.unit), (code, desk["receiving_unit_obj"])})
        versions = _active_versions(pairs) if pairs else {}
        for group in new:
            code = group.opening.opening["procedure"]
            desk = group.opening.opening["receiving_unit_obj"]
            version = versions.get((code, group.unit.pk)) or versions.get((code, desk.pk))
            if version is None:
                self._reject_group(
                    group,
                    "procedure",
                    f"no active version of procedure {code!r} at unit {group.unit.code} or above",
                )
            else:
                group.version_id = version.pk

    def replay(self, on_violation: str, calendars: CalendarCache) -> None:
        live = self.live
        stored = _stored_events([g.dossier.pk for g in live if g.dossier is not None])
        self.rules.load(g.version_id for g in live)
        for group in live:
            if group.dossier is not None:
                group.stored = stored.get(group.dossier.pk, [])
            self.result.noted += _replay_group(
                group, self.rules, calendars, on_violation, self.reject
            )


def _replay_group(group: _Group, rules: _Rules, calendars, on_violation, reject) -> int:
    """Fold one dossier's records; report its errors. Returns the number of notes."""
    code = _calendar_code([*group.stored, *group.records])
    for _attempt in range(2):
        try:
            calendar = calendars.for_unit(group.unit, code)
        except (ValueError, LookupError) as exc:
            for rec in group.records:
                reject(rec.index, "calendar", f"unknown calendar {code!r}: {exc}")
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
            for rec in group.records:
                reject(
                    rec.index,
                    "dossier_code",
                    f"the stored events of this dossier do not replay ({exc}); "
                    "check it with `govqms rebuild-dossiers`",
                )
            group.accepted = []
            return 0
        accepted = _calendar_code([*group.stored, *(e for _r, e in group.accepted)])
        if accepted == code:
            break
        code = accepted  # the record naming the calendar was refused: replay once more
    group.calendar_code = code
    if group.dossier is None and not group.state.status:
        for rec, _event in group.accepted:
            errors[rec.index] = ("kind", "a new dossier begins with submitted, received or refused")
        group.accepted, noted = [], 0
    for index, (field_name, message) in errors.items():
        reject(index, field_name, message)
    return noted


def _setdefault(errors: dict, index: int, field_name: str, message: str) -> None:
    errors.setdefault(index, (field_name, message))


def _calendar_code(items: Sequence) -> str | None:
    """`services.dossier_calendar_code` of events (or records, seq 0) in replay order."""
    named = [
        (item.occurred_at, getattr(item, "seq", 0), item)
        for item in items
        if item.kind in OPENING_KINDS and item.data.get("calendar")
    ]
    if not named:
        return None
    return dossier_calendar_code([min(named, key=lambda n: n[:2])[2]])


def _conflict(rec: _Record, dossier: Dossier | None, alias: dict, source: str) -> str:
    """A record whose dossier_code and dossier_source_id name different dossiers."""
    if not (rec.dossier_code and rec.dossier_sid):
        return ""
    if dossier is not None and dossier.code != rec.dossier_code:
        return f"dossier_source_id {rec.dossier_sid!r} is dossier {dossier.code}"
    if (
        dossier is not None
        and dossier.source == source
        and dossier.source_id
        not in (
            "",
            rec.dossier_sid,
        )
    ):
        return f"dossier {dossier.code} has dossier_source_id {dossier.source_id!r}"
    if dossier is None and alias[rec.dossier_sid] != rec.dossier_code:
        return (
            f"dossier_source_id {rec.dossier_sid!r} names two dossiers in this batch "
            f"({alias[rec.dossier_sid]} and {rec.dossier_code})"
        )
    return ""


def _existing_dossiers(source: str, records: list[_Record]):
    """Existing dossiers (locked) by code, then by source id for the records not found by
    code."""
    qs = Dossier.objects.select_for_update(of=("self",)).select_related("competent_unit")
    by_code: dict[str, Dossier] = {}
    by_sid: dict[str, Dossier] = {}
    for chunk in _chunks(sorted({r.dossier_code for r in records if r.dossier_code})):
        by_code.update({d.code: d for d in qs.filter(code__in=chunk).order_by("pk")})
    sids = sorted({r.dossier_sid for r in records if r.dossier_code not in by_code} - {""})
    for chunk in _chunks(sids):
        found = qs.filter(source=source, source_id__in=chunk).order_by("pk")
        by_sid.update({d.source_id: d for d in found})
    return by_code, by_sid


def _common_path(paths: Iterable[str]) -> str:
    split = [p.strip("/").split("/") for p in paths if p]
    if not split:
        return ""
    common = []
    for parts in zip(*split, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/" + "".join(f"{p}/" for p in common) if common else "/"


# --- Writing ----------------------------------------------------------------------------------


def _write(source, groups: list[_Group], result: IngestResult, now, calendars, rules) -> None:
    if not groups:
        return
    known = {}
    for group in groups:
        for rec, _event in group.accepted:
            if rec.unit is not None:
                known[rec.unit.code] = rec.unit
        if group.unit is not None:
            known.setdefault(group.unit.code, group.unit)
    wanted = {g.state.competent_unit_code for g in groups} | {
        span.unit_code for g in groups for span in g.state.steps
    }
    current = _current_units(wanted, known)

    new_dossiers: list[Dossier] = []
    for group in groups:
        rule = rules[group.version_id]
        calendar = calendars.for_unit(group.unit, group.calendar_code)
        if group.dossier is None:
            opening = group.opening.opening
            group.dossier = Dossier(
                version_id=group.version_id,
                receiving_unit=opening["receiving_unit_obj"],
                competent_unit=opening["competent_unit_obj"],
                returning_unit=opening["returning_unit_obj"],
                channel=opening["channel"],
                applicant_name=opening["applicant_name"],
                applicant_phone=opening["applicant_phone"],
                applicant_email=opening["applicant_email"],
                applicant_id_number=opening["applicant_id_number"],
                source=source,
                source_id=next((r.dossier_sid for r in group.records if r.dossier_sid), ""),
                code=next((r.dossier_code for r in group.records if r.dossier_code), ""),
            )
            new_dossiers.append(group.dossier)
        state_assign(
            group.dossier, group.state, rule=rule, calendar=calendar, now=now, units=current
        )
    _assign_codes([d for d in new_dossiers if not d.code], groups)
    _insert_dossiers(new_dossiers, now)
    created = {id(d) for d in new_dossiers}
    updated = [g.dossier for g in groups if id(g.dossier) not in created]
    _bulk_update_derived(updated)

    canonical, rows = [], []
    for group in groups:
        dossier = group.dossier
        for rec, event in group.accepted:
            unit = rec.unit
            if unit is None and event.unit_code:  # the receipt's competent unit
                unit = group.unit
            unit_id, unit_code = (unit.pk, unit.code) if unit is not None else (None, "")
            data_json = rec.data_json
            if event.data is not rec.data:  # a note made of a refused move
                data_json = _RawJSON(canonical_json(event.data))
            rows.append(
                (
                    dossier.pk, event.seq, event.kind, event.occurred_at, now, None,
                    event.actor_label, event.step, unit_id, event.reason, data_json, source,
                    rec.source_id,
                )
            )  # fmt: skip
            canonical.append(
                _canonical_event(
                    code=dossier.code,
                    seq=event.seq,
                    kind=event.kind,
                    occurred_at=event.occurred_at,
                    step=event.step,
                    actor_label=event.actor_label,
                    unit_code=unit_code,
                    reason=event.reason,
                    data_json=data_json,
                    source_id=rec.source_id,
                )
            )
    _bulk_insert(DossierEvent, EVENT_COLUMNS, rows)
    _write_step_records(groups, current, replace=[d.pk for d in updated])
    result.accepted = len(rows)
    result.dossiers_created = len(new_dossiers)
    result.dossiers_updated = len(updated)
    result.sha256 = _digest(source, canonical)


EVENT_COLUMNS = (
    "dossier_id", "seq", "kind", "occurred_at", "recorded_at", "actor_id", "actor_label", "step",
    "unit_id", "reason", "data", "source", "source_id",
)  # fmt: skip
STEP_COLUMNS = (
    "dossier_id", "step", "started_at", "finished_at", "handler", "unit_id", "working_seconds",
    "budget_seconds",
)  # fmt: skip


def _write_step_records(groups: list[_Group], units: dict[str, OrgUnit], *, replace) -> None:
    for chunk in _chunks(list(replace)):
        StepRecord.objects.filter(dossier_id__in=chunk).delete()
    rows = []
    for group in groups:
        dossier_id = group.dossier.pk
        for span in group.state.steps:
            unit = units.get(span.unit_code) if span.unit_code else None
            rows.append(
                (
                    dossier_id, span.step, span.started_at, span.finished_at, span.handler,
                    unit.pk if unit is not None else None, span.working_seconds,
                    span.budget_seconds,
                )
            )  # fmt: skip
    _bulk_insert(StepRecord, STEP_COLUMNS, rows)


def _bulk_insert(model, attnames: Sequence[str], rows: list[tuple]) -> None:
    """Insert rows that nothing reads back (events, step records), given as tuples in the
    order of `attnames`: COPY on PostgreSQL, executemany elsewhere; several times faster than
    `bulk_create`. Constraint violations still raise django.db.IntegrityError. The only
    PostgreSQL-specific code of the ingest path."""
    if not rows:
        return
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fields = [by_attname[name] for name in attnames]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(f.column) for f in fields)
    if connection.vendor == "postgresql":
        json_at = [i for i, f in enumerate(fields) if isinstance(f, JSONField)]
        with connection.cursor() as cursor, connection.wrap_database_errors:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    if json_at:
                        row = list(row)
                        for i in json_at:
                            if not isinstance(row[i], _RawJSON):
                                row[i] = canonical_json(row[i])
                    copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 (model metadata)
    adapters = [(i, a) for i, f in enumerate(fields) if (a := _sqlite_adapter(f)) is not None]
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, 5000):
            values = []
            for row in chunk:
                row = list(row)
                for i, adapt in adapters:
                    row[i] = adapt(row[i])
                values.append(row)
            cursor.executemany(sql, values)


def _insert_dossiers(dossiers: list[Dossier], now: dt.datetime) -> None:
    """New dossier rows with their ids: on PostgreSQL the ids are drawn from the sequence in
    one query and the rows COPYed; elsewhere one executemany, then the ids read by code."""
    if not dossiers:
        return
    if connection.vendor != "postgresql":  # insert, then read the ids back by the unique code
        fields = [f.attname for f in Dossier._meta.concrete_fields if not f.primary_key]
        for dossier in dossiers:
            dossier.created_at = now
        _bulk_insert(Dossier, fields, [tuple(getattr(d, f) for f in fields) for d in dossiers])
        ids = {}
        for chunk in _chunks([d.code for d in dossiers]):
            ids.update(Dossier.objects.filter(code__in=chunk).values_list("code", "pk"))
        for dossier in dossiers:
            dossier.pk = ids[dossier.code]
            dossier._state.adding, dossier._state.db = False, connection.alias
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Dossier._meta.db_table, len(dossiers)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    fields = [f.attname for f in Dossier._meta.concrete_fields]
    for dossier, pk in zip(dossiers, ids, strict=True):
        dossier.pk, dossier.created_at = pk, now
        dossier._state.adding, dossier._state.db = False, connection.alias
    _bulk_insert(Dossier, fields, [tuple(getattr(d, f) for f in fields) for d in dossiers])


def _bulk_update_derived(dossiers: list[Dossier]) -> None:
    """Write the derived fields of existing dossiers: on PostgreSQL COPY into a temporary table
    and one UPDATE ... FROM; elsewhere one executemany. (`bulk_update` builds a CASE per field
    and row in Python, which costs more than the whole rest of a batch.)"""
    if not dossiers:
        return
    fields = [Dossier._meta.get_field(name) for name in DERIVED_FIELDS]
    quote = connection.ops.quote_name
    table = quote(Dossier._meta.db_table)
    rows = [(d.pk, *(getattr(d, f.attname) for f in fields)) for d in dossiers]
    if connection.vendor == "postgresql":
        temp = quote(f"ingest_{uuid.uuid4().hex[:12]}")
        columns = ", ".join(quote(f.column) for f in fields)
        assign = ", ".join(f"{quote(f.column)} = t.{quote(f.column)}" for f in fields)
        with connection.cursor() as cursor, connection.wrap_database_errors:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {temp} AS SELECT id, {columns} FROM {table} "  # noqa: S608
                "WITH NO DATA"
            )
            with cursor.cursor.copy(f"COPY {temp} (id, {columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"UPDATE {table} d SET {assign} FROM {temp} t WHERE d.id = t.id")  # noqa: S608
            cursor.execute(f"DROP TABLE {temp}")
        return
    assign = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    adapters = [(i + 1, a) for i, f in enumerate(fields) if (a := _sqlite_adapter(f)) is not None]
    values = []
    for row in rows:
        row = list(row)
        for i, adapt in adapters:
            row[i] = adapt(row[i])
        values.append([*row[1:], row[0]])
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {assign} WHERE id = %s", values)  # noqa: S608


def _sqlite_adapter(field):
    """What Django's SQLite backend does to a value of `field` (datetimes: naive UTC text;
    JSON: json.dumps), without its per-value generic machinery; None for "as is"."""
    if isinstance(field, JSONField):
        return lambda v: v if v is None or isinstance(v, _RawJSON) else json.dumps(v)
    if isinstance(field, DateTimeField):
        return lambda v: None if v is None else str(v.astimezone(dt.UTC).replace(tzinfo=None))
    if isinstance(field, DateField | TimeField | DecimalField):
        return lambda v: field.get_db_prep_save(v, connection)
    return None


def _assign_codes(dossiers: list[Dossier], groups: list[_Group]) -> None:
    """`<receiving unit>-<yymmdd>-<nnnn>` like `services._next_code`, for a whole batch: lock
    the receiving units, read the highest number per prefix once, count on."""
    if not dossiers:
        return
    unit_ids = sorted({d.receiving_unit_id for d in dossiers})
    list(OrgUnit.objects.select_for_update().filter(pk__in=unit_ids).order_by("pk"))
    wanted = {id(d) for d in dossiers}
    opened = {
        id(g.dossier): min(e.occurred_at for _r, e in g.accepted)
        for g in groups
        if id(g.dossier) in wanted
    }
    prefixes = {}
    for dossier in dossiers:
        day = timezone.localtime(opened[id(dossier)]).strftime("%y%m%d")
        prefixes[id(dossier)] = f"{dossier.receiving_unit.code}-{day}-"
    highest: Counter = Counter()
    for chunk in _chunks(sorted(set(prefixes.values())), 200):
        query = reduce(or_, (Q(code__startswith=p) for p in chunk))
        for code in Dossier.objects.filter(query).values_list("code", flat=True):
            prefix, _sep, number = code.rpartition("-")
            if number.isdigit():
                highest[prefix + "-"] = max(highest[prefix + "-"], int(number))
    for dossier in sorted(dossiers, key=lambda d: opened[id(d)]):
        prefix = prefixes[id(dossier)]
        highest[prefix] += 1
        dossier.code = f"{prefix}{highest[prefix]:04d}"
