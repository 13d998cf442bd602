"""The dossier lifecycle through the services: due dates, pauses, re-appointment, rebuild."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from govqms.dossiers import services
from govqms.dossiers.models import Dossier, DossierEvent, StepRecord
from govqms.dossiers.workflows import TransitionError

from .conftest import local


def _open(version, users, tree, at):
    return services.dossier_open(
        actor=users["desk_a"],
        version=version,
        receiving_unit=tree["ward_a"],
        channel="counter",
        applicant=services.ApplicantData(name="Nguyễn Văn A"),
        at=at,
    )


def test_receipt_sets_code_status_and_due_date(version, users, tree):
    # Tuesday 3 March 2026, 09:00 + 8 working hours → Wednesday 09:00.
    dossier = _open(version, users, tree, local(2026, 3, 3, 9, 0))
    assert dossier.code == "00070-260303-0001"
    assert dossier.status == "received"
    assert dossier.due_at == local(2026, 3, 4, 9, 0)
    second = _open(version, users, tree, local(2026, 3, 3, 10, 0))
    assert second.code == "00070-260303-0002"


def test_after_hours_receipt_before_tet_counts_after_the_holiday(version, users, tree):
    # Friday 13 Feb 2026 16:45 is after hours; Tết 2026 closes offices until Monday 23 Feb.
    dossier = _open(version, users, tree, local(2026, 2, 13, 16, 45))
    assert dossier.due_at.astimezone(local(2026, 1, 1).tzinfo).date() > dt.date(2026, 2, 22)


def test_full_path_with_supplement_pause_and_step_durations(version, users, tree):
    d = _open(version, users, tree, local(2026, 3, 3, 9, 0))
    handler, leader = users["handler_a"], users["leader_a"]
    services.dossier_event_record(
        actor=handler,
        dossier=d,
        kind="step_started",
        step="XL",
        occurred_at=local(2026, 3, 3, 9, 30),
    )
    services.dossier_event_record(
        actor=handler,
        dossier=d,
        kind="supplement_requested",
        occurred_at=local(2026, 3, 3, 10, 0),
        reason="Thiếu tờ khai",
    )
    d.refresh_from_db()
    assert d.status == "supplement" and d.paused_since == local(2026, 3, 3, 10, 0)
    services.dossier_event_record(
        actor=users["desk_a"],
        dossier=d,
        kind="supplement_provided",
        occurred_at=local(2026, 3, 3, 14, 0),
    )
    d.refresh_from_db()
    # Paused 10:00–14:00 = 3 working hours (lunch 12:00–13:00 excluded).
    assert d.paused_seconds == 3 * 3600
    assert d.due_at == local(2026, 3, 4, 12, 0)  # Wed 09:00 + 3 working hours
    assert d.original_due_at == local(2026, 3, 4, 9, 0)
    services.dossier_event_record(
        actor=handler,
        dossier=d,
        kind="step_finished",
        step="XL",
        occurred_at=local(2026, 3, 4, 8, 30),
    )
    services.dossier_event_record(
        actor=leader, dossier=d, kind="finished", occurred_at=local(2026, 3, 4, 10, 0)
    )
    services.dossier_event_record(
        actor=users["desk_a"], dossier=d, kind="returned", occurred_at=local(2026, 3, 4, 11, 0)
    )
    d.refresh_from_db()
    assert d.status == "returned"
    assert d.timeliness == "on_time"  # finished on the due day, before the due instant
    record = StepRecord.objects.get(dossier=d, step="XL")
    # A step's duration is the working time between its start and finish (pauses included):
    # 09:30-12:00 (2.5 h) + 13:00-16:30 (3.5 h) + 07:30-08:30 (1 h) = 7 h.
    assert record.working_seconds == 7 * 3600
    assert record.budget_seconds == 6 * 3600
    assert record.handler == "handler_a"


def test_rebuild_equals_stored_state(version, users, tree):
    d = _open(version, users, tree, local(2026, 3, 3, 9, 0))
    services.dossier_event_record(
        actor=users["handler_a"],
        dossier=d,
        kind="financial_requested",
        occurred_at=local(2026, 3, 3, 15, 0),
    )
    services.dossier_event_record(
        actor=users["desk_a"],
        dossier=d,
        kind="financial_fulfilled",
        occurred_at=local(2026, 3, 5, 8, 0),
    )
    stored = Dossier.objects.values().get(pk=d.pk)
    Dossier.objects.filter(pk=d.pk).update(status="stopped", due_at=None, paused_seconds=0)
    services.dossier_rebuild(dossier=Dossier.objects.get(pk=d.pk))
    rebuilt = Dossier.objects.values().get(pk=d.pk)
    stored.pop("timeliness"), rebuilt.pop("timeliness")  # depends on "now"
    assert rebuilt == stored


def test_reappointment_rules(version, users, tree):
    d = _open(version, users, tree, local(2026, 3, 3, 9, 0))
    leader = users["leader_a"]
    with pytest.raises(TransitionError) as refused:
        services.dossier_event_record(
            actor=leader,
            dossier=d,
            kind="reappointed",
            occurred_at=local(2026, 3, 3, 16, 0),
            data={"new_due_at": local(2026, 3, 6, 16, 30).isoformat()},
        )
    assert (refused.value.code, refused.value.field) == ("reappoint_reason", "reason")
    assert services.transition_message(refused.value) == "Cần ghi lý do."
    with pytest.raises(TransitionError) as too_late:
        services.dossier_event_record(
            actor=leader,
            dossier=d,
            kind="reappointed",
            occurred_at=local(2026, 3, 4, 9, 30),
            reason="Chờ xác minh",
            data={"new_due_at": local(2026, 3, 6, 16, 30).isoformat()},
        )
    assert (too_late.value.code, too_late.value.field) == ("reappoint_late", "occurred_at")
    assert too_late.value.params == {"due_at": local(2026, 3, 4, 9, 0).isoformat()}
    services.dossier_event_record(
        actor=leader,
        dossier=d,
        kind="reappointed",
        occurred_at=local(2026, 3, 3, 16, 0),
        reason="Chờ xác minh",
        data={"new_due_at": local(2026, 3, 6, 16, 30).isoformat()},
    )
    d.refresh_from_db()
    assert d.reappointed and d.due_at == local(2026, 3, 6, 16, 30)
    with pytest.raises(TransitionError) as twice:
        services.dossier_event_record(
            actor=leader,
            dossier=d,
            kind="reappointed",
            occurred_at=local(2026, 3, 4, 8, 0),
            reason="Lần hai",
            data={"new_due_at": local(2026, 3, 9, 16, 30).isoformat()},
        )
    assert twice.value.code == "reappoint_once"
    assert DossierEvent.objects.filter(dossier=d, kind="reappointed").count() == 1


def test_late_finish_and_disallowed_moves(version, users, tree):
    d = _open(version, users, tree, local(2026, 3, 3, 9, 0))
    leader = users["leader_a"]
    with pytest.raises(TransitionError) as early:
        services.dossier_event_record(
            actor=users["desk_a"], dossier=d, kind="returned", occurred_at=local(2026, 3, 3, 10, 0)
        )
    assert early.value.code == "not_allowed" and early.value.field == "kind"
    assert early.value.params == {"kind": "returned", "status": "received"}
    services.dossier_event_record(
        actor=leader, dossier=d, kind="finished", occurred_at=local(2026, 3, 5, 9, 0)
    )
    d.refresh_from_db()
    assert d.timeliness == "late"
    # A back-dated event is replayed at its own time: returning before finishing is refused.
    with pytest.raises(TransitionError) as back_dated:
        services.dossier_event_record(
            actor=users["desk_a"], dossier=d, kind="returned", occurred_at=local(2026, 3, 4, 9, 0)
        )
    assert back_dated.value.params == {"kind": "returned", "status": "received"}
    # Screens and the dossier API name the kind and the status by their labels; the ingest
    # errors by their codes (what the sending system speaks).
    assert services.transition_message(back_dated.value, labels=True) == (
        "Sự kiện 'Trả kết quả' không được phép khi hồ sơ đang ở trạng thái 'Đã tiếp nhận'."
    )
    assert "'returned'" in services.transition_message(back_dated.value)


def test_supplement_only_once(version, users, tree):
    d = _open(version, users, tree, local(2026, 3, 3, 9, 0))
    h = users["handler_a"]
    services.dossier_event_record(
        actor=h, dossier=d, kind="supplement_requested", occurred_at=local(2026, 3, 3, 10, 0)
    )
    services.dossier_event_record(
        actor=users["desk_a"],
        dossier=d,
        kind="supplement_provided",
        occurred_at=local(2026, 3, 3, 11, 0),
    )
    with pytest.raises(TransitionError) as again:
        services.dossier_event_record(
            actor=h, dossier=d, kind="supplement_requested", occurred_at=local(2026, 3, 3, 15, 0)
        )
    assert again.value.code == "supplement_once"


def test_every_refusal_has_a_translatable_message():
    """Each code of the pure lifecycle has a Vietnamese source text whose placeholders are
    the params the lifecycle gives (the English text of `str(exc)` names the same params)."""
    import string

    from django.utils.translation import override

    from govqms.dossiers.workflows import TRANSITION_CODES

    assert set(services.TRANSITION_MESSAGES) == set(TRANSITION_CODES)
    for code, english in TRANSITION_CODES.items():
        params = {name: "x" for _t, name, _s, _c in string.Formatter().parse(english) if name}
        exc = TransitionError(code, **params)
        with override("vi"):
            text = services.transition_message(exc)
        assert text and "%(" not in text, code
    with pytest.raises(ValueError, match="unknown transition error code"):
        TransitionError("no_such_rule")


def test_permissions_follow_roles_and_units(version, users, tree):
    with pytest.raises(PermissionDenied):
        services.dossier_open(
            actor=users["desk_b"],
            version=version,
            receiving_unit=tree["ward_a"],
            channel="counter",
            at=local(2026, 3, 3, 9, 0),
        )
    d = _open(version, users, tree, local(2026, 3, 3, 9, 0))
    with pytest.raises(PermissionDenied):  # a desk officer cannot finish (approve) a dossier
        services.dossier_event_record(
            actor=users["desk_a"], dossier=d, kind="finished", occurred_at=local(2026, 3, 3, 10, 0)
        )


def test_same_source_id_lands_once(version, users, tree):
    from django.core.exceptions import ValidationError

    d = _open(version, users, tree, local(2026, 3, 3, 9, 0))
    h = users["handler_a"]
    services.dossier_event_record(
        actor=h,
        dossier=d,
        kind="step_started",
        step="XL",
        occurred_at=local(2026, 3, 3, 9, 30),
        source="x",
        source_id="1",
    )
    with pytest.raises(ValidationError):
        services.dossier_event_record(
            actor=h,
            dossier=d,
            kind="step_finished",
            step="XL",
            occurred_at=local(2026, 3, 3, 10, 30),
            source="x",
            source_id="1",
        )
    assert DossierEvent.objects.filter(dossier=d).count() == 2
