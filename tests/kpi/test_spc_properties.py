"""Property-based tests of the SPC core (hypothesis)."""

import json
import math

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from govqms.kpi.spc import NELSON, WESTERN_ELECTRIC, p_chart, run_rules, xmr_chart

SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
series = st.lists(finite, min_size=2, max_size=60)
# Values with two decimals (processing days, shares): no subnormal numbers, so scaling by 2^k
# stays exact.
decimals = st.lists(st.integers(-(10**8), 10**8).map(lambda i: i / 100), min_size=2, max_size=60)
rule_sets = st.sampled_from([NELSON, WESTERN_ELECTRIC])


@st.composite
def subgroups(draw, min_size=1, max_size=40):
    sizes = draw(st.lists(st.integers(1, 500), min_size=min_size, max_size=max_size))
    defectives = [draw(st.integers(0, n)) for n in sizes]
    return defectives, sizes


def close(a, b, scale=1.0):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9 * max(1.0, abs(scale)))


@SETTINGS
@given(series, rule_sets)
def test_xmr_limits_contain_the_centre(values, rules):
    chart = xmr_chart(values, rules=rules)
    assert chart.lcl <= chart.center <= chart.ucl
    assert 0 <= chart.mr_bar <= chart.mr_ucl
    assert min(values) <= chart.center + 1e-6 and chart.center - 1e-6 <= max(values)
    json.dumps(chart.to_dict(), allow_nan=False)


@SETTINGS
@given(subgroups(), rule_sets)
def test_p_chart_limits_within_0_1_and_contain_the_centre(data, rules):
    defectives, sizes = data
    chart = p_chart(defectives, sizes, rules=rules)
    assert 0 <= chart.center <= 1
    for lcl, ucl in zip(chart.lcl, chart.ucl, strict=True):
        assert 0 <= lcl <= chart.center <= ucl <= 1
    json.dumps(chart.to_dict(), allow_nan=False)


@SETTINGS
@given(finite, st.integers(2, 40))
def test_constant_series_raises_no_signal(value, count):
    chart = xmr_chart([value] * count)
    assert chart.mr_bar == 0 and chart.ucl == chart.lcl == chart.center
    assert chart.signals == () and chart.mr_signals == ()


@SETTINGS
@given(st.integers(1, 9), st.integers(2, 10), st.lists(st.integers(1, 30), min_size=1, max_size=30))
def test_constant_proportion_signals_only_stratification(a, b, multipliers):
    """Every subgroup at exactly p̄ = a/b: a binomial process would scatter, so the only signal
    is rule 7 (fifteen in a row within 1σ) once there are fifteen points; none before."""
    assume(a < b)
    chart = p_chart([k * a for k in multipliers], [k * b for k in multipliers])
    assert all(z == 0 for z in chart.z)
    rules = {s.rule for s in chart.signals}
    assert rules == ({7} if len(multipliers) >= 15 else set())


@SETTINGS
@given(st.lists(finite, min_size=10, max_size=50), st.booleans())
def test_far_point_appended_triggers_rule_1_there(values, downwards):
    spread = max(values) - min(values)
    far = (min(values) - 10 * (spread + 1)) if downwards else (max(values) + 10 * (spread + 1))
    chart = xmr_chart([*values, far])
    index = len(values)
    assert any(s.rule == 1 and s.trigger_index == index for s in chart.signals)
    (signal,) = [s for s in chart.signals if s.rule == 1 and s.trigger_index == index]
    assert signal.direction == ("down" if downwards else "up")


@SETTINGS
@given(series, st.integers(0, 60), st.floats(0.001, 1e3), st.booleans())
def test_point_beyond_baseline_limits_triggers_rule_1_anywhere(values, at, extra, downwards):
    base = xmr_chart(values)
    far = base.lcl - extra if downwards else base.ucl + extra
    position = min(at, len(values))
    monitored = [*values, 0.0]
    monitored[position:] = [far, *values[position:]]
    chart = xmr_chart(monitored, center=base.center, mr_bar=base.mr_bar)
    assert any(s.rule == 1 and s.trigger_index == position for s in chart.signals)


@SETTINGS
@given(subgroups(min_size=1, max_size=20), st.integers(0, 20))
def test_p_chart_far_subgroup_triggers_rule_1(data, at):
    defectives, sizes = data
    defectives = [min(d, n // 2) for d, n in zip(defectives, sizes, strict=True)]  # p̄ ≤ ½
    base = p_chart(defectives, sizes)
    position = min(at, len(sizes))
    d = [*defectives[:position], 1000, *defectives[position:]]
    n = [*sizes[:position], 1000, *sizes[position:]]
    chart = p_chart(d, n, p_bar=base.center)
    assert any(s.rule == 1 and s.trigger_index == position for s in chart.signals)


@SETTINGS
@given(series, st.floats(1e-3, 1e3))
def test_scaling_scales_the_limits(values, factor):
    a, b = xmr_chart(values), xmr_chart([v * factor for v in values])
    scale = max(abs(v) for v in values) * factor
    assert close(b.center, a.center * factor, scale)
    assert close(b.ucl, a.ucl * factor, scale) and close(b.lcl, a.lcl * factor, scale)
    assert close(b.mr_bar, a.mr_bar * factor, scale)


@SETTINGS
@given(decimals, st.integers(-20, 20), rule_sets)
def test_scaling_by_a_power_of_two_keeps_the_signals(values, exponent, rules):
    """Multiplying by 2^k is exact in floating point, so z and every signal are unchanged."""
    factor = 2.0**exponent
    a, b = xmr_chart(values, rules=rules), xmr_chart([v * factor for v in values], rules=rules)
    assert b.ucl == a.ucl * factor and b.lcl == a.lcl * factor
    assert [(s.rule, s.indices) for s in a.signals] == [(s.rule, s.indices) for s in b.signals]


@SETTINGS
@given(series, finite)
def test_shifting_shifts_the_limits(values, shift):
    a, b = xmr_chart(values), xmr_chart([v + shift for v in values])
    scale = max(abs(v) for v in values) + abs(shift)
    tol = 1e-9 * max(1.0, scale) * 10
    assert math.isclose(b.center, a.center + shift, abs_tol=tol)
    assert math.isclose(b.ucl, a.ucl + shift, abs_tol=tol)
    assert math.isclose(b.lcl, a.lcl + shift, abs_tol=tol)
    assert math.isclose(b.mr_bar, a.mr_bar, abs_tol=tol)


zs = st.lists(st.floats(-5, 5, allow_nan=False), max_size=80)


@SETTINGS
@given(zs, rule_sets)
def test_hits_are_well_formed(z, rules):
    for hit in run_rules(z, rules=rules):
        assert hit.rule in rules.rules
        assert hit.trigger_index in hit.indices
        assert list(hit.indices) == sorted(set(hit.indices))
        assert 0 <= hit.indices[0] and hit.indices[-1] < len(z)
        if hit.rule in (1, 2, 5, 6):
            sign = 1 if hit.direction == "up" else -1
            assert all(z[i] * sign > 0 for i in hit.indices)
        if hit.rule == 1:
            assert abs(z[hit.trigger_index]) > 3


@SETTINGS
@given(zs)
def test_western_electric_run_of_eight_fires_whenever_nelson_nine_does(z):
    nelson = {h.trigger_index for h in run_rules(z, rules=NELSON) if h.rule == 2}
    we = [h for h in run_rules(z, rules=WESTERN_ELECTRIC) if h.rule == 2]
    for trigger in nelson:
        assert any(trigger in h.indices for h in we)


@SETTINGS
@given(zs)
def test_negating_z_mirrors_the_directions(z):
    flip = {"up": "down", "down": "up", None: None}
    a = run_rules(z)
    b = run_rules([-v for v in z])
    assert sorted((h.rule, h.indices, flip[h.direction]) for h in a) == sorted(
        (h.rule, h.indices, h.direction) for h in b
    )
