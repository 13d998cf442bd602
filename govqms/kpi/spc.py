"""Statistical process control: p-charts, individuals (XmR) charts and the run rules.

Pure: plain functions over sequences of numbers, no ORM, no numpy. See docs/spc.md for the
formulas, the rules and the references.

- `p_chart(defectives, sizes)`: share of defectives per subgroup (e.g. late dossiers per unit
  and week), p̄ = Σd/Σn, per-subgroup 3σ limits σᵢ = √(p̄(1−p̄)/nᵢ), LCL floored at 0 and UCL
  capped at 1. The zone rules run on zᵢ = (pᵢ − p̄)/σᵢ, so a variable n is handled.
- `xmr_chart(values)`: individuals X with moving ranges MRᵢ = |xᵢ − xᵢ₋₁|, limits
  X̄ ± 2.66·MR̄, MR chart UCL = 3.267·MR̄; σ̂ = 2.66·MR̄/3 (= MR̄/1.128) sets the zones.
- `run_rules(z, values, rules)`: the eight Nelson rules, or the Western Electric subset
  (`WESTERN_ELECTRIC`: Nelson 1, 5, 6 and 2 with a run of 8).

Every `Signal` carries its evidence (indices, values, z, centre and limits of each point) and
`to_dict()` is JSON-able, so the quality module can raise a nonconformity that cites it.

Limits are estimated from all points unless `baseline` (the first k points, phase I) or
`exclude` (points with an assignable cause) say otherwise, or the centre line and spread are
given (`p_bar`; `center`/`mr_bar`) for phase II monitoring.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

E2 = 2.66  # 3/d₂ with d₂ = 1.128 (moving ranges of two), as rounded in the literature
D4 = 3.267  # upper limit factor of the moving-range chart (n = 2)
SIGMA_LIMIT = 3.0

UP, DOWN = "up", "down"


# --------------------------------------------------------------------------- rules


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


# --------------------------------------------------------------------------- evidence


def _json_float(value: float | None) -> float | None:
    return value if value is None or math.isfinite(value) else None


@dataclass(frozen=True)
class Point:
    """One plotted point with the limits that applied to it (evidence of a signal)."""

    index: int
    value: float
    z: float
    center: float
    sigma: float
    lcl: float
    ucl: float
    label: str | None = None
    n: int | None = None  # subgroup size (p-chart)
    defectives: int | None = None  # (p-chart)

    def to_dict(self) -> dict[str, Any]:
        data = {
            "index": self.index,
            "label": self.label,
            "value": self.value,
            "z": _json_float(self.z),  # ±inf (zero spread) is written as null
            "center": self.center,
            "sigma": self.sigma,
            "lcl": self.lcl,
            "ucl": self.ucl,
        }
        if self.n is not None:
            data.update(n=self.n, defectives=self.defectives)
        return data


@dataclass(frozen=True)
class Signal:
    """A run rule that holds on a chart, with everything a nonconformity needs to cite it."""

    chart: str  # "p", "x" (individuals) or "mr" (moving range)
    rule: int  # Nelson number
    rule_set: str
    name_vi: str
    name_en: str
    direction: str | None  # "up", "down", or None (rules 4, 7, 8)
    indices: tuple[int, ...]
    trigger_index: int
    points: tuple[Point, ...]

    @property
    def we_rule(self) -> int | None:
        """The Western Electric number of this rule (None outside that set)."""
        return WE_NUMBER.get(self.rule) if self.rule_set == WESTERN_ELECTRIC.name else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "chart": self.chart,
            "rule": self.rule,
            "rule_set": self.rule_set,
            "we_rule": self.we_rule,
            "name_vi": self.name_vi,
            "name_en": self.name_en,
            "direction": self.direction,
            "indices": list(self.indices),
            "trigger_index": self.trigger_index,
            "trigger_label": self.points_by_index().get(self.trigger_index, _NO_POINT).label,
            "points": [p.to_dict() for p in self.points],
        }

    def points_by_index(self) -> dict[int, Point]:
        return {p.index: p for p in self.points}


_NO_POINT = Point(-1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def _signals(chart: str, hits: list[Hit], points: list[Point], rules: RuleSet) -> list[Signal]:
    out = []
    for hit in hits:
        vi, en = rule_names(hit.rule, rules)
        out.append(
            Signal(
                chart=chart,
                rule=hit.rule,
                rule_set=rules.name,
                name_vi=vi,
                name_en=en,
                direction=hit.direction,
                indices=hit.indices,
                trigger_index=hit.trigger_index,
                points=tuple(points[i] for i in hit.indices),
            )
        )
    return out


def _z(value: float, center: float, sigma: float) -> float:
    if sigma > 0:
        return (value - center) / sigma
    if math.isclose(value, center, rel_tol=1e-9, abs_tol=1e-12):
        return 0.0
    return math.inf if value > center else -math.inf


def _estimation_indices(
    count: int, baseline: int | None, exclude: Collection[int], minimum: int
) -> list[int]:
    if baseline is not None and not (minimum <= baseline <= count):
        raise ValueError(f"baseline must be between {minimum} and the number of points ({count})")
    end = count if baseline is None else baseline
    chosen = [i for i in range(end) if i not in set(exclude)]
    if len(chosen) < minimum:
        raise ValueError(f"at least {minimum} points are needed to estimate the limits")
    return chosen


def _labels(labels: Sequence[str] | None, count: int) -> list[str | None]:
    if labels is None:
        return [None] * count
    if len(labels) != count:
        raise ValueError(f"{len(labels)} labels for {count} points")
    return [str(label) for label in labels]


# --------------------------------------------------------------------------- p-chart


@dataclass(frozen=True)
class PChart:
    defectives: tuple[int, ...]
    sizes: tuple[int, ...]
    p: tuple[float, ...]
    center: float  # p̄
    sigma: tuple[float, ...]
    ucl: tuple[float, ...]
    lcl: tuple[float, ...]
    z: tuple[float, ...]
    signals: tuple[Signal, ...]
    labels: tuple[str | None, ...] = ()
    estimated_from: tuple[int, ...] = ()  # indices behind p̄ (empty: p̄ was given)
    rule_set: str = NELSON.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "chart": "p",
            "center": self.center,
            "estimated_from": list(self.estimated_from),
            "rule_set": self.rule_set,
            "points": [
                _p_point(self, i).to_dict() | {"signals": self.rules_at(i)}
                for i in range(len(self.p))
            ],
            "signals": [s.to_dict() for s in self.signals],
        }

    def rules_at(self, index: int) -> list[int]:
        return sorted({s.rule for s in self.signals if index in s.indices})


def _p_point(chart: PChart, i: int) -> Point:
    return Point(
        index=i,
        value=chart.p[i],
        z=chart.z[i],
        center=chart.center,
        sigma=chart.sigma[i],
        lcl=chart.lcl[i],
        ucl=chart.ucl[i],
        label=chart.labels[i] if chart.labels else None,
        n=chart.sizes[i],
        defectives=chart.defectives[i],
    )


def p_chart(
    defectives: Sequence[int],
    sizes: Sequence[int],
    *,
    labels: Sequence[str] | None = None,
    baseline: int | None = None,
    exclude: Collection[int] = (),
    p_bar: float | None = None,
    rules: RuleSet = NELSON,
) -> PChart:
    """A p-chart of dᵢ defectives out of nᵢ per subgroup, with run rules on zᵢ."""
    d = [_count(v, "defectives") for v in defectives]
    n = [_count(v, "sizes") for v in sizes]
    if len(d) != len(n):
        raise ValueError(f"{len(d)} defective counts for {len(n)} subgroup sizes")
    if not d:
        raise ValueError("a p-chart needs at least one subgroup")
    for i, (di, ni) in enumerate(zip(d, n, strict=True)):
        if ni < 1:
            raise ValueError(f"subgroup {i}: size must be at least 1")
        if di > ni:
            raise ValueError(f"subgroup {i}: {di} defectives out of {ni}")
    if p_bar is None:
        used = _estimation_indices(len(d), baseline, exclude, 1)
        center = sum(d[i] for i in used) / sum(n[i] for i in used)
    else:
        if not 0 <= p_bar <= 1:
            raise ValueError("p_bar must be within [0, 1]")
        used, center = [], float(p_bar)
    p = [di / ni for di, ni in zip(d, n, strict=True)]
    sigma = [math.sqrt(center * (1 - center) / ni) for ni in n]
    ucl = [min(1.0, center + SIGMA_LIMIT * s) for s in sigma]
    lcl = [max(0.0, center - SIGMA_LIMIT * s) for s in sigma]
    z = [_z(pi, center, s) for pi, s in zip(p, sigma, strict=True)]
    names = _labels(labels, len(d))
    chart = PChart(
        defectives=tuple(d),
        sizes=tuple(n),
        p=tuple(p),
        center=center,
        sigma=tuple(sigma),
        ucl=tuple(ucl),
        lcl=tuple(lcl),
        z=tuple(z),
        signals=(),
        labels=tuple(names),
        estimated_from=tuple(used),
        rule_set=rules.name,
    )
    hits = run_rules(z, p, rules, zones=any(s > 0 for s in sigma))
    points = [_p_point(chart, i) for i in range(len(p))]
    return replace(chart, signals=tuple(_signals("p", hits, points, rules)))


def _count(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what}: {value!r} is not a non-negative whole number")
    return value


# --------------------------------------------------------------------------- XmR chart


@dataclass(frozen=True)
class XmRChart:
    values: tuple[float, ...]
    moving_ranges: tuple[float | None, ...]  # first is None
    center: float  # X̄
    mr_bar: float
    sigma: float  # E2·MR̄/3
    ucl: float
    lcl: float
    mr_ucl: float
    z: tuple[float, ...]
    signals: tuple[Signal, ...]  # on the individuals chart
    mr_signals: tuple[Signal, ...] = ()  # moving ranges above their UCL (rule 1)
    labels: tuple[str | None, ...] = ()
    estimated_from: tuple[int, ...] = ()
    rule_set: str = NELSON.name
    floor: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "chart": "xmr",
            "center": self.center,
            "mr_bar": self.mr_bar,
            "sigma": self.sigma,
            "ucl": self.ucl,
            "lcl": self.lcl,
            "mr_ucl": self.mr_ucl,
            "estimated_from": list(self.estimated_from),
            "rule_set": self.rule_set,
            "points": [
                _x_point(self, i).to_dict()
                | {"moving_range": self.moving_ranges[i], "signals": self.rules_at(i)}
                for i in range(len(self.values))
            ],
            "signals": [s.to_dict() for s in self.signals],
            "mr_signals": [s.to_dict() for s in self.mr_signals],
        }

    def rules_at(self, index: int) -> list[int]:
        return sorted({s.rule for s in self.signals if index in s.indices})


def _x_point(chart: XmRChart, i: int) -> Point:
    return Point(
        index=i,
        value=chart.values[i],
        z=chart.z[i],
        center=chart.center,
        sigma=chart.sigma,
        lcl=chart.lcl,
        ucl=chart.ucl,
        label=chart.labels[i] if chart.labels else None,
    )


def xmr_chart(
    values: Sequence[float],
    *,
    labels: Sequence[str] | None = None,
    baseline: int | None = None,
    exclude: Collection[int] = (),
    center: float | None = None,
    mr_bar: float | None = None,
    floor: float | None = None,
    rules: RuleSet = NELSON,
) -> XmRChart:
    """An individuals chart with its moving-range chart.

    `floor` clips the LCL (e.g. 0 for processing times); by default it is not clipped.
    Moving ranges that span an excluded point are left out of MR̄ too.
    """
    x = [float(v) for v in values]
    if any(not math.isfinite(v) for v in x):
        raise ValueError("values must be finite numbers")
    if not x:
        raise ValueError("an individuals chart needs at least one value")
    mr: list[float | None] = [None] + [abs(b - a) for a, b in zip(x, x[1:], strict=False)]
    used: list[int] = []
    if center is None or mr_bar is None:
        used = _estimation_indices(len(x), baseline, exclude, 2)
        chosen = set(used)
        if center is None:
            center = math.fsum(x[i] for i in used) / len(used)
        if mr_bar is None:
            ranges = [mr[i] for i in used if i - 1 in chosen]
            if not ranges:
                raise ValueError("no two consecutive points to estimate the moving range from")
            mr_bar = math.fsum(ranges) / len(ranges)
    if mr_bar < 0:
        raise ValueError("mr_bar must not be negative")
    sigma = E2 * mr_bar / SIGMA_LIMIT
    ucl = center + E2 * mr_bar
    lcl = center - E2 * mr_bar
    if floor is not None:
        lcl = max(lcl, floor)
    mr_ucl = D4 * mr_bar
    z = [_z(v, center, sigma) for v in x]
    chart = XmRChart(
        values=tuple(x),
        moving_ranges=tuple(mr),
        center=center,
        mr_bar=mr_bar,
        sigma=sigma,
        ucl=ucl,
        lcl=lcl,
        mr_ucl=mr_ucl,
        z=tuple(z),
        signals=(),
        labels=tuple(_labels(labels, len(x))),
        estimated_from=tuple(used),
        rule_set=rules.name,
        floor=floor,
    )
    hits = run_rules(z, x, rules, zones=sigma > 0)
    points = [_x_point(chart, i) for i in range(len(x))]
    signals = _signals("x", hits, points, rules)
    return replace(chart, signals=tuple(signals), mr_signals=tuple(_mr_signals(chart, rules)))


def _mr_signals(chart: XmRChart, rules: RuleSet) -> list[Signal]:
    vi, en = (
        "Khoảng biến động (MR) vượt giới hạn trên",
        "Moving range above its upper control limit",
    )
    out = []
    for i, r in enumerate(chart.moving_ranges):
        if r is None or not _above(r, chart.mr_ucl):
            continue
        point = Point(
            index=i,
            value=r,
            z=(r - chart.mr_bar) / (chart.mr_ucl - chart.mr_bar) * SIGMA_LIMIT
            if chart.mr_ucl > chart.mr_bar
            else math.inf,
            center=chart.mr_bar,
            sigma=(chart.mr_ucl - chart.mr_bar) / SIGMA_LIMIT,
            lcl=0.0,
            ucl=chart.mr_ucl,
            label=chart.labels[i] if chart.labels else None,
        )
        out.append(Signal("mr", 1, rules.name, vi, en, UP, (i,), i, (point,)))
    return out


def _above(value: float, limit: float) -> bool:
    if limit > 0:
        return value > limit
    return not math.isclose(value, 0.0, abs_tol=1e-12) and value > limit


__all__ = [
    "D4",
    "E2",
    "NELSON",
    "RULE_NAMES",
    "WESTERN_ELECTRIC",
    "Hit",
    "PChart",
    "Point",
    "RuleSet",
    "Signal",
    "XmRChart",
    "p_chart",
    "rule_names",
    "run_rules",
    "xmr_chart",
]
