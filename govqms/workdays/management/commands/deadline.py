"""`govqms deadline`: compute a due date and print how it was derived.

    govqms deadline --received "2026-02-13T16:45" --limit 5wd
    govqms deadline --received 2026-02-13T16:45 --limit 10d --unit 00004 --json
    govqms deadline --received 2026-03-02T09:00 --limit 4wh \\
        --pause 2026-03-02T10:00/2026-03-03T10:00

A naive --received (no UTC offset) is local time in Asia/Ho_Chi_Minh (the calendar's zone).
Without a seeded calendar in the database the seed data (govqms.workdays.seed) is used.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from govqms.workdays.calendar import DEADLINE_MODES, VN_TIMEZONE, Limit, Pause
from govqms.workdays.explain import fmt_instant
from govqms.workdays.seed import vn_calendar


def parse_instant(text: str, tz, argument: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError) as exc:
        raise CommandError(
            f"{argument}: cannot read {text!r} as a date and time; use ISO 8601, "
            "e.g. 2026-02-13T16:45 or 2026-02-13T16:45+07:00"
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value


class Command(BaseCommand):
    help = "Compute the due date of a dossier and explain its derivation."

    def add_arguments(self, parser):
        parser.add_argument("--received", required=True, help="receipt instant, ISO 8601")
        parser.add_argument(
            "--limit", required=True, help="5wd (working days), 10d (calendar days), 4wh (hours)"
        )
        parser.add_argument("--unit", help="code of the receiving unit (its office hours)")
        parser.add_argument(
            "--pause",
            action="append",
            default=[],
            metavar="FROM/TO",
            help="a pause of the clock, two ISO 8601 instants separated by '/' (repeatable)",
        )
        parser.add_argument(
            "--mode", choices=DEADLINE_MODES, help="working-day convention (default: calendar's)"
        )
        parser.add_argument("--calendar", default="VN", help="holiday calendar code (default VN)")
        parser.add_argument("--json", action="store_true", help="print the derivation as JSON")

    def handle(self, *args, **options):
        try:
            limit = Limit.parse(options["limit"])
        except ValueError as exc:
            raise CommandError(f"--limit: {exc}") from exc
        cal = self._calendar(options)
        received = parse_instant(options["received"], cal.tz, "--received")
        pauses = []
        for text in options["pause"]:
            parts = text.split("/")
            if len(parts) != 2:
                raise CommandError(f"--pause: expected FROM/TO, got {text!r}")
            start = parse_instant(parts[0], cal.tz, "--pause")
            end = parse_instant(parts[1], cal.tz, "--pause")
            if end < start:
                raise CommandError(f"--pause: {text!r} ends before it starts")
            pauses.append(Pause(start, end))
        try:
            derivation = cal.explain(received, limit, pauses=pauses, mode=options["mode"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(derivation.to_dict(), ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"Hạn trả kết quả: {fmt_instant(derivation.due)} ({derivation.due:%z})")
        self.stdout.write(f"Lịch: {derivation.calendar}")
        self.stdout.write(derivation.to_text())

    def _calendar(self, options):
        from govqms.workdays.selectors import workcalendar_for_unit

        unit = None
        code = options["unit"]
        if code:
            from govqms.org.models import OrgUnit
            from govqms.org.selectors import unit_by_code

            try:
                unit = unit_by_code(code)
            except OrgUnit.DoesNotExist as exc:
                raise CommandError(f"--unit: no unit with code {code!r}") from exc
        years = self._years(options["received"])
        try:
            return workcalendar_for_unit(
                unit=unit, calendar_code=options["calendar"], fallback_years=years
            )
        except DatabaseError as exc:
            if unit is not None or options["calendar"].upper() != "VN":
                raise CommandError(f"cannot read the calendar from the database: {exc}") from exc
            self.stderr.write(f"database unavailable ({exc}); using the built-in VN calendar")
            return vn_calendar(years)
        except ValueError as exc:
            raise CommandError(f"--calendar: {exc}") from exc

    @staticmethod
    def _years(received: str) -> range:
        try:
            year = dt.datetime.fromisoformat(received.strip()).year
        except (ValueError, AttributeError):
            year = dt.datetime.now(tz=dt.UTC).year
        return range(year - 1, year + 4)


__all__ = ["VN_TIMEZONE", "Command"]
