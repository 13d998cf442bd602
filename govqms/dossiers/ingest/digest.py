"""The batch's SHA-256: over the canonical JSON (sorted keys, no spaces, UTF-8) of the accepted
events, `{"events": [...sorted by source_id], "source": ...}`, each event with
`actor, data, dossier, kind, occurred_at (UTC), reason, seq, source_id, step, unit`.
`events_digest` recomputes it from the stored rows (an edited event changes it)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable

from govqms.core.pg import chunked

from ..models import DossierEvent
from .records import canonical_json

_quote = json.encoder.encode_basestring  # the escaping json.dumps(ensure_ascii=False) uses


def canonical_event(
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


def digest(source: str, events: list[tuple[str, str]]) -> str:
    """SHA-256 over {"events": [...sorted by source_id], "source": ...} in canonical JSON."""
    events = sorted(events)
    blob = f'{{"events":[{",".join(e for _sid, e in events)}],"source":{canonical_json(source)}}}'
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def events_digest(*, source: str, source_ids: Iterable[str]) -> str:
    """Recompute a batch's SHA-256 from the stored events (compare with its audit entry)."""
    events = []
    for chunk in chunked(sorted(set(source_ids))):
        rows = DossierEvent.objects.filter(source=source, source_id__in=chunk).select_related(
            "dossier", "unit"
        )
        for row in rows:
            events.append(
                canonical_event(
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
    return digest(source, events)
