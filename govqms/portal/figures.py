"""The public figures: one table per province and month, small counts suppressed, shared by the
transparency pages (/cong-khai/) and the open data (/open-data/) so that the two never show a
cell differently. No personal data: counts of dossiers only, never a dossier.

A month's table has a row for the province (the total), one per current child unit that decides
dossiers (wards, communes, departments), one for the rest (dossiers decided at the province
itself or by former units no current child carries), and one per procedure with activity. The
sums that tie them (finished = on time + late and received = online + in person in every row;
the total = the unit rows; the total = the procedure rows) are given to `disclosure.suppress`
together, so a cell hidden in one view is hidden in every view, and every hidden count reads
"x" whatever the reason (docs/open-data.md §3). The in-person count (received − online) is
never published, but a reader can compute it and knows it is ≥ 0, so it is a cell of the sums
all the same: a small one is protected like a small late count.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govqms.kpi import breakdowns
from govqms.kpi import selectors as kpi_selectors
from govqms.kpi.models import HISTOGRAM_FIELDS, UnitMonthlyRollup
from govqms.org.models import OrgUnit
from govqms.procedures.models import Procedure

from . import disclosure

#: Published counts, in column order (machine names are stable: they are the open-data columns).
COUNTS = ("received", "received_online", "finished", "finished_on_time", "finished_late")
DERIVED = ("share_on_time", "share_late", "share_online", "avg_processing_days")
COLUMNS = COUNTS + DERIVED
#: Counts tied to the published ones by the sums but never published themselves: dossiers handed
#: in at the counter (received − received online). Hidden from the start, never chosen to
#: protect another cell, protected themselves when small (`disclosure.suppress`).
UNPUBLISHED = ("received_in_person",)
#: Every count of a row: the cells of the sums.
CELLS = COUNTS + UNPUBLISHED
LABELS = {
    "received": gettext_lazy("Tiếp nhận"),
    "received_online": gettext_lazy("Nộp trực tuyến"),
    "finished": gettext_lazy("Đã giải quyết"),
    "finished_on_time": gettext_lazy("Đúng hạn, trước hạn"),
    "finished_late": gettext_lazy("Quá hạn"),
    "share_on_time": gettext_lazy("Tỷ lệ đúng hạn (%)"),
    "share_late": gettext_lazy("Tỷ lệ quá hạn (%)"),
    "share_online": gettext_lazy("Tỷ lệ trực tuyến (%)"),
    "avg_processing_days": gettext_lazy("Thời gian giải quyết trung bình (ngày làm việc)"),
}
#: The registry indicator each derived column publishes (for the explanations page).
INDICATOR_OF = {
    "share_on_time": "SHARE_FINISHED_ON_TIME",
    "share_late": "SHARE_FINISHED_LATE",
    "share_online": "SHARE_ONLINE",
    "avg_processing_days": "AVG_PROCESSING_DAYS",
}
#: Derived column → the counts it is computed from (hidden if one of them is).
DERIVED_FROM = {
    "share_on_time": ("finished_on_time", "finished"),
    "share_late": ("finished_late", "finished"),
    "share_online": ("received_online", "received"),
    "avg_processing_days": ("finished",),
}
DAY = kpi_selectors.DAY
#: The open-data reasons of a suppressed cell: any hidden count; a hidden derived value.
HIDDEN, DERIVED_HIDDEN = "hidden", "derived"


def min_count() -> int:
    return max(1, int(getattr(settings, "GOVQMS_PUBLIC_MIN_COUNT", 5)))


@dataclass
class Row:
    kind: str  # "total" | "unit" | "other" | "procedure"
    code: str
    name: str
    counts: dict[str, int]  # every column of CELLS
    sample: tuple[float, int] = (0.0, 0)  # (Σ processing days, number of dossiers)
    hidden: dict[str, str] = field(default_factory=dict)
    values: dict[str, float | None] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        """Any count above zero, or a cell hidden to protect another one. Rows of plain zeros
        are listed by name only (the reader still knows their cells: 0)."""
        return any(self.counts.values()) or bool(self.hidden)

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.code)

    def value(self, column: str):
        """A count (None when hidden) or a derived value (None when hidden or undefined)."""
        if column in COUNTS:
            return None if column in self.hidden else self.counts[column]
        return self.values.get(column)

    def text(self, column: str) -> str:
        if column in COUNTS:
            return disclosure.shown(self.counts[column], self.hidden.get(column))
        value = self.values.get(column)
        if value is None:
            return "—"
        from govqms.kpi.charts import fmt

        return fmt(value, 1)

    def suppressed(self) -> dict[str, str]:
        """{column: reason} for every hidden count and derived value (open data). Every hidden
        count has the same reason, "hidden": telling a small count from a cell hidden to protect
        one would undo the single marker (docs/open-data.md §3)."""
        out = dict.fromkeys(self.hidden, HIDDEN)
        for column in DERIVED:
            if self.values.get(column) is None and self._defined(column):
                out[column] = DERIVED_HIDDEN
        return out

    def _defined(self, column: str) -> bool:
        if column == "avg_processing_days":
            return self.sample[1] > 0
        return self.counts[DERIVED_FROM[column][1]] > 0


@dataclass
class MonthTable:
    root: OrgUnit
    month: dt.date  # first day
    end: dt.date
    provisional: bool
    total: Row
    units: list[Row]
    other: Row | None
    procedures: list[Row]

    @property
    def label(self) -> str:
        return f"{self.month.month:02d}/{self.month.year}"

    @property
    def slug(self) -> str:
        return f"{self.month:%Y-%m}"

    @property
    def inactive(self) -> list[Row]:
        return [r for r in self.units if not r.active]

    def rows(self) -> list[Row]:
        return [self.total, *self.units, *([self.other] if self.other else [])]

    def unit_row(self, code: str) -> Row | None:
        if code == self.root.code:
            return self.total
        return next((r for r in self.units if r.code == code), None)

    def procedure_row(self, code: str) -> Row | None:
        return next((r for r in self.procedures if r.code == code), None)


# --- Months -------------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(first: dt.date) -> dt.date:
    return kpi_selectors.period_bounds("month", first)[1]


def add_months(first: dt.date, n: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def available_months() -> list[dt.date]:
    """Every month from the first one with data to the current one (the open-data range)."""
    today = month_start(timezone.localdate())
    first = UnitMonthlyRollup.objects.aggregate(first=Min("month"))["first"]  # smallest table
    start = month_start(first) if first and first < today else today
    months = []
    month = start
    while month <= today:
        months.append(month)
        month = add_months(month, 1)
    return months


def public_roots() -> list[OrgUnit]:
    """Today's top-level units (one per province in a deployment)."""
    return list(OrgUnit.objects.current().filter(parent__isnull=True).order_by("name", "code"))


def public_units(root: OrgUnit) -> list[OrgUnit]:
    return breakdowns.child_units(root)


# --- Building the tables ------------------------------------------------------------------------


def _counts(raw: dict[str, int]) -> tuple[dict[str, int], tuple[float, int]]:
    early, on_time, late = raw["finished_early"], raw["finished_on_time"], raw["finished_late"]
    counts = {
        "received": raw["received"],
        "received_online": raw["received_online"],
        "received_in_person": raw["received"] - raw["received_online"],  # online ⊆ received
        "finished": early + on_time + late,
        "finished_on_time": early + on_time,
        "finished_late": late,
    }
    n = sum(raw[f] for f in HISTOGRAM_FIELDS)
    return counts, (raw["processing_seconds"] / DAY, n)


SUMMED = (
    "received",
    "received_online",
    "finished_early",
    "finished_on_time",
    "finished_late",
    "processing_seconds",
    *HISTOGRAM_FIELDS,
)


def _zero() -> dict[str, int]:
    return dict.fromkeys(SUMMED, 0)


def month_tables(root: OrgUnit, months: Iterable[dt.date]) -> dict[dt.date, MonthTable]:
    """The public table of each month (first days), from two grouped queries over the rollups
    (by unit and by procedure), suppressed month by month."""
    months = sorted({month_start(m) for m in months})
    if not months:
        return {}
    now = timezone.now()
    figure = kpi_selectors.Figure(root, True, None, months[0], month_end(months[-1]), now)
    children = public_units(root)
    owner = breakdowns.owner_of(children, moved=figure.moved)
    paths = figure.unit_paths
    by_unit: dict[dt.date, dict[int | None, dict[str, int]]] = defaultdict(
        lambda: defaultdict(_zero)
    )
    for (month, unit_id), raw in kpi_selectors.grouped_counts(
        figure=figure, by=("month", "unit_id")
    ).items():
        bucket = by_unit[month][owner(paths[unit_id])]
        for m in SUMMED:
            bucket[m] += raw[m]
    by_procedure: dict[dt.date, dict[int, dict[str, int]]] = defaultdict(dict)
    for (month, procedure_id), raw in kpi_selectors.grouped_counts(
        figure=figure, by=("month", "procedure_id")
    ).items():
        by_procedure[month][procedure_id] = {m: raw[m] for m in SUMMED}
    procedure_ids = {pid for per in by_procedure.values() for pid in per}
    procedures = {p.pk: p for p in Procedure.objects.filter(pk__in=procedure_ids)}
    current = month_start(timezone.localdate())
    return {
        month: _month_table(
            root,
            month,
            children,
            by_unit.get(month, {}),
            by_procedure.get(month, {}),
            procedures,
            provisional=month >= current,
        )
        for month in months
    }


def _month_table(root, month, children, per_unit, per_procedure, procedures, *, provisional):
    def row(kind, code, name, raw):
        counts, sample = _counts(raw)
        return Row(kind, code, name, counts, sample)

    units = [row("unit", c.code, c.name, per_unit.get(c.pk, _zero())) for c in children]
    rest = per_unit.get(None, _zero())
    other = row("other", "_other", _("Khác (cấp tỉnh và đơn vị cũ)"), rest)
    total_raw = _zero()
    for raw in per_unit.values():
        for m in SUMMED:
            total_raw[m] += raw[m]
    total = row("total", root.code, root.name, total_raw)
    procs = sorted(
        (
            row("procedure", procedures[pid].code, procedures[pid].name, raw)
            for pid, raw in per_procedure.items()
            if any(raw.values())
        ),
        key=lambda r: (r.name, r.code),  # never by a count: the order would hint at hidden ones
    )
    _suppress([total, *units, other], procs)
    return MonthTable(
        root=root,
        month=month,
        end=month_end(month),
        provisional=provisional,
        total=total,
        units=units,
        other=other if other.active else None,
        procedures=procs,
    )


def relations(units: list[Row], procedures: list[Row]) -> list[disclosure.Relation]:
    """The sums that tie the cells of a month: total is units[0]; the rest are its parts.

    Together they form a network (procedure rows → column totals → unit rows; the total row's
    own row sums follow from the others), which `disclosure.pinned` relies on to check over the
    reals what a reader could work out over the integers."""
    total, parts = units[0], units[1:]
    rels = []
    for r in [*units, *procedures]:
        for whole, halves in (
            ("finished", ("finished_on_time", "finished_late")),
            ("received", ("received_online", "received_in_person")),
        ):
            rels.append(
                disclosure.Relation((r.key, whole), tuple((r.key, half) for half in halves))
            )
    for column in CELLS:
        rels.append(disclosure.Relation((total.key, column), tuple((r.key, column) for r in parts)))
        if procedures:
            rels.append(
                disclosure.Relation((total.key, column), tuple((r.key, column) for r in procedures))
            )
    return rels


def _suppress(units: list[Row], procedures: list[Row]) -> None:
    """Hide cells (rules 1 and 2), then the derived values (docs/open-data.md §3, rule 4), in
    place. The in-person cells take part, hidden from the start (rule 5), and are never shown."""
    k = min_count()
    rows = [*units, *procedures]
    values = {(r.key, c): r.counts[c] for r in rows for c in CELLS}
    unpublished = [(r.key, c) for r in rows for c in UNPUBLISHED]
    rels = relations(units, procedures)
    hidden = disclosure.suppress(values, rels, k, unpublished=unpublished)
    for r in rows:
        r.hidden = {c: hidden[(r.key, c)] for c in COUNTS if (r.key, c) in hidden}
        r.values = _derived(r, k)


def _derived(row: Row, k: int) -> dict[str, float | None]:
    """A derived value is hidden when a count it is computed from is hidden. share_online needs
    received and online shown, which give the in-person count away (received − online): that
    is safe, since then the suppression has found it 0 or k and more (a small one is pinned by
    those two cells, so one of them is hidden; docs/open-data.md §3)."""
    out: dict[str, float | None] = {}
    c = row.counts
    for column in ("share_on_time", "share_late", "share_online"):
        numerator, denominator = DERIVED_FROM[column]
        if numerator in row.hidden or denominator in row.hidden or c[denominator] < k:
            out[column] = None
        else:
            out[column] = 100 * c[numerator] / c[denominator]
    days, n = row.sample
    out["avg_processing_days"] = days / n if n >= k and "finished" not in row.hidden else None
    return out
