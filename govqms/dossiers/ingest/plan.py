"""The steps of one batch before anything is written: de-duplicate, parse, resolve the units,
group the records by dossier, check the caller's scope, find the procedure versions, replay.
Each step drops the records it rejects (one error per record, the first one found)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from govqms.core.scoping import scope_for
from govqms.org.models import OrgUnit

from ..models import Dossier
from ..selectors import authority_of
from ..services import CalendarCache
from .lookups import (
    Rules,
    active_versions,
    existing_dossiers,
    stored_events,
    stored_source_ids,
    unit_on,
    units_by_code,
)
from .records import (
    UNIT_ROLES,
    Bad,
    IngestError,
    IngestResult,
    Record,
    parse_record,
    source_id_of,
)
from .replay import Group, replay_group

#: A caller needs one of these at a record's competent unit (actor=None: the system).
PERMISSIONS = ("dossier.receive", "dossier.process")


def _conflict(rec: Record, dossier: Dossier | None, alias: dict, source: str) -> str:
    """A record whose dossier_code and dossier_source_id name different dossiers."""
    if not (rec.dossier_code and rec.dossier_sid):
        return ""
    params = {"sid": rec.dossier_sid, "dossier": dossier.code if dossier else rec.dossier_code}
    if dossier is not None and dossier.code != rec.dossier_code:
        return _("dossier_source_id '%(sid)s' là hồ sơ %(dossier)s.") % params
    if (
        dossier is not None
        and dossier.source == source
        and dossier.source_id not in ("", rec.dossier_sid)
    ):
        params["sid"] = dossier.source_id
        return _("Hồ sơ %(dossier)s có dossier_source_id '%(sid)s'.") % params
    if dossier is None and alias[rec.dossier_sid] != rec.dossier_code:
        message = _(
            "dossier_source_id '%(sid)s' chỉ hai hồ sơ trong lô này (%(first)s và %(second)s)."
        )
        return message % {
            "sid": rec.dossier_sid,
            "first": alias[rec.dossier_sid],
            "second": rec.dossier_code,
        }
    return ""


class Batch:
    """The steps of one batch; each step drops the records it rejects."""

    def __init__(self, source: str, records: Sequence[Mapping[str, Any]]):
        self.source, self.raw = source, records
        self.result = IngestResult(source=source, records=len(records))
        self.errors: dict[int, IngestError] = {}
        self.candidates: list[tuple[int, str]] = []
        self.records: list[Record] = []
        self.groups: dict[Any, Group] = {}
        self.rules = Rules()

    def reject(self, index: int, field_name: str, message: str) -> None:
        self.errors.setdefault(index, IngestError(index, field_name, message))

    def _reject_group(self, group: Group, field_name: str, message: str) -> None:
        for rec in group.records:
            self.reject(rec.index, field_name, message)
        group.records = []

    @property
    def live(self) -> list[Group]:
        return [g for g in self.groups.values() if g.records]

    def dedupe(self) -> None:
        """Repeats within the batch (same content: duplicated; else rejected), then the source
        ids already stored (duplicated)."""
        first_at: dict[str, int] = {}
        for index, raw in enumerate(self.raw):
            try:
                sid = source_id_of(raw)
            except Bad as bad:
                self.reject(index, bad.field, bad.message)
                continue
            first = first_at.setdefault(sid, index)
            if first == index:
                self.candidates.append((index, sid))
            elif self.raw[first] == raw:
                self.result.duplicated += 1
            else:
                message = _(
                    "source_id '%(sid)s' lặp lại trong lô này (lần đầu ở vị trí %(first)s) với "
                    "nội dung khác."
                )
                self.reject(index, "source_id", message % {"sid": sid, "first": first})
        stored = stored_source_ids(self.source, [sid for _i, sid in self.candidates])
        self.result.duplicated += sum(1 for _i, sid in self.candidates if sid in stored)
        self.candidates = [(i, sid) for i, sid in self.candidates if sid not in stored]

    def parse(self) -> None:
        for index, sid in self.candidates:
            try:
                self.records.append(parse_record(index, self.raw[index], sid))
            except Bad as bad:
                self.reject(index, bad.field, bad.message)

    def resolve_units(self) -> None:
        """Unit codes -> the unit valid on the event's day."""
        codes = set()
        for rec in self.records:
            codes.add(rec.unit_code)
            if rec.opening:
                codes.update(rec.opening[k] for k in UNIT_ROLES)
        units = units_by_code(codes)
        authorities: dict[int, OrgUnit] = {}
        kept = []
        no_unit = _("Không có đơn vị mã %(code)s.")
        for rec in self.records:
            if not rec.unit_code and not rec.opening:
                kept.append(rec)
                continue
            day = timezone.localdate(rec.occurred_at)
            try:
                if rec.unit_code:
                    rec.unit = unit_on(units.get(rec.unit_code, []), day)
                    if rec.unit is None:
                        raise Bad("unit", no_unit % {"code": rec.unit_code})
                for key in UNIT_ROLES if rec.opening else ():
                    if key == "competent_unit" and not rec.opening[key]:
                        desk = rec.opening["receiving_unit_obj"]
                        if desk.pk not in authorities:
                            authorities[desk.pk] = authority_of(desk)
                        rec.opening[f"{key}_obj"] = authorities[desk.pk]
                        continue
                    unit = unit_on(units.get(rec.opening[key], []), day)
                    if unit is None:
                        raise Bad(key, no_unit % {"code": rec.opening[key]})
                    rec.opening[f"{key}_obj"] = unit
            except Bad as bad:
                self.reject(rec.index, bad.field, bad.message)
                continue
            kept.append(rec)
        self.records = kept

    def group(self) -> None:
        """By dossier: existing ones (locked) by code or source id; new ones by code, else by
        source id (a record giving both links the two)."""
        by_code, by_sid = existing_dossiers(self.source, self.records)
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
                group = self.groups[key] = Group(dossier=dossier)
                if dossier is not None:
                    group.version_id, group.unit = dossier.version_id, dossier.competent_unit
            group.records.append(rec)
        unknown = _(
            "Hồ sơ '%(dossier)s' chưa có: bản ghi mở hồ sơ phải ghi procedure, receiving_unit "
            "và channel."
        )
        for group in self.groups.values():  # a new dossier: the earliest record naming it opens it
            if group.dossier is None:
                openers = [r for r in group.records if r.opening]
                if not openers:
                    rec = group.records[0]
                    name = rec.dossier_code or rec.dossier_sid
                    self._reject_group(group, "procedure", unknown % {"dossier": name})
                    continue
                group.opening = min(openers, key=lambda r: (r.occurred_at, r.index))
                group.unit = group.opening.opening["competent_unit_obj"]

    def authorize(self, actor) -> None:
        """dossier.receive or dossier.process at each record's competent unit."""
        if actor is None:
            return
        scopes = [scope_for(actor, perm) for perm in PERMISSIONS]
        message = _(
            "Ngoài phạm vi của bạn: bạn không được tiếp nhận hay xử lý hồ sơ của đơn vị %(unit)s."
        )
        for group in self.live:
            if not any(scope.covers(group.unit.path) for scope in scopes):
                self._reject_group(group, "competent_unit", message % {"unit": group.unit.code})

    def resolve_versions(self) -> None:
        """The active version of the procedure declared at the competent unit or its nearest
        ancestor, else at the receiving desk or its nearest ancestor."""
        new = [g for g in self.live if g.dossier is None]
        pairs = set()
        for group in new:
            code, desk = group.opening.opening["procedure"], group.opening.opening
            pairs.update({(code, group.unit), (code, desk["receiving_unit_obj"])})
        versions = active_versions(pairs) if pairs else {}
        message = _(
            "Thủ tục '%(code)s' chưa có quy trình đang áp dụng tại đơn vị %(unit)s hoặc cấp trên."
        )
        for group in new:
            code = group.opening.opening["procedure"]
            desk = group.opening.opening["receiving_unit_obj"]
            version = versions.get((code, group.unit.pk)) or versions.get((code, desk.pk))
            if version is None:
                params = {"code": code, "unit": group.unit.code}
                self._reject_group(group, "procedure", message % params)
            else:
                group.version_id = version.pk

    def replay(self, on_violation: str, calendars: CalendarCache) -> None:
        live = self.live
        stored = stored_events([g.dossier.pk for g in live if g.dossier is not None])
        self.rules.load(g.version_id for g in live)
        for group in live:
            if group.dossier is not None:
                group.stored = stored.get(group.dossier.pk, [])
            self.result.noted += replay_group(
                group, self.rules, calendars, on_violation, self.reject
            )
