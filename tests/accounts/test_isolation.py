"""Isolation matrix: a ward-A user reads nothing of ward B through any page or API operation;
a province overseer reads both."""

import pytest
from django.urls import reverse

from govqms.accounts import services as account_services
from govqms.core.audit import audit_append

WARD_A_ROLES = ["desk_a", "handler_a", "leader_a", "quality_a"]
PROVINCE_ROLES = ["overseer", "auditor", "admin"]


@pytest.fixture
def audited(tree, users):
    """One audit entry about each ward, so the audit log has something to leak."""
    audit_append(actor=None, action="other", obj=tree["ward_a"], reason="about A")
    audit_append(actor=None, action="other", obj=tree["ward_b"], reason="about B")
    return tree


def _api(client, user, url):
    _, raw = account_services.api_token_create(actor=user, user=user, name="t")
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.mark.parametrize("who", WARD_A_ROLES)
def test_ward_a_user_sees_nothing_of_ward_b(client, users, audited, who):
    user = users[who]
    ward_b = audited["ward_b"]

    # API: single unit, unit list, users, audit entries.
    assert _api(client, user, f"/api/v1/org/units/{ward_b.code}").status_code == 404
    listed = {u["code"] for u in _api(client, user, "/api/v1/org/units").json()}
    assert ward_b.code not in listed
    assert "01" not in listed  # not even the province above them
    users_seen = _api(client, user, "/api/v1/accounts/users").json()
    assert not any(u["username"].endswith("_b") for u in users_seen)
    entries = _api(client, user, "/api/v1/audit/entries").json()
    assert not any(e["unit_path"].startswith(ward_b.path) for e in entries)

    # Pages.
    client.force_login(user)
    assert client.get(reverse("web:org_unit", args=[ward_b.code])).status_code == 404
    assert client.get(reverse("web:org_children", args=[ward_b.code])).status_code == 404
    tree_page = client.get(reverse("web:org_tree")).content.decode()
    assert ward_b.name not in tree_page
    log_page = client.get(reverse("web:audit_log"))
    assert "about B" not in log_page.content.decode()


@pytest.mark.parametrize("who", WARD_A_ROLES)
def test_ward_a_user_sees_own_ward(client, users, audited, who):
    user = users[who]
    listed = {u["code"] for u in _api(client, user, "/api/v1/org/units").json()}
    assert {audited["ward_a"].code, audited["div_a"].code} <= listed


@pytest.mark.parametrize("who", PROVINCE_ROLES)
def test_province_roles_see_both_wards(client, users, audited, who):
    user = users[who]
    for ward in (audited["ward_a"], audited["ward_b"]):
        response = _api(client, user, f"/api/v1/org/units/{ward.code}")
        assert response.status_code == 200
        assert response.json()["name"] == ward.name
    entries = _api(client, user, "/api/v1/audit/entries?limit=1000").json()
    reasons = {e["reason"] for e in entries}
    assert {"about A", "about B"} <= reasons
    client.force_login(user)
    if who == "admin":
        # Administrators must pass TOTP before pages; the API token path is covered above.
        return
    page = client.get(reverse("web:org_unit", args=[audited["ward_b"].code]))
    assert page.status_code == 200


def test_user_without_roles_sees_nothing(client, users, audited):
    user = users["nobody"]
    assert _api(client, user, "/api/v1/org/units").json() == []
    assert _api(client, user, "/api/v1/audit/entries").json() == []
    assert _api(client, user, "/api/v1/accounts/users").json() == []


def test_ward_b_leader_reads_ward_b_users_only(client, users, audited):
    names = {
        u["username"] for u in _api(client, users["leader_b"], "/api/v1/accounts/users").json()
    }
    assert names == {"desk_b", "leader_b"}
