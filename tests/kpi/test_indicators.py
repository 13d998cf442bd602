"""The indicator registry: data, examples and properties of the formulas."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govqms.kpi.indicators import (
    INPUTS,
    REGISTRY,
    Direction,
    InputKind,
    ObservationError,
    Unit,
    compute,
    compute_all,
)

OBS = {
    "finished_early": 10,
    "finished_on_time": 20,
    "finished_late": 10,
    "open_within_limit": 5,
    "open_due_soon": 3,
    "open_overdue": 2,
    "received": 200,
    "received_online": 120,
    "dossiers_digitized": 150,
    "results_required": 40,
    "results_digitized": 10,
    "feedback_total": 8,
    "feedback_on_time": 6,
    "survey_responses": 50,
    "survey_satisfied": 45,
    "processing_days": [1, 2, 3, 10],
}

REQUIRED = {
    "SHARE_FINISHED_ON_TIME",
    "SHARE_FINISHED_LATE",
    "AVG_PROCESSING_DAYS",
    "MEDIAN_PROCESSING_DAYS",
    "OPEN_WITHIN_LIMIT",
    "OPEN_DUE_SOON",
    "OPEN_OVERDUE",
    "BACKLOG",
    "SHARE_ONLINE",
    "SHARE_DOSSIERS_DIGITIZED",
    "SHARE_RESULTS_DIGITIZED",
    "SHARE_FEEDBACK_ON_TIME",
    "SATISFACTION",
}


def test_registry_is_complete_data():
    assert REQUIRED <= set(REGISTRY)
    for code, ind in REGISTRY.items():
        assert ind.code == code and code.isupper()
        assert ind.name_vi and ind.name_en and ind.source and ind.formula_text
        assert isinstance(ind.unit, Unit) and isinstance(ind.direction, Direction)
        assert ind.inputs and set(ind.inputs) <= set(INPUTS)
    assert INPUTS["processing_days"].kind is InputKind.SAMPLE


@pytest.mark.parametrize(
    ("code", "numerator", "denominator", "value"),
    [
        ("SHARE_FINISHED_ON_TIME", 30, 40, 75.0),
        ("SHARE_FINISHED_LATE", 10, 40, 25.0),
        ("SHARE_ON_TIME_766", 38, 50, 76.0),
        ("AVG_PROCESSING_DAYS", 16.0, 4, 4.0),
        ("MEDIAN_PROCESSING_DAYS", None, 4, 2.5),
        ("OPEN_WITHIN_LIMIT", 5, None, 5),
        ("OPEN_DUE_SOON", 3, None, 3),
        ("OPEN_OVERDUE", 2, None, 2),
        ("BACKLOG", 10, None, 10),
        ("SHARE_ONLINE", 120, 200, 60.0),
        ("SHARE_DOSSIERS_DIGITIZED", 150, 200, 75.0),
        ("SHARE_RESULTS_DIGITIZED", 10, 40, 25.0),
        ("SHARE_FEEDBACK_ON_TIME", 6, 8, 75.0),
        ("SATISFACTION", 45, 50, 90.0),
    ],
)
def test_hand_computed(code, numerator, denominator, value):
    result = compute(code, OBS)
    assert (result.numerator, result.denominator, result.value) == (numerator, denominator, value)


def test_zero_denominator_gives_no_value():
    empty = dict.fromkeys(INPUTS, 0) | {"processing_days": []}
    results = compute_all(empty)
    assert set(results) == set(REGISTRY)
    for code, result in results.items():
        if REGISTRY[code].unit is Unit.COUNT:
            assert result.value == 0
        else:
            assert result.value is None, code
    assert results["AVG_PROCESSING_DAYS"].to_dict() == {
        "numerator": 0.0,
        "denominator": 0,
        "value": None,
    }


def test_compute_all_skips_indicators_without_inputs():
    assert set(compute_all({"received": 10, "received_online": 4})) == {"SHARE_ONLINE"}


def test_bad_observations_name_the_input():
    with pytest.raises(ObservationError, match="missing input 'finished_late'") as info:
        compute("SHARE_FINISHED_LATE", {"finished_early": 1, "finished_on_time": 1})
    assert info.value.name == "finished_late"
    with pytest.raises(ObservationError, match="received: -1"):
        compute("SHARE_ONLINE", {"received": -1, "received_online": 0})
    with pytest.raises(ObservationError, match="not a non-negative whole number"):
        compute("SHARE_ONLINE", {"received": 2.5, "received_online": 0})
    with pytest.raises(ObservationError, match="expected a list"):
        compute("AVG_PROCESSING_DAYS", {"processing_days": "1,2"})
    with pytest.raises(ObservationError, match="negative"):
        compute("AVG_PROCESSING_DAYS", {"processing_days": [1, -2]})
    with pytest.raises(ObservationError, match="finite"):
        compute("MEDIAN_PROCESSING_DAYS", {"processing_days": [float("inf")]})
    with pytest.raises(KeyError, match="unknown indicator 'NOPE'"):
        compute("NOPE", OBS)


def test_bands():
    online = REGISTRY["SHARE_ONLINE"]
    assert online.band(50.0).label_en == "Meets the 766 threshold"
    assert online.band(49.99).label_en == "Below the 766 threshold"
    assert online.band(None) is None
    assert REGISTRY["BACKLOG"].band(3) is None


counts = st.integers(0, 10**6)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(counts, counts, counts, counts, counts, counts)
def test_timeliness_shares_add_up(early, on_time, late, within, soon, overdue):
    obs = {
        "finished_early": early,
        "finished_on_time": on_time,
        "finished_late": late,
        "open_within_limit": within,
        "open_due_soon": soon,
        "open_overdue": overdue,
    }
    good, bad = compute("SHARE_FINISHED_ON_TIME", obs), compute("SHARE_FINISHED_LATE", obs)
    if early + on_time + late:
        assert good.value + bad.value == pytest.approx(100)
        assert 0 <= good.value <= 100
    else:
        assert good.value is bad.value is None
    backlog = compute("BACKLOG", obs).value
    assert backlog == sum(compute(c, obs).value for c in ("OPEN_WITHIN_LIMIT", "OPEN_DUE_SOON",
                                                          "OPEN_OVERDUE"))  # fmt: skip
    share_766 = compute("SHARE_ON_TIME_766", obs).value
    assert share_766 is None or 0 <= share_766 <= 100


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.floats(0, 1000, allow_nan=False), min_size=1, max_size=50))
def test_mean_and_median_lie_within_the_sample(days):
    obs = {"processing_days": days}
    for code in ("AVG_PROCESSING_DAYS", "MEDIAN_PROCESSING_DAYS"):
        value = compute(code, obs).value
        assert min(days) - 1e-9 <= value <= max(days) + 1e-9
