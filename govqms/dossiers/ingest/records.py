"""The record format: its fields, the parsing and validation of one record, and the result of a
batch (counts and per-record errors). No queries here.

Error messages are in the active language (gettext; Vietnamese source strings); the `field`
of an error is the record field at fault and never translated.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from govqms.core.pg import RawJSON
from govqms.org.models import OrgUnit

from ..models import Channel, EventKind

MAX_BATCH = 10_000
#: What a lifecycle violation does: reject the record, or keep it as a `note` event that says
#: what the source claimed and why the lifecycle refused it (foreign event logs).
REJECT, NOTE = "reject", "note"

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
    "calendar": 10,  # Dossier.calendar_code
    "applicant_name": 200,
    "applicant_phone": 20,
    "applicant_email": 254,
    "applicant_id_number": 20,
}
INSTANT_FIELDS = ("occurred_at", "due_at", "new_due_at")
UNIT_ROLES = ("receiving_unit", "competent_unit", "returning_unit")
APPLICANT_FIELDS = ("applicant_name", "applicant_phone", "applicant_email", "applicant_id_number")


class BatchTooLarge(ValueError):
    """More than MAX_BATCH records: split the batch (nothing was written)."""

    @classmethod
    def for_count(cls, count: int) -> BatchTooLarge:
        return cls(
            _(
                "Lô có %(count)s bản ghi, nhiều nhất %(max)s: hãy chia nhỏ (bản ghi đã lưu được "
                "bỏ qua khi gửi lại, nên chia thế nào cũng an toàn)."
            )
            % {"count": count, "max": MAX_BATCH}
        )


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


class Bad(Exception):
    """A record's problem: the field at fault and the message (already translated)."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(slots=True, eq=False)
class Record:
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


def _required(name: str) -> Bad:
    return Bad(name, _("Thiếu trường %(field)s.") % {"field": name})


def parse_instant(value: Any, what: str = "occurred_at") -> dt.datetime:
    """An aware datetime from an ISO 8601 string (or an aware datetime); naive is refused."""
    if isinstance(value, dt.datetime):
        parsed, text = value, value.isoformat()
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            message = _("%(what)s không phải ngày giờ ISO 8601: '%(value)s'.")
            raise Bad(what, message % {"what": what, "value": text}) from None
    elif value is None or value == "":
        raise _required(what)
    else:
        message = _("%(field)s phải là chuỗi ngày giờ ISO 8601, không phải %(type)s.")
        raise Bad(what, message % {"field": what, "type": type(value).__name__})
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        message = _(
            "'%(value)s' không có múi giờ: hãy ghi độ lệch so với UTC, ví dụ "
            "2026-03-03T09:00:00+07:00 hoặc 2026-03-03T02:00:00Z."
        )
        raise Bad(what, message % {"value": text})
    return parsed


def _text(key: str, value: Any) -> str:
    if type(value) is str:
        value = value.strip()
    elif isinstance(value, bool) or not isinstance(value, str | int):
        message = _("%(field)s phải là văn bản, không phải %(type)s.")
        raise Bad(key, message % {"field": key, "type": type(value).__name__})
    else:
        value = str(value).strip()
    limit = TEXT_FIELDS[key]
    if len(value) > limit:
        message = _("%(field)s dài quá %(limit)s ký tự.")
        raise Bad(key, message % {"field": key, "limit": limit})
    return value


def source_id_of(raw: Any) -> str:
    if not isinstance(raw, Mapping):
        raise Bad("", _("Mỗi bản ghi phải là một đối tượng JSON."))
    sid = _text("source_id", raw.get("source_id") or "")
    if not sid:
        raise Bad("source_id", _("Thiếu source_id (mã của bản ghi ở hệ thống nguồn)."))
    return sid


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )


def parse_record(index: int, raw: Mapping, sid: str) -> Record:
    values: dict[str, Any] = {}
    for key, value in raw.items():  # one pass: only the fields present
        if value is None or value == "":
            continue
        if key in TEXT_FIELDS:
            values[key] = _text(key, value)
        elif key in INSTANT_FIELDS or key == "data":
            values[key] = value
        else:
            message = _("Không có trường '%(field)s' trong bản ghi (xem docs/ingestion.md).")
            raise Bad(key, message % {"field": key})
    get = values.get
    kind = get("kind", "")
    if not kind:
        raise _required("kind")
    if kind not in KINDS:
        message = _("Không có loại sự kiện '%(kind)s' (một trong: %(kinds)s).")
        raise Bad("kind", message % {"kind": kind, "kinds": ", ".join(sorted(KINDS))})
    occurred_at = parse_instant(get("occurred_at"), "occurred_at")
    dossier_code, dossier_sid = get("dossier_code", ""), get("dossier_source_id", "")
    if not dossier_code and not dossier_sid:
        raise Bad("dossier_code", _("Cần ghi hồ sơ: dossier_code hoặc dossier_source_id."))
    data = get("data") or {}
    if not isinstance(data, Mapping):
        raise Bad("data", _("data phải là một đối tượng JSON."))
    data = dict(data)
    for key in ("due_at", "new_due_at"):
        if key in values:
            data[key] = parse_instant(values[key], key).isoformat()
    calendar = get("calendar", "").upper()
    if calendar:
        if kind not in OPENING_KINDS:
            message = _("Chỉ sự kiện submitted hoặc received mới ghi lịch làm việc (calendar).")
            raise Bad("calendar", message)
        data["calendar"] = calendar
    try:
        data_json = RawJSON(canonical_json(data))
    except (TypeError, ValueError):
        message = _("data phải là JSON thuần (văn bản, số, danh sách, đối tượng).")
        raise Bad("data", message) from None
    opening = None
    procedure = get("procedure", "")
    if procedure:
        channel = get("channel", "")
        if channel not in CHANNELS:
            message = _("Cần ghi channel để mở hồ sơ: một trong %(channels)s.")
            raise Bad("channel", message % {"channels": ", ".join(sorted(CHANNELS))})
        receiving = get("receiving_unit", "")
        if not receiving:
            raise Bad("receiving_unit", _("Cần ghi receiving_unit để mở hồ sơ."))
        email = get("applicant_email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise Bad("applicant_email", _("Địa chỉ thư điện tử không hợp lệ.")) from None
        opening = {
            "procedure": procedure,
            "channel": channel,
            "receiving_unit": receiving,
            "competent_unit": get("competent_unit", ""),  # default: the desk's authority
            "returning_unit": get("returning_unit", "") or receiving,
            **{k: get(k, "") for k in APPLICANT_FIELDS},
        }
    return Record(
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
