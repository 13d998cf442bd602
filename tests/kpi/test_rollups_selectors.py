"""Indicators from the rollups: values, subtrees and merged units, scoping, and the drill-down
(the dossiers behind every figure number exactly the figure)."""

import datetime as dt
import math
import statistics
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govqms.kpi import indicators, rollups, selectors
from govqms.kpi.models import HISTOGRAM_EDGES_DAYS, HISTOGRAM_FIELDS, MEASURES
from govqms.kpi.selectors import Figure
from govqms.org import services as org_services
from govqms.procedures.models import Procedure, ProcedureVersion
from tests.conftest import make_unit
from tests.dossiers.conftest import local, version  # noqa: F401  (fixture)
from tests.kpi.test_rollups import open_dossier, record

NOW = local(2026, 3, 10, 10, 0)  # Tuesday
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))


@pytest.fixture
def scenario(version, tree):  # noqa: F811
    """Ward A (birth registration, 1 working day), ward B (a 5-day procedure), and ward C,
    merged into ward A on 1 March 2026, with February history."""
    ward_a, ward_b = tree["ward_a"], tree["ward_b"]
    ward_c = make_unit("00073", "Phường Hàng Bạc (cũ)", "ward", tree["hanoi"])
    other = Procedure.objects.create(code="2.000001", name="Thủ tục năm ngày")
    version_b = ProcedureVersion.objects.create(
        procedure=other,
        unit=ward_b,
        number=1,
        status="active",
        limit_unit="working_days",
        limit_hours=Decimal(40),
        due_soon_hours=Decimal(4),
    )

    def done(unit, at, finish, v=version, returned=None, **kw):
        d = open_dossier(v, unit, at=at, **kw)
        record(d, "finished", at=finish)
        if returned:
            record(d, "returned", at=returned)
        return d

    # Ward A in March: early, on time (finished at the due instant), late.
    done(ward_a, local(2026, 3, 2, 9, 0), local(2026, 3, 2, 15, 0), returned=local(2026, 3, 3, 8))
    done(ward_a, local(2026, 3, 2, 10, 0), local(2026, 3, 3, 10, 0), channel="online")
    late = open_dossier(version, ward_a, at=local(2026, 3, 3, 9, 0))
    record(late, "supplement_requested", at=local(2026, 3, 3, 10, 0))
    record(late, "supplement_provided", at=local(2026, 3, 3, 14, 0))
    record(late, "finished", at=local(2026, 3, 5, 9, 0))
    # Open at NOW: overdue (due Tue 09:00), due soon (due Tue 14:00), paused (due soon at pause).
    open_dossier(version, ward_a, at=local(2026, 3, 9, 9, 0))
    open_dossier(version, ward_a, at=local(2026, 3, 9, 14, 0))
    paused = open_dossier(version, ward_a, at=local(2026, 3, 9, 9, 30))
    record(paused, "supplement_requested", at=local(2026, 3, 9, 10, 0))
    # Refused online submission; withdrawn dossier.
    refused = open_dossier(
        version, ward_a, at=local(2026, 3, 4, 20, 0), channel="online", online=True
    )
    record(refused, "refused", at=local(2026, 3, 5, 8, 0))
    gone = open_dossier(version, ward_a, at=local(2026, 3, 4, 9, 0))
    record(gone, "withdrawn", at=local(2026, 3, 5, 9, 0))
    # Ward B: received in February, finished in March; one open and within its limit.
    done(ward_b, local(2026, 2, 26, 9, 0), local(2026, 3, 2, 9, 0), v=version_b)
    open_dossier(version_b, ward_b, at=local(2026, 3, 9, 9, 0))
    # Ward C (February) then merged into ward A.
    done(ward_c, local(2026, 2, 10, 9, 0), local(2026, 2, 12, 16, 0))
    org_services.unit_succession_record(
        actor=None,
        predecessors=[ward_c],
        successors=[ward_a],
        kind="merge",
        effective_date=dt.date(2026, 3, 1),
    )
    return {**tree, "ward_c": ward_c, "procedure_a": version.procedure, "procedure_b": other}


def values(**kw) -> dict[str, dict]:
    kw.setdefault("now", NOW)
    return {row["code"]: row for row in selectors.indicator_values(**kw)}


def test_values_for_a_ward_over_march(scenario):
    got = values(unit=scenario["ward_a"], subtree=False, start=MARCH[0], end=MARCH[1])
    on_time = got["SHARE_FINISHED_ON_TIME"]
    assert (on_time["numerator"], on_time["denominator"]) == (2, 3)
    assert on_time["value"] == pytest.approx(200 / 3)
    assert on_time["unit"] == "%"
    assert (got["SHARE_ONLINE"]["numerator"], got["SHARE_ONLINE"]["denominator"]) == (1, 7)
    assert got["OPEN_OVERDUE"]["value"] == 1
    assert got["OPEN_DUE_SOON"]["value"] == 2  # one running, one paused (class frozen at pause)
    assert got["OPEN_WITHIN_LIMIT"]["value"] == 0
    assert got["BACKLOG"]["value"] == 3
    # 5 h, 8 h, and 16 h − 3 h paused = 13 h of working time: 26 h = 3.25 working days.
    avg = got["AVG_PROCESSING_DAYS"]
    assert (avg["numerator"], avg["denominator"]) == (3.25, 3)
    assert avg["value"] == pytest.approx(3.25 / 3)
    assert got["SATISFACTION"]["missing"] == ["survey_satisfied", "survey_responses"]
    assert got["SATISFACTION"]["value"] is None


def test_open_dossiers_within_limit_on_a_longer_procedure(scenario):
    got = values(unit=scenario["ward_b"], subtree=True, start=MARCH[0], end=MARCH[1])
    assert got["OPEN_WITHIN_LIMIT"]["value"] == 1
    assert got["SHARE_FINISHED_ON_TIME"]["denominator"] == 1
    # Due Mon 16 Mar 09:00; due soon 4 working hours before: Fri 13 Mar 14:00 (2.5 h + 1.5 h).
    kw = {"unit": scenario["ward_b"], "subtree": True, "start": MARCH[0], "end": MARCH[1]}
    assert values(now=local(2026, 3, 13, 14, 0), **kw)["OPEN_DUE_SOON"]["value"] == 1
    assert values(now=local(2026, 3, 13, 13, 59), **kw)["OPEN_WITHIN_LIMIT"]["value"] == 1
    assert values(now=local(2026, 3, 16, 9, 0), **kw)["OPEN_DUE_SOON"]["value"] == 1
    assert values(now=local(2026, 3, 16, 9, 1), **kw)["OPEN_OVERDUE"]["value"] == 1


def test_merged_units_roll_up_into_their_successor_without_double_counting(scenario):
    feb = (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    for subtree in (False, True):
        ward_a = values(unit=scenario["ward_a"], subtree=subtree, start=feb[0], end=feb[1])
        assert ward_a["SHARE_FINISHED_ON_TIME"]["denominator"] == 1  # ward C's February dossier
    ward_c = values(unit=scenario["ward_c"], subtree=True, start=feb[0], end=feb[1])
    assert ward_c["SHARE_FINISHED_ON_TIME"]["denominator"] == 1  # its own rows keep its unit
    hanoi = selectors.rollup_counts(
        figure=Figure(scenario["hanoi"], True, None, feb[0], MARCH[1], NOW)
    )
    parts = [
        selectors.rollup_counts(figure=Figure(scenario[u], False, None, feb[0], MARCH[1], NOW))
        for u in ("ward_a", "ward_b")
    ]
    assert hanoi["received"] == sum(p["received"] for p in parts) == 10


def test_a_reorganization_reaches_figures_already_cached(scenario):
    """Ward B's figure is cached; then ward B is merged into ward A: the next figure of ward A
    carries ward B's history, with no restart."""
    ward_a, ward_b = scenario["ward_a"], scenario["ward_b"]
    before = values(unit=ward_a, subtree=True, start=MARCH[0], end=MARCH[1])
    b_alone = values(unit=ward_b, subtree=True, start=MARCH[0], end=MARCH[1])
    org_services.unit_succession_record(
        actor=None,
        predecessors=[ward_b],
        successors=[ward_a],
        kind="merge",
        effective_date=dt.date(2026, 3, 1),
    )
    after = values(unit=ward_a, subtree=True, start=MARCH[0], end=MARCH[1])
    code = "SHARE_FINISHED_ON_TIME"
    assert after[code]["denominator"] == (
        before[code]["denominator"] + b_alone[code]["denominator"]
    )
    assert b_alone[code]["denominator"] > 0
    figure = selectors.Figure(ward_a, True, None, *MARCH, NOW)
    assert ward_b.pk in figure.unit_ids


def test_a_version_the_lookups_do_not_know_yet_is_classed_with_its_own_margin(scenario):
    """A version written without signals (so the in-memory margins do not have it), with a
    margin no other version has: its open dossier is still classed by its own margin."""
    ward_a = scenario["ward_a"]
    before = selectors.snapshot_counts(figure=Figure(ward_a, True, None, *MARCH, NOW))
    procedure = Procedure.objects.create(code="2.000099", name="Thủ tục mười ngày")
    [quiet] = ProcedureVersion.objects.bulk_create(  # no post_save: no generation bump
        [
            ProcedureVersion(
                procedure=procedure,
                unit=ward_a,
                number=1,
                status="active",
                limit_unit="working_days",
                limit_hours=Decimal(80),
                due_soon_hours=Decimal(80),
            )
        ]
    )
    open_dossier(quiet, ward_a, at=local(2026, 3, 10, 8, 0))  # due in 10 working days
    after = selectors.snapshot_counts(figure=Figure(ward_a, True, None, *MARCH, NOW))
    assert after["open_due_soon"] == before["open_due_soon"] + 1  # within 80 h of its due date
    assert after["open_within_limit"] == before["open_within_limit"]


def test_procedure_filter(scenario):
    got = values(
        unit=scenario["hanoi"],
        subtree=True,
        procedure=scenario["procedure_b"],
        start=MARCH[0],
        end=MARCH[1],
    )
    assert got["SHARE_FINISHED_ON_TIME"]["denominator"] == 1
    assert got["BACKLOG"]["value"] == 1


def test_figures_are_scoped_to_what_the_user_may_see(scenario, users):
    kw = {"unit": scenario["hanoi"], "subtree": True, "start": MARCH[0], "end": MARCH[1]}
    leader_b = values(user=users["leader_b"], **kw)
    assert leader_b["BACKLOG"]["value"] == 1  # ward B's open dossier only
    assert leader_b["SHARE_FINISHED_ON_TIME"]["denominator"] == 1
    assert values(user=users["overseer"], **kw) == values(**kw)
    nobody = values(user=users["nobody"], **kw)
    assert all(row["numerator"] in (0, None) for row in nobody.values())
    behind = selectors.dossiers_behind(
        user=users["leader_b"], code="SHARE_FINISHED_ON_TIME", now=NOW, **kw
    )
    assert {d.competent_unit_id for d in behind} == {scenario["ward_b"].pk}


FIGURES = [
    ("hanoi", True, None, MARCH),
    ("hanoi", True, None, (dt.date(2026, 2, 1), dt.date(2026, 3, 31))),
    ("ward_a", False, None, MARCH),
    ("ward_a", True, "procedure_a", (dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
    ("ward_a", True, None, (dt.date(2026, 3, 3), dt.date(2026, 3, 3))),
    ("ward_b", True, "procedure_b", MARCH),
    # Whole months from the monthly grain plus edge days from the daily grain.
    ("hanoi", True, None, (dt.date(2026, 2, 15), dt.date(2026, 3, 20))),
    ("ward_a", True, "procedure_a", (dt.date(2026, 2, 20), dt.date(2026, 3, 4))),
    ("hanoi", True, None, (dt.date(2026, 1, 1), dt.date(2026, 3, 31))),
]


@pytest.mark.parametrize(("unit", "subtree", "procedure", "period"), FIGURES)
def test_every_figure_drills_down_to_exactly_its_dossiers(
    scenario, unit, subtree, procedure, period
):
    figure = Figure(
        scenario[unit], subtree, scenario[procedure] if procedure else None, *period, NOW
    )
    report = selectors.indicator_report(figure=figure)
    checked = 0
    for row in report["indicators"]:
        if row["missing"]:
            with pytest.raises(ValueError, match=row["code"]):
                selectors.dossiers_behind(code=row["code"], figure=figure)
            continue
        reads_sample = selectors.SAMPLE_INPUT in indicators.REGISTRY[row["code"]].inputs
        for part in ("numerator", "denominator"):
            expected = row[part]
            if expected is None:
                continue
            behind = selectors.dossiers_behind(code=row["code"], figure=figure, part=part)
            if reads_sample and part == "numerator":  # Σ working days of the dossiers behind
                days = selectors.processing_days_sample(behind)
                assert math.fsum(days) == pytest.approx(expected), row["code"]
            else:
                assert behind.count() == expected, (row["code"], part)
            checked += 1
    assert checked >= 15
    counts = report["counts"]
    for measure in MEASURES:
        if measure in HISTOGRAM_FIELDS or measure == "processing_seconds":
            continue
        assert (
            selectors.dossiers_for_measure(figure=figure, measure=measure).count()
            == counts[measure]
        ), measure
    finished = selectors.dossiers_for_measure(figure=figure, measure="processing_seconds")
    days = selectors.processing_days_sample(finished)
    assert sum(counts[f] for f in HISTOGRAM_FIELDS) == len(days)
    assert counts["processing_seconds"] == round(math.fsum(days) * rollups.SECONDS_PER_WORKING_DAY)


def test_median_from_the_histogram_and_exactly_from_the_dossiers(scenario):
    kw = {"unit": scenario["hanoi"], "subtree": True, "start": MARCH[0], "end": MARCH[1]}
    estimate = values(**kw)["MEDIAN_PROCESSING_DAYS"]
    exact = values(exact=True, **kw)["MEDIAN_PROCESSING_DAYS"]
    assert estimate["exact"] is False and exact["exact"] is True
    assert estimate["denominator"] == exact["denominator"] == 4
    # Samples (working days): 0.625, 1, 1.625 (ward A), 2 (ward B): median 1.3125; the
    # histogram puts 1 and 1.625 in [1, 2) and interpolates 1 + (2 − 1)/2 = 1.5.
    assert exact["value"] == pytest.approx(1.3125)
    assert estimate["value"] == pytest.approx(1.5)
    figure = Figure(scenario["hanoi"], True, None, *MARCH, NOW)
    assert selectors.processing_median_exact(figure=figure) == pytest.approx(1.3125)


def test_every_sample_indicator_of_the_registry_reads_the_rollups():
    sample = [
        code for code, ind in indicators.REGISTRY.items() if selectors.SAMPLE_INPUT in ind.inputs
    ]
    counts = dict.fromkeys(MEASURES, 0)
    assert sample and all(selectors._from_rollups(code, counts) for code in sample)


@pytest.mark.parametrize(
    "sample",
    [[0.1], [0.3, 0.7, 2.5], [1.0] * 5 + [40.0] * 4, [0.2, 0.4, 9.0, 9.5, 12.0, 95.0, 120.0]],
)
def test_median_estimate_lies_within_the_bins_around_the_middle(sample):
    bins = [0] * len(HISTOGRAM_FIELDS)
    for days in sample:
        bins[HISTOGRAM_FIELDS.index(rollups.histogram_field(int(days * 28800)))] += 1
    estimate = selectors.median_estimate(bins)
    true = statistics.median(sample)
    edges = (0.0, *HISTOGRAM_EDGES_DAYS, math.inf)
    low = max(e for e in edges if e <= min(statistics.median_low(sample), true))
    high = min(e for e in edges if e > max(statistics.median_high(sample), true))
    assert low <= estimate <= high
    assert selectors.median_estimate([0] * len(bins)) is None


def test_indicator_values_use_a_fixed_number_of_queries(scenario, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        values(unit=scenario["hanoi"], subtree=True, start=MARCH[0], end=MARCH[1])


@given(
    start=st.dates(dt.date(2025, 1, 1), dt.date(2027, 12, 31)),
    days=st.integers(0, 800),
)
def test_a_period_splits_into_whole_months_and_edge_days(start, days):
    end = start + dt.timedelta(days=days)
    months, edges = selectors.month_split(start, end)
    covered = []
    if months is not None:
        first, last = months
        assert first.day == 1 and last.day == 1 and first <= last
        day = first
        while day <= selectors.period_bounds("month", last)[1]:
            covered.append(day)
            day += dt.timedelta(days=1)
    for a, b in edges:
        assert a <= b
        covered += [a + dt.timedelta(days=i) for i in range((b - a).days + 1)]
    expected = [start + dt.timedelta(days=i) for i in range(days + 1)]
    assert sorted(covered) == expected  # every day once, nothing outside [start, end]
    assert len(edges) <= 2


@pytest.mark.parametrize(
    ("period", "day", "bounds"),
    [
        ("day", dt.date(2026, 3, 4), (dt.date(2026, 3, 4), dt.date(2026, 3, 4))),
        ("week", dt.date(2026, 3, 4), (dt.date(2026, 3, 2), dt.date(2026, 3, 8))),
        ("month", dt.date(2026, 2, 14), (dt.date(2026, 2, 1), dt.date(2026, 2, 28))),
        ("quarter", dt.date(2026, 11, 4), (dt.date(2026, 10, 1), dt.date(2026, 12, 31))),
        ("year", dt.date(2026, 3, 4), (dt.date(2026, 1, 1), dt.date(2026, 12, 31))),
    ],
)
def test_period_bounds(period, day, bounds):
    assert selectors.period_bounds(period, day) == bounds
