"""Daily rollups: the pure contribution, the incremental hook, and the exact rebuild.

The central property: after any sequence of dossier writes through the real services, the
incrementally maintained table equals `rollups_rebuild()`'s table, row for row.
"""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from govqms.dossiers import services
from govqms.dossiers.models import Dossier
from govqms.dossiers.workflows import TransitionError
from govqms.kpi import rollups
from govqms.kpi.models import HISTOGRAM_FIELDS, MEASURES, DailyRollup, UnitMonthlyRollup
from govqms.workdays.seed import vn_calendar
from tests.dossiers.conftest import local, version  # noqa: F401  (fixture)

# --- Driving the real services (they call the rollup hook themselves) --------------------------


def open_dossier(version, unit, *, at, channel="counter", online=False, actor=None):  # noqa: F811
    dossier = services.dossier_open(
        actor=actor,
        version=version,
        receiving_unit=unit,
        channel=channel,
        online=online,
        applicant=services.ApplicantData(name="Nguyễn Văn A"),
        at=at,
    )
    return dossier


def record(dossier, kind, *, at, actor=None, **extra):
    return services.dossier_event_record(
        actor=actor, dossier=dossier, kind=kind, occurred_at=at, **extra
    )


def rebuild_dossier(dossier):
    services.dossier_rebuild(dossier=dossier)


def counters(unit, procedure, day) -> dict[str, int]:
    row = DailyRollup.objects.filter(unit=unit, procedure=procedure, day=day).first()
    return {m: n for m, n in row.counters().items() if n} if row else {}


# --- The pure contribution ---------------------------------------------------------------------


def _state(**fields):
    base = dict.fromkeys(rollups.STATE_FIELDS)
    base.update(status="", channel="counter", timeliness="", reappointed=False, paused_seconds=0)
    base.update(fields)
    return SimpleNamespace(**base)


CAL = vn_calendar([2026])


def test_contribution_of_a_finished_dossier_books_receipt_and_finish_days():
    # Received Tue 3 Mar 09:00, finished Thu 5 Mar 10:00: 2 days + 1 h = 17 working hours,
    # minus 3 paused working hours = 14 h = 1.75 working days.
    state = _state(
        status="returned",
        channel="online",
        received_at=local(2026, 3, 3, 9, 0),
        finished_at=local(2026, 3, 5, 10, 0),
        returned_at=local(2026, 3, 6, 8, 0),
        closed_at=local(2026, 3, 6, 8, 0),
        timeliness="late",
        reappointed=True,
        paused_seconds=3 * 3600,
    )
    got = rollups.contribution(state, calendar=CAL)
    mar3, mar5, mar6 = dt.date(2026, 3, 3), dt.date(2026, 3, 5), dt.date(2026, 3, 6)
    assert got == {
        (mar3, "received"): 1,
        (mar3, "received_online"): 1,
        (mar5, "finished"): 1,
        (mar5, "finished_late"): 1,
        (mar5, "finished_reappointed"): 1,
        (mar5, "processing_seconds"): 14 * 3600,
        (mar5, "processing_bin_02"): 1,  # [1, 2) working days
        (mar6, "returned"): 1,
    }


def test_day_keys_are_local_dates_in_vietnam():
    # 18:00 UTC on 2 March is 01:00 on 3 March in Hanoi.
    state = _state(status="received", received_at=dt.datetime(2026, 3, 2, 18, 0, tzinfo=dt.UTC))
    assert rollups.contribution(state) == {(dt.date(2026, 3, 3), "received"): 1}


def test_closing_statuses_count_on_the_closing_day_and_open_ones_only_their_receipt():
    refused = _state(
        status="refused", submitted_at=local(2026, 3, 2, 20), closed_at=local(2026, 3, 4, 9)
    )
    assert rollups.contribution(refused) == {
        (dt.date(2026, 3, 2), "submitted"): 1,
        (dt.date(2026, 3, 4), "refused"): 1,
    }
    open_ = _state(status="processing", received_at=local(2026, 3, 2, 9), timeliness="overdue")
    assert rollups.contribution(open_) == {(dt.date(2026, 3, 2), "received"): 1}


def test_a_finished_dossier_needs_its_calendar():
    state = _state(
        status="finished", received_at=local(2026, 3, 2, 9), finished_at=local(2026, 3, 2, 10)
    )
    with pytest.raises(ValueError, match="calendar"):
        rollups.contribution(state)


@pytest.mark.parametrize(
    ("hours", "field"),
    [(0, 0), (3.99, 0), (4, 1), (7.99, 1), (8, 2), (24, 4), (719.99, 12), (720, 13), (10_000, 13)],
)
def test_histogram_bins_are_half_open(hours, field):
    assert rollups.histogram_field(int(hours * 3600)) == HISTOGRAM_FIELDS[field]


@given(
    before=st.dictionaries(st.sampled_from(MEASURES), st.integers(1, 5), max_size=4),
    after=st.dictionaries(st.sampled_from(MEASURES), st.integers(1, 5), max_size=4),
)
def test_delta_of_a_state_with_itself_is_empty_and_deltas_add_up(before, after):
    day = dt.date(2026, 3, 2)
    a = rollups.Contribution(1, 1, {(day, m): n for m, n in before.items()})
    b = rollups.Contribution(2, 1, {(day, m): n for m, n in after.items()})
    assert rollups.contribution_delta(a, a) == {}
    delta = rollups.contribution_delta(a, b)
    for measure, n in before.items():
        assert delta[1, 1, day][measure] == -n
    for measure, n in after.items():
        assert delta[2, 1, day][measure] == n


# --- The hook through the real services ---------------------------------------------------------


def test_lifecycle_books_each_fact_once_and_a_repeat_write_changes_nothing(version, tree, users):  # noqa: F811
    ward_a, procedure = tree["ward_a"], version.procedure
    d = open_dossier(version, ward_a, at=local(2026, 3, 3, 9, 0), actor=users["desk_a"])
    assert counters(ward_a, procedure, dt.date(2026, 3, 3)) == {"received": 1}
    record(d, "step_started", step="XL", at=local(2026, 3, 3, 9, 30), actor=users["handler_a"])
    record(d, "finished", at=local(2026, 3, 3, 15, 0), actor=users["leader_a"])
    # 09:00–15:00 with the 12:00–13:00 lunch break: 5 working hours; due Wed 09:00, so early.
    assert counters(ward_a, procedure, dt.date(2026, 3, 3)) == {
        "received": 1,
        "finished": 1,
        "finished_early": 1,
        "processing_seconds": 5 * 3600,
        "processing_bin_01": 1,
    }
    snapshot = rollups.rollup_table()
    rebuild_dossier(d)  # same events, same state: no delta
    rebuild_dossier(d)
    rollups.rollup_dossier_saving(dossier=d)  # stored row == object: no delta
    assert rollups.rollup_table() == snapshot
    record(d, "returned", at=local(2026, 3, 4, 8, 0), actor=users["desk_a"])
    assert counters(ward_a, procedure, dt.date(2026, 3, 4)) == {"returned": 1}
    assert rollups.rollups_rebuild().changed == 0


def test_a_transfer_moves_the_whole_contribution_and_empties_the_old_row(version, tree):  # noqa: F811
    ward_a, ward_b, procedure = tree["ward_a"], tree["ward_b"], version.procedure
    d = open_dossier(version, ward_a, at=local(2026, 3, 3, 9, 0))
    record(d, "transferred", unit=ward_b, at=local(2026, 3, 3, 10, 0))
    assert not DailyRollup.objects.filter(unit=ward_a).exists()  # the all-zero row is gone
    assert counters(ward_b, procedure, dt.date(2026, 3, 3)) == {"received": 1}
    assert rollups.rollups_rebuild().changed == 0


def test_rebuild_repairs_a_tampered_table_and_reports_the_rows_it_changed(version, tree):  # noqa: F811
    ward_a = tree["ward_a"]
    for day in (2, 3, 4):
        open_dossier(version, ward_a, at=local(2026, 3, day, 9, 0))
    good = rollups.rollup_table()
    rows = list(DailyRollup.objects.order_by("day"))
    rows[0].delete()
    DailyRollup.objects.filter(pk=rows[1].pk).update(received=7)
    DailyRollup.objects.create(
        unit=tree["ward_b"], procedure=version.procedure, day=dt.date(2026, 3, 9), received=1
    )
    UnitMonthlyRollup.objects.update(received=99)  # a coarse grain, tampered on its own
    result = rollups.rollups_rebuild()
    # Daily: 1 created, 1 updated, 1 deleted, 1 unchanged. Coarse: the unit-month row updated;
    # the procedure-month row and the three unit-day rows were right.
    assert (result.created, result.updated, result.deleted, result.unchanged) == (1, 2, 1, 5)
    assert rollups.rollup_table() == good
    assert rollups.rollups_rebuild().changed == 0


def test_rebuild_of_a_subtree_leaves_other_units_alone(version, tree):  # noqa: F811
    open_dossier(version, tree["ward_a"], at=local(2026, 3, 2, 9, 0))
    stray = DailyRollup.objects.create(
        unit=tree["ward_b"], procedure=version.procedure, day=dt.date(2026, 3, 9), received=1
    )
    DailyRollup.objects.filter(unit=tree["ward_a"]).update(received=5)
    result = rollups.rollups_rebuild(unit=tree["ward_a"])
    assert (result.updated, result.deleted) == (1, 0)
    assert DailyRollup.objects.filter(pk=stray.pk).exists()
    assert DailyRollup.objects.get(unit=tree["ward_a"]).received == 1


def test_batch_hook_books_new_and_changed_dossiers_like_a_rebuild(version, tree):  # noqa: F811
    ward_a = tree["ward_a"]
    a = open_dossier(version, ward_a, at=local(2026, 3, 2, 9, 0))
    record(a, "finished", at=local(2026, 3, 3, 9, 0))
    b = open_dossier(version, ward_a, at=local(2026, 3, 2, 10, 0))
    final = [Dossier.objects.select_related("version").get(pk=d.pk) for d in (a, b)]
    new = Dossier.objects.get(pk=a.pk)
    new.pk, new.code = None, "NEW-1"
    # The stored rows go back to an earlier state (as before an ingestion batch), and the table
    # with them; then the batch hook books the new state of both, plus a dossier not yet stored.
    Dossier.objects.filter(pk=a.pk).update(status="received", finished_at=None, timeliness="")
    Dossier.objects.filter(pk=b.pk).update(status="", received_at=None, due_at=None)
    rollups.rollups_rebuild()
    rollups.rollup_dossiers_saving([(d, None) for d in final] + [(new, None)])
    # ... and the batch is written: the table must be what a rebuild gives.
    Dossier.objects.bulk_update(final, services.DERIVED_FIELDS)
    new.save()
    assert DailyRollup.objects.get(day=dt.date(2026, 3, 3)).finished == 2
    assert rollups.rollups_rebuild().changed == 0


# --- Incremental = rebuilt, for random write sequences ----------------------------------------

# Each dossier follows a plausible script (so that most examples reach finish, return, pauses,
# re-appointments and transfers); scripts are interleaved at random, with random gaps, random
# re-derivations ("rebuild") and the odd move the lifecycle refuses.
MIDDLE = {
    "step": ("step_started", "step_finished"),
    "supplement": ("supplement_requested", "supplement_provided"),
    "financial": ("financial_requested", "financial_fulfilled"),
    "paused": ("supplement_requested",),
    "reappointed": ("reappointed",),
    "transferred": ("transferred",),
    "rebuild": ("rebuild",),
    "stray": ("returned",),  # refused by the lifecycle while open
}
ENDINGS = {
    "finished": ("finished",),
    "returned": ("finished", "returned"),
    "withdrawn": ("withdrawn",),
    "stopped": ("stopped",),
    "open": (),
}
GAPS_MINUTES = (0, 20, 90, 300, 1080, 1440, 4320)


@st.composite
def scripts(draw):
    plans = []
    for _ in range(draw(st.integers(1, 3))):
        opening = draw(st.sampled_from(("open_counter", "open_online")))
        plan = [opening]
        if opening == "open_online":
            if draw(st.integers(0, 4)) == 0:
                plans.append([*plan, "refused"])
                continue
            plan.append("received")
        for middle in draw(st.lists(st.sampled_from(sorted(MIDDLE)), max_size=4)):
            plan += MIDDLE[middle]
        plan += ENDINGS[draw(st.sampled_from(sorted(ENDINGS)))]
        plans.append(plan)
    cursor = [0] * len(plans)
    ops = []
    while any(c < len(p) for c, p in zip(cursor, plans, strict=True)):
        live = [i for i, p in enumerate(plans) if cursor[i] < len(p)]
        i = draw(st.sampled_from(live))
        ops.append((i, plans[i][cursor[i]], draw(st.sampled_from(GAPS_MINUTES))))
        cursor[i] += 1
    return ops


def _apply_op(pool, op, clock, version, tree):  # noqa: F811
    index, action, _gap = op
    dossier = pool.get(index)
    if action.startswith("open_"):
        if dossier is None:
            online = action == "open_online"
            pool[index] = open_dossier(
                version,
                tree["ward_a"],
                at=clock,
                channel="online" if online else ("postal" if index == 2 else "counter"),
                online=online,
            )
        return
    if dossier is None:
        return
    if action == "rebuild":
        rebuild_dossier(dossier)
        return
    extra = {}
    if action == "received":
        extra["unit"] = dossier.competent_unit
    elif action in ("step_started", "step_finished"):
        extra["step"] = "XL"
    elif action == "transferred":
        extra["unit"] = tree["ward_b"]
    elif action == "reappointed":
        if dossier.due_at is None:
            return
        extra["reason"] = "Xin lỗi: chờ kết quả xác minh"
        extra["data"] = {"new_due_at": (dossier.due_at + dt.timedelta(days=3)).isoformat()}
    try:
        record(dossier, action, at=clock, **extra)
    except (TransitionError, ValidationError):
        pass  # a move the lifecycle refuses: nothing written


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=scripts())
def test_incremental_rollups_equal_the_rebuilt_ones(version, tree, ops):  # noqa: F811
    with transaction.atomic():
        pool: dict[int, Dossier] = {}
        clock = local(2026, 3, 2, 7, 0)  # Monday morning, before office hours
        for op in ops:
            clock += dt.timedelta(minutes=op[2])
            _apply_op(pool, op, clock, version, tree)
        for dossier in Dossier.objects.select_related("competent_unit"):
            event(f"status {dossier.status or 'new'}")
            event(f"competent unit {dossier.competent_unit.code}")
            if dossier.reappointed:
                event("re-appointed")
            if dossier.paused_seconds:
                event("paused")
        incremental = rollups.rollup_table()
        result = rollups.rollups_rebuild()
        assert result.changed == 0, result
        assert rollups.rollup_table() == incremental
        assert result.dossiers == len(pool)
        transaction.set_rollback(True)
