"""The reads of a batch: a handful of queries per batch (chunked `IN` lists, `core.pg`), none
per record. Stored source ids, units by code (as they were on a day), active procedure
versions, due-date rules, the stored events of continued dossiers, the dossiers themselves
(locked)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.db.models import Case, F, JSONField, When

from govqms.core.pg import chunked, stored_values
from govqms.org.models import OrgUnit
from govqms.procedures.models import ProcedureVersion, Step

from .. import workflows
from ..models import Dossier, DossierEvent
from ..services import version_rule
from .records import Record


def stored_source_ids(source: str, sids: Sequence[str]) -> set[str]:
    """The ones of `sids` already stored for `source`."""
    return stored_values(DossierEvent, "source_id", sids, source=source)


def units_by_code(codes: Iterable[str]) -> dict[str, list[OrgUnit]]:
    """Every unit (current or closed) holding one of `codes`, by code."""
    result: dict[str, list[OrgUnit]] = defaultdict(list)
    for chunk in chunked(sorted(set(codes) - {""})):
        for unit in OrgUnit.objects.filter(code__in=chunk):
            result[unit.code].append(unit)
    return result


def unit_on(candidates: list[OrgUnit], day: dt.date) -> OrgUnit | None:
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


def active_versions(pairs: set[tuple[str, OrgUnit]]) -> dict[tuple[str, int], ProcedureVersion]:
    """(procedure code, unit) -> the active version declared at the unit or its nearest
    ancestor. One query for all pairs."""
    codes = sorted({code for code, _unit in pairs})
    paths = sorted({p for _code, unit in pairs for p in _ancestor_paths(unit.path)})
    found: dict[tuple[str, str], ProcedureVersion] = {}
    for chunk in chunked(paths):
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


class Rules:
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


def stored_events(dossier_ids: Sequence[int]) -> dict[int, list[workflows.Event]]:
    """The stored events of each dossier, in replay order."""
    rows_by_dossier: dict[int, list[tuple]] = defaultdict(list)
    unit_ids: set[int] = set()
    for chunk in chunked(list(dossier_ids)):
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


def current_units(codes: Iterable[str], known: dict[str, OrgUnit]) -> dict[str, OrgUnit]:
    """Current units by code (transfer targets, step units), reusing the ones already loaded."""
    result = {c: u for c, u in known.items() if u.valid_to is None}
    missing = sorted(set(codes) - set(result) - {""})
    for chunk in chunked(missing):
        result.update({u.code: u for u in OrgUnit.objects.current().filter(code__in=chunk)})
    return result


def existing_dossiers(source: str, records: list[Record]):
    """Existing dossiers (locked) by code, then by source id for the records not found by
    code."""
    qs = Dossier.objects.select_for_update(of=("self",)).select_related("competent_unit")
    by_code: dict[str, Dossier] = {}
    by_sid: dict[str, Dossier] = {}
    for chunk in chunked(sorted({r.dossier_code for r in records if r.dossier_code})):
        by_code.update({d.code: d for d in qs.filter(code__in=chunk).order_by("pk")})
    sids = sorted({r.dossier_sid for r in records if r.dossier_code not in by_code} - {""})
    for chunk in chunked(sids):
        found = qs.filter(source=source, source_id__in=chunk).order_by("pk")
        by_sid.update({d.source_id: d for d in found})
    return by_code, by_sid
