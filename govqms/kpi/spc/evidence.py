"""What a signal carries so that a nonconformity can cite it: the points, their z, centre and
limits, JSON-able. Pure."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from .rules import WE_NUMBER, WESTERN_ELECTRIC, Hit, RuleSet, rule_names


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


def signals_from_hits(
    chart: str, hits: list[Hit], points: list[Point], rules: RuleSet
) -> list[Signal]:
    """Attach the evidence (the points with their limits) to each rule that holds."""
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


def standardize(value: float, center: float, sigma: float) -> float:
    """z = (value − centre)/σ; with σ = 0: 0 on the centre line, ±inf anywhere else."""
    if sigma > 0:
        return (value - center) / sigma
    if math.isclose(value, center, rel_tol=1e-9, abs_tol=1e-12):
        return 0.0
    return math.inf if value > center else -math.inf


def estimation_indices(
    count: int, baseline: int | None, exclude: Collection[int], minimum: int
) -> list[int]:
    if baseline is not None and not (minimum <= baseline <= count):
        raise ValueError(f"baseline must be between {minimum} and the number of points ({count})")
    """The indices the limits are estimated from: the first `baseline` (all by default) minus
    `exclude`."""
    end = count if baseline is None else baseline
    skip = set(exclude)
    chosen = [i for i in range(end) if i not in skip]
    if len(chosen) < minimum:
        raise ValueError(f"at least {minimum} points are needed to estimate the limits")
    return chosen


def checked_labels(labels: Sequence[str] | None, count: int) -> list[str | None]:
    if labels is None:
        return [None] * count
    if len(labels) != count:
        raise ValueError(f"{len(labels)} labels for {count} points")
    return [str(label) for label in labels]
