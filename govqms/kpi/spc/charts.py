"""The p-chart and the individuals (XmR) chart. Pure. See docs/spc.md §1."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

from .evidence import (
    Point,
    Signal,
    checked_labels,
    estimation_indices,
    signals_from_hits,
    standardize,
)
from .rules import NELSON, SIGMA_LIMIT, UP, RuleSet, run_rules

E2 = 2.66  # 3/d₂ with d₂ = 1.128 (moving ranges of two), as rounded in the literature
D4 = 3.267  # upper limit factor of the moving-range chart (n = 2)


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
        used = estimation_indices(len(d), baseline, exclude, 1)
        center = sum(d[i] for i in used) / sum(n[i] for i in used)
    else:
        if not 0 <= p_bar <= 1:
            raise ValueError("p_bar must be within [0, 1]")
        used, center = [], float(p_bar)
    p = [di / ni for di, ni in zip(d, n, strict=True)]
    sigma = [math.sqrt(center * (1 - center) / ni) for ni in n]
    ucl = [min(1.0, center + SIGMA_LIMIT * s) for s in sigma]
    lcl = [max(0.0, center - SIGMA_LIMIT * s) for s in sigma]
    z = [standardize(pi, center, s) for pi, s in zip(p, sigma, strict=True)]
    names = checked_labels(labels, len(d))
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
    return replace(chart, signals=tuple(signals_from_hits("p", hits, points, rules)))


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
    mr: list[float | None] = [None] + [abs(b - a) for a, b in pairwise(x)]
    used: list[int] = []
    if center is None or mr_bar is None:
        used = estimation_indices(len(x), baseline, exclude, 2)
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
    z = [standardize(v, center, sigma) for v in x]
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
        labels=tuple(checked_labels(labels, len(x))),
        estimated_from=tuple(used),
        rule_set=rules.name,
        floor=floor,
    )
    hits = run_rules(z, x, rules, zones=sigma > 0)
    points = [_x_point(chart, i) for i in range(len(x))]
    signals = signals_from_hits("x", hits, points, rules)
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
