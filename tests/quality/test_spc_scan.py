"""SPC scans: a month with a spike of late dossiers is a rule-1 p-chart signal with its
evidence; re-scanning records nothing twice; the signal lifecycle and its permissions."""

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from govqms.core.models import AuditEntry
from govqms.quality import services, tasks
from govqms.quality.models import SpcSignal

AS_OF = dt.date(2025, 10, 1)


def scan(unit, **kw):
    return services.spc_scan(unit=unit, as_of=AS_OF, **kw)


def test_a_spike_of_late_dossiers_is_a_rule_1_signal_with_evidence(spike, tree):
    result = scan(tree["ward_a"])
    late, time = result.charts
    assert (late.chart, late.measure, late.points, late.skipped) == (
        "p",
        "SHARE_FINISHED_LATE",
        6,  # the six months with finished dossiers out of twelve
        "",
    )
    assert [(s.rule_id, s.period_start) for s in late.signals] == [("WE1", dt.date(2025, 9, 1))]
    signal = late.new[0]
    assert (signal.chart, signal.series, signal.direction, signal.adverse) == ("p", "p", "up", True)
    assert signal.status == "open"
    assert signal.unit == tree["ward_a"] and signal.procedure is None
    assert "3σ" in signal.rule_name
    assert signal.points == [
        {
            "label": "2025-09",
            "start": "2025-09-01",
            "end": "2025-09-30",
            "value": pytest.approx(5 / 6),
            "n": 6,
            "defectives": 5,
        }
    ]
    ev = signal.evidence
    assert ev["as_of"] == "2025-10-01"
    assert ev["unit"]["code"] == "00070"
    assert ev["measure"]["code"] == "SHARE_FINISHED_LATE"
    assert ev["rule_set"] == "western-electric"
    # The trigger point with its limits: p̄ = 5/36, σ = √(p̄(1−p̄)/6), UCL = p̄ + 3σ.
    p_bar = 5 / 36
    ucl = p_bar + 3 * (p_bar * (1 - p_bar) / 6) ** 0.5
    (point,) = ev["signal"]["points"]
    assert point["center"] == pytest.approx(p_bar)
    assert point["ucl"] == pytest.approx(ucl)
    assert point["value"] > point["ucl"]
    # The whole chart (values and limits of every month) and the days of each month.
    assert [p["label"] for p in ev["chart"]["points"]] == [f"2025-{m:02d}" for m in range(4, 10)]
    assert [p["defectives"] for p in ev["chart"]["points"]] == [0, 0, 0, 0, 0, 5]
    assert ev["periods"]["2025-04"] == {"start": "2025-04-01", "end": "2025-04-30"}
    # The dossiers behind the trigger point: the late ones of September.
    dossiers = ev["dossiers"]
    assert (dossiers["indicator"], dossiers["part"], dossiers["count"]) == (
        "SHARE_FINISHED_LATE",
        "numerator",
        5,
    )
    assert sorted(dossiers["codes"]) == sorted(d.code for d in spike["late"])
    assert (dossiers["start"], dossiers["end"]) == ("2025-09-01", "2025-09-30")
    # Processing time jumped too: an individuals signal and a moving-range signal.
    assert time.chart == "xmr" and time.measure == "AVG_PROCESSING_DAYS"
    assert {(s.series, s.rule_id) for s in time.signals} == {("x", "WE1"), ("mr", "MR1")}
    assert all(s.period_start == dt.date(2025, 9, 1) for s in time.signals)
    assert AuditEntry.objects.filter(object_type="quality.spcsignal", action="create").count() == 3


def test_re_scanning_does_not_duplicate(spike, tree):
    first = scan(tree["ward_a"])
    ids = sorted(s.pk for s in first.new_signals)
    audit = AuditEntry.objects.count()
    again = scan(tree["ward_a"])
    assert again.new_signals == []
    assert sorted(s.pk for c in again.charts for s in c.signals) == ids
    assert SpcSignal.objects.count() == len(ids) == 3
    assert AuditEntry.objects.count() == audit
    # A later scan whose window still holds September finds the same signals, no new ones.
    later = services.spc_scan(unit=tree["ward_a"], as_of=dt.date(2025, 11, 5))
    assert SpcSignal.objects.count() == 3
    assert later.new_signals == []


def test_the_parent_unit_charts_its_subtree(spike, tree):
    result = scan(tree["hanoi"])
    assert [s.rule_id for s in result.charts[0].signals] == ["WE1"]
    assert SpcSignal.objects.filter(unit=tree["hanoi"]).count() == 3


def test_too_few_months_draws_no_chart(version, tree):
    from .conftest import finish_dossiers, sync_rollups

    for month in (7, 8, 9):
        finish_dossiers(version, tree["ward_a"], 2025, month, early=2)
    sync_rollups()
    late, time = scan(tree["ward_a"]).charts
    assert late.points == 3 and "3" in late.skipped
    assert time.skipped
    assert not SpcSignal.objects.exists()
    with pytest.raises(ValidationError):
        scan(tree["ward_a"], months=3)
    with pytest.raises(ValidationError):
        scan(tree["ward_a"], measure="SHARE_ONLINE")


def test_scan_permissions(spike, tree, users, quality_b):
    with pytest.raises(PermissionDenied):
        scan(tree["ward_a"], actor=quality_b)
    with pytest.raises(PermissionDenied):
        scan(tree["ward_a"], actor=users["leader_a"])
    assert not SpcSignal.objects.exists()
    assert len(scan(tree["ward_a"], actor=users["quality_a"]).new_signals) == 3


def test_signal_lifecycle_and_permissions(spike, tree, users, quality_b):
    signal = scan(tree["ward_a"]).charts[0].new[0]
    officer = users["quality_a"]
    with pytest.raises(PermissionDenied):
        services.signal_acknowledge(actor=quality_b, signal=signal)
    with pytest.raises(PermissionDenied):
        services.signal_dismiss(actor=users["leader_a"], signal=signal, reason="x")
    with pytest.raises(ValidationError):
        services.signal_dismiss(actor=officer, signal=signal, reason="  ")
    acked = services.signal_acknowledge(actor=officer, signal=signal, reason="Đang xem xét")
    assert (acked.status, acked.status_changed_by, acked.status_reason) == (
        "acknowledged",
        officer,
        "Đang xem xét",
    )
    with pytest.raises(ValidationError):
        services.signal_acknowledge(actor=officer, signal=signal)
    raised = services.signal_mark_raised(actor=officer, signal=signal, reference="NC-2025-007")
    assert (raised.status, raised.nonconformity_ref) == ("raised_nonconformity", "NC-2025-007")
    with pytest.raises(ValidationError):
        services.signal_dismiss(actor=officer, signal=signal, reason="muộn")
    changes = [
        e.changes["status"]
        for e in AuditEntry.objects.filter(
            object_type="quality.spcsignal", object_id=str(signal.pk), action="update"
        )
    ]
    assert changes == [["open", "acknowledged"], ["acknowledged", "raised_nonconformity"]]
    # Re-detection keeps the handled signal as it is.
    scan(tree["ward_a"])
    signal.refresh_from_db()
    assert signal.status == "raised_nonconformity"


def test_celery_tasks_run_the_services(spike, objective, tree):
    result = tasks.spc_scan_task.delay(tree["ward_a"].pk, AS_OF.isoformat()).get()
    assert result["unit"] == "00070"
    assert len(result["charts"][0]["new"]) == 1
    measured = tasks.objectives_measure_task.delay(AS_OF.isoformat()).get()
    assert measured["measurements"] == 2  # September (complete) and October (running)
    summary = tasks.quality_scan_task.delay(tree["ward_a"].pk, AS_OF.isoformat()).get()
    assert summary["units_scanned"] == 2  # ward A and its division
    assert SpcSignal.objects.count() == 3


def test_command(spike, objective, tree):
    out = io.StringIO()
    call_command("quality_scan", "--org", "00070", "--as-of", "2025-10-01", stdout=out)
    lines = out.getvalue().splitlines()
    assert any(
        line.startswith(f"objective #{objective.pk} 00070 SHARE_FINISHED_ON_TIME 2025-09-01")
        and "16.67 (1.00/6.00) missed [created]" in line
        for line in lines
    ), lines
    assert "spc 00070 p SHARE_FINISHED_LATE: 6 months, 1 signals (1 new): WE1@2025-09" in lines
    assert any(
        line.startswith("spc 00070-VP p SHARE_FINISHED_LATE: 0 months, skipped") for line in lines
    )
    again = io.StringIO()
    call_command("quality_scan", "--org", "00070", "--as-of", "2025-10-01", stdout=again)
    assert "spc 00070 p SHARE_FINISHED_LATE: 6 months, 1 signals (0 new): WE1@2025-09" in (
        again.getvalue().splitlines()
    )
    assert "[unchanged]" in again.getvalue()
    with pytest.raises(Exception, match="--as-of"):
        call_command("quality_scan", "--as-of", "1/10/2025", stdout=io.StringIO())
    with pytest.raises(Exception, match="--org"):
        call_command("quality_scan", "--org", "NOPE", stdout=io.StringIO())
