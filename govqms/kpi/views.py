"""Staff dashboards (/chi-so/): a unit's indicators, trends and SPC charts, the open dossiers at
risk, the roll-up of a unit's child units, the dossiers behind every figure, and the exports.

Every read is scoped with `report.view` (the selectors restrict rollups and dossiers to what the
user may see); a unit outside the user's scope answers 404. Thin views: parse the filters, call
the selectors (`kpi.selectors`) and the figure helpers below, render. docs/dashboards.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from govqms.core.scoping import scope_for
from govqms.dossiers.selectors import INTERNAL_KINDS, masked_applicant
from govqms.org.models import OrgUnit
from govqms.procedures.models import Procedure

from . import breakdowns, charts, exports, indicators, selectors
from .models import HISTOGRAM_FIELDS, MEASURES, MonthlyRollup
from .selectors import PERM, Figure
from .spc import NELSON, RuleSet, p_chart, xmr_chart

DAY_SECONDS = selectors.DAY
TREND_MONTHS = 12
TREND_WEEKS = 13
AT_RISK_SHOWN = 10
DRILL_PAGE_SIZE = 50
#: Rule 1 only when subgroups are units: run rules need an order in time, units have none.
BETWEEN_UNITS = RuleSet(name="rule-1", rules=(1,))
#: Measures whose dossiers a drill-down can list (rollup columns that count dossiers, and the
#: open-dossier snapshot); processing seconds and the histogram are not dossier counts.
DRILLABLE_MEASURES = tuple(
    m
    for m in (*MEASURES, *selectors.SNAPSHOT_INPUTS)
    if m != "processing_seconds" and m not in HISTOGRAM_FIELDS
)


# --- Trend periods ---------------------------------------------------------------------------


def buckets(grain: str, end: dt.date, count: int | None = None) -> list[tuple[dt.date, dt.date]]:
    """The `count` months (or ISO weeks) ending with the one that holds `end`, oldest first."""
    count = count or (TREND_MONTHS if grain == "month" else TREND_WEEKS)
    out = []
    day = end
    for _i in range(count):
        first, last = selectors.period_bounds(grain, day)
        out.append((first, last))
        day = first - dt.timedelta(days=1)
    return out[::-1]


def bucket_label(grain: str, first: dt.date) -> str:
    if grain == "week":
        year, week, _weekday = first.isocalendar()
        return _("Tuần %(week)s/%(year)s") % {"week": week, "year": year}
    return f"{first.month:02d}/{first.year}"


def series_counts(
    user, figure: Figure, grain: str, periods: list[tuple[dt.date, dt.date]]
) -> list[dict[str, int]]:
    """Rollup counts per month or week of `periods` (one or two grouped queries)."""
    found = selectors.grouped_counts(
        user=user, figure=figure, by=(grain,), start=periods[0][0], end=periods[-1][1]
    )
    return [found.get((first,), dict.fromkeys(MEASURES, 0)) for first, _last in periods]


# --- Filters ----------------------------------------------------------------------------------

PERIOD_CHOICES = [
    ("day", gettext_lazy("Ngày")),
    ("week", gettext_lazy("Tuần")),
    ("month", gettext_lazy("Tháng")),
    ("quarter", gettext_lazy("Quý")),
    ("year", gettext_lazy("Năm")),
    ("custom", gettext_lazy("Tùy chọn (từ ngày … đến ngày …)")),
]
GRAIN_CHOICES = [("month", gettext_lazy("Theo tháng")), ("week", gettext_lazy("Theo tuần"))]
DATE_WIDGET = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class FilterForm(forms.Form):
    don_vi = forms.ChoiceField(label=gettext_lazy("Đơn vị"), required=False)
    ky = forms.ChoiceField(label=gettext_lazy("Kỳ báo cáo"), choices=PERIOD_CHOICES, required=False)
    ngay = forms.DateField(label=gettext_lazy("Ngày trong kỳ"), required=False, **DATE_WIDGET)
    tu = forms.DateField(label=gettext_lazy("Từ ngày"), required=False, **DATE_WIDGET)
    den = forms.DateField(label=gettext_lazy("Đến ngày"), required=False, **DATE_WIDGET)
    thu_tuc = forms.ChoiceField(label=gettext_lazy("Thủ tục"), required=False)
    chu_ky = forms.ChoiceField(
        label=gettext_lazy("Biểu đồ xu hướng"), choices=GRAIN_CHOICES, required=False
    )

    def __init__(self, data, *, units: list[OrgUnit], procedures: list[Procedure]):
        super().__init__(data)
        self.fields["don_vi"].choices = [(u.code, _unit_option(u)) for u in units]
        self.fields["thu_tuc"].choices = [("", _("Mọi thủ tục"))] + [
            (p.code, f"{p.code} — {_truncate(p.name, 90)}") for p in procedures
        ]
        self.fields["ngay"].help_text = _("Kỳ là ngày, tuần, tháng, quý hoặc năm chứa ngày này.")

    def clean(self):
        data = super().clean()
        if data.get("ky") == "custom":
            start, end = data.get("tu"), data.get("den")
            if start is None:
                self.add_error("tu", _("Chọn ngày bắt đầu của kỳ tùy chọn."))
            if end is None:
                self.add_error("den", _("Chọn ngày kết thúc của kỳ tùy chọn."))
            if start and end and end < start:
                self.add_error("den", _("Ngày kết thúc phải sau hoặc bằng ngày bắt đầu."))
        return data


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _unit_option(unit: OrgUnit) -> str:
    indent = "\u00a0\u00a0" * max(unit.depth, 0)
    return f"{indent}{unit.name}"


def report_units(user) -> list[OrgUnit]:
    """Today's units the user may report on (deciding units only), tree order."""
    return list(
        OrgUnit.objects.current()
        .restrict(user, PERM)
        .exclude(kind__in=INTERNAL_KINDS)
        .order_by("path")
    )


@dataclass
class Filters:
    unit: OrgUnit
    period: str
    start: dt.date
    end: dt.date
    procedure: Procedure | None
    grain: str
    now: dt.datetime
    day: dt.date

    @cached_property
    def figure(self) -> Figure:
        """One Figure per request: its scope and due-soon thresholds are computed once."""
        return Figure(self.unit, True, self.procedure, self.start, self.end, self.now)

    def params(self, **overrides) -> dict[str, str]:
        params = {
            "don_vi": self.unit.code,
            "ky": self.period,
            "ngay": self.day.isoformat(),
            "chu_ky": self.grain,
            "luc": self.now.isoformat(),
        }
        if self.period == "custom":
            params.update(tu=self.start.isoformat(), den=self.end.isoformat())
        if self.procedure is not None:
            params["thu_tuc"] = self.procedure.code
        params.update({k: v for k, v in overrides.items() if v is not None})
        return params

    def query(self, **overrides) -> str:
        return urlencode(self.params(**overrides))

    @property
    def label(self) -> str:
        span = f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"
        if self.start == self.end:
            return f"{self.start:%d/%m/%Y}"
        return span


def _procedures(user, unit: OrgUnit, selected: str) -> list[Procedure]:
    """Procedures with any activity in the unit's subtree (and the selected one)."""
    scope = selectors.unit_scope(unit, True)
    # The monthly grain holds the same (unit, procedure) pairs as the daily one, in fewer rows.
    rows = MonthlyRollup.objects.restrict(user, PERM).filter(selectors.unit_q(scope, "unit"))
    ids = set(rows.values_list("procedure_id", flat=True).distinct())
    qs = Procedure.objects.filter(pk__in=ids)
    if selected:
        qs = qs | Procedure.objects.filter(code=selected)
    return list(qs.order_by("code"))


def _now(value: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value) if value else None
    except ValueError:
        parsed = None
    if parsed is None or timezone.is_naive(parsed):
        return timezone.now()
    return parsed


def parse_filters(request) -> tuple[Filters, FilterForm]:
    """The filters of a dashboard request. A unit outside the user's report scope is a 404; any
    other invalid field falls back to its default and the form shows the error."""
    user = request.user
    if scope_for(user, PERM).empty:
        raise PermissionDenied(_("Bạn không có quyền xem chỉ số, báo cáo."))
    units = report_units(user)
    if not units:
        raise PermissionDenied(_("Bạn không có quyền xem chỉ số, báo cáo."))
    code = request.GET.get("don_vi", "")
    unit = next((u for u in units if u.code == code), None)
    if code and unit is None:
        raise Http404(_("Không tìm thấy đơn vị %(code)s.") % {"code": code})
    unit = unit or units[0]
    procedures = _procedures(user, unit, request.GET.get("thu_tuc", ""))
    form = FilterForm(request.GET or None, units=units, procedures=procedures)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    if form.is_bound and not form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in form.errors}
    today = timezone.localdate()
    period = data.get("ky") or "month"
    day = data.get("ngay") or today
    if period == "custom" and data.get("tu") and data.get("den"):
        start, end = data["tu"], data["den"]
    else:
        period = "month" if period == "custom" else period
        start, end = selectors.period_bounds(period, day)
    procedure = next((p for p in procedures if p.code == data.get("thu_tuc")), None)
    filters = Filters(
        unit=unit,
        period=period,
        start=start,
        end=end,
        procedure=procedure,
        grain=data.get("chu_ky") or "month",
        now=_now(request.GET.get("luc", "")),
        day=day,
    )
    if not form.is_bound or form.is_valid():  # show the values in force, defaults included
        form = FilterForm(
            {k: v for k, v in filters.params().items() if k != "luc"},
            units=units,
            procedures=procedures,
        )
        form.is_valid()
    return filters, form


# --- Page data ----------------------------------------------------------------------------------


def _counts_dossiers(indicator: indicators.Indicator, part: str) -> bool:
    """Whether the numerator / denominator of an indicator is a number of dossiers."""
    if selectors.SAMPLE_INPUT in indicator.inputs:
        return part == "denominator"
    return part == "denominator" or indicator.unit in (
        indicators.Unit.PERCENT,
        indicators.Unit.COUNT,
    )


def value_text(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{charts.fmt(value, 1)} %"
    if unit == "days":
        return _("%(n)s ngày") % {"n": charts.fmt(value, 1)}
    return charts.fmt(value, 0 if float(value).is_integer() else 1)


def indicator_rows(user, filters: Filters) -> tuple[list[dict], dict[str, int]]:
    """The indicator table: each row with its numbers and the links to the dossiers behind."""
    report = selectors.indicator_report(user=user, figure=filters.figure)
    rows = []
    for item in report["indicators"]:
        indicator = indicators.REGISTRY[item["code"]]
        links = {}
        if not item["missing"]:
            for part in ("numerator", "denominator"):
                if item[part] is not None and _counts_dossiers(indicator, part):
                    links[part] = "?" + filters.query(code=item["code"], part=part)
        band = indicator.band(item["value"])
        rows.append(
            {
                **item,
                "value_text": value_text(item["value"], item["unit"]),
                "numerator_text": charts.fmt(item["numerator"], 2)
                if item["numerator"] is not None
                else "—",
                "denominator_text": charts.fmt(item["denominator"], 0)
                if item["denominator"] is not None
                else "—",
                "links": links,
                "source": indicator.source,
                "band": (band.label_en if _english() else band.label_vi) if band else "",
                "direction": str(indicator.direction),
            }
        )
    return rows, report["counts"]


def _english() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "vi").startswith("en")


def trend_charts(user, filters: Filters) -> dict[str, charts.Chart | None]:
    """Volumes and shares per month (or week), the p-chart of the late share and the XmR chart
    of the mean processing time, for the figure's unit and procedure."""
    periods = buckets(filters.grain, min(filters.end, timezone.localdate()))  # no future
    counts = series_counts(user, filters.figure, filters.grain, periods)
    labels = [bucket_label(filters.grain, first) for first, _last in periods]
    results = [breakdowns.results_from_counts(c) for c in counts]
    by = _("tháng") if filters.grain == "month" else _("tuần")
    volume = charts.bar_chart(
        chart_id="chart-volume",
        title=_("Hồ sơ tiếp nhận và đã giải quyết theo %(by)s") % {"by": by},
        description=_("Số hồ sơ tiếp nhận và số hồ sơ giải quyết xong của %(unit)s.")
        % {"unit": filters.unit.name},
        labels=labels,
        series=[
            charts.Series(_("Tiếp nhận"), [c["received"] for c in counts], 0),
            charts.Series(_("Đã giải quyết"), [c["finished"] for c in counts], 1),
        ],
        unit=_("hồ sơ"),
    )
    shares = charts.line_chart(
        chart_id="chart-shares",
        title=_("Tỷ lệ đúng hạn và tỷ lệ nộp trực tuyến theo %(by)s") % {"by": by},
        description=_(
            "Tỷ lệ phần trăm hồ sơ đã giải quyết trước hạn, đúng hạn và hồ sơ nộp trực tuyến."
        ),
        labels=labels,
        series=[
            charts.Series(
                _("Đúng hạn, trước hạn"),
                [r["SHARE_FINISHED_ON_TIME"].value for r in results],
                0,
            ),
            charts.Series(_("Nộp trực tuyến"), [r["SHARE_ONLINE"].value for r in results], 1),
        ],
        unit="%",
        y_min=0,
        y_max=100,
    )
    late = [
        (
            label,
            c["finished_late"],
            c["finished_early"] + c["finished_on_time"] + c["finished_late"],
        )
        for label, c in zip(labels, counts, strict=True)
    ]
    late = [row for row in late if row[2] > 0]
    p = None
    if len(late) >= 2:
        chart = p_chart(
            [d for _l, d, _n in late], [n for *_x, n in late], labels=[x[0] for x in late]
        )
        p = charts.p_chart_svg(
            chart,
            chart_id="chart-p",
            title=_("Biểu đồ kiểm soát p: tỷ lệ hồ sơ giải quyết quá hạn theo %(by)s") % {"by": by},
            description=_(
                "Mỗi điểm là tỷ lệ hồ sơ quá hạn trong số hồ sơ đã giải quyết của kỳ; giới hạn "
                "kiểm soát 3σ tính riêng cho từng kỳ theo số hồ sơ; tín hiệu theo quy tắc Nelson."
            ),
            value_name=_("Tỷ lệ quá hạn"),
        )
    days = [
        (label, r["AVG_PROCESSING_DAYS"].value)
        for label, r in zip(labels, results, strict=True)
        if r["AVG_PROCESSING_DAYS"].value is not None
    ]
    xmr = None
    if len(days) >= 2:
        chart = xmr_chart([v for _l, v in days], labels=[x[0] for x in days], floor=0, rules=NELSON)
        xmr = charts.xmr_chart_svg(
            chart,
            chart_id="chart-xmr",
            title=_("Biểu đồ kiểm soát X–mR: thời gian giải quyết trung bình theo %(by)s")
            % {"by": by},
            description=_(
                "Mỗi điểm là số ngày làm việc trung bình từ tiếp nhận đến có kết quả của các hồ "
                "sơ giải quyết xong trong kỳ; giới hạn X̄ ± 2,66·MR̄."
            ),
            value_name=_("Ngày làm việc trung bình"),
            unit=_("ngày"),
        )
    return {"volume": volume, "shares": shares, "p": p, "xmr": xmr}


ROLLUP_COLUMNS = (
    # (key, header, indicator code or measure, part, kind)
    ("received", gettext_lazy("Tiếp nhận"), "received", None, "measure"),
    (
        "finished",
        gettext_lazy("Đã giải quyết (có hạn)"),
        "SHARE_FINISHED_ON_TIME",
        "denominator",
        "code",
    ),
    ("on_time", gettext_lazy("Đúng hạn, trước hạn"), "SHARE_FINISHED_ON_TIME", "numerator", "code"),
    ("late", gettext_lazy("Quá hạn"), "SHARE_FINISHED_LATE", "numerator", "code"),
    ("overdue", gettext_lazy("Đang quá hạn"), "OPEN_OVERDUE", "numerator", "code"),
    ("due_soon", gettext_lazy("Sắp đến hạn"), "OPEN_DUE_SOON", "numerator", "code"),
)


def rollup_table(user, filters: Filters) -> dict[str, Any]:
    """One row per child unit (and the rest, and the total) with the key indicators."""
    children = breakdowns.child_units(filters.unit)
    per, total = breakdowns.children_counts(user, filters.figure, children)

    def row(unit: OrgUnit | None, label: str, counts: Mapping[str, int]) -> dict[str, Any]:
        results = breakdowns.results_from_counts(counts)
        cells = []
        for key, _header, name, part, kind in ROLLUP_COLUMNS:
            number = counts[name] if kind == "measure" else getattr(results[name], part)
            link = None
            if unit is not None and number:
                extra = {"measure": name} if kind == "measure" else {"code": name, "part": part}
                link = "?" + filters.query(don_vi=unit.code, **extra)
            cells.append({"key": key, "value": int(number or 0), "link": link})
        share = results["SHARE_FINISHED_ON_TIME"].value
        avg = results["AVG_PROCESSING_DAYS"].value
        return {
            "unit": unit,
            "dashboard": "?" + filters.query(don_vi=unit.code) if unit is not None else None,
            "label": label,
            "cells": cells,
            "on_time_share": share,
            "on_time_text": value_text(share, "%"),
            "avg_days": avg,
            "avg_text": value_text(avg, "days"),
            "late": counts["finished_late"],
            "classified": counts["finished_early"]
            + counts["finished_on_time"]
            + counts["finished_late"],
        }

    empty = dict.fromkeys((*MEASURES, *selectors.SNAPSHOT_INPUTS), 0)
    every = [row(child, child.name, per.get(child.pk, empty)) for child in children]
    rows = [r for r in every if any(c["value"] for c in r["cells"])]
    idle = [r for r in every if not any(c["value"] for c in r["cells"])]
    rest = per.get(None)
    other = None
    if rest and any(rest.values()):
        other = row(
            None, _("Khác (tại chính đơn vị, hoặc đơn vị cũ không thuộc đơn vị nào ở trên)"), rest
        )
    return {
        "rows": rows,
        "idle": idle,
        "other": other,
        "total": row(filters.unit, _("Tổng cộng"), total),
        "headers": [header for _k, header, *_rest in ROLLUP_COLUMNS],
    }


def rollup_p_chart(table: Mapping[str, Any]) -> charts.Chart | None:
    """The late share of each child unit on one p-chart (rule 1 only: units have no order)."""
    rows = [r for r in table["rows"] if r["classified"] > 0]
    if len(rows) < 2:
        return None
    chart = p_chart(
        [r["late"] for r in rows],
        [r["classified"] for r in rows],
        labels=[r["label"] for r in rows],
        rules=BETWEEN_UNITS,
    )
    return charts.p_chart_svg(
        chart,
        chart_id="chart-units-p",
        title=_("Biểu đồ kiểm soát p: tỷ lệ quá hạn giữa các đơn vị"),
        description=_(
            "Mỗi điểm là một đơn vị; giới hạn 3σ theo số hồ sơ của đơn vị. Chỉ áp dụng quy tắc 1 "
            "(điểm ngoài giới hạn) vì thứ tự các đơn vị không phải thứ tự thời gian."
        ),
        value_name=_("Tỷ lệ quá hạn"),
    )


def _open_list(user, filters: Filters, code: str) -> tuple[list[dict], int]:
    qs = selectors.dossiers_behind(user=user, code=code, figure=filters.figure, part="numerator")
    qs = qs.select_related("version__procedure", "competent_unit").order_by("due_at", "pk")
    return [{"dossier": d} for d in qs[:AT_RISK_SHOWN]], qs.count()


# --- Views --------------------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request):
    filters, form = parse_filters(request)
    rows, _counts = indicator_rows(request.user, filters)
    overdue, overdue_count = _open_list(request.user, filters, "OPEN_OVERDUE")
    due_soon, due_soon_count = _open_list(request.user, filters, "OPEN_DUE_SOON")
    context = {
        "filters": filters,
        "form": form,
        "rows": rows,
        "charts": trend_charts(request.user, filters),
        "overdue": overdue,
        "overdue_count": overdue_count,
        "due_soon": due_soon,
        "due_soon_count": due_soon_count,
        "has_children": bool(breakdowns.child_units(filters.unit)),
        "query": filters.query(),
    }
    return render(request, "kpi/dashboard.html", context)


@login_required
@require_GET
def rollup(request):
    filters, form = parse_filters(request)
    table = rollup_table(request.user, filters)
    context = {
        "filters": filters,
        "form": form,
        "table": table,
        "chart": rollup_p_chart(table),
        "query": filters.query(),
    }
    return render(request, "kpi/rollup.html", context)


@login_required
@require_GET
def dossiers(request):
    """The dossiers behind one figure: `code` + `part` (numerator/denominator) of an indicator,
    or a `measure`; the list's count is the figure's."""
    filters, _form = parse_filters(request)
    code, part, measure = (request.GET.get(k, "") for k in ("code", "part", "measure"))
    try:
        if code:
            indicator = indicators.REGISTRY[code]
            part = part or "denominator"
            qs = selectors.dossiers_behind(
                user=request.user, code=code, figure=filters.figure, part=part
            )
            title = str(
                _("%(name)s — tử số") if part == "numerator" else _("%(name)s — mẫu số")
            ) % {"name": indicator.name_en if _english() else indicator.name_vi}
        elif measure in DRILLABLE_MEASURES:
            qs = selectors.dossiers_for_measure(
                user=request.user, figure=filters.figure, measure=measure
            )
            title = MEASURE_LABELS.get(measure, measure)
        else:
            raise Http404(_("Không rõ chỉ số hoặc số liệu cần xem."))
    except (KeyError, ValueError):
        raise Http404(_("Không rõ chỉ số hoặc số liệu cần xem.")) from None
    qs = qs.select_related("version__procedure", "competent_unit").order_by("-received_at", "-pk")
    page = Paginator(qs, DRILL_PAGE_SIZE).get_page(request.GET.get("trang"))
    rows = [{"dossier": d, "applicant": masked_applicant(d)} for d in page]
    context = {
        "filters": filters,
        "title": title,
        "page": page,
        "rows": rows,
        "back": "?" + filters.query(),
        "page_query": urlencode(
            {
                **filters.params(),
                **{k: v for k, v in (("code", code), ("part", part), ("measure", measure)) if v},
            }
        ),
    }
    return render(request, "kpi/dossiers.html", context)


MEASURE_LABELS = {
    "received": gettext_lazy("Hồ sơ tiếp nhận"),
    "received_online": gettext_lazy("Hồ sơ tiếp nhận trực tuyến"),
    "submitted": gettext_lazy("Hồ sơ nộp trực tuyến"),
    "finished": gettext_lazy("Hồ sơ giải quyết xong"),
    "finished_early": gettext_lazy("Hồ sơ giải quyết trước hạn"),
    "finished_on_time": gettext_lazy("Hồ sơ giải quyết đúng hạn"),
    "finished_late": gettext_lazy("Hồ sơ giải quyết quá hạn"),
    "finished_reappointed": gettext_lazy("Hồ sơ giải quyết xong sau khi hẹn lại"),
    "returned": gettext_lazy("Hồ sơ đã trả kết quả"),
    "refused": gettext_lazy("Hồ sơ bị từ chối tiếp nhận"),
    "withdrawn": gettext_lazy("Hồ sơ rút"),
    "stopped": gettext_lazy("Hồ sơ dừng xử lý"),
    "open_within_limit": gettext_lazy("Hồ sơ đang giải quyết trong hạn"),
    "open_due_soon": gettext_lazy("Hồ sơ sắp đến hạn"),
    "open_overdue": gettext_lazy("Hồ sơ đang quá hạn"),
}


@login_required
@require_GET
def export_table(request, table: str, fmt: str):
    """The indicator table (`chi-so`) or the roll-up (`tong-hop`) as CSV or XLSX."""
    filters, _form = parse_filters(request)
    if table == "chi-so":
        rows, _counts = indicator_rows(request.user, filters)
        sheet = exports.indicator_sheet(
            rows, filters.unit, filters.start, filters.end, filters.procedure
        )
    elif table == "tong-hop":
        sheet = exports.rollup_sheet(
            rollup_table(request.user, filters),
            filters.unit,
            filters.start,
            filters.end,
            filters.procedure,
        )
    else:
        raise Http404
    name = f"{table}-{filters.unit.code}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}"
    return exports.sheet_response(sheet, fmt, name)


@login_required
@require_GET
def chart_png(request, name: str):
    """A dashboard chart as PNG (the same SVG the page inlines, rendered by CairoSVG)."""
    filters, _form = parse_filters(request)
    if name == "don-vi-p":
        chart = rollup_p_chart(rollup_table(request.user, filters))
    else:
        key = {"tiep-nhan": "volume", "ty-le": "shares", "p": "p", "xmr": "xmr"}.get(name)
        if key is None:
            raise Http404
        chart = trend_charts(request.user, filters)[key]
    if chart is None:
        raise Http404(_("Chưa đủ số liệu để vẽ biểu đồ này."))
    try:
        png = exports.svg_png(chart.svg)
    except exports.PngUnavailable as exc:
        return HttpResponse(str(exc), status=501, content_type="text/plain; charset=utf-8")
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{filters.unit.code}-{filters.start:%Y%m%d}.png"'
    )
    return response
