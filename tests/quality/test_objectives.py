"""Quality objectives: creation rules, permissions, and automatic measurement."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from govqms.core.models import AuditEntry
from govqms.quality import selectors, services
from govqms.quality.models import ObjectiveMeasurement, QualityObjective

from .conftest import finish_dossiers, sync_rollups


def measure(as_of):
    results = services.objectives_measure(as_of=as_of)
    return {r.measurement.period_start: r for r in results}


def test_create_derives_the_comparison_from_the_indicator(objective, tree, users):
    assert objective.comparison == "gte"
    assert objective.iso_clause == "6.2"
    lower = services.objective_create(
        actor=users["quality_a"],
        unit=tree["div_a"],
        title="Tỷ lệ trễ hạn không quá 5%",
        indicator="SHARE_FINISHED_LATE",
        target="5",
        period="quarter",
        start=dt.date(2025, 1, 1),
        owner=users["quality_a"],
    )
    assert lower.comparison == "lte"
    assert lower.target == Decimal("5.00")
    assert AuditEntry.objects.filter(object_type="quality.qualityobjective").count() == 2


@pytest.mark.parametrize(
    ("indicator", "target", "field"),
    [
        ("NO_SUCH_CODE", 90, "indicator"),
        ("OPEN_WITHIN_LIMIT", 10, "indicator"),  # neutral: context, not a target
        ("SHARE_FINISHED_ON_TIME", 120, "target"),  # a share above 100%
    ],
)
def test_create_rejects_bad_objectives(tree, users, indicator, target, field):
    with pytest.raises(ValidationError) as exc:
        services.objective_create(
            actor=users["quality_a"],
            unit=tree["ward_a"],
            title="x",
            indicator=indicator,
            target=target,
            period="month",
            start=dt.date(2025, 1, 1),
            owner=users["quality_a"],
        )
    assert field in exc.value.message_dict
    assert not QualityObjective.objects.exists()


def test_end_before_start_is_rejected(tree, users):
    with pytest.raises(ValidationError):
        services.objective_create(
            actor=None,
            unit=tree["ward_a"],
            title="x",
            indicator="SHARE_FINISHED_ON_TIME",
            target=90,
            period="month",
            start=dt.date(2025, 5, 1),
            end=dt.date(2025, 4, 30),
            owner=users["quality_a"],
        )


def test_a_ward_b_quality_officer_cannot_touch_ward_a(objective, tree, users, quality_b):
    with pytest.raises(PermissionDenied):
        services.objective_create(
            actor=quality_b,
            unit=tree["ward_a"],
            title="x",
            indicator="SHARE_FINISHED_ON_TIME",
            target=90,
            period="month",
            start=dt.date(2025, 1, 1),
            owner=quality_b,
        )
    with pytest.raises(PermissionDenied):
        services.objective_update(actor=quality_b, objective=objective, target=50)
    with pytest.raises(PermissionDenied):
        services.objective_close(actor=quality_b, objective=objective)
    # A leader may view quality but not manage it.
    with pytest.raises(PermissionDenied):
        services.objective_update(actor=users["leader_a"], objective=objective, target=50)
    assert QualityObjective.objects.count() == 1
    # Reads are scoped too: ward B sees nothing of ward A.
    assert list(selectors.objective_list(user=quality_b)) == []
    assert list(selectors.objective_list(user=users["overseer"])) == [objective]


def test_update_and_close(objective, users):
    officer = users["quality_a"]
    with pytest.raises(ValidationError):
        services.objective_update(actor=officer, objective=objective, unit=None)
    updated = services.objective_update(actor=officer, objective=objective, target="95")
    assert updated.target == Decimal("95.00")
    entry = AuditEntry.objects.filter(object_id=str(objective.pk), action="update").latest("seq")
    assert entry.changes == {"target": ["90.00", "95.00"]}
    closed = services.objective_close(actor=officer, objective=objective, reason="Đã thay thế")
    assert closed.state == "closed"
    with pytest.raises(ValidationError):
        services.objective_close(actor=officer, objective=objective)
    with pytest.raises(ValidationError):
        services.objective_update(actor=officer, objective=objective, target="80")
    assert services.objectives_measure(as_of=dt.date(2025, 5, 1)) == []


def test_status_on_track_at_risk_missed_and_no_data(objective, objective_history):
    # 1 May: April is complete (4/4 on time); May has just begun (nothing finished yet).
    got = measure(dt.date(2025, 5, 1))
    april, may = got[dt.date(2025, 4, 1)].measurement, got[dt.date(2025, 5, 1)].measurement
    assert (april.value, april.numerator, april.denominator) == (100.0, 4.0, 4.0)
    assert (april.complete, april.status) == (True, "on_track")
    assert (may.complete, may.through, may.status) == (False, dt.date(2025, 5, 1), "no_data")
    objective.refresh_from_db()
    assert objective.status == "on_track"

    # 1 June: May complete, 7/8 = 87.5% — short by 2.5 points, within the 5-point margin.
    may = measure(dt.date(2025, 6, 1))[dt.date(2025, 5, 1)].measurement
    assert (may.value, may.complete, may.status) == (87.5, True, "at_risk")

    # 20 June: June running at 1/2 = 50% — trends below the target: at risk, not yet missed.
    june = measure(dt.date(2025, 6, 20))[dt.date(2025, 6, 1)].measurement
    assert (june.value, june.complete, june.status) == (50.0, False, "at_risk")

    # 1 July: June complete at 50% — missed by more than the margin.
    got = measure(dt.date(2025, 7, 1))
    assert got[dt.date(2025, 6, 1)].measurement.status == "missed"
    assert got[dt.date(2025, 6, 1)].outcome == "updated"  # the partial row became final
    objective.refresh_from_db()
    assert (objective.status, objective.status_value) == ("missed", 50.0)
    assert objective.status_period_start == dt.date(2025, 6, 1)

    # 1 August: nothing finished in July (denominator 0).
    july = measure(dt.date(2025, 8, 1))[dt.date(2025, 7, 1)].measurement
    assert (july.value, july.denominator, july.status) == (None, 0.0, "no_data")
    objective.refresh_from_db()
    assert objective.status == "no_data"

    assert ObjectiveMeasurement.objects.filter(objective=objective).count() == 5  # Apr–Aug


def test_re_measuring_is_idempotent(objective, objective_history):
    first = measure(dt.date(2025, 6, 20))
    assert {r.outcome for r in first.values()} == {"created"}
    rows = list(ObjectiveMeasurement.objects.order_by("pk").values())
    audit = AuditEntry.objects.count()
    again = measure(dt.date(2025, 6, 20))
    assert {r.outcome for r in again.values()} == {"unchanged"}
    assert list(ObjectiveMeasurement.objects.order_by("pk").values()) == rows
    assert AuditEntry.objects.count() == audit


def test_new_data_updates_the_running_period(objective, objective_history, version, tree):
    assert measure(dt.date(2025, 6, 20))[dt.date(2025, 6, 1)].measurement.value == 50.0
    finish_dossiers(version, tree["ward_a"], 2025, 6, early=8)  # the same Tuesday
    sync_rollups()
    result = measure(dt.date(2025, 6, 20))[dt.date(2025, 6, 1)]
    assert result.outcome == "updated"
    assert (result.measurement.value, result.measurement.status) == (90.0, "on_track")
    assert ObjectiveMeasurement.objects.filter(period_start=dt.date(2025, 6, 1)).count() == 1


def test_measuring_as_a_person_covers_only_what_they_manage(
    objective, objective_history, quality_b
):
    assert services.objectives_measure(actor=quality_b, as_of=dt.date(2025, 5, 1)) == []
    assert not ObjectiveMeasurement.objects.exists()
    with pytest.raises(PermissionDenied):
        services.objective_measure(actor=quality_b, objective=objective, as_of=dt.date(2025, 5, 1))


def test_periods_are_clipped_to_the_objective(objective):
    # Before the start: nothing; in the first month: no completed period yet.
    assert services.measurement_periods(objective, dt.date(2025, 3, 15)) == []
    assert services.measurement_periods(objective, dt.date(2025, 4, 15)) == [
        (dt.date(2025, 4, 1), dt.date(2025, 4, 30), dt.date(2025, 4, 15), False)
    ]
    # After the end: the last period is complete and nothing follows.
    assert services.measurement_periods(objective, dt.date(2026, 1, 10)) == [
        (dt.date(2025, 12, 1), dt.date(2025, 12, 31), dt.date(2025, 12, 31), True)
    ]


def test_what_is_measured_is_fixed_once_measured(objective, users):
    officer = users["quality_a"]
    services.objective_update(actor=officer, objective=objective, period="quarter")  # not yet
    services.objectives_measure(as_of=dt.date(2025, 5, 1))
    with pytest.raises(ValidationError):
        services.objective_update(actor=officer, objective=objective, indicator="SHARE_ONLINE")
    with pytest.raises(ValidationError):
        services.objective_update(actor=officer, objective=objective, period="year")
    # The same value again, and the other fields, may change.
    services.objective_update(
        actor=officer, objective=objective, period="quarter", title="Mục tiêu quý"
    )
    objective.refresh_from_db()
    assert (objective.indicator, objective.period, objective.title) == (
        "SHARE_FINISHED_ON_TIME",
        "quarter",
        "Mục tiêu quý",
    )
