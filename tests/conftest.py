"""Shared fixtures: a small Hanoi tree with two wards, and one user per role."""

from pathlib import Path

import pytest
from django.core.cache import cache

from govqms.accounts import services as account_services
from govqms.accounts.roles import Role
from govqms.org import services as org_services

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache: the lookup throttle's counters live there."""
    cache.clear()
    yield
    cache.clear()


def make_unit(code, name, kind, parent=None, **extra):
    return org_services.unit_create(
        actor=None, code=code, name=name, kind=kind, parent=parent, **extra
    )


def make_user(username, role=None, unit=None, home=None, **extra):
    user = account_services.user_create(
        actor=None, username=username, password=None, home_unit=home or unit, **extra
    )
    if role is not None:
        account_services.role_grant(actor=None, user=user, role=role, unit=unit)
    return user


@pytest.fixture
def tree(db):
    """Hà Nội (01) → two wards (A, B) → an internal division in ward A; a department."""
    hanoi = make_unit("01", "Thành phố Hà Nội", "province", national_code="01")
    ward_a = make_unit("00070", "Phường Hoàn Kiếm", "ward", hanoi, national_code="00070")
    ward_b = make_unit("00004", "Phường Ba Đình", "ward", hanoi, national_code="00004")
    div_a = make_unit("00070-VP", "Văn phòng HĐND và UBND phường", "division", ward_a)
    dept = make_unit("01-STP", "Sở Tư pháp", "department", hanoi)
    return {"hanoi": hanoi, "ward_a": ward_a, "ward_b": ward_b, "div_a": div_a, "dept": dept}


@pytest.fixture
def users(tree):
    """One user per role: ward-A staff, ward-B staff, and province-level roles at Hanoi."""
    return {
        "desk_a": make_user("desk_a", Role.DESK_OFFICER, tree["ward_a"]),
        # Roles over dossiers are granted at the competent unit (the ward); the handler works in
        # one of its internal divisions.
        "handler_a": make_user("handler_a", Role.CASE_HANDLER, tree["ward_a"], home=tree["div_a"]),
        "leader_a": make_user("leader_a", Role.UNIT_LEADER, tree["ward_a"]),
        "quality_a": make_user("quality_a", Role.QUALITY_OFFICER, tree["ward_a"]),
        "desk_b": make_user("desk_b", Role.DESK_OFFICER, tree["ward_b"]),
        "leader_b": make_user("leader_b", Role.UNIT_LEADER, tree["ward_b"]),
        "auditor": make_user("auditor", Role.INTERNAL_AUDITOR, tree["hanoi"]),
        "overseer": make_user("overseer", Role.PROVINCE_OVERSEER, tree["hanoi"]),
        "admin": make_user("admin", Role.ADMINISTRATOR, tree["hanoi"]),
        "nobody": make_user("nobody"),
    }


@pytest.fixture
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data folder {SHARED_DATA} is absent (fresh clone outside CI)")
    return SHARED_DATA
