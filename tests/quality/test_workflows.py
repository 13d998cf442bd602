"""The status rule and the lifecycles (pure)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govqms.quality import workflows as wf

values = st.floats(min_value=0, max_value=1000, allow_nan=False)
margins = st.floats(min_value=0, max_value=50, allow_nan=False)


@pytest.mark.parametrize(
    ("value", "comparison", "complete", "expected"),
    [
        (90.0, "gte", True, wf.ON_TRACK),  # exactly on target
        (100 * 9 / 10, "gte", True, wf.ON_TRACK),
        (87.5, "gte", True, wf.AT_RISK),  # short by 2.5 ≤ 5
        (85.0, "gte", True, wf.AT_RISK),  # short by exactly the margin
        (84.9, "gte", True, wf.MISSED),
        (50.0, "gte", False, wf.AT_RISK),  # running period: trends below, not final
        (None, "gte", True, wf.NO_DATA),
        (3.0, "lte", True, wf.ON_TRACK),  # lower is better: at most 3 days
        (7.0, "lte", True, wf.AT_RISK),
        (8.5, "lte", True, wf.MISSED),
    ],
)
def test_health(value, comparison, complete, expected):
    target = 90 if comparison == "gte" else 3
    got = wf.health(value=value, target=target, comparison=comparison, margin=5, complete=complete)
    assert got == expected


@given(values, values, margins, st.sampled_from(["gte", "lte"]), st.booleans())
def test_met_targets_are_on_track_and_running_periods_are_never_missed(
    value, target, margin, comparison, complete
):
    got = wf.health(
        value=value, target=target, comparison=comparison, margin=margin, complete=complete
    )
    met = value >= target if comparison == "gte" else value <= target
    assert (got == wf.ON_TRACK) == (met or abs(value - target) <= wf.TOLERANCE)
    if not complete:
        assert got != wf.MISSED


@given(values, values, values, margins)
def test_a_bigger_shortfall_is_never_better(target, a, b, margin):
    low, high = sorted((a, b))
    worse = wf.health(value=low, target=target, comparison="gte", margin=margin, complete=True)
    better = wf.health(value=high, target=target, comparison="gte", margin=margin, complete=True)
    assert wf.SEVERITY[worse] >= wf.SEVERITY[better]


def test_headline_is_the_worst_status_with_data():
    assert wf.headline([wf.MISSED, wf.ON_TRACK]) == wf.MISSED
    assert wf.headline([wf.NO_DATA, wf.AT_RISK]) == wf.AT_RISK
    assert wf.headline([wf.NO_DATA, wf.NO_DATA]) == wf.NO_DATA
    assert wf.headline([]) == wf.NO_DATA


def test_signal_lifecycle():
    table = wf.SIGNAL_TRANSITIONS
    assert wf.transition(table, "open", "acknowledged") == "acknowledged"
    assert wf.transition(table, "acknowledged", "raised_nonconformity") == "raised_nonconformity"
    for current, target in [
        ("dismissed", "open"),
        ("dismissed", "acknowledged"),
        ("raised_nonconformity", "dismissed"),
        ("acknowledged", "acknowledged"),
    ]:
        with pytest.raises(wf.TransitionError):
            wf.transition(table, current, target)
