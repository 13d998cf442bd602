"""SPC against textbook numbers, and one hand-made series per run rule."""

import json
import math

import pytest

from govqms.kpi.spc import (
    NELSON,
    WESTERN_ELECTRIC,
    RuleSet,
    p_chart,
    rule_names,
    run_rules,
    xmr_chart,
)

# Montgomery, Introduction to Statistical Quality Control: frozen orange juice concentrate
# cans, 30 samples of n = 50 (2nd ed. 1991 pp. 152-155, the `orangejuice` data set of the R
# package qcc; the same example opens the p-chart chapter of later editions). Trial limits:
# p̄ = 347/1500 = 0.2313, UCL = 0.4102, LCL = 0.0524; samples 15 and 23 are out of control.
# With them removed: p̄ = 301/1400 = 0.2150, UCL = 0.3893, LCL = 0.0407, and sample 21 is
# above the revised UCL.
ORANGE_JUICE = [12, 15, 8, 10, 4, 7, 16, 9, 14, 10, 5, 6, 17, 12, 22, 8, 10, 5, 13, 11,
                20, 18, 24, 15, 9, 12, 7, 13, 9, 6]  # fmt: skip

# NIST/SEMATECH e-Handbook of Statistical Methods, 6.3.2.2 (individuals control charts):
# X̄ = 50.81, MR̄ = 1.8778, UCL(MR) = 6.1349 (3.267·MR̄). The handbook's X limits use 3/1.128
# (55.8041, 45.8159); with the rounded 2.66 used here they are 55.8049 and 45.8151.
NIST_FLOW = [49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1]


def test_montgomery_orange_juice_trial_limits():
    chart = p_chart(ORANGE_JUICE, [50] * 30)
    assert sum(ORANGE_JUICE) == 347
    assert chart.center == pytest.approx(0.2313, abs=5e-5)
    assert set(chart.ucl) == {chart.ucl[0]} and chart.ucl[0] == pytest.approx(0.4102, abs=5e-5)
    assert chart.lcl[0] == pytest.approx(0.0524, abs=5e-5)
    beyond = [s for s in chart.signals if s.rule == 1]
    assert [(s.trigger_index + 1, s.direction) for s in beyond] == [(15, "up"), (23, "up")]
    assert chart.estimated_from == tuple(range(30))


def test_montgomery_orange_juice_revised_limits():
    chart = p_chart(ORANGE_JUICE, [50] * 30, exclude={14, 22})
    assert chart.center == pytest.approx(0.2150, abs=5e-5)
    assert chart.ucl[0] == pytest.approx(0.3893, abs=5e-5)
    assert chart.lcl[0] == pytest.approx(0.0407, abs=5e-5)
    beyond = sorted(s.trigger_index + 1 for s in chart.signals if s.rule == 1)
    assert beyond == [15, 21, 23]


def test_orange_juice_western_electric_signals():
    chart = p_chart(ORANGE_JUICE, [50] * 30, rules=WESTERN_ELECTRIC)
    found = {(s.rule, s.trigger_index) for s in chart.signals}
    # 1: samples 15 and 23; 2 of 3 beyond 2σ at 21-23 (0.40, 0.36, 0.48); 4 of 5 beyond 1σ
    # at 21-24.
    assert found == {(1, 14), (1, 22), (5, 21), (6, 23)}
    assert {s.we_rule for s in chart.signals} == {1, 2, 3}


def test_nist_individuals_chart():
    chart = xmr_chart(NIST_FLOW)
    assert chart.center == pytest.approx(50.81, abs=1e-9)
    assert chart.mr_bar == pytest.approx(1.8778, abs=5e-5)
    assert chart.mr_ucl == pytest.approx(6.1349, abs=5e-4)
    assert chart.ucl == pytest.approx(55.8049, abs=5e-5)
    assert chart.lcl == pytest.approx(45.8151, abs=5e-5)
    assert chart.signals == () and chart.mr_signals == ()
    assert chart.moving_ranges[0] is None
    assert chart.moving_ranges[1] == pytest.approx(2.0)


def test_variable_n_limits_and_z():
    chart = p_chart([2, 10, 1], [20, 100, 5])
    assert chart.center == pytest.approx(13 / 125)
    for i, n in enumerate((20, 100, 5)):
        sigma = math.sqrt(chart.center * (1 - chart.center) / n)
        assert chart.sigma[i] == pytest.approx(sigma)
        assert chart.ucl[i] == pytest.approx(min(1, chart.center + 3 * sigma))
        assert chart.lcl[i] == max(0.0, chart.center - 3 * sigma)
        assert chart.z[i] == pytest.approx((chart.p[i] - chart.center) / sigma)
    assert chart.lcl[2] == 0.0  # floored


def test_rule_1_beyond_is_strict():
    hits = run_rules([0, 3.0, 3.01, -3.5], rules=RuleSet(rules=(1,)))
    assert [(h.trigger_index, h.direction) for h in hits] == [(2, "up"), (3, "down")]


def test_rule_2_run_merges_into_one_signal():
    assert run_rules([0.5] * 8, rules=RuleSet(rules=(2,))) == []
    (hit,) = run_rules([0.5] * 10 + [-0.1], rules=RuleSet(rules=(2,)))
    assert (hit.trigger_index, hit.indices, hit.direction) == (8, tuple(range(10)), "up")
    (hit,) = run_rules([-0.2] * 8, rules=WESTERN_ELECTRIC)
    assert (hit.rule, hit.trigger_index, hit.direction) == (2, 7, "down")
    assert run_rules([0.5] * 4 + [0.0] + [0.5] * 8, rules=RuleSet(rules=(2,))) == []


def test_rule_3_trend():
    rules = RuleSet(rules=(3,))
    assert run_rules([0] * 6, [1, 2, 3, 4, 5, 5], rules) == []
    (hit,) = run_rules([0] * 7, [7, 6, 5, 4, 3, 2, 1], rules)
    assert (hit.trigger_index, hit.indices, hit.direction) == (5, tuple(range(7)), "down")


def test_rule_4_alternating():
    rules = RuleSet(rules=(4,))
    assert run_rules([0] * 13, [0, 1] * 6 + [0], rules) == []
    (hit,) = run_rules([0] * 14, [0, 1] * 7, rules)
    assert (hit.trigger_index, hit.direction, len(hit.indices)) == (13, None, 14)


def test_rule_5_two_of_three():
    rules = RuleSet(rules=(5,))
    (hit,) = run_rules([0, 2.5, 0, 2.5], rules=rules)
    assert (hit.trigger_index, hit.indices, hit.direction) == (3, (1, 3), "up")
    assert run_rules([2.5, 0, 0, 2.5], rules=rules) == []
    assert run_rules([2.5, 0, -2.5], rules=rules) == []  # not the same side


def test_rule_6_four_of_five():
    rules = RuleSet(rules=(6,))
    (hit,) = run_rules([-1.5, -1.5, 0, -1.5, -1.5], rules=rules)
    assert (hit.trigger_index, hit.indices, hit.direction) == (4, (0, 1, 3, 4), "down")
    assert run_rules([1.5, 1.5, 0, 0, 1.5, 1.5], rules=rules) == []


def test_rule_7_stratification_and_zero_spread():
    rules = RuleSet(rules=(7,))
    (hit,) = run_rules([0.5, -0.5] * 8, rules=rules)
    assert (hit.trigger_index, len(hit.indices)) == (14, 16)
    assert run_rules([0.0] * 20, rules=rules, zones=False) == []


def test_rule_8_mixture():
    rules = RuleSet(rules=(8,))
    (hit,) = run_rules([1.5, -1.5] * 4, rules=rules)
    assert (hit.trigger_index, hit.direction) == (7, None)
    assert run_rules([1.5, -1.5, 0.5] * 4, rules=rules) == []


def test_rule_names_carry_the_configured_length():
    assert rule_names(2, NELSON)[1] == "9 points in a row on the same side of the centre line"
    assert rule_names(2, WESTERN_ELECTRIC)[0].startswith("8 điểm liên tiếp")


def test_bad_rule_sets_and_inputs():
    with pytest.raises(ValueError, match="rules are numbered 1-8"):
        RuleSet(rules=(9,))
    with pytest.raises(ValueError, match="at least 2"):
        RuleSet(run_length=1)
    with pytest.raises(ValueError, match="3 defectives out of 2"):
        p_chart([3], [2])
    with pytest.raises(ValueError, match="size must be at least 1"):
        p_chart([0], [0])
    with pytest.raises(ValueError, match="not a non-negative whole number"):
        p_chart([1.5], [2])
    with pytest.raises(ValueError, match="2 labels for 1 points"):
        xmr_chart([1.0], center=1, mr_bar=1, labels=["a", "b"])
    with pytest.raises(ValueError, match="at least 2 points"):
        xmr_chart([1.0])
    with pytest.raises(ValueError, match="finite"):
        xmr_chart([1.0, float("nan")])


def test_signal_evidence_is_json_and_cites_the_points():
    labels = [f"2026-W{w:02d}" for w in range(1, 31)]
    chart = p_chart(ORANGE_JUICE, [50] * 30, labels=labels)
    data = json.loads(json.dumps(chart.to_dict(), allow_nan=False))
    first = data["signals"][0]
    assert first["rule"] == 1 and first["trigger_label"] == "2026-W15"
    (point,) = first["points"]
    assert point == {
        "index": 14,
        "label": "2026-W15",
        "value": 0.44,
        "z": pytest.approx((0.44 - chart.center) / chart.sigma[14]),
        "center": chart.center,
        "sigma": chart.sigma[14],
        "lcl": chart.lcl[14],
        "ucl": chart.ucl[14],
        "n": 50,
        "defectives": 22,
    }
    assert data["points"][14]["signals"] == [1]


def test_xmr_phase_two_and_mr_signal():
    # Limits from the first five (steady) values; then a jump.
    chart = xmr_chart([10, 11, 10, 11, 10, 30, 10], baseline=5, labels=list("abcdefg"))
    assert chart.center == pytest.approx(10.4) and chart.mr_bar == pytest.approx(1.0)
    assert [(s.rule, s.trigger_index) for s in chart.signals] == [(1, 5)]
    assert [s.trigger_index for s in chart.mr_signals] == [5, 6]
    known = xmr_chart([10, 30], center=10, mr_bar=1)
    assert known.estimated_from == () and known.signals[0].indices == (1,)
    # Zero spread in the baseline: any departure is beyond the limits (z = inf, JSON null).
    flat = xmr_chart([5, 5, 5, 6], baseline=3)
    assert [s.rule for s in flat.signals] == [1]
    assert (
        json.loads(json.dumps(flat.to_dict(), allow_nan=False))["signals"][0]["points"][0]["z"]
        is None
    )


def test_xmr_floor_clips_only_the_lower_limit():
    chart = xmr_chart([1, 5, 1, 5], floor=0)
    assert chart.lcl == 0 and chart.ucl == pytest.approx(3 + 2.66 * 4)
