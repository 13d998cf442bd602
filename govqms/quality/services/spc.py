"""SPC scans and the lifecycle of the signals they record (docs/quality.md §3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govqms.core.audit import audit_append
from govqms.kpi import indicators
from govqms.kpi.selectors import Figure, dossiers_behind
from govqms.kpi.spc import WESTERN_ELECTRIC, RuleSet, p_chart, xmr_chart
from govqms.org.models import OrgUnit

from .. import evidence, selectors, workflows
from ..models import SpcSignal
from ._base import check

#: The p-chart's measure and the individuals chart's (working days per finished dossier).
LATE_SHARE = "SHARE_FINISHED_LATE"
TIME_MEASURES = ("AVG_PROCESSING_DAYS", "MEDIAN_PROCESSING_DAYS")
#: Fewer plotted months than this: no limits, no signals (docs/quality.md §3).
MIN_POINTS = 6
#: Dossier codes kept in a signal's evidence (the count is always complete).
MAX_EVIDENCE_CODES = 50


@dataclass
class ChartResult:
    chart: str  # "p" or "xmr"
    measure: str
    points: int  # months plotted
    signals: list[SpcSignal] = field(default_factory=list)  # every signal found, new or not
    new: list[SpcSignal] = field(default_factory=list)
    skipped: str = ""  # why no chart was drawn

    def to_dict(self) -> dict:
        return {
            "chart": self.chart,
            "measure": self.measure,
            "points": self.points,
            "signals": [s.pk for s in self.signals],
            "new": [s.pk for s in self.new],
            "skipped": self.skipped,
        }


@dataclass
class ScanResult:
    unit: OrgUnit
    procedure: object | None
    as_of: dt.date
    charts: list[ChartResult] = field(default_factory=list)

    @property
    def new_signals(self) -> list[SpcSignal]:
        return [s for c in self.charts for s in c.new]

    def to_dict(self) -> dict:
        return {
            "unit": self.unit.code,
            "procedure": getattr(self.procedure, "code", None),
            "as_of": self.as_of.isoformat(),
            "charts": [c.to_dict() for c in self.charts],
        }


@transaction.atomic
def spc_scan(
    *,
    actor=None,
    unit: OrgUnit,
    procedure=None,
    months: int = 12,
    as_of: dt.date,
    measure: str = TIME_MEASURES[0],
    rules: RuleSet = WESTERN_ELECTRIC,
) -> ScanResult:
    """Chart the completed months before `as_of` for `unit`'s subtree (and `procedure`): a
    p-chart of the late share and an individuals (XmR) chart of the processing time (`measure`,
    working days), run the rules, and record each signal not recorded before (fingerprint)."""
    check(actor, unit.path)
    if months < MIN_POINTS:
        raise ValidationError({"months": _("Cần ít nhất %(n)d tháng.") % {"n": MIN_POINTS}})
    if measure not in TIME_MEASURES:
        raise ValidationError({"measure": _("Chỉ số thời gian không hợp lệ.")})
    series = selectors.monthly_series(
        unit=unit, procedure=procedure, months=months, as_of=as_of, measure=measure
    )
    context = _ScanContext(
        actor,
        unit,
        procedure,
        as_of,
        evidence.period_table([{"label": p.label, "start": p.start, "end": p.end} for p in series]),
    )
    result = ScanResult(unit, procedure, as_of)

    plotted = [p for p in series if p.finished > 0]
    late = ChartResult("p", LATE_SHARE, len(plotted))
    if len(plotted) < MIN_POINTS:
        late.skipped = _too_few(len(plotted))
    else:
        chart = p_chart(
            [p.late for p in plotted],
            [p.finished for p in plotted],
            labels=[p.label for p in plotted],
            rules=rules,
        )
        context.record(late, chart.to_dict(), [("p", s) for s in chart.signals])
    result.charts.append(late)

    plotted = [p for p in series if p.processing is not None]
    time = ChartResult("xmr", measure, len(plotted))
    if len(plotted) < MIN_POINTS:
        time.skipped = _too_few(len(plotted))
    else:
        chart = xmr_chart(
            [p.processing for p in plotted],
            labels=[p.label for p in plotted],
            floor=0,
            rules=rules,
        )
        found = [("x", s) for s in chart.signals] + [("mr", s) for s in chart.mr_signals]
        context.record(time, chart.to_dict(), found)
    result.charts.append(time)
    return result


def _too_few(count: int) -> str:
    return _("Chưa đủ số liệu: %(count)d tháng có hồ sơ, cần ít nhất %(n)d.") % {
        "count": count,
        "n": MIN_POINTS,
    }


@dataclass
class _ScanContext:
    actor: object
    unit: OrgUnit
    procedure: object | None
    as_of: dt.date
    periods: dict[str, dict[str, str]]

    def record(self, result: ChartResult, chart: dict, found: Sequence[tuple[str, object]]):
        for series, signal in found:
            stored, created = self._store(result, chart, series, signal.to_dict())
            result.signals.append(stored)
            if created:
                result.new.append(stored)

    def _store(self, result: ChartResult, chart: dict, series: str, data: dict):
        rid = evidence.rule_id(series=series, rule=data["rule"], we_rule=data["we_rule"])
        label = data["trigger_label"]
        fp = evidence.fingerprint(
            unit_id=self.unit.pk,
            procedure_id=getattr(self.procedure, "pk", None),
            chart=result.chart,
            series=series,
            measure=result.measure,
            rule=rid,
            direction=data["direction"],
            trigger_label=label,
        )
        existing = SpcSignal.objects.filter(fingerprint=fp).first()
        if existing is not None:
            return existing, False
        period = self.periods[label]
        start, end = dt.date.fromisoformat(period["start"]), dt.date.fromisoformat(period["end"])
        indicator = indicators.REGISTRY[LATE_SHARE if series == "p" else result.measure]
        record = SpcSignal(
            unit=self.unit,
            procedure=self.procedure,
            chart=result.chart,
            measure=result.measure,
            series=series,
            rule_id=rid,
            rule_name=data["name_vi"][:255],
            direction=data["direction"] or "",
            adverse=evidence.is_adverse(data["direction"]),
            period_start=start,
            period_end=end,
            points=evidence.involved_points(data, self.periods),
            evidence=evidence.build_evidence(
                as_of=self.as_of,
                unit={"code": self.unit.code, "name": self.unit.name, "path": self.unit.path},
                procedure=(
                    {"code": self.procedure.code, "name": self.procedure.name}
                    if self.procedure is not None
                    else None
                ),
                measure={
                    "code": indicator.code,
                    "name_vi": indicator.name_vi,
                    "name_en": indicator.name_en,
                    "unit": str(indicator.unit),
                    "scale": "fraction" if series == "p" else "value",
                },
                chart=chart,
                signal=data,
                periods=self.periods,
                drilldown=self._drilldown(indicator.code, series, start, end),
            ),
            detected_at=timezone.now(),
            fingerprint=fp,
        )
        try:
            with transaction.atomic():
                record.save(force_insert=True)
        except IntegrityError:  # a concurrent scan recorded it first
            return SpcSignal.objects.get(fingerprint=fp), False
        audit_append(
            actor=self.actor,
            action="create",
            obj=record,
            changes={
                "rule_id": [None, rid],
                "measure": [None, record.measure],
                "period_start": [None, start],
                "direction": [None, record.direction],
            },
        )
        return record, True

    def _drilldown(self, code: str, series: str, start: dt.date, end: dt.date) -> dict:
        """The dossiers behind the trigger period: the late ones (p-chart), the finished ones
        whose processing time makes up the value (XmR)."""
        part = "numerator" if series == "p" else "denominator"
        figure = Figure(self.unit, True, self.procedure, start, end, selectors.day_end(end))
        dossiers = dossiers_behind(code=code, figure=figure, part=part)
        return {
            "indicator": code,
            "part": part,
            "unit": self.unit.code,
            "subtree": True,
            "procedure": getattr(self.procedure, "code", None),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "count": dossiers.count(),
            "codes": list(
                dossiers.order_by("code").values_list("code", flat=True)[:MAX_EVIDENCE_CODES]
            ),
        }


# --- Signal lifecycle ------------------------------------------------------------------------


def _signal_move(*, actor, signal: SpcSignal, target: str, reason: str, **extra) -> SpcSignal:
    check(actor, signal.unit.path)
    signal = SpcSignal.objects.select_for_update().select_related("unit").get(pk=signal.pk)
    before = signal.status
    try:
        signal.status = workflows.transition(workflows.SIGNAL_TRANSITIONS, before, target)
    except workflows.TransitionError:
        raise ValidationError(
            _("Tín hiệu đang ở trạng thái “%(status)s”, không chuyển được.")
            % {"status": signal.get_status_display()}
        ) from None
    signal.status_changed_at = timezone.now()
    signal.status_changed_by = actor if getattr(actor, "pk", None) else None
    signal.status_reason = reason.strip()
    for name, value in extra.items():
        setattr(signal, name, value)
    signal.save()
    audit_append(
        actor=actor,
        action="update",
        obj=signal,
        changes={"status": [before, signal.status], **{k: [None, v] for k, v in extra.items()}},
        reason=signal.status_reason,
    )
    return signal


@transaction.atomic
def signal_acknowledge(*, actor, signal: SpcSignal, reason: str = "") -> SpcSignal:
    """Someone is looking into the signal (reason: a note, optional)."""
    return _signal_move(
        actor=actor, signal=signal, target=SpcSignal.Status.ACKNOWLEDGED, reason=reason
    )


@transaction.atomic
def signal_dismiss(*, actor, signal: SpcSignal, reason: str) -> SpcSignal:
    """No action: a known cause, a data error, a favourable shift confirmed. Reason required."""
    if not reason.strip():
        raise ValidationError({"reason": _("Cần nêu lý do bỏ qua tín hiệu.")})
    return _signal_move(
        actor=actor, signal=signal, target=SpcSignal.Status.DISMISSED, reason=reason
    )


@transaction.atomic
def signal_mark_raised(*, actor, signal: SpcSignal, reference: str, reason: str = "") -> SpcSignal:
    """The nonconformity module (a later issue) raised a nonconformity from this signal."""
    if not reference.strip():
        raise ValidationError({"reference": _("Cần số hiệu sự không phù hợp.")})
    return _signal_move(
        actor=actor,
        signal=signal,
        target=SpcSignal.Status.RAISED,
        reason=reason,
        nonconformity_ref=reference.strip()[:60],
    )
