"""Every write to the organization tree: one transaction, an explicit actor, an audit entry."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from govqms.core.audit import audit_append, diff_fields, snapshot
from govqms.core.scoping import require

from .models import OrgUnit, UnitSuccession

UNIT_FIELDS = (
    "code",
    "national_code",
    "name",
    "short_name",
    "kind",
    "path",
    "valid_from",
    "valid_to",
)
PERM_MANAGE = "org.manage"


def _check(actor, path: str) -> None:
    """`actor=None` is the system (CLI imports, migrations); people need org.manage there."""
    if actor is not None:
        require(actor, PERM_MANAGE, path)


@transaction.atomic
def unit_create(
    *,
    actor,
    code: str,
    name: str,
    kind: str,
    parent: OrgUnit | None = None,
    national_code: str = "",
    short_name: str = "",
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    source: str = "",
) -> OrgUnit:
    unit = OrgUnit(
        code=code.strip(),
        name=name.strip(),
        kind=kind,
        parent=parent,
        national_code=national_code,
        short_name=short_name,
        valid_from=valid_from,
        valid_to=valid_to,
        source=source,
    )
    unit.path = unit.compute_path()
    unit.depth = unit.path.count("/") - 2
    _check(actor, parent.path if parent else "/")
    unit.full_clean()
    unit.save()
    audit_append(
        actor=actor,
        action="create",
        obj=unit,
        changes=diff_fields(None, snapshot(unit, UNIT_FIELDS)),
    )
    return unit


@transaction.atomic
def unit_update(*, actor, unit: OrgUnit, **fields) -> OrgUnit:
    """Change names and dates. Codes and parents are fixed: a reorganization is a succession."""
    allowed = {"name", "short_name", "national_code", "valid_from", "valid_to", "kind", "source"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(_("Không thể sửa các trường: %s") % ", ".join(sorted(unknown)))
    _check(actor, unit.path)
    before = snapshot(unit, UNIT_FIELDS)
    for name, value in fields.items():
        setattr(unit, name, value)
    unit.full_clean()
    changes = diff_fields(before, snapshot(unit, UNIT_FIELDS))
    if changes:
        unit.save()
        audit_append(actor=actor, action="update", obj=unit, changes=changes)
    return unit


@transaction.atomic
def unit_succession_record(
    *,
    actor,
    predecessors: Iterable[OrgUnit],
    successors: Iterable[OrgUnit],
    kind: str,
    effective_date: datetime.date,
    legal_basis: str = "",
    primary: OrgUnit | None = None,
) -> list[UnitSuccession]:
    """Close `predecessors` on `effective_date` and link each to its successors.

    For a split (one predecessor, several successors) `primary` names the successor that carries
    the predecessor's history in roll-ups; by default the first successor does.
    """
    predecessors = list(predecessors)
    successors = list(successors)
    if not predecessors or not successors:
        raise ValidationError(_("Cần ít nhất một đơn vị trước và một đơn vị kế thừa."))
    primary = primary or successors[0]
    if primary not in successors:
        raise ValidationError(_("Đơn vị kế thừa chính phải nằm trong danh sách kế thừa."))
    links = []
    for old in predecessors:
        _check(actor, old.path)
        if old.valid_to is None or old.valid_to > effective_date:
            unit_update(actor=actor, unit=old, valid_to=effective_date)
        for new in successors:
            _check(actor, new.path)
            link, created = UnitSuccession.objects.get_or_create(
                predecessor=old,
                successor=new,
                defaults={
                    "kind": kind,
                    "effective_date": effective_date,
                    "legal_basis": legal_basis,
                    "primary": new == primary,
                },
            )
            if created:
                audit_append(
                    actor=actor,
                    action="create",
                    obj=link,
                    unit_path=old.path,
                    changes={
                        "predecessor": [None, old.code],
                        "successor": [None, new.code],
                        "kind": [None, kind],
                        "effective_date": [None, effective_date],
                    },
                )
            links.append(link)
    return links
