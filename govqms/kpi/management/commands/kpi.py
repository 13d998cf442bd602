"""`govqms kpi`: every indicator of a unit (or its subtree) over a period, from the rollups.

    govqms kpi --org 00070 --from 2026-03-01 --to 2026-03-31
    govqms kpi --org 01 --subtree --procedure 1.001193 --from 2026-01-01 --to 2026-12-31 --json

Each line: code, value, numerator / denominator, unit, name. Period figures sum the daily
rollups over [--from, --to] (local days, Asia/Ho_Chi_Minh); open-dossier figures are a live
snapshot at --as-of (default: now). A bad date or an unknown org/procedure stops with an error
naming the argument. docs/rollups.md.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from govqms.kpi.selectors import Figure, indicator_report
from govqms.org.models import OrgUnit
from govqms.org.selectors import unit_by_code
from govqms.procedures.models import Procedure


def parse_day(text: str, argument: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except (ValueError, AttributeError) as exc:
        raise CommandError(f"{argument}: cannot read {text!r} as a date; use YYYY-MM-DD") from exc


def parse_as_of(text: str | None) -> dt.datetime:
    if not text:
        return timezone.now()
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise CommandError(
            f"--as-of: cannot read {text!r} as a date and time; use ISO 8601"
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.get_default_timezone())
    return value


def _fmt(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{value:.2f}%"
    if unit == "days":
        return f"{value:.2f} ngày"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}"


def _count(value) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}" if isinstance(value, float) else f"{value:,}"


class Command(BaseCommand):
    help = "Print every indicator (numerator, denominator, value) of a unit over a period."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="unit code (e.g. 00070)")
        parser.add_argument(
            "--subtree", action="store_true", help="the unit and every unit below it"
        )
        parser.add_argument("--procedure", help="procedure code (default: all procedures)")
        parser.add_argument("--from", dest="start", required=True, help="first day, YYYY-MM-DD")
        parser.add_argument("--to", dest="end", required=True, help="last day, YYYY-MM-DD")
        parser.add_argument("--as-of", help="instant of the open-dossier snapshot (default now)")
        parser.add_argument(
            "--exact", action="store_true", help="median from the dossier rows, not the histogram"
        )
        parser.add_argument("--json", action="store_true", dest="as_json", help="print JSON")

    def handle(self, *args, **options):
        start = parse_day(options["start"], "--from")
        end = parse_day(options["end"], "--to")
        if end < start:
            raise CommandError(f"--to: {end} is before --from {start}")
        now = parse_as_of(options.get("as_of"))
        try:
            unit = unit_by_code(options["org"].strip(), on=end)
        except OrgUnit.DoesNotExist as exc:
            raise CommandError(f"--org: no unit with code {options['org']!r}") from exc
        procedure = None
        if options.get("procedure"):
            procedure = Procedure.objects.filter(code=options["procedure"].strip()).first()
            if procedure is None:
                raise CommandError(f"--procedure: no procedure with code {options['procedure']!r}")
        figure = Figure(unit, options["subtree"], procedure, start, end, now)
        report = indicator_report(figure=figure, exact=options["exact"])
        if options["as_json"]:
            payload = {
                "org": unit.code,
                "org_name": unit.name,
                "subtree": options["subtree"],
                "procedure": procedure.code if procedure else None,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "as_of": now.isoformat(),
                "indicators": report["indicators"],
                "counts": report["counts"],
            }
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        scope = "toàn bộ đơn vị trực thuộc" if options["subtree"] else "chỉ đơn vị"
        self.stdout.write(
            f"{unit.code} {unit.name} ({scope}); "
            f"{procedure.code if procedure else 'mọi thủ tục'}; {start} – {end}; "
            f"hồ sơ đang giải quyết tính tại {timezone.localtime(now):%Y-%m-%d %H:%M}"
        )
        for row in report["indicators"]:
            if row["missing"]:
                value, counts = "N/A", f"thiếu {', '.join(row['missing'])}"
            else:
                value = _fmt(row["value"], row["unit"])
                if not row["exact"]:
                    value += " (ước tính)"
                counts = _count(row["numerator"])
                if row["denominator"] is not None:
                    counts = f"{counts} / {_count(row['denominator'])}"
            self.stdout.write(f"{row['code']:<26} {value:>20}  {counts:<24} {row['name']}")
