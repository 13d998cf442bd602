"""The API: authenticated, catalogue unscoped and paged, versions scoped (404 outside)."""

import pytest

from govqms.procedures import services

from .conftest import steps

pytestmark = pytest.mark.django_db
BASE = "/api/v1/procedures"


@pytest.fixture
def active(draft):
    return services.version_activate(actor=None, version=draft)


def test_anonymous_calls_are_refused(client, active):
    for url in (BASE, f"{BASE}/1.001193", f"{BASE}/1.001193/versions", f"{BASE}/versions/1"):
        assert client.get(url).status_code == 401, url


def test_catalogue_list_search_and_detail(client, users, birth):
    services.procedure_upsert(actor=None, code="1.000894", name="Đăng ký kết hôn", sector="Hộ tịch")
    services.procedure_upsert(
        actor=None, code="1.013833", name="Đăng ký biến động", sector="Đất đai"
    )
    client.force_login(users["nobody"])  # the catalogue is not scoped
    body = client.get(BASE, {"limit": 2}).json()
    assert body["count"] == 3 and len(body["items"]) == 2
    assert [p["code"] for p in client.get(BASE, {"sector": "Hộ tịch"}).json()["items"]] == [
        "1.000894",
        "1.001193",
    ]
    assert client.get(BASE, {"search": "kết hôn"}).json()["count"] == 1
    detail = client.get(f"{BASE}/1.001193").json()
    assert detail["limit_known"] is False and detail["limit_unit"] == ""
    assert client.get(f"{BASE}/0.000000").status_code == 404


def test_versions_are_scoped(client, users, active, tree, birth):
    other = services.version_create_draft(
        actor=None, procedure=birth, unit=tree["ward_b"], limit_unit="working_days",
        limit_hours=8, steps=steps(1, 4, 2, 1),
    )  # fmt: skip
    client.force_login(users["desk_a"])
    listed = client.get(f"{BASE}/1.001193/versions").json()
    assert [(v["unit_code"], v["status"]) for v in listed] == [("00070", "active")]
    detail = client.get(f"{BASE}/versions/{active.pk}").json()
    assert [s["code"] for s in detail["steps"]] == ["TN", "TD", "KY", "TKQ"]
    assert detail["steps"][0]["budget_hours"] == 1
    assert client.get(f"{BASE}/versions/{other.pk}").status_code == 404
    client.force_login(users["overseer"])
    assert len(client.get(f"{BASE}/1.001193/versions").json()) == 2
