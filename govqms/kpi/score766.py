"""The Decision 766/QĐ-TTg scoreboard computed from raw counts. Pure.

    board = score(load_counts(text), Options(scheme="portal-2026", level="province"))
    board.to_dict()  # JSON-able: groups → indicators → counts, value, threshold, points, …

The counts are keyed by the national portal's indicator codes (`items766.ITEMS`). Each entry
is one of:

- ``{"numerator": 65, "denominator": 80}`` — as the portal publishes them;
- ``{"value": 74.04}`` (alias ``"ratio"``) — a published percentage when the portal shows no
  counts (e.g. ON_TIME at province level, the hidden 12-point row of CLGQ);
- a detailed form of the indicator (`Item.forms`), e.g. DOSSIER_RECEIVING_SATISFACTION as
  ``{"total": …, "late": …, "dissatisfied": …}``.

Keys whose value is null are ignored; top-level keys starting with "_" are comments.

Scoring (docs/kpi.md): ratio r = numerator/denominator; with a threshold t, points =
max × min(1, r/t), otherwise max × r; points are rounded half-up to 2 decimals from the
unrounded ratio, and a group's points are the sum of its rounded indicator points — the rules
that reproduce the portal's published scores. Everything the sources leave open is an
`Options` field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from .items766 import (
    COMMUNE,
    DAYS,
    DOSSIER_SATISFACTION,
    ITEMS,
    LEVELS,
    PERCENT,
    PETITIONS_ON_TIME,
    PETITIONS_SATISFACTION,
    PORTAL_2026,
    SCHEMES,
    Item,
    Placement,
    Scheme,
)

NOT_APPLICABLE_POLICIES = ("score", "full", "exclude")
NO_PETITION_POLICIES = ("full", "split", "zero")
EMPTY_POLICIES = ("zero", "full")


class CountsError(ValueError):
    """Bad counts: `.code` names the indicator (or key) at fault, when there is one."""

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Options:
    """Every choice the sources leave open; the defaults reproduce the portal (docs/kpi.md)."""

    scheme: str = PORTAL_2026
    level: str = "province"
    # Per-code threshold override in percent (None: linear). Default: the layout's thresholds.
    thresholds: Mapping[str, float | None] = field(default_factory=dict)
    # METRICS marks FULL_ONLINE_DOSSIERS and the two population-data rows "Tỉnh" only. "score":
    # score them for communes too (what the portal did for Hà Nội's communes, 10/2026); "full":
    # award their maximum (the policy written in the METRICS notes); "exclude": drop them from
    # the maximum.
    commune_not_applicable: str = "score"
    # A unit with no petitions (PETITION_PROCESSING_ON_TIME denominator 0): "full" awards both
    # petition indicators their maximum (as the portal shows); "split" moves the 6 points of
    # PETITION_HANDLING_SATISFACTION half to PETITION_PROCESSING_ON_TIME (full) and half to
    # DOSSIER_RECEIVING_SATISFACTION (the METRICS row 22 text); "zero" awards nothing.
    no_petitions: str = "full"
    # Any other indicator whose denominator is 0: "zero" points (value N/A) or "full".
    empty_denominator: str = "zero"
    # ONLINE_DOSSIERS (scored in decision766-2022 only) × the DOSSIER_SYNC ratio.
    online_share_times_sync_rate: bool = True
    # Round the percentage to `decimals` before computing points (the portal does not).
    round_ratio_first: bool = False
    decimals: int = 2

    def __post_init__(self):
        checks = (
            ("scheme", self.scheme, tuple(SCHEMES)),
            ("level", self.level, LEVELS),
            ("commune_not_applicable", self.commune_not_applicable, NOT_APPLICABLE_POLICIES),
            ("no_petitions", self.no_petitions, NO_PETITION_POLICIES),
            ("empty_denominator", self.empty_denominator, EMPTY_POLICIES),
        )
        for name, value, allowed in checks:
            if value not in allowed:
                raise CountsError(f"{name}: {value!r} is not one of {', '.join(allowed)}", name)
        for code, threshold in self.thresholds.items():
            if code not in ITEMS:
                raise CountsError(f"thresholds: unknown indicator code {code!r}", code)
            if threshold is not None and not 0 < float(threshold) <= 100:
                raise CountsError(f"thresholds: {code} must be in (0, 100] or null", code)
        if not 0 <= self.decimals <= 6:
            raise CountsError("decimals: must be between 0 and 6", "decimals")

    def to_dict(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme,
            "level": self.level,
            "thresholds": dict(self.thresholds),
            "commune_not_applicable": self.commune_not_applicable,
            "no_petitions": self.no_petitions,
            "empty_denominator": self.empty_denominator,
            "online_share_times_sync_rate": self.online_share_times_sync_rate,
            "round_ratio_first": self.round_ratio_first,
            "decimals": self.decimals,
        }


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class Entry:
    """One indicator's counts as given, and what they mean."""

    code: str
    given: dict[str, Any]
    numerator: int | None = None
    denominator: int | None = None
    value: Fraction | None = None  # a published value (percent, or days for AVG_DAYS)

    @property
    def ratio(self) -> Fraction | None:
        """numerator/denominator (or value/100); None when there is nothing to divide by."""
        if self.value is not None:
            item = ITEMS[self.code]
            return self.value / 100 if item.unit == PERCENT else self.value
        if not self.denominator:
            return None
        return Fraction(self.numerator, self.denominator)


def load_counts(text: str) -> dict[str, Any]:
    """Parse the counts file; a syntax error names its line and column, a repeated key its name."""

    def no_duplicates(pairs):
        seen: dict[str, Any] = {}
        for key, value in pairs:
            if key in seen:
                raise CountsError(f"key {key!r} appears twice", key)
            seen[key] = value
        return seen

    try:
        data = json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise CountsError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    if not isinstance(data, dict):
        raise CountsError("the counts file must hold a JSON object keyed by indicator code")
    return data


def parse_entries(counts: Mapping[str, Any], scheme: Scheme) -> dict[str, Entry]:
    """Check the codes and read each entry; errors name the code (and the key)."""
    known = scheme.codes()
    entries = {}
    for code, raw in counts.items():
        if isinstance(code, str) and code.startswith("_"):
            continue
        if code not in known:
            hint = " (it is not part of this scheme)" if code in ITEMS else ""
            raise CountsError(
                f"unknown indicator code {code!r}{hint}; known for {scheme.name}: "
                f"{', '.join(sorted(known))}",
                code,
            )
        entries[code] = _entry(ITEMS[code], raw)
    return entries


def _entry(item: Item, raw: Any) -> Entry:
    code = item.code
    if not isinstance(raw, dict):
        raise CountsError(f"{code}: expected an object such as {{numerator, denominator}}", code)
    given = {k: v for k, v in raw.items() if v is not None}
    keys = set(given)
    if keys in ({"value"}, {"ratio"}):
        value = _number(code, next(iter(keys)), given[next(iter(keys))])
        if item.unit == PERCENT and value > 100:
            raise CountsError(f"{code}: value {value} is above 100 %", code)
        return Entry(code, given, value=value)
    if keys == {"numerator", "denominator"}:
        num = _whole(code, "numerator", given["numerator"])
        den = _whole(code, "denominator", given["denominator"])
        return _checked_entry(item, given, num, den)
    for form in item.forms:
        if set(form.keys) <= keys <= set(form.keys) | set(form.optional):
            parts = {k: _whole(code, k, v) for k, v in given.items()}
            return _checked_entry(item, given, form.numerator(parts), form.denominator(parts))
    shapes = ["{numerator, denominator}", "{value}"] + [
        "{" + ", ".join(f.keys + tuple(f"[{o}]" for o in f.optional)) + "}" for f in item.forms
    ]
    unexpected = sorted(keys - {"numerator", "denominator", "value", "ratio"})
    what = f"unexpected key {unexpected[0]!r}" if unexpected else f"keys {sorted(keys)}"
    raise CountsError(f"{code}: {what}; give one of {' | '.join(shapes)}", code)


def _checked_entry(item: Item, given: dict[str, Any], num: int, den: int) -> Entry:
    if item.unit == PERCENT and num > den:
        raise CountsError(
            f"{item.code}: numerator {num} is larger than denominator {den}", item.code
        )
    return Entry(item.code, given, numerator=num, denominator=den)


def _whole(code: str, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CountsError(f"{code}.{key}: {value!r} is not a non-negative whole number", code)
    return value


def _number(code: str, key: str, value: Any) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise CountsError(f"{code}.{key}: {value!r} is not a number", code)
    if value < 0 or value == float("inf"):
        raise CountsError(f"{code}.{key}: {value!r} is out of range", code)
    return Fraction(str(value))


# --------------------------------------------------------------------------- output


@dataclass(frozen=True)
class IndicatorScore:
    item: Item
    entry: Entry | None
    placement: Placement | None  # None: tracked, not scored
    value: Decimal | None  # percent (or days), rounded for display
    threshold: Decimal | None
    points: Decimal
    max_points: Decimal
    scoring: str  # how the points came about (docs/kpi.md, "scoring")

    def to_dict(self) -> dict[str, Any]:
        item, entry = self.item, self.entry
        counts: dict[str, Any] = {}
        if entry is not None:
            counts = {"given": entry.given}
            if entry.denominator is not None:
                counts |= {"numerator": entry.numerator, "denominator": entry.denominator}
        return {
            "code": item.code,
            "ref": item.ref,
            "name_vi": item.name_vi,
            "name_en": item.name_en,
            "unit": item.unit,
            "counts": counts,
            "value": _f(self.value),
            "threshold": _f(self.threshold),
            "points": _f(self.points),
            "max_points": _f(self.max_points),
            "scoring": self.scoring,
            "formula": item.formula,
            "points_rule": _points_rule(self.threshold, self.placement),
            "source": item.source,
            "note": " ".join(n for n in (item.note, self.placement and self.placement.note) if n),
            "code_origin": item.code_origin,
        }


@dataclass(frozen=True)
class GroupScore:
    code: str
    name_vi: str
    name_en: str
    points: Decimal
    max_points: Decimal
    indicators: tuple[IndicatorScore, ...]
    tracked: tuple[IndicatorScore, ...]
    source: str

    @property
    def percent(self) -> Decimal | None:
        if not self.max_points:
            return None
        return _round(self.points / self.max_points * 100, 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name_vi": self.name_vi,
            "name_en": self.name_en,
            "points": _f(self.points),
            "max_points": _f(self.max_points),
            "percent": _f(self.percent),
            "source": self.source,
            "indicators": [i.to_dict() for i in self.indicators],
            "tracked": [i.to_dict() for i in self.tracked],
        }


@dataclass(frozen=True)
class Scoreboard:
    scheme: Scheme
    options: Options
    groups: tuple[GroupScore, ...]

    @property
    def points(self) -> Decimal:
        return sum((g.points for g in self.groups), Decimal(0))

    @property
    def max_points(self) -> Decimal:
        return sum((g.max_points for g in self.groups), Decimal(0))

    def group(self, code: str) -> GroupScore:
        return next(g for g in self.groups if g.code == code)

    def indicator(self, code: str) -> IndicatorScore:
        return next(i for g in self.groups for i in g.indicators + g.tracked if i.item.code == code)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme.name,
            "title": self.scheme.title,
            "level": self.options.level,
            "points": _f(self.points),
            "max_points": _f(self.max_points),
            "options": self.options.to_dict(),
            "groups": [g.to_dict() for g in self.groups],
        }


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _round(value: Fraction | Decimal | int, decimals: int) -> Decimal:
    if isinstance(value, int):
        value = Decimal(value)
    elif isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def _points_rule(threshold: Decimal | None, placement: Placement | None) -> str:
    if placement is None:
        return "theo dõi, không tính điểm"
    if threshold is None:
        return "điểm = tối đa × tỷ lệ"
    return f"điểm = tối đa × min(1, tỷ lệ / {threshold}%)"


# --------------------------------------------------------------------------- scoring


def score(counts: Mapping[str, Any], options: Options | None = None) -> Scoreboard:
    """Score raw counts; CountsError names a missing, unknown or malformed code."""
    options = options or Options()
    scheme = SCHEMES[options.scheme]
    entries = parse_entries(counts, scheme)
    missing = [
        p.code
        for g in scheme.groups
        for p in g.placements
        if p.code not in entries and _needs_counts(ITEMS[p.code], options)
    ]
    if missing:
        raise CountsError(
            f"missing counts for {', '.join(missing)} (scheme {scheme.name}, level "
            f"{options.level})",
            missing[0],
        )
    maxima = _effective_maxima(scheme, entries, options)
    groups = []
    for group in scheme.groups:
        scored = tuple(_score_one(p, entries, maxima, options) for p in group.placements)
        tracked = tuple(
            _tracked(ITEMS[code], entries[code], options)
            for code in group.tracked
            if code in entries
        )
        groups.append(
            GroupScore(
                code=group.code,
                name_vi=group.name_vi,
                name_en=group.name_en,
                points=sum((s.points for s in scored), Decimal(0)),
                max_points=sum((s.max_points for s in scored), Decimal(0)),
                indicators=scored,
                tracked=tracked,
                source=group.source,
            )
        )
    return Scoreboard(scheme, options, tuple(groups))


def _not_applicable(item: Item, options: Options) -> bool:
    return options.level == COMMUNE and item.province_only


def _needs_counts(item: Item, options: Options) -> bool:
    return not _not_applicable(item, options) or options.commune_not_applicable == "score"


def _no_petitions(entries: Mapping[str, Entry]) -> bool:
    entry = entries.get(PETITIONS_ON_TIME)
    return entry is not None and entry.value is None and not entry.denominator


def _effective_maxima(
    scheme: Scheme, entries: Mapping[str, Entry], options: Options
) -> dict[str, Decimal]:
    maxima = {p.code: p.max_points for g in scheme.groups for p in g.placements}
    split = (
        options.no_petitions == "split"
        and _no_petitions(entries)
        and {PETITIONS_ON_TIME, PETITIONS_SATISFACTION, DOSSIER_SATISFACTION} <= set(maxima)
    )
    if split:
        moved = maxima[PETITIONS_SATISFACTION]
        maxima[PETITIONS_SATISFACTION] = Decimal(0)
        maxima[PETITIONS_ON_TIME] += moved / 2
        maxima[DOSSIER_SATISFACTION] += moved / 2
    return maxima


def _score_one(
    placement: Placement,
    entries: Mapping[str, Entry],
    maxima: Mapping[str, Decimal],
    options: Options,
) -> IndicatorScore:
    item = ITEMS[placement.code]
    top = maxima[placement.code]
    threshold = placement.threshold
    if placement.code in options.thresholds:
        override = options.thresholds[placement.code]
        threshold = None if override is None else Decimal(str(override))
    entry = entries.get(placement.code)

    def result(points, scoring, value=None, max_points=top):
        return IndicatorScore(
            item=item,
            entry=entry,
            placement=placement,
            value=value,
            threshold=threshold,
            points=_round(points, options.decimals),
            max_points=max_points,
            scoring=scoring,
        )

    if _not_applicable(item, options) and options.commune_not_applicable != "score":
        if options.commune_not_applicable == "full":
            return result(top, "not-applicable-full")
        return result(Decimal(0), "not-applicable-excluded", max_points=Decimal(0))
    ratio = entry.ratio
    scoring = "linear" if threshold is None else "threshold"
    if ratio is not None and placement.code == "ONLINE_DOSSIERS":
        sync = entries.get("DOSSIER_SYNC")
        if options.online_share_times_sync_rate and sync is not None and sync.ratio is not None:
            ratio *= sync.ratio
            scoring += "×sync"
    if ratio is None:
        if placement.code in (PETITIONS_ON_TIME, PETITIONS_SATISFACTION) and _no_petitions(entries):
            # "split": 5.3's points already moved to 5.2 and 5.4 (_effective_maxima), so 5.3
            # has a maximum of 0 and 5.2 — nothing to handle late — takes its full maximum.
            policy = options.no_petitions
            return result(Decimal(0) if policy == "zero" else top, f"no-petitions-{policy}")
        points = top if options.empty_denominator == "full" else Decimal(0)
        return result(points, f"empty-{options.empty_denominator}")
    shown = _round(ratio * 100, options.decimals)
    if options.round_ratio_first:
        ratio = Fraction(shown) / 100
    share = ratio if threshold is None else ratio / (Fraction(threshold) / 100)
    points = Fraction(top) * min(Fraction(1), share)
    return result(points, scoring, value=shown)


def _tracked(item: Item, entry: Entry, options: Options) -> IndicatorScore:
    value: Decimal | None = None
    if entry.value is not None:
        value = _round(entry.value, options.decimals)
    elif entry.denominator:
        ratio = Fraction(entry.numerator, entry.denominator)
        value = _round(ratio if item.unit == DAYS else ratio * 100, options.decimals)
    return IndicatorScore(item, entry, None, value, None, Decimal(0), Decimal(0), "tracked")


__all__ = [
    "CountsError",
    "Entry",
    "GroupScore",
    "IndicatorScore",
    "Options",
    "Scoreboard",
    "load_counts",
    "parse_entries",
    "score",
]
