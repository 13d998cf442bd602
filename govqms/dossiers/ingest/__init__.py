"""Loss-free bulk ingestion of dossier events (DESIGN §5.1; docs/ingestion.md).

`events_ingest` takes a batch of plain records (one dossier event each, from the API, a CSV or
Excel file, or an XES log) and lands it in ONE transaction, set-based:

* idempotent: every record carries a `source_id`, unique within its `source` (backed by the
  `dossiers_event_source` constraint); a record already stored, or repeated unchanged within the
  batch, counts as `duplicated` and is never applied twice;
* per-record errors: a bad record gets its own {index, field, message} (the message in the
  active language) and the rest still land; a move the lifecycle does not allow
  (`workflows.TransitionError`) rejects that record only;
* derived state: each touched dossier is replayed in Python with `workflows.apply` (a record
  older than the dossier's last event triggers a full replay with it inserted), the events are
  bulk-inserted with `seq` continuing per dossier, the dossier rows bulk-updated and their step
  records rewritten, so the cache always equals `services.dossier_rebuild`;
* one audit entry per batch (action "import") with the counts and a SHA-256 over the canonical
  JSON of the accepted events (`events_digest` recomputes it from the database).

The queries do not grow with the batch: a handful per batch (chunked `IN` lists), none per
record. Calendars are cached per (unit, calendar code), due-date rules per procedure version.
Rows are written set-based through `govqms.core.pg` (COPY and UPDATE ... FROM on PostgreSQL,
executemany elsewhere). Throughput and where the time goes: docs/ingestion.md.

The package, in the order a batch goes through it:

| module | holds |
|---|---|
| `records` | the record format, parsing and validation of one record, the result and errors |
| `lookups` | the batch's queries (stored ids, units, versions, rules, stored events, dossiers) |
| `plan` | `Batch`: de-duplicate, parse, resolve units, group by dossier, authorize, replay |
| `replay` | one dossier's fold with `workflows.apply`, its calendar, notes for refused moves |
| `write` | the dossiers, events and step records written set-based |
| `digest` | the batch's SHA-256 and `events_digest` |
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from govqms.core.audit import audit_append

from ..services import CalendarCache
from .digest import events_digest
from .plan import PERMISSIONS, Batch
from .records import (
    APPLICANT_FIELDS,
    CHANNELS,
    INSTANT_FIELDS,
    KINDS,
    MAX_BATCH,
    NOTE,
    OPENING_KINDS,
    REJECT,
    TEXT_FIELDS,
    UNIT_ROLES,
    BatchTooLarge,
    IngestError,
    IngestResult,
    canonical_json,
    parse_instant,
)
from .write import write

__all__ = [
    "APPLICANT_FIELDS",
    "AUDIT_FIELDS",
    "CHANNELS",
    "INSTANT_FIELDS",
    "KINDS",
    "MAX_BATCH",
    "NOTE",
    "OPENING_KINDS",
    "PERMISSIONS",
    "REJECT",
    "TEXT_FIELDS",
    "UNIT_ROLES",
    "BatchTooLarge",
    "IngestError",
    "IngestResult",
    "canonical_json",
    "events_digest",
    "events_ingest",
    "parse_instant",
]

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


def events_ingest(
    *,
    actor,
    source: str,
    records: Sequence[Mapping[str, Any]],
    on_violation: str = REJECT,
    calendars: CalendarCache | None = None,
    now: dt.datetime | None = None,
) -> IngestResult:
    """Land a batch of dossier event records; see the package docstring and docs/ingestion.md.

    `actor=None` is the system (no permission check). Raises BatchTooLarge (nothing written)
    for more than MAX_BATCH records and ValueError for a bad `source`; everything else wrong
    with a record is reported in `IngestResult.errors` and the other records still land.
    """
    source = (source or "").strip()
    if not source or len(source) > 60:
        raise ValueError("source must be a name of 1-60 characters")
    if len(records) > MAX_BATCH:
        raise BatchTooLarge.for_count(len(records))
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
    batch = Batch(source, records)
    batch.dedupe()
    batch.parse()
    batch.resolve_units()
    batch.group()
    batch.authorize(actor)
    batch.resolve_versions()
    batch.replay(on_violation, calendars)
    write(source, [g for g in batch.live if g.accepted], batch.result, now, calendars, batch.rules)
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
