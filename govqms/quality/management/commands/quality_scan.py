"""`govqms quality-scan`: measure the quality objectives and scan the SPC charts of a subtree.

    govqms quality-scan                         # every unit, as of today
    govqms quality-scan --org 00070 --as-of 2026-04-01

One line per objective period measured, then one line per chart of each unit that exists on
the day (units without enough data say so). Exit status 0; a bad date or an unknown --org
stops with an error naming the argument. docs/quality.md.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from govqms.org.models import OrgUnit
from govqms.org.selectors import unit_by_code
from govqms.quality import selectors, services


def _value(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def _ratio(numerator, denominator) -> str:
    if denominator is None:
        return ""
    return f" ({_value(numerator)}/{_value(denominator)})"


class Command(BaseCommand):
    help = "Measure the quality objectives and scan the SPC charts of a unit's subtree."

    def add_arguments(self, parser):
        parser.add_argument("--org", help="unit code (default: every unit)")
        parser.add_argument("--as-of", help="the day, YYYY-MM-DD (default: today)")
        parser.add_argument("--months", type=int, default=12, help="months charted (default 12)")

    def handle(self, *args, org=None, as_of=None, months=12, **options):
        day = self._day(as_of)
        root = None
        if org:
            try:
                root = unit_by_code(org, on=day)
            except OrgUnit.DoesNotExist as exc:
                raise CommandError(f"--org: {exc}") from exc
        for r in services.objectives_measure(actor=None, as_of=day, unit=root):
            m = r.measurement
            self.stdout.write(
                f"objective #{r.objective.pk} {r.objective.unit.code} {r.objective.indicator} "
                f"{m.period_start}..{m.period_end}{'' if m.complete else ' (partial)'}: "
                f"{_value(m.value)}{_ratio(m.numerator, m.denominator)} "
                f"{m.status} [{r.outcome}]"
            )
        for unit in selectors.scan_units(root=root, on=day):
            scan = services.spc_scan(actor=None, unit=unit, months=months, as_of=day)
            for chart in scan.charts:
                head = f"spc {unit.code} {chart.chart} {chart.measure}: {chart.points} months"
                if chart.skipped:
                    self.stdout.write(f"{head}, skipped ({chart.skipped})")
                else:
                    rules = ", ".join(f"{s.rule_id}@{s.period_start:%Y-%m}" for s in chart.signals)
                    self.stdout.write(
                        f"{head}, {len(chart.signals)} signals ({len(chart.new)} new)"
                        + (f": {rules}" if rules else "")
                    )

    @staticmethod
    def _day(text: str | None) -> dt.date:
        if not text:
            return timezone.localdate()
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError as exc:
            raise CommandError(f"--as-of: cannot read {text!r} as a date; use YYYY-MM-DD") from exc
