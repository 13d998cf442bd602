"""POST /api/v1/dossiers/events/batch: authenticated, scoped per record, 422 on a malformed body,
413 over the batch limit, a full batch of 10,000 events accepted."""

import datetime as dt
import json
import time
import uuid

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
    assert "10001" in response.json()["detail"] and "10000" in response.json()["detail"]


def _full_batch(n_dossiers=1_000):
    """10 events per dossier (receipt with applicant and data, three steps, finish, return, a
    note), each with the source's own ids and a trace, as a one-stop-shop system sends them:
    a full batch of 10,000 events is about 3.5 MB of JSON."""
    events = []
    for i in range(n_dossiers):
        code, external = f"HS-{i:05d}", str(uuid.UUID(int=i))
        day = 2 + i % 20
        at = [local(2026, 3, day, 8, 0) + dt.timedelta(minutes=m) for m in range(0, 100, 10)]
        path = [
            opening(
                "", code, at[0], actor="motcua.canbo01", applicant_name="Nguyễn Văn An",
                applicant_phone="0912345678",
                data={"so_bien_nhan": f"BN-2026-{i:06d}", "le_phi": 50000, "kenh": "quầy"},
            )
        ]  # fmt: skip
        n = 1
        for step in ("TN", "XL", "KY"):
            for kind in ("step_started", "step_finished"):
                path.append(event("", code, kind, at[n], step=step, actor="motcua.canbo02"))
                n += 1
        path.append(event("", code, "finished", at[7], actor="lanhdao.ubnd"))
        path.append(event("", code, "returned", at[8], actor="motcua.canbo01"))
        path.append(event("", code, "note", at[9], reason="Công dân đã nhận kết quả tại quầy."))
        for n, record in enumerate(path):
            record["source_id"] = f"{external}/{n}"
            record["dossier_source_id"] = external
            record.setdefault("data", {})["trace"] = {
                "id": str(uuid.UUID(int=i * 16 + n)),
                "system": "motcua-hn",
                "version": "3.2.1",
            }
        events.extend(path)
    return {"source": "motcua-hn", "events": events}


def test_a_full_batch_of_10000_events_is_accepted(client, users, version, settings):
    body = json.dumps(_full_batch()).encode()
    assert len(body) > 2.5 * 1024 * 1024  # over Django's default DATA_UPLOAD_MAX_MEMORY_SIZE
    assert len(body) < 16 * 1024 * 1024  # the setting: govqms/settings
    auth = _auth(users["desk_a"])
    started = time.perf_counter()
    response = client.post(URL, body, content_type="application/json", **auth)
    assert response.status_code == 200, response.content[:500]
    data = response.json()
    assert (data["accepted"], data["rejected"], data["dossiers_created"]) == (10_000, 0, 1_000)
    assert time.perf_counter() - started < 10
    # Django's default limit would refuse the same body before it is parsed.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
    response = client.post(URL, body, content_type="application/json", **auth)
    assert response.status_code == 400
