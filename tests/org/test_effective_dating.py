"""Units merge and split; history rolls up to today's successors."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from govqms.org import selectors, services
from govqms.org.models import OrgUnit, UnitSuccession
from tests.conftest import make_unit, make_user

REFORM = datetime.date(2025, 7, 1)


@pytest.fixture
def reform(tree):
    """Two old wards under an old district merge into ward A; an old ward splits between A and B."""
    district = make_unit("H-001", "Quận Hoàn Kiếm", "district", tree["hanoi"], valid_to=REFORM)
    old_1 = make_unit("H-00037", "Phường Hàng Bạc", "ward", district, valid_to=REFORM)
    old_2 = make_unit("H-00040", "Phường Hàng Bồ", "ward", district, valid_to=REFORM)
    old_3 = make_unit("H-00043", "Phường Cửa Đông", "ward", district)
    services.unit_succession_record(
        actor=None,
        predecessors=[old_1, old_2],
        successors=[tree["ward_a"]],
        kind="merge",
        effective_date=REFORM,
    )
    services.unit_succession_record(
        actor=None,
        predecessors=[old_3],
        successors=[tree["ward_b"], tree["ward_a"]],
        kind="split",
        effective_date=REFORM,
        primary=tree["ward_a"],
    )
    return {"district": district, "old_1": old_1, "old_2": old_2, "old_3": old_3, **tree}


def test_merged_units_roll_up_to_successor(reform):
    old_3 = OrgUnit.objects.get(pk=reform["old_3"].pk)
    assert old_3.valid_to == REFORM, "recording the succession closes the predecessor"
    for name in ("old_1", "old_2", "old_3"):
        assert selectors.rollup_target(reform[name]) == reform["ward_a"]
    # Before the reform each old ward is still its own unit.
    assert (
        selectors.rollup_target(reform["old_1"], on=REFORM - datetime.timedelta(days=1))
        == (reform["old_1"])
    )
    mapping = selectors.rollup_map()
    assert mapping[reform["old_1"].pk] == reform["ward_a"].pk
    assert mapping[reform["old_3"].pk] == reform["ward_a"].pk
    assert reform["ward_a"].pk not in mapping


def test_split_has_exactly_one_primary_successor(reform):
    links = UnitSuccession.objects.filter(predecessor=reform["old_3"])
    assert links.count() == 2
    assert [link.successor for link in links if link.primary] == [reform["ward_a"]]


def test_chained_reorganizations_follow_through(reform):
    later = datetime.date(2026, 1, 1)
    new_ward = make_unit("00071", "Phường Hoàn Kiếm mới", "ward", reform["hanoi"], valid_from=later)
    services.unit_succession_record(
        actor=None,
        predecessors=[reform["ward_a"]],
        successors=[new_ward],
        kind="merge",
        effective_date=later,
    )
    assert selectors.rollup_target(reform["old_1"], on=later) == new_ward
    assert selectors.rollup_map(on=later)[reform["old_1"].pk] == new_ward.pk


def test_successor_users_see_predecessor_history(reform):
    user = make_user("leader_a2", "unit_leader", reform["ward_a"])
    visible = set(selectors.unit_list(user=user, current=False).values_list("code", flat=True))
    assert {"00070", "H-00037", "H-00040", "H-00043"} <= visible
    assert "00004" not in visible


def test_lookup_by_code_finds_the_current_unit(reform):
    assert selectors.unit_by_code("01") == reform["hanoi"]
    assert selectors.unit_by_code("H-00037") == reform["old_1"]


def test_current_codes_are_unique_but_history_may_reuse_them(reform):
    with pytest.raises(ValidationError), transaction.atomic():
        make_unit("00070", "Trùng mã", "ward", reform["hanoi"])
    # A closed unit may share a code with the current one (different path, closed).
    make_unit("00070", "Phường Hoàn Kiếm (cũ)", "ward", reform["district"], valid_to=REFORM)


def test_invalid_ranges_are_refused(tree):
    with pytest.raises(ValidationError):
        make_unit("X1", "Sai", "ward", tree["hanoi"], valid_from=REFORM, valid_to=REFORM)
    with pytest.raises((IntegrityError, ValidationError)), transaction.atomic():
        UnitSuccession.objects.create(
            predecessor=tree["ward_a"],
            successor=tree["ward_a"],
            kind="merge",
            effective_date=REFORM,
        )


def test_org_manage_needs_the_right_scope(users, tree):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.unit_create(
            actor=users["leader_a"],
            code="X2",
            name="Bộ phận",
            kind="division",
            parent=tree["ward_a"],
        )
    unit = services.unit_create(
        actor=users["admin"], code="X2", name="Bộ phận", kind="division", parent=tree["ward_a"]
    )
    assert unit.path == "/01/00070/X2/"
    assert unit.depth == 2
