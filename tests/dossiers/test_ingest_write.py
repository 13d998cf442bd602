"""The ingest writer's SQL (`govqms.core.pg`): the path of this database (COPY and UPDATE ...
FROM on PostgreSQL, executemany on SQLite) and the portable path forced on it, so both are
tested whichever database runs the suite; and two batches racing on one dossier (PostgreSQL).
"""

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from govqms.core import pg
from govqms.dossiers import ingest, services
from govqms.dossiers.models import Dossier, DossierEvent, StepRecord

from .conftest import local
from .test_ingest import SOURCE, _snapshot, event, full_path, opening


@pytest.fixture(params=["native", "portable"])
def sql_path(request, monkeypatch):
    """ "native": this database's own path; "portable": the fallback any backend runs, with
    each field's own value adapter (on SQLite too)."""
    if request.param == "portable":
        monkeypatch.setattr(pg, "_vendor", lambda: "generic")
    return request.param


def test_pg_helpers_round_trip(sql_path, version, tree):
    at = local(2026, 3, 3, 9, 0)
    dossiers = [
        Dossier(
            code=f"PG-{n}", version=version, receiving_unit=tree["ward_a"],
            competent_unit=tree["ward_a"], returning_unit=tree["ward_a"], channel="counter",
            status="received", received_at=at, created_at=at, calendar_code="NL",
        )
        for n in range(3)
    ]  # fmt: skip
    pg.insert_with_ids(Dossier, dossiers, natural_key="code")
    assert all(d.pk and not d._state.adding for d in dossiers)
    stored = {d.code: d.pk for d in Dossier.objects.all()}
    assert stored == {d.code: d.pk for d in dossiers}
    columns = ("dossier_id", "seq", "kind", "occurred_at", "recorded_at", "actor_label", "data",
               "source", "source_id", "step", "reason")  # fmt: skip
    rows = [
        (d.pk, 1, "received", at, at, "bộ phận một cửa", pg.RawJSON('{"a":"ế"}'), "s",
         f"{d.code}/1", "", "")
        for d in dossiers
    ]  # fmt: skip
    rows.append((dossiers[0].pk, 2, "note", at, at, "", {"b": [1, 2]}, "s", "x/2", "", "ghi"))
    pg.bulk_copy(DossierEvent, rows, columns)
    assert DossierEvent.objects.get(source_id="PG-0/1").data == {"a": "ế"}
    assert DossierEvent.objects.get(source_id="x/2").data == {"b": [1, 2]}
    assert DossierEvent.objects.get(source_id="x/2").occurred_at == at
    found = pg.stored_values(DossierEvent, "source_id", ["PG-1/1", "x/2", "nope"], source="s")
    assert found == {"PG-1/1", "x/2"}
    assert pg.stored_values(DossierEvent, "source_id", ["PG-1/1"], source="other") == set()
    due = local(2026, 3, 4, 9, 0)
    pg.bulk_update_from_values(
        Dossier,
        [(d.pk, "processing", due, 7, tree["ward_b"].pk) for d in dossiers[:2]],
        ("status", "due_at", "event_count", "competent_unit_id"),
    )
    rows = dict(Dossier.objects.values_list("code", "status"))
    assert rows == {"PG-0": "processing", "PG-1": "processing", "PG-2": "received"}
    updated = Dossier.objects.get(code="PG-1")
    assert (updated.due_at, updated.event_count, updated.competent_unit) == (
        due,
        7,
        tree["ward_b"],
    )
    assert updated.calendar_code == "NL"


def test_ingest_lands_the_same_on_either_path(sql_path, version, users):
    """The ingest of test_ingest's rebuild scenario: state equal to a rebuild, same digest."""
    now = local(2026, 3, 5, 12, 0)
    records = [
        *full_path("a", "HS-1"),
        opening("b-1", "HS-2", local(2026, 3, 3, 16, 45), calendar="NL"),
        event("b-2", "HS-2", "supplement_requested", local(2026, 3, 4, 10, 0), reason="Thiếu"),
    ]
    first = ingest.events_ingest(actor=None, source=SOURCE, records=records, now=now)
    assert first.rejected == 0, first.errors
    late = [
        event("a-0", "HS-1", "step_finished", local(2026, 3, 3, 9, 20), step="TN"),
        event("b-3", "HS-2", "supplement_provided", local(2026, 3, 4, 14, 0)),
        event("c-1", "HS-3", "note", local(2026, 3, 4, 14, 0)),  # unknown dossier
    ]
    second = ingest.events_ingest(actor=None, source=SOURCE, records=late, now=now)
    assert (second.accepted, second.dossiers_updated, second.rejected) == (2, 2, 1)
    sids = [r["source_id"] for r in records]
    assert ingest.events_digest(source=SOURCE, source_ids=sids) == first.sha256
    assert Dossier.objects.get(code="HS-2").calendar_code == "NL"
    assert StepRecord.objects.filter(dossier__code="HS-1").count() == 2
    for dossier in Dossier.objects.all():
        before = _snapshot(dossier)
        services.dossier_rebuild(dossier=Dossier.objects.get(pk=dossier.pk), now=now)
        assert _snapshot(dossier) == before, dossier.code


# --- Two batches racing on one dossier ---------------------------------------------------------


def _race(batches):
    """Run each batch in its own thread (its own connection), started together."""
    barrier = threading.Barrier(len(batches))
    results, failures = [None] * len(batches), []

    def run(i, records):
        try:
            barrier.wait(timeout=10)
            results[i] = ingest.events_ingest(actor=None, source=SOURCE, records=records)
        except Exception as exc:  # reported by the test
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, b)) for i, b in enumerate(batches)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return results


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: row locks between concurrent connections (SQLite serialises "
    "writers on the whole file and shares no test database between threads)",
)
@pytest.mark.django_db(transaction=True)
def test_two_batches_racing_on_one_dossier_serialise(version, users):
    at = local(2026, 3, 3, 9, 0)
    # Both batches open HS-R: the loser hits the unique code, retries and continues it.
    first = [
        opening("a-1", "HS-R", at),
        event("a-2", "HS-R", "step_started", at + dt.timedelta(minutes=30), step="XL"),
    ]
    second = [
        opening("b-1", "HS-R", at + dt.timedelta(minutes=5)),
        event("b-2", "HS-R", "note", at + dt.timedelta(minutes=40), reason="gọi điện"),
    ]
    results = _race([first, second])
    assert sorted(r.dossiers_created for r in results) == [0, 1]
    # The second receipt (whichever batch lost) is refused by the lifecycle, the rest lands.
    assert sum(r.accepted for r in results) == 3
    refused = [(e.field, e.message) for r in results for e in r.errors]
    message = "Sự kiện 'received' không được phép khi hồ sơ đang ở trạng thái 'received'."
    assert refused == [("kind", message)]
    # Then both continue the stored dossier at once: the row lock serialises them.
    third = [event("a-3", "HS-R", "step_finished", at + dt.timedelta(hours=2), step="XL")]
    fourth = [event("b-3", "HS-R", "note", at + dt.timedelta(hours=3), reason="nhắc hẹn")]
    results = _race([third, fourth])
    assert [r.accepted for r in results] == [1, 1]
    dossier = Dossier.objects.get(code="HS-R")
    seqs = sorted(dossier.events.values_list("seq", flat=True))
    assert seqs == list(range(1, 6)) and dossier.event_count == 5
    before = _snapshot(dossier)
    services.dossier_rebuild(dossier=dossier, now=dossier.created_at)
    after = _snapshot(dossier)
    before[0].pop("timeliness"), after[0].pop("timeliness")
    assert after == before
