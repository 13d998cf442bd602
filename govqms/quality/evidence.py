"""What a recorded SPC signal keeps: its fingerprint, the points involved, and the evidence a
nonconformity (ISO 9001 10.2) will cite. Pure: plain data in, JSON-able data out."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

EVIDENCE_VERSION = 1


def rule_id(*, series: str, rule: int, we_rule: int | None) -> str:
    """`WE1`…`WE4` (Western Electric numbering), `N1`…`N8` (Nelson), `MR1` (moving range)."""
    if series == "mr":
        return f"MR{rule}"
    if we_rule is not None:
        return f"WE{we_rule}"
    return f"N{rule}"


def is_adverse(direction: str | None) -> bool:
    """Late share and processing time are better low: a shift up, or instability without a
    direction (alternation, stratification, mixture), calls for action; a shift down is an
    improvement to confirm."""
    return direction != "down"


def fingerprint(
    *,
    unit_id: int,
    procedure_id: int | None,
    chart: str,
    series: str,
    measure: str,
    rule: str,
    direction: str | None,
    trigger_label: str,
) -> str:
    """Identity of a signal across scans: the same rule on the same chart, triggered at the same
    period. Limits shift as the window slides; the trigger period is what a person acts on."""
    key = "|".join(
        [
            str(unit_id),
            str(procedure_id or ""),
            chart,
            series,
            measure,
            rule,
            direction or "",
            trigger_label,
        ]
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _day(value: dt.date) -> str:
    return value.isoformat()


def period_table(periods: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """{label: {"start", "end"}} for the plotted periods."""
    return {p["label"]: {"start": _day(p["start"]), "end": _day(p["end"])} for p in periods}


def involved_points(
    signal: Mapping[str, Any], periods: Mapping[str, Mapping[str, str]]
) -> list[dict[str, Any]]:
    """The points a signal involves: label, the period's days, the value (and d/n)."""
    out = []
    for point in signal["points"]:
        label = point["label"]
        row = {"label": label, **periods.get(label, {}), "value": point["value"]}
        if "n" in point:
            row.update(n=point["n"], defectives=point["defectives"])
        out.append(row)
    return out


def build_evidence(
    *,
    as_of: dt.date,
    unit: Mapping[str, Any],
    procedure: Mapping[str, Any] | None,
    measure: Mapping[str, Any],
    chart: Mapping[str, Any],
    signal: Mapping[str, Any],
    periods: Mapping[str, Mapping[str, str]],
    drilldown: Mapping[str, Any],
) -> dict[str, Any]:
    """The evidence record: everything needed to redraw the chart and find the dossiers.

    `chart` is the chart's `to_dict()` (every point with its limits), `signal` the signal's
    `to_dict()` (the points involved, their z, centre and limits), `periods` the days of each
    plotted label, `drilldown` the arguments of `kpi.selectors.dossiers_behind` for the trigger
    period with the count and codes of those dossiers.
    """
    return {
        "version": EVIDENCE_VERSION,
        "as_of": _day(as_of),
        "unit": dict(unit),
        "procedure": dict(procedure) if procedure else None,
        "measure": dict(measure),
        "rule_set": signal["rule_set"],
        "signal": dict(signal),
        "chart": dict(chart),
        "periods": dict(periods),
        "dossiers": dict(drilldown),
    }
