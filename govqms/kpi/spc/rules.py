"""The run rules: the eight Nelson rules and the Western Electric subset, over standardized
values z (centre 0, σ 1). Pure. See docs/spc.md §2."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SIGMA_LIMIT = 3.0
UP, DOWN = "up", "down"


RULE_NAMES: dict[int, tuple[str, str]] = {
    1: (
        "Một điểm nằm ngoài giới hạn kiểm soát (quá 3σ)",
        "One point beyond the control limits (more than 3σ from the centre line)",
    ),
    2: (
        "{n} điểm liên tiếp cùng một phía của đường tâm",
        "{n} points in a row on the same side of the centre line",
    ),
    3: (
        "{n} điểm liên tiếp tăng dần hoặc giảm dần",
        "{n} points in a row steadily increasing or decreasing",
    ),
    4: (
        "{n} điểm liên tiếp lên xuống xen kẽ",
        "{n} points in a row alternating up and down",
    ),
    5: (
        "2 trong 3 điểm liên tiếp vượt quá 2σ, cùng một phía",
        "Two out of three points in a row more than 2σ from the centre line, same side",
    ),
    6: (
        "4 trong 5 điểm liên tiếp vượt quá 1σ, cùng một phía",
        "Four out of five points in a row more than 1σ from the centre line, same side",
    ),
    7: (
        "{n} điểm liên tiếp nằm trong phạm vi 1σ quanh đường tâm",
        "{n} points in a row within 1σ of the centre line",
    ),
    8: (
        "{n} điểm liên tiếp nằm ngoài phạm vi 1σ, ở cả hai phía",
        "{n} points in a row more than 1σ from the centre line, on either side",
    ),
}


@dataclass(frozen=True)
class RuleSet:
    """Which run rules to apply and their lengths (Nelson numbering: 1–8)."""

    name: str = "nelson"
    rules: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8)
    run_length: int = 9  # rule 2: points in a row on one side of the centre line
    trend_length: int = 6  # rule 3: points in a row steadily increasing or decreasing
    alternating_length: int = 14  # rule 4: points in a row alternating up and down
    stratification_length: int = 15  # rule 7: points in a row within 1σ
    mixture_length: int = 8  # rule 8: points in a row beyond 1σ, either side

    def __post_init__(self):
        unknown = set(self.rules) - set(RULE_NAMES)
        if unknown:
            raise ValueError(f"unknown run rule(s) {sorted(unknown)}; rules are numbered 1-8")
        for attr in (
            "run_length",
            "trend_length",
            "alternating_length",
            "stratification_length",
            "mixture_length",
        ):
            if getattr(self, attr) < 2:
                raise ValueError(f"{attr} must be at least 2")


NELSON = RuleSet()
# Western Electric Handbook (1956): WE1 = Nelson 1, WE2 = Nelson 5, WE3 = Nelson 6,
# WE4 = Nelson 2 with a run of 8.
WESTERN_ELECTRIC = RuleSet(name="western-electric", rules=(1, 5, 6, 2), run_length=8)
WE_NUMBER = {1: 1, 5: 2, 6: 3, 2: 4}  # Nelson rule -> Western Electric rule


def rule_names(rule: int, rules: RuleSet = NELSON) -> tuple[str, str]:
    """The (Vietnamese, English) name of a rule with the configured run length filled in."""
    length = {
        2: rules.run_length,
        3: rules.trend_length,
        4: rules.alternating_length,
        7: rules.stratification_length,
        8: rules.mixture_length,
    }.get(rule)
    vi, en = RULE_NAMES[rule]
    return vi.format(n=length), en.format(n=length)


@dataclass(frozen=True)
class Hit:
    """A rule that holds, before evidence is attached: which points, which way, from when."""

    rule: int
    direction: str | None
    indices: tuple[int, ...]
    trigger_index: int  # the point at which the rule first held


def run_rules(
    z: Sequence[float],
    values: Sequence[float] | None = None,
    rules: RuleSet = NELSON,
    *,
    zones: bool = True,
) -> list[Hit]:
    """Apply the run rules to standardized values z (centre 0, σ 1).

    `values` (default z) feed the trend and alternation rules (3, 4), which look at the raw
    series. "Beyond kσ" is |z| > k, "within 1σ" is |z| < 1. Overlapping windows of one rule
    and one direction merge into one hit; rule 1 gives one hit per point. With `zones=False`
    (a chart with zero spread) rule 7 is not evaluated: every point sits on the centre line
    and "stratification" would be reported for a series that merely does not vary.
    """
    z = [float(v) for v in z]
    values = z if values is None else [float(v) for v in values]
    if len(values) != len(z):
        raise ValueError("z and values differ in length")
    hits: list[Hit] = []
    active = set(rules.rules)
    if 1 in active:
        hits += [
            Hit(1, UP if v > 0 else DOWN, (i,), i) for i, v in enumerate(z) if abs(v) > SIGMA_LIMIT
        ]
    if 2 in active:
        hits += _runs(2, rules.run_length, z, lambda v: v > 0, UP)
        hits += _runs(2, rules.run_length, z, lambda v: v < 0, DOWN)
    if 3 in active:
        hits += _trends(rules.trend_length, values)
    if 4 in active:
        hits += _alternations(rules.alternating_length, values)
    if 5 in active:
        hits += _k_of_m(5, 2, 3, 2.0, z)
    if 6 in active:
        hits += _k_of_m(6, 4, 5, 1.0, z)
    if 7 in active and zones:
        hits += _runs(7, rules.stratification_length, z, lambda v: abs(v) < 1, None)
    if 8 in active:
        hits += _runs(8, rules.mixture_length, z, lambda v: abs(v) > 1, None)
    return sorted(hits, key=lambda h: (h.trigger_index, h.rule))


def _merge(rule: int, windows: list[tuple[int, int, str | None, tuple[int, ...]]]) -> list[Hit]:
    """Windows (start, end, direction, involved) in order of `end`; overlapping ones of the same
    direction become one hit whose trigger is the end of its first window."""
    hits: list[Hit] = []
    current: dict[str, Any] | None = None
    for start, end, direction, involved in windows:
        if current and current["direction"] == direction and start <= current["last"]:
            current["indices"].update(involved)
            current["last"] = end
            continue
        if current:
            hits.append(_hit(rule, current))
        current = {"direction": direction, "indices": set(involved), "last": end, "trigger": end}
    if current:
        hits.append(_hit(rule, current))
    return hits


def _hit(rule: int, current: dict[str, Any]) -> Hit:
    return Hit(rule, current["direction"], tuple(sorted(current["indices"])), current["trigger"])


def _runs(rule, length, z, holds, direction) -> list[Hit]:
    windows, run = [], 0
    for i, v in enumerate(z):
        run = run + 1 if holds(v) else 0
        if run >= length:
            start = i - length + 1
            windows.append((start, i, direction, tuple(range(start, i + 1))))
    return _merge(rule, windows)


def _trends(length, values) -> list[Hit]:
    windows = []
    for sign, direction in ((1, UP), (-1, DOWN)):
        run = 1
        for i in range(1, len(values)):
            step = values[i] - values[i - 1]
            run = run + 1 if step * sign > 0 else 1
            if run >= length:
                start = i - length + 1
                windows.append((start, i, direction, tuple(range(start, i + 1))))
    windows.sort(key=lambda w: (w[1], w[2]))
    up = _merge(3, [w for w in windows if w[2] == UP])
    down = _merge(3, [w for w in windows if w[2] == DOWN])
    return up + down


def _alternations(length, values) -> list[Hit]:
    windows, run = [], 1  # run = points in the current alternating stretch
    for i in range(1, len(values)):
        step = values[i] - values[i - 1]
        if step == 0:
            run = 1
        elif i >= 2 and (values[i - 1] - values[i - 2]) * step < 0:
            run += 1
        else:
            run = 2
        if run >= length:
            start = i - length + 1
            windows.append((start, i, None, tuple(range(start, i + 1))))
    return _merge(4, windows)


def _k_of_m(rule, k, m, limit, z) -> list[Hit]:
    """k of the last m points beyond `limit` on one side, the newest of them among them."""
    out = []
    for direction, sign in ((UP, 1), (DOWN, -1)):
        windows = []
        for i, v in enumerate(z):
            if v * sign <= limit:
                continue
            start = max(0, i - m + 1)
            beyond = tuple(j for j in range(start, i + 1) if z[j] * sign > limit)
            if len(beyond) >= k:
                windows.append((start, i, direction, beyond))
        out += _merge(rule, windows)
    return out
