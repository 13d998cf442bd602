"""Reads of the quality module: objectives, measurements and SPC signals scoped to the user
(`quality.view`), and the monthly KPI series that the SPC scan charts (from
`govqms.kpi.selectors`, as the system)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govqms.core.scoping import scope_for
from govqms.kpi import indicators
from govqms.kpi.selectors import Figure, indicator_report, period_bounds
from govqms.org.models import OrgUnit

from .models import ObjectiveMeasurement, QualityObjective, SpcSignal

PERM_VIEW = "quality.view"
PERM_MANAGE = "quality.manage"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
OPEN_SIGNAL_STATUSES = (SpcSignal.Status.OPEN, SpcSignal.Status.ACKNOWLEDGED)
LATEST_MEASUREMENTS = 3
SHOWN_CODES = 10
UNIT_LABELS = {
    "%": "%",
    "days": gettext_lazy("ngày làm việc"),
    "count": gettext_lazy("hồ sơ"),
    "points": gettext_lazy("điểm"),
}
#: Status badges reuse the timeliness badge styles; the text is always written out.
HEALTH_BADGES = {
    "on_track": "on_time",
    "at_risk": "due_soon",
    "missed": "late",
    "no_data": "none",
    "": "none",
}


# --- Objectives ------------------------------------------------------------------------------


def objective_list(*, user, state: str | None = QualityObjective.State.ACTIVE):
    qs = QualityObjective.objects.restrict(user, PERM_VIEW).select_related(
        "unit", "procedure", "owner"
    )
    if state:
        qs = qs.filter(state=state)
    return qs


def objective_get(*, user, pk: int) -> QualityObjective:
    objective = objective_list(user=user, state=None).filter(pk=pk).first()
    if objective is None:
        raise Http404(_("Không tìm thấy mục tiêu chất lượng."))
    return objective


def objective_rows(*, user, limit: int = 200) -> list[dict[str, Any]]:
    """Active objectives with their indicator and latest measurements (newest first)."""
    objectives = objective_list(user=user).prefetch_related(
        Prefetch(
            "measurements",
            queryset=ObjectiveMeasurement.objects.order_by("-period_start"),
            to_attr="recent",
        )
    )[:limit]
    rows = []
    for o in objectives:
        indicator = indicators.REGISTRY.get(o.indicator)
        name = (indicator.name_en if _english() else indicator.name_vi) if indicator else ""
        unit = str(indicator.unit) if indicator else ""
        rows.append(
            {
                "objective": o,
                "indicator_name": name or o.indicator,
                "unit_label": UNIT_LABELS.get(unit, unit),
                "badge": HEALTH_BADGES.get(o.status, "none"),
                "measurements": [
                    {"m": m, "badge": HEALTH_BADGES.get(m.status, "none")}
                    for m in o.recent[:LATEST_MEASUREMENTS]
                ],
            }
        )
    return rows


def indicator_choices() -> list[tuple[str, str]]:
    """Indicators an objective can target: every registry entry with a better direction."""
    return [
        (code, f"{code} — {ind.name_vi}")
        for code, ind in indicators.REGISTRY.items()
        if ind.direction != indicators.Direction.NEUTRAL
    ]


# --- Signals ---------------------------------------------------------------------------------


def signal_list(*, user, statuses=OPEN_SIGNAL_STATUSES, limit: int = 200):
    qs = SpcSignal.objects.restrict(user, PERM_VIEW).select_related("unit", "procedure")
    if statuses:
        qs = qs.filter(status__in=statuses)
    return qs.order_by("-adverse", "-detected_at", "-pk")[:limit]


def signal_get(*, user, pk: int) -> SpcSignal:
    signal = SpcSignal.objects.restrict(user, PERM_VIEW).filter(pk=pk).first()
    if signal is None:
        raise Http404(_("Không tìm thấy tín hiệu."))
    return signal


def can_manage(user, unit: OrgUnit) -> bool:
    return scope_for(user, PERM_MANAGE).covers(unit.path)


def _english() -> bool:
    return (translation.get_language() or "vi").startswith("en")


def signal_summary(signal: SpcSignal) -> dict[str, Any]:
    """A signal's evidence for display: the rule's name, the involved points (period, value,
    centre, limits; p-chart values as %, with d/n) and the dossiers of the trigger period."""
    data = signal.evidence.get("signal") or {}
    scale = 100.0 if signal.series == "p" else 1.0
    rows = [
        {
            "label": point.get("label"),
            "value": _scaled(point.get("value"), scale),
            "center": _scaled(point.get("center"), scale),
            "lcl": _scaled(point.get("lcl"), scale),
            "ucl": _scaled(point.get("ucl"), scale),
            "defectives": point.get("defectives"),
            "n": point.get("n"),
        }
        for point in data.get("points", [])
    ]
    dossiers = signal.evidence.get("dossiers") or {}
    return {
        "rule_name": (data.get("name_en") if _english() else None) or signal.rule_name,
        "unit_label": "%" if signal.series == "p" else UNIT_LABELS.get("days"),
        "rows": rows,
        "dossier_count": dossiers.get("count"),
        "dossier_codes": (dossiers.get("codes") or [])[:SHOWN_CODES],
        "more_codes": max((dossiers.get("count") or 0) - SHOWN_CODES, 0),
    }


def _scaled(value, scale: float):
    return None if value is None else value * scale


# --- Periods and the monthly series ---------------------------------------------------------


def day_end(day: dt.date) -> dt.datetime:
    """The instant a day's figures are read at: the end of that local day, never the future
    (the open-dossier snapshot is live)."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=LOCAL_TZ)
    return min(end - dt.timedelta(microseconds=1), timezone.now())


def previous_period(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    start, _end = period_bounds(period, day)
    return period_bounds(period, start - dt.timedelta(days=1))


def month_windows(as_of: dt.date, months: int) -> list[tuple[dt.date, dt.date]]:
    """The `months` completed calendar months before the month of `as_of`, oldest first."""
    windows = []
    start, _end = period_bounds("month", as_of)
    for _i in range(months):
        start, end = previous_period("month", start)
        windows.append((start, end))
    return windows[::-1]


def figure_row(
    *, unit: OrgUnit, procedure, start: dt.date, end: dt.date, code: str
) -> dict[str, Any]:
    """One indicator of the unit's subtree over [start, end], as `indicator_report` gives it
    (no value if the registry no longer has the code)."""
    figure = Figure(unit, True, procedure, start, end, day_end(end))
    rows = indicator_report(figure=figure)["indicators"]
    missing = {"value": None, "numerator": None, "denominator": None, "exact": True}
    return next((row for row in rows if row["code"] == code), missing)


@dataclass(frozen=True)
class MonthPoint:
    label: str  # "2026-03"
    start: dt.date
    end: dt.date
    finished: int  # dossiers finished with a timeliness class (the p-chart's n)
    late: int  # of them late (the p-chart's d)
    processing: float | None  # the XmR measure (working days), None without finished dossiers
    processing_n: int


def monthly_series(
    *, unit: OrgUnit, procedure=None, months: int, as_of: dt.date, measure: str
) -> list[MonthPoint]:
    """Late share and processing time of the unit's subtree for each completed month before
    `as_of` (one `indicator_report` per month: the rollups, system scope)."""
    points = []
    for start, end in month_windows(as_of, months):
        figure = Figure(unit, True, procedure, start, end, day_end(end))
        rows = {r["code"]: r for r in indicator_report(figure=figure)["indicators"]}
        late = rows["SHARE_FINISHED_LATE"]
        time = rows[measure]
        points.append(
            MonthPoint(
                label=f"{start:%Y-%m}",
                start=start,
                end=end,
                finished=int(late["denominator"] or 0),
                late=int(late["numerator"] or 0),
                processing=time["value"],
                processing_n=int(time["denominator"] or 0),
            )
        )
    return points


def scan_units(*, root: OrgUnit | None, on: dt.date) -> list[OrgUnit]:
    """The units of `root`'s subtree (every unit when None) that exist on `on`."""
    qs = OrgUnit.objects.valid_on(on)
    if root is not None:
        qs = qs.filter(path__startswith=root.path)
    return list(qs.order_by("path"))
