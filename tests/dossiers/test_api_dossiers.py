"""The dossier API: scoped and masked lists, full reads logged, receipt, events with 4xx errors."""

import pytest

from govqms.accounts import services as account_services
from govqms.core.models import AuditEntry
from govqms.dossiers import services
from govqms.dossiers.models import Dossier

from .conftest import local

APPLICANT = services.ApplicantData(
    name="Nguyễn Văn An", phone="0912345678", email="an@example.vn", id_number="001099012345"
)


@pytest.fixture
def auth(users):
    def make(who):
        _, raw = account_services.api_token_create(actor=users[who], user=users[who], name="t")
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return make


@pytest.fixture
def dossier(version, users, tree):
    return services.dossier_open(
        actor=users["desk_a"],
        version=version,
        receiving_unit=tree["ward_a"],
        channel="counter",
        applicant=APPLICANT,
        at=local(2026, 3, 3, 9, 0),
    )


def test_list_is_scoped_paged_and_masked(client, auth, dossier, version, users, tree):
    for hour in (10, 11):
        services.dossier_open(
            actor=users["desk_a"],
            version=version,
            receiving_unit=tree["ward_a"],
            channel="counter",
            applicant=APPLICANT,
            at=local(2026, 3, 3, hour, 0),
        )
    body = client.get("/api/v1/dossiers?limit=2", **auth("handler_a")).json()
    assert body["count"] == 3 and body["limit"] == 2 and len(body["items"]) == 2
    item = body["items"][0]
    assert item["applicant_name_masked"] == "Nguyễn V. A."
    assert item["applicant_phone_masked"] == "091****678"
    raw = client.get("/api/v1/dossiers", **auth("handler_a")).content.decode()
    assert "Nguyễn Văn An" not in raw and "0912345678" not in raw and "001099012345" not in raw
    assert (
        client.get("/api/v1/dossiers?offset=2", **auth("handler_a")).json()["items"][0]["code"]
        == dossier.code
    )
    assert client.get("/api/v1/dossiers", **auth("desk_b")).json()["count"] == 0
    assert client.get("/api/v1/dossiers", **auth("overseer")).json()["count"] == 3
    assert client.get("/api/v1/dossiers?status=returned", **auth("overseer")).json()["count"] == 0


def test_get_returns_everything_and_logs_the_read(client, auth, dossier):
    response = client.get(f"/api/v1/dossiers/{dossier.code}", **auth("handler_a"))
    assert response.status_code == 200
    body = response.json()
    assert body["applicant"] == {
        "name": "Nguyễn Văn An",
        "phone": "0912345678",
        "email": "an@example.vn",
        "id_number": "001099012345",
    }
    assert [e["kind"] for e in body["events"]] == ["received"]
    assert any("Hạn trả kết quả" in line for line in body["due_explanation"])
    entry = AuditEntry.objects.filter(action="read").latest("seq")
    assert entry.object_id == str(dossier.pk) and entry.actor_label == "handler_a"
    assert entry.reason == "API: xem hồ sơ"


def test_ward_b_gets_404_on_a_ward_a_dossier(client, auth, dossier):
    for who in ("desk_b", "leader_b", "nobody"):
        assert client.get(f"/api/v1/dossiers/{dossier.code}", **auth(who)).status_code == 404
        response = client.post(
            f"/api/v1/dossiers/{dossier.code}/events",
            {"kind": "finished"},
            content_type="application/json",
            **auth(who),
        )
        assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="read").exists()


def test_receive(client, auth, version):
    payload = {
        "procedure_code": "1.001193",
        "unit_code": "00070",
        "channel": "counter",
        "applicant": {"name": "Trần Thị Bình", "phone": "0987654321"},
        "received_at": "2026-03-03T09:00:00+07:00",
    }
    response = client.post(
        "/api/v1/dossiers", payload, content_type="application/json", **auth("desk_a")
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["code"] == "00070-260303-0001"
    assert body["status"] == "received"
    assert body["due_at"].startswith("2026-03-04T02:00:00")  # Wed 09:00 in Hanoi, in UTC
    assert body["competent_unit"] == "00070"


def test_receive_errors(client, auth, version):
    base = {
        "procedure_code": "1.001193",
        "unit_code": "00070",
        "applicant": {"name": "Trần Thị Bình"},
    }

    def post(who, **changes):
        return client.post(
            "/api/v1/dossiers", {**base, **changes}, content_type="application/json", **auth(who)
        )

    assert post("handler_a").status_code == 403  # may not receive
    assert post("desk_b").status_code == 403  # not at ward A
    assert post("desk_a", unit_code="99999").status_code == 404
    response = post("desk_a", procedure_code="9.999999")
    assert response.status_code == 422
    assert "procedure_code" in response.json()["detail"]
    response = post("desk_a", received_at="2026-03-03T09:00:00")
    assert response.status_code == 422
    assert post("desk_a", applicant={"name": ""}).status_code == 422
    assert Dossier.objects.count() == 0


def test_events_return_the_new_state(client, auth, dossier):
    url = f"/api/v1/dossiers/{dossier.code}/events"

    def post(who, **payload):
        return client.post(url, payload, content_type="application/json", **auth(who))

    response = post(
        "handler_a", kind="step_started", step="XL", occurred_at="2026-03-03T09:30+07:00"
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "processing"
    assert response.json()["current_step"] == "XL"
    response = post(
        "handler_a",
        kind="supplement_requested",
        occurred_at="2026-03-03T10:00+07:00",
        reason="Thiếu tờ khai",
    )
    assert response.json()["status"] == "supplement" and response.json()["paused"]
    # Not allowed while paused → 422 naming the field.
    response = post("handler_a", kind="step_finished", step="XL")
    assert response.status_code == 422
    assert "kind" in response.json()["detail"]
    # The applicant brings the supplement to the desk.
    response = post("desk_a", kind="supplement_provided", occurred_at="2026-03-03T14:00+07:00")
    assert response.json()["due_at"].startswith("2026-03-04T05:00:00")  # +3 working hours
    # A second supplement request is refused.
    response = post("handler_a", kind="supplement_requested", reason="Lần hai")
    assert response.status_code == 422
    assert "một lần" in response.json()["detail"]["kind"][0]
    # Approvals need the leader.
    assert post("handler_a", kind="finished").status_code == 403
    response = post(
        "leader_a",
        kind="reappointed",
        occurred_at="2026-03-03T16:00+07:00",
        data={"new_due_at": "2026-03-06T16:30+07:00"},
    )
    assert response.status_code == 422
    assert "reason" in response.json()["detail"]
    assert post("handler_a", kind="nonsense").status_code == 422
    assert post("handler_a", kind="note", occurred_at="2026-03-03T15:00").status_code == 422
    response = post("leader_a", kind="finished", occurred_at="2026-03-04T10:00+07:00")
    assert response.status_code == 201
    assert response.json()["status"] == "finished"
    assert response.json()["seq"] == 5


def test_anonymous_calls_are_refused(client, dossier):
    assert client.get("/api/v1/dossiers").status_code == 401
    assert client.get(f"/api/v1/dossiers/{dossier.code}").status_code == 401


def test_public_api_has_no_personal_data(client, dossier):
    response = client.get(f"/api/v1/public/dossiers/{dossier.code}")
    assert response.status_code == 200
    body = response.json()
    assert body["found"] and body["code"] == dossier.code
    assert body["procedure_name"] == "Thủ tục đăng ký khai sinh"
    assert body["receiving_unit_name"] == "Phường Hoàn Kiếm"
    raw = response.content.decode()
    for secret in ("Nguyễn", "0912345678", "001099012345", "an@example.vn", "applicant"):
        assert secret not in raw
    missing = client.get("/api/v1/public/dossiers/00070-000000-9999").json()
    assert missing == {**missing, "found": False, "code": "00070-000000-9999"}
    assert not AuditEntry.objects.filter(action="read").exists()
