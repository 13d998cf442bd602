"""POST /api/v1/dossiers/events/batch: authenticated, scoped per record, 422 on a malformed body,
413 over the batch limit."""

import pytest

from govqms.accounts import services as account_services
from govqms.dossiers.models import Dossier, DossierEvent

from .conftest import local
from .test_ingest import event, full_path, opening

URL = "/api/v1/dossiers/events/batch"


def _auth(user):
    _token, raw = account_services.api_token_create(actor=user, user=user, name="connector")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_anonymous_calls_are_refused(client, db):
    response = client.post(URL, {"source": "x", "events": []}, content_type="application/json")
    assert response.status_code == 401


def test_records_outside_the_callers_scope_are_rejected_one_by_one(client, users, version, tree):
    from govqms.procedures.models import ProcedureVersion

    ProcedureVersion.objects.create(
        procedure=version.procedure,
        unit=tree["ward_b"],
        number=1,
        status="active",
        limit_unit="working_days",
        limit_hours=8,
    )
    records = [
        *full_path("a", "HS-A"),
        opening("b-1", "HS-B", local(2026, 3, 3, 9, 0), receiving_unit="00004"),
        event("b-2", "HS-B", "note", local(2026, 3, 3, 10, 0)),
    ]
    body = {"source": "portal", "events": records}
    response = client.post(URL, body, content_type="application/json", **_auth(users["desk_a"]))
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["accepted"], data["duplicated"], data["rejected"]) == (4, 0, 2)
    assert data["dossiers_created"] == 1
    assert [(e["index"], e["field"]) for e in data["errors"]] == [
        (4, "competent_unit"),
        (5, "competent_unit"),
    ]
    assert not Dossier.objects.filter(code="HS-B").exists()
    again = client.post(URL, body, content_type="application/json", **_auth(users["desk_a"]))
    assert (again.json()["accepted"], again.json()["duplicated"]) == (0, 4)
    assert DossierEvent.objects.count() == 4


def test_malformed_bodies_answer_422_with_the_detail(client, users, version):
    auth = _auth(users["desk_a"])
    for body in (
        {"events": []},  # no source
        {"source": "x", "events": [{"source_id": "1", "kind": "note", "colour": "red"}]},
        {"source": "x", "events": [{"source_id": 1}]},  # not text
        {"source": "x", "events": "all"},
    ):
        response = client.post(URL, body, content_type="application/json", **auth)
        assert response.status_code == 422, body
        assert response.json()["detail"], body
    naive = {
        "source": "x",
        "events": [opening("1", "HS", local(2026, 3, 3, 9).replace(tzinfo=None))],
    }
    response = client.post(URL, naive, content_type="application/json", **auth)
    assert response.status_code == 200
    assert response.json()["errors"][0]["field"] == "occurred_at"


@pytest.mark.parametrize("n", [10_001])
def test_batches_over_the_limit_answer_413(client, users, n, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = None
    body = {"source": "x", "events": [{"source_id": str(i)} for i in range(n)]}
    response = client.post(URL, body, content_type="application/json", **_auth(users["desk_a"]))
    assert response.status_code == 413
    assert "at most 10000" in response.json()["detail"]
