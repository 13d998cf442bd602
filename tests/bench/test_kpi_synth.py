"""The KPI benchmark's generator (bench/kpi_synth.py): deterministic, lifecycles the workflow
accepts, and rollups equal to what `govqms rebuild-rollups` computes from the dossiers."""

import datetime as dt

import numpy as np
import pytest

from bench import kpi_synth as synth
from govqms.dossiers import workflows
from govqms.dossiers.services import version_rule
from govqms.kpi import rollups, selectors
from govqms.procedures.models import ProcedureVersion

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _instant(us):
    return None if us == synth.NAT else EPOCH + dt.timedelta(microseconds=int(us))


@pytest.fixture
def small_world(db):
    return synth.world(seed=7, wards=3, departments=2, procedures=12, use_divisions=False)


def test_chunks_are_deterministic_and_sizes_nest(small_world):
    a = synth.chunk_generate(small_world, 0)
    b = synth.chunk_generate(small_world, 0)
    for part in ("d", "e"):
        for name, values in getattr(a, part).items():
            assert np.array_equal(values, getattr(b, part)[name]), name
    small, large = a.head(100), a.head(300)
    for name, values in small.d.items():
        assert np.array_equal(values, large.d[name][:100]), name
    assert np.array_equal(small.e["t"], large.e["t"][large.e["local"] < 100])
    assert (
        small_world.fingerprint
        == synth.world(
            seed=7, wards=3, departments=2, procedures=12, use_divisions=False
        ).fingerprint
    )


def test_the_raw_events_carry_the_stored_due_dates(small_world):
    """The due date on the last event that sets one (receipt, re-appointment, end of a pause)
    is the dossier's stored due date: what the DuckDB baseline reads."""
    c = synth.chunk_generate(small_world, 2)
    e = c.e
    idx = np.flatnonzero(e["due"] != synth.NAT)
    local = e["local"][idx]
    last = np.r_[local[1:] != local[:-1], True]
    due = np.full(c.n, synth.NAT)
    due[local[last]] = e["due"][idx[last]]
    assert np.array_equal(due, c.d["due_at"])


def test_derived_fields_are_what_the_workflow_replays(small_world):
    """Each dossier's events, replayed by dossiers.workflows, give its stored state."""
    w, c = small_world, synth.chunk_generate(small_world, 1).head(1500)
    versions = {v.pk: v for v in ProcedureVersion.objects.filter(pk__in=w.version_ids.tolist())}
    rules = {pk: version_rule(v) for pk, v in versions.items()}
    e, d = c.e, c.d
    first = np.searchsorted(e["local"], np.arange(c.n))
    last = np.searchsorted(e["local"], np.arange(c.n), side="right")
    for i in range(c.n):
        rule = rules[int(w.version_ids[d["proc"][i]])]
        events = []
        for j in range(first[i], last[i]):
            kind = synth.KINDS[e["kind"][j]]
            data = (
                {"new_due_at": _instant(e["due"][j]).isoformat()} if kind == "reappointed" else {}
            )
            events.append(
                workflows.Event(
                    kind=kind,
                    occurred_at=_instant(e["t"][j]),
                    step=f"B{e['step'][j]}" if e["step"][j] else "",
                    reason="xin lỗi, hẹn lại" if kind == "reappointed" else "",
                    data=data,
                    seq=int(e["seq"][j]),
                )
            )
        state = workflows.replay(events, rule=rule, calendar=w.calendar)
        expected = {
            "status": state.status,
            "timeliness": workflows.timeliness(
                state, now=synth.NOW, rule=rule, calendar=w.calendar
            ),
            "paused_seconds": state.paused_seconds,
            "reappointed": state.reappointed,
            "current_step": state.current_step,
            "event_count": state.event_count,
            **{f: getattr(state, f) for f in synth.TIME_FIELDS},
        }
        got = {
            "status": synth.STATUSES[d["status"][i]],
            "timeliness": synth.TIMELINESS[d["timeliness"][i]],
            "paused_seconds": int(d["paused_seconds"][i]),
            "reappointed": bool(d["reappointed"][i]),
            "current_step": f"B{d['current_step'][i]}" if d["current_step"][i] else "",
            "event_count": int(d["event_count"][i]),
            **{f: _instant(d[f][i]) for f in synth.TIME_FIELDS},
        }
        assert got == expected, i


def test_rollups_equal_the_rebuilt_ones_and_duckdb_agrees(small_world, tmp_path):
    duckdb = pytest.importorskip("duckdb")
    from bench import bench_kpi

    w = small_world
    info = synth.dataset_ensure(400, seed=7, directory=tmp_path, w=w)
    assert info["reused"] is False and info["rollup_rows"] > 0
    assert synth.dataset_ensure(400, seed=7, directory=tmp_path, w=w)["reused"] is True

    before = rollups.rollup_table(unit=w.province)
    result = rollups.rollups_rebuild(unit=w.province)
    assert result.dossiers == 400
    assert result.changed == 0
    assert rollups.rollup_table(unit=w.province) == before

    figure = selectors.Figure(
        w.province, True, None, dt.date(synth.YEAR, 1, 1), dt.date(synth.YEAR, 12, 31), synth.NOW
    )
    ours = selectors.rollup_counts(figure=figure)
    con = duckdb.connect(info["duckdb"], read_only=True)
    try:
        params = bench_kpi._duck_params(
            {
                "unit_id": w.province.pk,
                "procedure_id": None,
                "start": figure.start,
                "end": figure.end,
            },
            w.unit_paths,
        )
        for sql in (bench_kpi.events_sql(), bench_kpi.facts_sql()):
            row = con.execute(sql, params).fetchone()
            assert dict(zip(ours, (int(v or 0) for v in row), strict=True)) == ours
    finally:
        con.close()
    assert ours["received"] > 300


@pytest.mark.shared_data
def test_calibration_is_what_the_real_logs_give(shared_data):
    """The frozen CALIBRATION table is reproduced from the XES logs by `calibrate()`."""
    assert synth.calibrate(shared_data / "eventlogs") == synth.CALIBRATION
