"""The hash-chained audit trail: append (inside the caller's transaction) and verify.

Every service write calls `audit_append`; reads of personal data call `audit_read`. Appends lock
the single chain-head row, so entries get gapless sequence numbers in commit order on any
database, and a rolled-back write leaves no entry behind.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .models import AuditChainHead, AuditEntry
from .request_context import current_request_id

GENESIS_HASH = "0" * 64


def _canonical(value: Any) -> Any:
    """Plain JSON-able form with a stable shape (dates as ISO strings, sets sorted)."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(_canonical(v) for v in value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    return str(value)


def entry_payload(entry: AuditEntry) -> dict[str, Any]:
    """The fields the hash covers: everything but the hash itself."""
    return {
        "seq": entry.seq,
        "created_at": entry.created_at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_label": entry.object_label,
        "unit_path": entry.unit_path,
        "changes": _canonical(entry.changes),
        "reason": entry.reason,
        "request_id": entry.request_id,
        "prev_hash": entry.prev_hash,
    }


def compute_hash(entry: AuditEntry) -> str:
    blob = json.dumps(
        entry_payload(entry), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def diff_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> dict[str, Any]:
    """{field: [old, new]} for the fields that changed (all of them when `before` is None)."""
    before = before or {}
    changes = {}
    for key, new in after.items():
        old = before.get(key)
        if _canonical(old) != _canonical(new) or key not in before:
            changes[key] = [_canonical(old), _canonical(new)]
    return changes


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _canonical(getattr(obj, name)) for name in fields}


def _actor_label(actor) -> str:
    if actor is None:
        return "system"
    return getattr(actor, "username", None) or str(actor)


def audit_append(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    unit_path: str = "",
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry to the chain. Must run inside the caller's transaction."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)[:255]
        unit_path = unit_path or getattr(obj, "audit_unit_path", "") or ""
    with transaction.atomic():
        AuditChainHead.objects.get_or_create(id=1, defaults={"seq": 0, "hash": GENESIS_HASH})
        head = AuditChainHead.objects.select_for_update().get(id=1)
        entry = AuditEntry(
            seq=head.seq + 1,
            created_at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=_actor_label(actor),
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_label=object_label,
            unit_path=unit_path,
            changes=_canonical(dict(changes or {})),
            reason=reason[:500],
            request_id=current_request_id(),
            prev_hash=head.hash,
        )
        entry.hash = compute_hash(entry)
        entry.save(force_insert=True)
        AuditChainHead.objects.filter(id=1).update(seq=entry.seq, hash=entry.hash)
    return entry


def audit_read(*, actor, obj: models.Model, fields: Iterable[str], purpose: str = "") -> AuditEntry:
    """Log a read of personal data (Law 91/2025/QH15): who read which fields of whom, and why."""
    return audit_append(
        actor=actor,
        action=AuditEntry.Action.READ,
        obj=obj,
        changes={"fields": sorted(fields)},
        reason=purpose,
    )


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def audit_verify() -> tuple[int, ChainBreak | None]:
    """(entries checked, first break or None). Also checks the chain head against the tail."""
    count = 0
    last = None
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        for brk in link_breaks(entry, last):
            return count, brk
        last = entry
        count += 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None:
        tail_seq, tail_hash = (last.seq, last.hash) if last else (0, GENESIS_HASH)
        if head.seq != tail_seq or head.hash != tail_hash:
            return count, ChainBreak(
                tail_seq + 1 if head.seq > tail_seq else tail_seq,
                f"chain head says #{head.seq} but the log ends at #{tail_seq} (rows removed?)",
            )
    return count, None


def link_breaks(entry: AuditEntry, previous: AuditEntry | None) -> Iterator[ChainBreak]:
    expected_seq = previous.seq + 1 if previous else 1
    expected_prev = previous.hash if previous else GENESIS_HASH
    if entry.seq != expected_seq:
        yield ChainBreak(entry.seq, f"sequence gap: expected #{expected_seq}, found #{entry.seq}")
    if entry.prev_hash != expected_prev:
        yield ChainBreak(entry.seq, "prev_hash does not match the previous entry's hash")
    if compute_hash(entry) != entry.hash:
        yield ChainBreak(entry.seq, "content does not match its hash (row edited)")
