"""Reads of the organization tree. Everything a person sees goes through `restrict`."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import OrgUnit, UnitSuccession

PERM_VIEW = "org.view"


def unit_list(
    *, user, kind: str | None = None, parent: OrgUnit | None = None, current: bool = True
):
    qs = OrgUnit.objects.restrict(user, PERM_VIEW).select_related("parent")
    if current:
        qs = qs.current()
    if kind:
        qs = qs.filter(kind=kind)
    if parent is not None:
        qs = qs.filter(parent=parent)
    return qs


def unit_get(*, user, code: str) -> OrgUnit:
    """The current unit with this code if the user may see it; else 404 (existence not leaked)."""
    unit = unit_list(user=user).filter(code=code).first()
    if unit is None:
        raise Http404(_("Không tìm thấy đơn vị %(code)s.") % {"code": code})
    return unit


def unit_by_code(code: str, *, on: datetime.date | None = None) -> OrgUnit:
    """System lookup (CLI, imports): the unit that holds `code` on the given day (default today)."""
    day = on or timezone.localdate()
    unit = OrgUnit.objects.valid_on(day).filter(code=code).order_by("-valid_from").first()
    if unit is None:
        unit = OrgUnit.objects.filter(code=code).order_by("-valid_from").first()
    if unit is None:
        raise OrgUnit.DoesNotExist(_("Không có đơn vị mã %(code)s.") % {"code": code})
    return unit


def unit_ancestors(unit: OrgUnit) -> list[OrgUnit]:
    prefixes = []
    parts = unit.path.strip("/").split("/")
    for i in range(1, len(parts)):
        prefixes.append("/" + "/".join(parts[:i]) + "/")
    return list(OrgUnit.objects.filter(path__in=prefixes).order_by("depth"))


def predecessor_paths(unit_paths: Iterable[str]) -> set[str]:
    """Paths of every unit that (transitively) ceased into a unit at one of `unit_paths` or below.

    Used by scoping, so that today's ward sees the history of the wards merged into it.
    """
    frontier = set(
        UnitSuccession.objects.filter(successor__path__in=list(unit_paths)).values_list(
            "predecessor_id", "predecessor__path"
        )
    )
    seen_ids: set[int] = set()
    paths: set[str] = set()
    while frontier:
        ids = {pk for pk, _ in frontier} - seen_ids
        seen_ids |= ids
        paths |= {path for _, path in frontier}
        frontier = set(
            UnitSuccession.objects.filter(successor_id__in=ids).values_list(
                "predecessor_id", "predecessor__path"
            )
        )
    return paths


def rollup_target(unit: OrgUnit, *, on: datetime.date | None = None) -> OrgUnit:
    """The unit that carries `unit`'s history on day `on`: follow primary successions forward."""
    day = on or timezone.localdate()
    seen = {unit.pk}
    current = unit
    while current.valid_to is not None and current.valid_to <= day:
        link = (
            UnitSuccession.objects.filter(predecessor=current, primary=True)
            .select_related("successor")
            .first()
        )
        if link is None or link.successor_id in seen:
            break
        seen.add(link.successor_id)
        current = link.successor
    return current


def rollup_map(*, on: datetime.date | None = None) -> dict[int, int]:
    """{unit id: id of the unit that carries its history on `on`}, for every closed unit.

    One query over the succession table, then in-memory path following, so that roll-ups over
    many units do not issue a query per unit.
    """
    day = on or timezone.localdate()
    closed = dict(
        OrgUnit.objects.filter(valid_to__isnull=False, valid_to__lte=day).values_list(
            "id", "valid_to"
        )
    )
    primary = dict(
        UnitSuccession.objects.filter(primary=True).values_list("predecessor_id", "successor_id")
    )
    result = {}
    for unit_id in closed:
        target, seen = unit_id, {unit_id}
        while target in closed and target in primary and primary[target] not in seen:
            target = primary[target]
            seen.add(target)
        result[unit_id] = target
    return result
