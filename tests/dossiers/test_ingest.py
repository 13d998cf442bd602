"""Bulk ingestion (`dossiers.ingest.events_ingest`): idempotent, per-record errors, derived
state equal to a rebuild, one audit entry per batch."""

import datetime as dt

import pytest

from govqms.core.models import AuditEntry
from govqms.dossiers import ingest, services
from govqms.dossiers.models import Dossier, DossierEvent, StepRecord

from .conftest import local

SOURCE = "mot-cua"
WARD_A = "00070"


def opening(sid, dossier, at, **extra):
    """A receipt that opens `dossier` at ward A (Đăng ký khai sinh)."""
    return {
        "source_id": sid,
        "kind": "received",
        "occurred_at": at.isoformat(),
        "dossier_code": dossier,
        "procedure": "1.001193",
        "receiving_unit": WARD_A,
        "channel": "counter",
        **extra,
    }


def event(sid, dossier, kind, at, **extra):
    return {
        "source_id": sid,
        "kind": kind,
        "occurred_at": at.isoformat(),
        "dossier_code": dossier,
        **extra,
    }


def full_path(prefix, dossier, day=3):
    return [
        opening(f"{prefix}-1", dossier, local(2026, 3, day, 9, 0), actor="desk_a"),
        event(f"{prefix}-2", dossier, "step_started", local(2026, 3, day, 9, 30), step="XL"),
        event(f"{prefix}-3", dossier, "step_finished", local(2026, 3, day, 15, 0), step="XL"),
        event(f"{prefix}-4", dossier, "finished", local(2026, 3, day, 16, 0)),
    ]


def test_a_batch_sent_twice_lands_once(version, users):
    records = full_path("a", "HS-1") + full_path("b", "HS-2", day=4)
    first = ingest.events_ingest(actor=users["desk_a"], source=SOURCE, records=records)
    assert (first.accepted, first.duplicated, first.rejected) == (8, 0, 0), first.errors
    assert first.dossiers_created == 2
    counts = (Dossier.objects.count(), DossierEvent.objects.count(), StepRecord.objects.count())
    again = ingest.events_ingest(actor=users["desk_a"], source=SOURCE, records=records)
    assert (again.accepted, again.duplicated, again.rejected) == (0, 8, 0)
    assert again.dossiers_created == 0
    assert counts == (
        Dossier.objects.count(),
        DossierEvent.objects.count(),
        StepRecord.objects.count(),
    )
    d = Dossier.objects.get(code="HS-1")
    assert d.status == "finished" and d.event_count == 4
    assert d.due_at == local(2026, 3, 4, 9, 0)
    assert d.timeliness == "early"  # finished on the day of receipt, due the next day


NO_SOURCE_ID = {"kind": "note", "occurred_at": "2026-03-03T10:00:00+07:00", "dossier_code": "X"}


def test_bad_records_are_named_and_the_good_ones_land(version, users):
    good = full_path("g", "HS-OK")
    bad = [
        opening("n-1", "HS-NAIVE", local(2026, 3, 3, 9, 0).replace(tzinfo=None)),  # naive
        event("k-1", "HS-OK", "approved", local(2026, 3, 3, 16, 10)),  # unknown kind
        opening("u-1", "HS-UNIT", local(2026, 3, 3, 9, 0), receiving_unit="99999"),
        event("t-1", "HS-OK", "returned", local(2026, 3, 3, 15, 30)),  # before finished
        NO_SOURCE_ID,
        event("g-2", "HS-OK", "step_started", local(2026, 3, 3, 9, 45), step="KY"),  # clash
        event("g-3", "HS-OK", "step_finished", local(2026, 3, 3, 15, 0), step="XL"),  # same
        event("o-1", "HS-NEW", "step_started", local(2026, 3, 3, 9, 0), step="XL"),  # no opener
        opening("p-1", "HS-PROC", local(2026, 3, 3, 9, 0), procedure="9.999"),
        event("r-1", "HS-OK", "reappointed", local(2026, 3, 3, 10, 0)),  # no reason
        opening("c-1", "HS-CH", local(2026, 3, 3, 9, 0), channel="fax"),
    ]
    records = good + bad
    result = ingest.events_ingest(actor=users["desk_a"], source=SOURCE, records=records)
    assert result.accepted == 4
    assert result.duplicated == 1  # g-3 repeated unchanged
    errors = {e.index: (e.field, e.message) for e in result.errors}
    assert result.rejected == len(errors) == 10
    at = {r.get("source_id", "x"): i for i, r in enumerate(records)}
    # The messages are in the active language (Vietnamese here): check the field and the
    # values the message must quote.
    assert errors[at["n-1"]][0] == "occurred_at" and "2026-03-03T09:00:00'" in errors[at["n-1"]][1]
    assert errors[at["n-1"]][1].endswith("2026-03-03T09:00:00+07:00 hoặc 2026-03-03T02:00:00Z.")
    assert errors[at["k-1"]][0] == "kind" and "'approved'" in errors[at["k-1"]][1]
    assert errors[at["u-1"]][0] == "receiving_unit" and "99999" in errors[at["u-1"]][1]
    assert errors[at["t-1"]] == (
        "kind",
        "Sự kiện 'returned' không được phép khi hồ sơ đang ở trạng thái 'processing'.",
    )
    assert errors[at["x"]][0] == "source_id"
    assert errors[at["g-2"]][0] == "source_id" and "(lần đầu ở vị trí 1)" in errors[at["g-2"]][1]
    assert errors[at["o-1"]][0] == "procedure" and "'HS-NEW'" in errors[at["o-1"]][1]
    assert errors[at["p-1"]][0] == "procedure" and "'9.999'" in errors[at["p-1"]][1]
    assert errors[at["r-1"]][0] == "reason"
    assert errors[at["c-1"]][0] == "channel"
    assert set(Dossier.objects.values_list("code", flat=True)) == {"HS-OK"}
    assert DossierEvent.objects.count() == 4
    assert result.accepted + result.duplicated + result.rejected == len(records)


def _snapshot(dossier):
    values = Dossier.objects.values().get(pk=dossier.pk)
    steps = list(
        StepRecord.objects.filter(dossier=dossier)
        .order_by("started_at", "step")
        .values_list(
            "step", "started_at", "finished_at", "handler", "unit", "working_seconds",
            "budget_seconds",
        )
    )  # fmt: skip
    return values, steps


def test_bulk_state_equals_rebuild_including_late_events(version, users):
    now = local(2026, 3, 5, 12, 0)
    records = [
        *full_path("a", "HS-1"),
        opening("b-1", "HS-2", local(2026, 3, 3, 16, 45)),  # after hours: counts from Wed
        event("b-2", "HS-2", "supplement_requested", local(2026, 3, 4, 10, 0), reason="Thiếu"),
        event("b-3", "HS-2", "supplement_provided", local(2026, 3, 4, 14, 0)),
        event("b-4", "HS-2", "step_finished", local(2026, 3, 4, 15, 0), step="XL", actor="h"),
        opening("c-1", "HS-3", local(2026, 3, 3, 9, 0)),
        event(
            "c-2",
            "HS-3",
            "reappointed",
            local(2026, 3, 3, 16, 0),
            reason="Chờ xác minh",
            new_due_at=local(2026, 3, 6, 16, 30).isoformat(),
        ),
        opening("d-1", "HS-4", local(2026, 3, 4, 8, 0), due_at=local(2026, 3, 20, 16, 30)),
    ]
    first = ingest.events_ingest(actor=None, source=SOURCE, records=records, now=now)
    assert first.rejected == 0, first.errors
    # A second batch: HS-1 gets a late (older) event inserted, HS-2 goes on, HS-3 is transferred.
    late = [
        event("a-0", "HS-1", "step_finished", local(2026, 3, 3, 9, 20), step="TN"),
        event("b-5", "HS-2", "finished", local(2026, 3, 5, 9, 0)),
        event("b-6", "HS-2", "returned", local(2026, 3, 5, 10, 0)),
        event("c-3", "HS-3", "transferred", local(2026, 3, 4, 9, 0), unit="00004"),
        event("a-x", "HS-1", "returned", local(2026, 3, 3, 15, 30)),  # before finished: refused
    ]
    second = ingest.events_ingest(actor=None, source=SOURCE, records=late, now=now)
    assert second.accepted == 4 and [e.index for e in second.errors] == [4]
    assert second.dossiers_updated == 3
    hs1 = Dossier.objects.get(code="HS-1")
    assert list(hs1.events.order_by("occurred_at", "seq").values_list("seq", "kind")) == [
        (1, "received"), (5, "step_finished"), (2, "step_started"), (3, "step_finished"),
        (4, "finished"),
    ]  # fmt: skip
    assert Dossier.objects.get(code="HS-3").competent_unit.code == "00004"
    assert Dossier.objects.get(code="HS-4").due_at == local(2026, 3, 20, 16, 30)
    for dossier in Dossier.objects.all():
        before = _snapshot(dossier)
        services.dossier_rebuild(dossier=Dossier.objects.get(pk=dossier.pk), now=now)
        assert _snapshot(dossier) == before, dossier.code


def test_one_audit_entry_per_batch_with_a_verifiable_digest(version, users):
    records = full_path("a", "HS-1") + full_path("b", "HS-2")
    before = AuditEntry.objects.count()
    result = ingest.events_ingest(actor=users["desk_a"], source=SOURCE, records=records)
    entries = list(AuditEntry.objects.order_by("seq")[before:])
    assert len(entries) == 1
    entry = entries[0]
    assert entry.action == "import" and entry.actor == users["desk_a"]
    assert entry.changes["accepted"] == 8 and entry.changes["sha256"] == result.sha256
    assert entry.unit_path == version.unit.path
    sids = [r["source_id"] for r in records]
    assert ingest.events_digest(source=SOURCE, source_ids=sids) == result.sha256
    # Tampering with a stored event changes the digest.
    DossierEvent.objects.filter(source_id="a-3").update(step="KY")
    assert ingest.events_digest(source=SOURCE, source_ids=sids) != result.sha256
    # A batch of pure duplicates changes nothing and writes no entry.
    ingest.events_ingest(actor=users["desk_a"], source=SOURCE, records=records)
    assert AuditEntry.objects.count() == before + 1


def test_codes_are_generated_for_dossiers_known_by_source_id(version, users, tree):
    services.dossier_open(
        actor=None,
        version=version,
        receiving_unit=tree["ward_a"],
        channel="counter",
        at=local(2026, 3, 3, 8, 0),
    )  # 00070-260303-0001
    records = []
    for n in range(3):
        rec = opening(f"s-{n}", "", local(2026, 3, 3, 9, n), dossier_source_id=f"EXT-{n}")
        del rec["dossier_code"]
        records.append(rec)
    records.append(
        {"source_id": "s-9", "kind": "note", "occurred_at": local(2026, 3, 3, 10).isoformat(),
         "dossier_source_id": "EXT-1", "reason": "gọi điện"}
    )  # fmt: skip
    result = ingest.events_ingest(actor=None, source=SOURCE, records=records)
    assert result.rejected == 0, result.errors
    assert result.dossiers_created == 3
    codes = dict(Dossier.objects.filter(source=SOURCE).values_list("source_id", "code"))
    assert codes == {
        "EXT-0": "00070-260303-0002",
        "EXT-1": "00070-260303-0003",
        "EXT-2": "00070-260303-0004",
    }
    assert Dossier.objects.get(source_id="EXT-1").event_count == 2


def test_scope_rejects_records_outside_the_callers_units(version, users):
    records = full_path("a", "HS-1")
    result = ingest.events_ingest(actor=users["desk_b"], source=SOURCE, records=records)
    assert result.accepted == 0 and result.rejected == 4
    assert {e.field for e in result.errors} == {"competent_unit"}
    # The case handler of ward A may process (but has no dossier.receive): still in scope.
    result = ingest.events_ingest(actor=users["handler_a"], source=SOURCE, records=records)
    assert result.accepted == 4


def test_calendar_named_by_the_receipt_judges_the_dossier(version, users):
    # Wednesday 13 May 2026 10:00 in Amsterdam; Thursday 14 May is Ascension Day there.
    from zoneinfo import ZoneInfo

    ams = ZoneInfo("Europe/Amsterdam")
    at = dt.datetime(2026, 5, 13, 10, 0, tzinfo=ams)
    records = [
        opening("nl-1", "NL-1", at, calendar="NL"),
        opening("vn-1", "VN-1", at),
    ]
    result = ingest.events_ingest(actor=None, source=SOURCE, records=records)
    assert result.rejected == 0, result.errors
    nl = Dossier.objects.get(code="NL-1")
    calendar = services.CalendarCache().for_unit(nl.competent_unit, "NL")
    assert not calendar.is_working_day(dt.date(2026, 5, 14))
    assert nl.due_at == calendar.due(at, "1wd")
    assert nl.due_at.astimezone(ams).date() == dt.date(2026, 5, 15)
    assert Dossier.objects.get(code="VN-1").due_at != nl.due_at
    # A later batch replays the stored receipt: its calendar and explicit due date still hold.
    later = [
        event("nl-2", "NL-1", "step_finished", at + dt.timedelta(hours=1), step="XL"),
        opening("due-1", "DUE-1", at, due_at=local(2026, 6, 1, 16, 30)),
    ]
    ingest.events_ingest(actor=None, source=SOURCE, records=later)
    ingest.events_ingest(
        actor=None,
        source=SOURCE,
        records=[event("due-2", "DUE-1", "note", at + dt.timedelta(hours=2))],
    )
    assert Dossier.objects.get(code="DUE-1").due_at == local(2026, 6, 1, 16, 30)
    nl = Dossier.objects.get(code="NL-1")
    assert nl.due_at.astimezone(ams).date() == dt.date(2026, 5, 15) and nl.event_count == 2
    record = nl.step_records.get()
    assert record.working_seconds == 3600  # 10:00-11:00 on the Dutch calendar's office hours
    before = _snapshot(nl)
    services.dossier_rebuild(dossier=nl)
    after = _snapshot(nl)
    before[0].pop("timeliness"), after[0].pop("timeliness")
    assert after == before


def test_lifecycle_violations_can_be_kept_as_notes(version, users):
    records = [
        *full_path("a", "HS-1"),
        event("a-5", "HS-1", "step_finished", local(2026, 3, 3, 16, 5), step="LT"),
    ]
    strict = ingest.events_ingest(actor=None, source=SOURCE, records=records)
    assert strict.accepted == 4 and [(e.index, e.field) for e in strict.errors] == [(4, "kind")]
    result = ingest.events_ingest(actor=None, source=SOURCE, records=records, on_violation="note")
    assert (result.accepted, result.duplicated, result.noted, result.rejected) == (1, 4, 1, 0)
    note = DossierEvent.objects.get(source=SOURCE, source_id="a-5")
    assert note.kind == "note" and note.data["lifecycle"]["kind"] == "step_finished"
    assert note.data["lifecycle"]["code"] == "not_allowed"  # stored: stable, not translated
    assert "not allowed" in note.data["lifecycle"]["error"]
    assert Dossier.objects.get(code="HS-1").status == "finished"


def test_batches_over_the_limit_are_refused_whole(version):
    records = [event(str(n), "HS", "note", local(2026, 3, 3, 9)) for n in range(10_001)]
    with pytest.raises(ingest.BatchTooLarge, match=r"10001 .* 10000"):
        ingest.events_ingest(actor=None, source=SOURCE, records=records)
    assert DossierEvent.objects.count() == 0


def test_rebuild_dossiers_reports_what_differed(version, users):
    import io

    from django.core.management import call_command

    records = full_path("a", "HS-1") + full_path("b", "HS-2", day=4)
    ingest.events_ingest(actor=None, source=SOURCE, records=records)
    Dossier.objects.filter(code="HS-2").update(status="stopped", due_at=None)
    StepRecord.objects.filter(dossier__code="HS-2").delete()
    out = io.StringIO()
    call_command("rebuild_dossiers", "--no-progress", stdout=out)
    text = out.getvalue()
    assert "Dossiers rebuilt: 2; differed before: 1" in text
    assert "status 1" in text and "due_at 1" in text and "step records: 1" in text
    assert Dossier.objects.get(code="HS-2").status == "finished"
    out = io.StringIO()
    call_command("rebuild_dossiers", "--org", "00004", "--no-progress", stdout=out)
    assert "Dossiers rebuilt: 0; differed before: 0" in out.getvalue()


def test_a_source_id_names_one_dossier(version):
    first = opening("a-1", "HS-1", local(2026, 3, 3, 9, 0), dossier_source_id="EXT-1")
    twin = opening("b-1", "HS-2", local(2026, 3, 3, 9, 5), dossier_source_id="EXT-1")
    result = ingest.events_ingest(actor=None, source=SOURCE, records=[first, twin])
    assert result.accepted == 1
    assert [(e.index, e.field) for e in result.errors] == [(1, "dossier_source_id")]
    assert "(HS-1 và HS-2)" in result.errors[0].message
    # Later: the same source id under another code is refused; by source id alone it is found.
    again = event("b-2", "HS-3", "note", local(2026, 3, 3, 10, 0), dossier_source_id="EXT-1")
    alone = {**event("b-3", "", "note", local(2026, 3, 3, 10, 5)), "dossier_source_id": "EXT-1"}
    del alone["dossier_code"]
    result = ingest.events_ingest(actor=None, source=SOURCE, records=[again, alone])
    assert [(e.index, e.field) for e in result.errors] == [(0, "dossier_source_id")]
    assert "'EXT-1' là hồ sơ HS-1" in result.errors[0].message
    assert Dossier.objects.get(code="HS-1").event_count == 2
