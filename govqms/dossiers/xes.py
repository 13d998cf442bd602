"""XES event logs (IEEE 1849) into dossiers, streamed (docs/ingestion.md, "XES logs").

`iter_cases` reads a .xes or .xes.gz file with `xml.etree.ElementTree.iterparse`, one trace at
a time, clearing what it has read, so memory stays flat on logs of any size. A mapping file
(YAML; `mapping_load`) says how a case becomes a dossier and each event a dossier event: the
receipt, the steps, the end; where the due date comes from; which holiday calendar judges the
case (a Dutch log by the Dutch calendar); how case ids become dossier codes. `log_import`
streams the cases in batches of whole cases through `ingest.events_ingest`, so a re-import lands
nothing twice (source ids are `<case id>/<position of the event in its trace>`).
"""

from __future__ import annotations

import datetime as dt
import gzip
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from django.db import transaction

from govqms.org.models import OrgUnit
from govqms.procedures import selectors as procedure_selectors
from govqms.procedures import services as procedure_services
from govqms.procedures.models import Procedure, ProcedureVersion
from govqms.procedures.specs import CALENDAR_DAYS, SpecError, StepSpec, VersionLimit
from govqms.workdays.calendar import Limit
from govqms.workdays.seed import country_weekend
from govqms.workdays.services import calendar_seed

from . import ingest
from .models import Channel, EventKind
from .services import CalendarCache

# --- Reading XES ----------------------------------------------------------------------------

STANDARD_KEYS = ("concept:name", "time:timestamp", "lifecycle:transition", "org:resource")
_SIMPLE = {"string", "id", "date", "int", "float", "boolean"}


class XesError(ValueError):
    """The file is not a readable XES log."""


@dataclass
class XesEvent:
    index: int  # position in its trace, in file order (stable: part of the source id)
    attributes: dict[str, Any]

    @property
    def activity(self) -> str:
        return str(self.attributes.get("concept:name", ""))

    @property
    def timestamp(self) -> dt.datetime | None:
        value = self.attributes.get("time:timestamp")
        return value if isinstance(value, dt.datetime) else None

    @property
    def transition(self) -> str:
        return str(self.attributes.get("lifecycle:transition", "complete")).lower()

    @property
    def resource(self) -> str:
        return str(self.attributes.get("org:resource", ""))


@dataclass
class XesCase:
    index: int
    attributes: dict[str, Any]
    events: list[XesEvent]

    @property
    def case_id(self) -> str:
        return str(self.attributes.get("concept:name") or f"#{self.index}")


_TAGS: dict[str, str] = {}


def _local(tag: str) -> str:
    """The tag without its namespace (cached: a log repeats a dozen tags millions of times)."""
    name = _TAGS.get(tag)
    if name is None:
        name = _TAGS[tag] = tag.rsplit("}", 1)[-1]
    return name


def _value(element: ET.Element, tz: ZoneInfo | None) -> Any:
    kind, raw = _local(element.tag), element.get("value")
    if kind == "date" and raw:
        try:
            value = dt.datetime.fromisoformat(raw.strip())
        except ValueError:
            return raw
        if value.tzinfo is None and tz is not None:
            value = value.replace(tzinfo=tz)
        return value
    if kind == "int":
        try:
            return int(raw)
        except (TypeError, ValueError):
            return raw
    if kind == "float":
        try:
            number = float(raw)
        except (TypeError, ValueError):
            return raw
        return number if number == number and abs(number) != float("inf") else raw
    if kind == "boolean":
        return str(raw).strip().lower() == "true"
    if kind in ("list", "container"):  # nested attributes: kept as a list of (key, value)
        return [[c.get("key"), _value(c, tz)] for c in element.iter() if c is not element]
    return raw


def _attributes(element: ET.Element, tz: ZoneInfo | None) -> dict[str, Any]:
    result = {}
    for child in element:
        kind = _TAGS.get(child.tag) or _local(child.tag)
        if kind == "string":  # the common case, inline
            result[child.get("key")] = child.get("value")
        elif kind in _SIMPLE or kind in ("list", "container"):
            result[child.get("key")] = _value(child, tz)
    return result


def _open(path: Path):
    if not path.is_file():
        raise XesError(f"no such file: {path}")
    with path.open("rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else path.open("rb")


def iter_cases(path: str | Path, *, tz: str | None = None) -> Iterator[XesCase]:
    """The traces of an XES log, one at a time (file order). Date attributes without a UTC
    offset are read in `tz` when given (else stay naive and are rejected on import)."""
    zone = ZoneInfo(tz) if tz else None
    root = None
    index = 0
    events: list[XesEvent] = []
    depth = 0
    with _open(Path(path)) as handle:
        try:
            for kind, element in ET.iterparse(handle, events=("start", "end")):  # noqa: S314
                if kind == "start":
                    depth += 1
                    if root is None:
                        root = element
                        if _local(element.tag) != "log":
                            raise XesError(f"not an XES log: the root element is {element.tag}")
                    continue
                depth -= 1
                tag = _TAGS.get(element.tag) or _local(element.tag)
                if tag == "event" and depth == 2:
                    events.append(XesEvent(len(events), _attributes(element, zone)))
                    element.clear()
                elif tag == "trace" and depth == 1:
                    yield XesCase(index, _attributes(element, zone), events)
                    index += 1
                    events = []
                    root.clear()  # drop the processed traces: memory stays flat
        except ET.ParseError as exc:
            raise XesError(f"{path}: not well-formed XML ({exc})") from exc
        except (OSError, EOFError) as exc:
            raise XesError(f"{path}: cannot read ({exc})") from exc


def log_counts(path: str | Path) -> tuple[int, int]:
    """(cases, events) in the log, streamed."""
    cases = events = 0
    for case in iter_cases(path):
        cases += 1
        events += len(case.events)
    return cases, events


# --- The mapping file -------------------------------------------------------------------------

UNMAPPED = ("step", "note", "ignore")
STEP_CODES = ("activity", "first_word")
KEEP = ("all", "none")


class MappingError(ValueError):
    """A bad mapping file; the message names the key."""


@dataclass(frozen=True)
class ActivityRule:
    kind: str
    step: str = ""


@dataclass(frozen=True)
class LogMapping:
    procedure_code: str
    procedure_name: str
    limit: str  # e.g. "56d", "30wd"
    source: str = ""
    steps: tuple[StepSpec, ...] = ()
    calendar: str = "VN"
    timezone: str | None = None
    case_id: str = "concept:name"
    dossier_code: str = "{source}-{case}"
    channel: str = Channel.COUNTER
    channel_attribute: str = ""
    channel_map: Mapping[str, str] = field(default_factory=dict)
    due_from: str = "limit"  # or "case_attribute"
    due_attribute: str = ""
    due_by_attribute: str = ""  # per-case limit: a case attribute and {value: limit}
    due_limits: Mapping[str, str] = field(default_factory=dict)
    received: tuple[str, ...] = ()  # activities; empty: the case's first event
    activities: Mapping[str, ActivityRule] = field(default_factory=dict)
    unmapped: str = "step"
    step_code: str = "activity"
    lifecycle_violations: str = ingest.NOTE
    actor_attribute: str = "org:resource"
    event_attributes: str | tuple[str, ...] = "all"
    case_attributes: str | tuple[str, ...] = "all"


def _str(data: Mapping, key: str, default: str = "", *, where: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str | int | float):
        raise MappingError(f"{where}{key}: must be text")
    return str(value).strip()


def _keep(value: Any, key: str) -> str | tuple[str, ...]:
    if value is None or value in KEEP:
        return value or "all"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise MappingError(f"{key}: 'all', 'none' or a list of attribute names")


def _limit(text: str, key: str) -> str:
    try:
        return str(VersionLimit.parse(text, path=key))
    except SpecError as exc:
        raise MappingError(f"{key}: {exc}") from exc


def mapping_from_dict(data: Mapping[str, Any]) -> LogMapping:
    """Validate a mapping (the parsed YAML); raises MappingError naming the key."""
    if not isinstance(data, Mapping):
        raise MappingError("the mapping must be a YAML mapping (key: value)")
    known = {
        "source", "procedure", "steps", "calendar", "timezone", "case", "due_date", "received",
        "activities", "unmapped", "step_code", "lifecycle_violations", "actor",
        "event_attributes", "case_attributes",
    }  # fmt: skip
    unknown = sorted(set(data) - known)
    if unknown:
        raise MappingError(f"unknown key(s): {', '.join(unknown)}")
    procedure = data.get("procedure") or {}
    if not isinstance(procedure, Mapping):
        raise MappingError("procedure: a mapping with code, name and limit")
    due = data.get("due_date") or {"from": "limit"}
    if not isinstance(due, Mapping):
        raise MappingError("due_date: a mapping such as {from: limit}")
    limit = _str(procedure, "limit", where="procedure.") or _str(due, "limit", where="due_date.")
    if not limit:
        raise MappingError("procedure.limit (or due_date.limit) is required, e.g. 56d or 30wd")
    limit = _limit(limit, "procedure.limit")
    if due.get("limit") and _limit(str(due["limit"]), "due_date.limit") != limit:
        raise MappingError("due_date.limit and procedure.limit differ")
    due_from = _str(due, "from", "limit", where="due_date.")
    if due_from not in ("limit", "case_attribute"):
        raise MappingError("due_date.from: 'limit' or 'case_attribute'")
    if due_from == "case_attribute" and not _str(due, "attribute"):
        raise MappingError("due_date.attribute: the case attribute holding the due date")
    per_case = due.get("by_case_attribute") or {}
    if per_case and not (
        isinstance(per_case, Mapping) and isinstance(per_case.get("limits"), dict)
    ):
        raise MappingError("due_date.by_case_attribute: {attribute: NAME, limits: {VALUE: 182d}}")
    case = data.get("case") or {}
    if not isinstance(case, Mapping):
        raise MappingError("case: a mapping (id, dossier_code, channel)")
    channel = case.get("channel", Channel.COUNTER)
    channel_attribute, channel_map, channel_default = "", {}, Channel.COUNTER
    if isinstance(channel, Mapping):
        channel_attribute = _str(channel, "attribute", where="case.channel.")
        channel_map = {str(k): str(v) for k, v in (channel.get("map") or {}).items()}
        channel_default = _str(channel, "default", Channel.COUNTER, where="case.channel.")
    else:
        channel_default = str(channel)
    for value in [channel_default, *channel_map.values()]:
        if value not in Channel.values:
            raise MappingError(f"case.channel: {value!r} is not one of {Channel.values}")
    code_template = _str(case, "dossier_code", "{source}-{case}", where="case.")
    if "{case}" not in code_template:
        raise MappingError("case.dossier_code: the template must contain {case}")
    received = data.get("received", "first")
    if received == "first":
        received = ()
    elif isinstance(received, str):
        received = (received,)
    elif isinstance(received, list):
        received = tuple(str(r) for r in received)
    else:
        raise MappingError("received: 'first' or the activity (or list of activities)")
    activities = {}
    for name, rule in (data.get("activities") or {}).items():
        if isinstance(rule, str):
            rule = {"kind": EventKind.STEP_FINISHED, "step": rule}
        if not isinstance(rule, Mapping):
            raise MappingError(f"activities.{name}: a step code or {{kind: ..., step: ...}}")
        kind = _str(rule, "kind", EventKind.STEP_FINISHED)
        if kind not in EventKind.values:
            raise MappingError(f"activities.{name}.kind: unknown event kind {kind!r}")
        step = _str(rule, "step")
        if len(step) > 30:
            raise MappingError(f"activities.{name}.step: at most 30 characters")
        activities[str(name)] = ActivityRule(kind, step)
    steps = []
    for i, step in enumerate(data.get("steps") or []):
        try:
            steps.append(
                StepSpec(
                    code=str(step["code"]),
                    name=str(step.get("name") or step["code"]),
                    role=str(step.get("role", "case_handler")),
                    budget_hours=Decimal(str(step.get("budget_hours", 0))),
                )
            )
        except (KeyError, TypeError, ArithmeticError) as exc:
            raise MappingError(f"steps[{i}]: code, name, role, budget_hours ({exc})") from exc
    choices = {
        "unmapped": UNMAPPED,
        "step_code": STEP_CODES,
        "lifecycle_violations": (ingest.NOTE, ingest.REJECT),
    }
    values = {}
    for key, allowed in choices.items():
        values[key] = _str(data, key, allowed[0])
        if values[key] not in allowed:
            raise MappingError(f"{key}: one of {', '.join(allowed)}")
    calendar = _str(data, "calendar", "VN").upper()
    try:
        country_weekend(calendar)
    except ValueError as exc:
        raise MappingError(f"calendar: {exc}") from exc
    timezone = _str(data, "timezone") or None
    if timezone:
        try:
            ZoneInfo(timezone)
        except (KeyError, ValueError) as exc:
            raise MappingError(f"timezone: unknown zone {timezone!r}") from exc
    return LogMapping(
        procedure_code=_str(procedure, "code", where="procedure."),
        procedure_name=_str(procedure, "name", where="procedure."),
        limit=limit,
        source=_str(data, "source"),
        steps=tuple(steps),
        calendar=calendar,
        timezone=timezone,
        case_id=_str(case, "id", "concept:name", where="case."),
        dossier_code=code_template,
        channel=channel_default,
        channel_attribute=channel_attribute,
        channel_map=channel_map,
        due_from=due_from,
        due_attribute=_str(due, "attribute", where="due_date."),
        due_by_attribute=_str(per_case, "attribute") if per_case else "",
        due_limits={
            str(k): _limit(str(v), f"due_date.by_case_attribute.limits.{k}")
            for k, v in (per_case.get("limits") or {}).items()
        }
        if per_case
        else {},
        received=received,
        activities=activities,
        unmapped=values["unmapped"],
        step_code=values["step_code"],
        lifecycle_violations=values["lifecycle_violations"],
        actor_attribute=_str(data, "actor", "org:resource"),
        event_attributes=_keep(data.get("event_attributes"), "event_attributes"),
        case_attributes=_keep(data.get("case_attributes"), "case_attributes"),
    )


def mapping_load(path: str | Path) -> LogMapping:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: {exc}") from exc
    return mapping_from_dict(data)


# --- Cases → records --------------------------------------------------------------------------

_FIRST_WORD = re.compile(r"^\S+")


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _kept(attributes: Mapping[str, Any], keep, skip=()) -> dict[str, Any]:
    if keep == "none":
        return {}
    names = attributes if keep == "all" else [k for k in keep if k in attributes]
    return {k: _plain(attributes[k]) for k in names if k not in skip}


def _step_code(mapping: LogMapping, activity: str) -> str:
    code = activity
    if mapping.step_code == "first_word":
        match = _FIRST_WORD.match(activity)
        code = match.group(0) if match else activity
    return code[:30]


@dataclass(frozen=True)
class _Context:
    source: str
    org_code: str
    procedure_code: str


def _time_order(event: XesEvent) -> tuple:
    at = event.timestamp
    if at is None:
        return (1, 0.0, event.index)
    if at.tzinfo is None:  # rejected on import; ordered as if UTC meanwhile
        at = at.replace(tzinfo=dt.UTC)
    return (0, at.timestamp(), event.index)


def case_records(case: XesCase, mapping: LogMapping, ctx: _Context) -> tuple[list[dict], int]:
    """The records of one case, in time order (ties: file order), and the number of events
    left out (`unmapped: ignore`)."""
    case_id = str(case.attributes.get(mapping.case_id) or case.case_id)
    code = mapping.dossier_code.format(case=case_id, source=ctx.source)[:60]
    ordered = sorted(case.events, key=_time_order)
    opener = None
    if mapping.received:
        opener = next((e for e in ordered if e.activity in mapping.received), None)
    elif ordered:
        opener = ordered[0]
    records, ignored = [], 0
    for event in ordered:
        record = _event_record(event, mapping, case_id, code, opened=event is opener)
        if record is None:
            ignored += 1
            continue
        if event is opener:
            record.update(_opening(case, mapping, ctx))
        records.append(record)
    return records, ignored


def _event_record(event: XesEvent, mapping, case_id, code, *, opened: bool) -> dict | None:
    activity = event.activity
    rule = mapping.activities.get(activity)
    if opened:
        kind, step = EventKind.RECEIVED, rule.step if rule else ""
    elif rule is not None:
        kind, step = rule.kind, rule.step
    elif mapping.unmapped == "ignore":
        return None
    elif mapping.unmapped == "note":
        kind, step = EventKind.NOTE, ""
    else:
        kind, step = EventKind.STEP_FINISHED, _step_code(mapping, activity)
    if kind == EventKind.STEP_FINISHED:
        step = step or _step_code(mapping, activity)
        if event.transition == "start":
            kind = EventKind.STEP_STARTED
        elif event.transition not in ("complete", ""):
            kind = EventKind.NOTE  # schedule, assign, suspend, ...: kept, not a state change
    data = {"activity": activity, "lifecycle": event.transition}
    data.update(_kept(event.attributes, mapping.event_attributes, skip=STANDARD_KEYS))
    timestamp = event.attributes.get("time:timestamp")
    return {
        "source_id": f"{case_id}/{event.index}",
        "dossier_code": code,
        "dossier_source_id": case_id[:120],
        "kind": str(kind),
        "occurred_at": _plain(timestamp) if timestamp is not None else None,
        "step": step,
        "actor": str(event.attributes.get(mapping.actor_attribute, ""))[:150],
        "data": data,
    }


def _opening(case: XesCase, mapping: LogMapping, ctx: _Context) -> dict:
    attrs = case.attributes
    channel = mapping.channel
    if mapping.channel_attribute:
        channel = mapping.channel_map.get(str(attrs.get(mapping.channel_attribute)), channel)
    opening = {
        "procedure": ctx.procedure_code,
        "receiving_unit": ctx.org_code,
        "competent_unit": ctx.org_code,
        "channel": channel,
        "calendar": mapping.calendar,
    }
    if mapping.due_from == "case_attribute":
        due = attrs.get(mapping.due_attribute)
        if isinstance(due, dt.datetime):
            opening["due_at"] = due.isoformat()
    elif mapping.due_by_attribute:
        limit = mapping.due_limits.get(str(attrs.get(mapping.due_by_attribute)))
        if limit:
            opening["_limit"] = limit  # computed with the calendar at import (log_import)
    case_data = _kept(attrs, mapping.case_attributes)
    return {"_case": case_data, **opening} if case_data else opening


# --- The import -------------------------------------------------------------------------------


@dataclass
class LogImportResult:
    path: str
    source: str
    procedure_code: str
    cases: int = 0
    events_read: int = 0
    cases_without_events: int = 0
    ignored: int = 0
    procedure_created: bool = False
    calendar: str = ""
    calendar_years_seeded: list[int] = field(default_factory=list)
    totals: ingest.IngestResult | None = None
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (source id, field, msg)
    errors_dropped: int = 0


MAX_ERRORS_KEPT = 1000


@transaction.atomic
def procedure_ensure(
    *, org: OrgUnit, code: str, mapping: LogMapping
) -> tuple[ProcedureVersion, bool]:
    """The version that governs `org` for procedure `code`, created (procedure, draft with the
    mapping's steps or one umbrella step over the whole limit, activation) when missing."""
    procedure = Procedure.objects.filter(code=code).first()
    if procedure is not None:
        version = procedure_selectors.version_for(procedure=procedure, unit=org)
        if version is not None:
            return version, False
    limit = VersionLimit.parse(mapping.limit)
    if procedure is None:
        amount = limit.calendar_days if limit.unit == CALENDAR_DAYS else limit.hours / 8
        procedure, _result = procedure_services.procedure_upsert(
            actor=None,
            code=code,
            name=mapping.procedure_name or code,
            limit_value=Decimal(amount),
            limit_unit=limit.unit,
            limit_text=str(limit),
            source="event log mapping (govqms import-log)",
        )
    steps = list(mapping.steps) or [
        StepSpec(
            code="LOG",
            name="Xử lý (theo nhật ký sự kiện)",
            role="case_handler",
            budget_hours=limit.hours,
        )
    ]
    draft = procedure_services.version_create_draft(
        actor=None,
        procedure=procedure,
        unit=org,
        limit_unit=limit.unit,
        limit_hours=None if limit.unit == CALENDAR_DAYS else limit.hours,
        calendar_days=limit.calendar_days,
        steps=steps,
        notes="Created by govqms import-log from an event-log mapping.",
    )
    return procedure_services.version_activate(actor=None, version=draft), True


def log_import(
    *,
    actor,
    path: str | Path,
    org: OrgUnit,
    mapping: LogMapping,
    procedure_code: str = "",
    source: str = "",
    batch_size: int = ingest.MAX_BATCH,
    progress: Callable[[int], None] | None = None,
) -> LogImportResult:
    """Import an XES log into dossiers at `org`; idempotent (a re-import adds nothing)."""
    path = Path(path)
    procedure_code = procedure_code or mapping.procedure_code
    if not procedure_code:
        raise MappingError("no procedure code: give --procedure or procedure.code")
    source = (source or mapping.source or path.name.split(".")[0])[:60]
    _version, created = procedure_ensure(org=org, code=procedure_code, mapping=mapping)
    result = LogImportResult(
        path=str(path),
        source=source,
        procedure_code=procedure_code,
        procedure_created=created,
        calendar=mapping.calendar,
        totals=ingest.IngestResult(source=source),
    )
    ctx = _Context(source=source, org_code=org.code, procedure_code=procedure_code)
    state = {"calendars": CalendarCache(), "years": set()}
    batch: list[dict] = []

    def flush() -> None:
        if not batch:
            return
        _prepare(batch, org, mapping, state, result)
        outcome = ingest.events_ingest(
            actor=actor,
            source=source,
            records=batch,
            on_violation=mapping.lifecycle_violations,
            calendars=state["calendars"],
        )
        result.totals.add(outcome)
        for error in outcome.errors:
            if len(result.errors) < MAX_ERRORS_KEPT:
                sid = batch[error.index].get("source_id", "?")
                result.errors.append((str(sid), error.field, error.message))
            else:
                result.errors_dropped += 1
        batch.clear()

    for case in iter_cases(path, tz=mapping.timezone):
        result.cases += 1
        result.events_read += len(case.events)
        if not case.events:
            result.cases_without_events += 1
        records, ignored = case_records(case, mapping, ctx)
        result.ignored += ignored
        if batch and len(batch) + len(records) > batch_size:
            flush()
        batch.extend(records)
        if len(batch) >= batch_size:  # one case longer than a batch: split in time order
            flush()
        if progress is not None:
            progress(1)
    flush()
    return result


def _prepare(batch: list[dict], org, mapping: LogMapping, state: dict, result) -> None:
    """Before a batch lands: seed the calendar for its years; compute per-case due dates; move
    the case attributes into the receipt's data."""
    years = set()
    for record in batch:
        at = record.get("occurred_at")
        if isinstance(at, str) and len(at) >= 4 and at[:4].isdigit():
            years.add(int(at[:4]))
    missing = sorted(years - state["years"])
    if missing:
        calendar_seed(
            actor=None, years=range(missing[0] - 1, missing[-1] + 2), code=mapping.calendar
        )
        state["years"].update(range(missing[0] - 1, missing[-1] + 2))
        result.calendar_years_seeded = sorted(state["years"])
        state["calendars"] = CalendarCache()  # the new calendar days must be read again
    for record in batch:
        case_data = record.pop("_case", None)
        if case_data:
            record["data"]["case"] = case_data
        limit = record.pop("_limit", None)
        if limit and record.get("occurred_at"):
            try:
                received = dt.datetime.fromisoformat(record["occurred_at"])
                calendar = state["calendars"].for_unit(org, mapping.calendar)
                record["due_at"] = calendar.due(received, Limit.parse(limit)).isoformat()
            except ValueError:
                pass  # a naive or odd time: events_ingest reports it on the record
